/* detect-national.c: national identity, tax and bank numbers, checksum-validated.
 *
 * A candidate is a token of digits and capitals joined by single separators (' ', '-',
 * '.', '/', '+'), read from a word start. Its shape ("ddd.ddd.ddd-dd": d a digit, L a
 * capital, separators as written) must equal one of a format's shapes exactly; then
 * the format's validator checks the characters (checksums, dates, issuer rules), and a
 * format whose check is weak (a bare nine-digit number passes a mod-11 check one time
 * in eleven) also needs one of its context words in the 56 bytes before. A space-
 * separated token longer than any format is also tried cut at each space (an id
 * followed by a date or an amount). Sources and limits: docs/detectors.md. */
#include "detect-private.h"

#include <string.h>

#define ID_SHAPE_MAX 31
#define CONTEXT_WINDOW 56   /* a Markdown table's header is ~45 bytes before its first cell */

typedef struct {
  char v[ID_SHAPE_MAX + 1];      /* the digits and capitals, separators removed */
  guint n, digits;
  char shape[ID_SHAPE_MAX + 1];
  guint len;                     /* shape bytes = text bytes read */
} IdToken;

static gboolean
is_id_sep (guchar c)
{
  return c == ' ' || c == '-' || c == '.' || c == '/' || c == '+';
}

/* Reads the token at i. The last separator must be followed by a digit or capital. */
static void
id_token_read (const DetectScan *scan, gsize i, IdToken *t)
{
  t->n = t->len = t->digits = 0;
  while (t->len < ID_SHAPE_MAX && i + t->len < scan->len)
    {
      guchar c = scan->text[i + t->len];
      if (g_ascii_isdigit (c) || g_ascii_isupper (c))
        {
          t->v[t->n++] = (char) c;
          t->digits += g_ascii_isdigit (c) != 0;
          t->shape[t->len++] = g_ascii_isdigit (c) ? 'd' : 'L';
        }
      else if (is_id_sep (c) && t->len > 0 && !is_id_sep ((guchar) t->shape[t->len - 1])
               && (detect_has (scan, i + t->len + 1, DETECT_DIGIT | DETECT_UPPER)))
        t->shape[t->len++] = (char) c;
      else
        break;
    }
  t->shape[t->len] = 0;
  t->v[t->n] = 0;
}

/* ---- helpers ------------------------------------------------------------------------ */

static guint
num (const char *d, guint n)
{
  guint v = 0;
  for (guint k = 0; k < n; k++)
    v = v * 10 + (guint) (d[k] - '0');
  return v;
}

static gboolean
all_digits (const char *v, guint n)
{
  for (guint k = 0; k < n; k++)
    if (!g_ascii_isdigit (v[k]))
      return FALSE;
  return TRUE;
}

static gboolean
one_digit_repeated (const char *v, guint n)
{
  for (guint k = 1; k < n; k++)
    if (v[k] != v[0])
      return FALSE;
  return TRUE;
}

static guint
weighted (const char *v, const guint8 *w, guint n)
{
  guint s = 0;
  for (guint k = 0; k < n; k++)
    s += (guint) (v[k] - '0') * w[k];
  return s;
}

/* A calendar date; day up to 31 in any month (ids are checked, not calendars). */
static gboolean
date_ok (guint day, guint month)
{
  return day >= 1 && day <= 31 && month >= 1 && month <= 12;
}

/* ---- validators (on the characters without separators) ----------------------------- */

/* Dutch BSN: the "11-proof", 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11. */
static gboolean
valid_bsn (const char *v, guint n)
{
  static const guint8 w[] = { 9, 8, 7, 6, 5, 4, 3, 2 };
  if (n != 9 || one_digit_repeated (v, n))
    return FALSE;
  return (weighted (v, w, 8) + 11 * 10 - (guint) (v[8] - '0')) % 11 == 0;
}

/* Polish PESEL: YYMMDD (month + 20/40/60/80 for other centuries), serial, and a check
 * digit from the weights 1 3 7 9. */
static gboolean
valid_pesel (const char *v, guint n)
{
  static const guint8 w[] = { 1, 3, 7, 9, 1, 3, 7, 9, 1, 3 };
  if (n != 11 || !date_ok (num (v + 4, 2), num (v + 2, 2) % 20))
    return FALSE;
  return (10 - weighted (v, w, 10) % 10) % 10 == (guint) (v[10] - '0');
}

/* Swedish personnummer: (YY)YYMMDD-NNNC, Luhn over the ten digits YYMMDDNNNC; day + 60
 * for a samordningsnummer. */
static gboolean
valid_personnummer (const char *v, guint n)
{
  if (n == 12)
    v += 2, n = 10;
  guint day = num (v + 4, 2);
  return n == 10 && date_ok (day > 60 ? day - 60 : day, num (v + 2, 2)) && detect_luhn_ok (v, 10)
         && num (v + 6, 3) != 0;
}

/* Danish CPR: DDMMYY-SSSS. Since 2007 not every number meets the old modulus 11 check,
 * so only the date is checked (and context is required). */
static gboolean
valid_cpr (const char *v, guint n)
{
  return n == 10 && date_ok (num (v, 2), num (v + 2, 2));
}

/* Finnish HETU: DDMMYY, century sign, NNN, and a check character, the index of
 * DDMMYYNNN mod 31 in 0-9A-Y less G I O Q Z. */
static gboolean
valid_hetu (const char *v, guint n)
{
  static const char checks[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";
  /* The sign is '-' or '+' (a separator, so n is 10) or a letter: A-F for the 2000s,
   * U-Y for the 1900s (2023 reform). */
  if ((n != 10 && n != 11) || (n == 11 && !strchr ("ABCDEFUVWXY", v[6]))
      || !date_ok (num (v, 2), num (v + 2, 2)) || !all_digits (v + n - 4, 3))
    return FALSE;
  guint serial = num (v + n - 4, 3);
  guint64 whole = (guint64) num (v, 6) * 1000 + serial;
  return serial >= 2 && checks[whole % 31] == v[n - 1];
}

/* Norwegian fødselsnummer: DDMMYY, III, and two mod-11 check digits; day + 40 for a
 * D-number. */
static gboolean
valid_fnr (const char *v, guint n)
{
  static const guint8 w1[] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
  static const guint8 w2[] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
  if (n != 11)
    return FALSE;
  guint day = num (v, 2);
  if (!date_ok (day > 40 ? day - 40 : day, num (v + 2, 2)))
    return FALSE;
  guint k1 = (11 - weighted (v, w1, 9) % 11) % 11, k2 = (11 - weighted (v, w2, 10) % 11) % 11;
  return k1 != 10 && k2 != 10 && k1 == (guint) (v[9] - '0') && k2 == (guint) (v[10] - '0');
}

/* Brazilian CPF: nine digits and two mod-11 check digits. */
static gboolean
valid_cpf (const char *v, guint n)
{
  if (n != 11 || one_digit_repeated (v, n))
    return FALSE;
  for (guint len = 9; len <= 10; len++)
    {
      guint s = 0;
      for (guint k = 0; k < len; k++)
        s += (guint) (v[k] - '0') * (len + 1 - k);
      if ((s * 10) % 11 % 10 != (guint) (v[len] - '0'))
        return FALSE;
    }
  return TRUE;
}

/* Brazilian CNPJ: twelve digits and two mod-11 check digits (weights 5..2, 9..2). */
static gboolean
valid_cnpj (const char *v, guint n)
{
  static const guint8 w[] = { 6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2 };
  if (n != 14 || one_digit_repeated (v, n))
    return FALSE;
  for (guint len = 12; len <= 13; len++)
    {
      guint r = weighted (v, w + (13 - len), len) % 11;
      if ((r < 2 ? 0 : 11 - r) != (guint) (v[len] - '0'))
        return FALSE;
    }
  return TRUE;
}

/* Indian Aadhaar: twelve digits, the first 2-9, the last a Verhoeff check digit. */
static gboolean
valid_aadhaar (const char *v, guint n)
{
  static const guint8 d[10][10] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 },
    { 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 }, { 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 },
    { 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 }, { 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 },
    { 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 }, { 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 },
    { 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 }, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
  };
  static const guint8 p[8][10] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 },
    { 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 }, { 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 },
    { 9, 4, 5, 3, 1, 2, 6, 8, 7, 0 }, { 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 },
    { 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 }, { 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 },
  };
  if (n != 12 || v[0] < '2' || one_digit_repeated (v, n))
    return FALSE;
  guint c = 0;
  for (guint k = 0; k < n; k++)
    c = d[c][p[k % 8][v[n - 1 - k] - '0']];
  return c == 0;
}

/* Canadian SIN: nine digits, Luhn; 0 and 8 are not issued as first digits. */
static gboolean
valid_sin (const char *v, guint n)
{
  return n == 9 && v[0] != '0' && v[0] != '8' && detect_luhn_ok (v, 9) && !one_digit_repeated (v, n);
}

/* Australian TFN: nine digits, weights 1 4 3 7 5 8 6 9 10, sum divisible by 11. */
static gboolean
valid_tfn (const char *v, guint n)
{
  static const guint8 w[] = { 1, 4, 3, 7, 5, 8, 6, 9, 10 };
  return n == 9 && weighted (v, w, 9) % 11 == 0 && !one_digit_repeated (v, n);
}

/* Australian Medicare: ten digits (an eleventh, the individual reference, optional),
 * the first 2-6, the ninth a check digit over weights 1 3 7 9. */
static gboolean
valid_medicare (const char *v, guint n)
{
  static const guint8 w[] = { 1, 3, 7, 9, 1, 3, 7, 9 };
  return (n == 10 || n == 11) && v[0] >= '2' && v[0] <= '6'
         && weighted (v, w, 8) % 10 == (guint) (v[8] - '0');
}

/* Chinese resident identity card (GB 11643): 17 digits and an ISO 7064 MOD 11-2 check
 * character (0-9 or X); digits 7-14 are the birth date YYYYMMDD. */
static gboolean
valid_cn_id (const char *v, guint n)
{
  static const guint8 w[] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
  static const char checks[] = "10X98765432";
  if (n != 18 || !all_digits (v, 17) || v[0] == '0' || v[0] == '9')
    return FALSE;
  guint year = num (v + 6, 4);
  if (year < 1900 || year > 2099 || !date_ok (num (v + 12, 2), num (v + 10, 2)))
    return FALSE;
  return checks[weighted (v, w, 17) % 11] == v[17];
}

/* Korean resident registration number: YYMMDD-GNNNNNC; G 1-4 (citizens) or 5-8
 * (foreigners); the check digit (weights 2-9, 2-5) holds for numbers issued before
 * October 2020. */
static gboolean
valid_rrn (const char *v, guint n)
{
  static const guint8 w[] = { 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5 };
  if (n != 13 || !date_ok (num (v + 4, 2), num (v + 2, 2)) || v[6] < '1' || v[6] > '8')
    return FALSE;
  return (11 - weighted (v, w, 12) % 11) % 10 == (guint) (v[12] - '0');
}

/* Japanese My Number: twelve digits, the last a mod-11 check (weights 6 5 4 3 2 7 6 5
 * 4 3 2 over the first eleven). */
static gboolean
valid_my_number (const char *v, guint n)
{
  static const guint8 w[] = { 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
  if (n != 12 || one_digit_repeated (v, n))
    return FALSE;
  guint r = weighted (v, w, 11) % 11;
  return (r <= 1 ? 0 : 11 - r) == (guint) (v[11] - '0');
}

/* Singapore NRIC / FIN: S, T, F or G, seven digits, a check letter (weights 2 7 6 5 4 3
 * 2; +4 for T and G). */
static gboolean
valid_nric (const char *v, guint n)
{
  static const guint8 w[] = { 2, 7, 6, 5, 4, 3, 2 };
  if (n != 9 || !detect_in ((guchar) v[0], "STFG"))
    return FALSE;
  guint r = (weighted (v + 1, w, 7) + (v[0] == 'T' || v[0] == 'G' ? 4 : 0)) % 11;
  const char *letters = v[0] == 'S' || v[0] == 'T' ? "JZIHGFEDCBA" : "XWUTRQPNMLK";
  return letters[r] == v[8];
}

/* Mexican CURP (RENAPO): four letters, YYMMDD, sex (H, M or X), two-letter state, three
 * consonants, a homoclave character and a check digit over the 17 before it. */
static gboolean
valid_curp (const char *v, guint n)
{
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ";
  if (n != 18 || !date_ok (num (v + 8, 2), num (v + 6, 2)) || !detect_in ((guchar) v[10], "HMX"))
    return FALSE;
  guint s = 0;
  for (guint k = 0; k < 17; k++)
    {
      const char *at = strchr (alphabet, v[k]);
      s += (guint) (at - alphabet) * (18 - k);
    }
  return (10 - s % 10) % 10 == (guint) (v[17] - '0');
}

/* French NIR (numéro de sécurité sociale): sex, YY, MM, department (2A/2B for Corsica),
 * commune, order, and a key 97 - (the 13 digits mod 97). */
static gboolean
valid_nir (const char *v, guint n)
{
  if (n != 15 || !detect_in ((guchar) v[0], "12378") || !all_digits (v + 7, 8))
    return FALSE;
  guint month = num (v + 3, 2);
  if (!(month >= 1 && month <= 12) && !(month >= 20 && month <= 42) && !(month >= 50 && month <= 99))
    return FALSE;
  guint64 whole = 0;
  for (guint k = 0; k < 13; k++)
    {
      char c = v[k];
      if (k == 6 && v[5] == '2' && (c == 'A' || c == 'B'))
        c = '0';       /* 2A -> 20 then minus 1,000,000; 2B -> 20 minus 2,000,000 */
      else if (!g_ascii_isdigit (c))
        return FALSE;
      whole = whole * 10 + (guint64) (c - '0');
    }
  if (v[6] == 'A')
    whole -= 1000000;
  else if (v[6] == 'B')
    whole -= 2000000;
  return 97 - whole % 97 == num (v + 13, 2);
}

/* Italian codice fiscale: six letters, YY, month letter, DD (+40 for women), a town
 * code, and a check letter from the odd/even position tables. Digits may be replaced by
 * letters (omocodia) where two people would share a code. */
static gboolean
valid_codice_fiscale (const char *v, guint n)
{
  static const guint8 odd[36] = {
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21,                        /* 0-9 */
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3,   /* A-P */
    6, 8, 12, 14, 16, 10, 22, 25, 24, 23,                     /* Q-Z */
  };
  if (n != 16 || !strchr ("ABCDEHLMPRST", v[8]))
    return FALSE;
  guint s = 0;
  for (guint k = 0; k < 15; k++)
    {
      guint idx = g_ascii_isdigit (v[k]) ? (guint) (v[k] - '0') : (guint) (v[k] - 'A') + 10;
      if (k % 2 == 0)
        s += odd[idx];
      else
        s += g_ascii_isdigit (v[k]) ? idx : idx - 10;
    }
  return (char) ('A' + s % 26) == v[15];
}

/* Spanish DNI (eight digits) and NIE (X, Y or Z and seven digits): the letter is
 * TRWAGMYFPDXBNJZSQVHLCKE indexed by the number mod 23. */
static gboolean
valid_dni (const char *v, guint n)
{
  static const char letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";
  if (n != 9)
    return FALSE;
  guint lead = v[0] == 'X' ? 0 : v[0] == 'Y' ? 1 : v[0] == 'Z' ? 2 : 10;
  guint number = lead < 10 ? lead * 10000000 + num (v + 1, 7) : num (v, 8);
  if (lead == 10 && !all_digits (v, 8))
    return FALSE;
  return letters[number % 23] == v[8] && number != 0;
}

/* UK National Insurance number: two prefix letters (HMRC's rules: first not D F I Q U
 * V, second not D F I O Q U V; not BG GB KN NK NT TN ZZ), six digits, suffix A-D. */
static gboolean
valid_nino (const char *v, guint n)
{
  if (n != 9 || strchr ("DFIQUV", v[0]) || strchr ("DFIOQUV", v[1]) || !strchr ("ABCD", v[8]))
    return FALSE;
  static const char *const bad[] = { "BG", "GB", "KN", "NK", "NT", "TN", "ZZ" };
  for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
    if (memcmp (v, bad[k], 2) == 0)
      return FALSE;
  return !one_digit_repeated (v + 2, 6);
}

/* German tax id (steuerliche Identifikationsnummer): eleven digits, the first not 0;
 * in the first ten exactly one digit appears two or three times; the last is an
 * ISO 7064 MOD 11,10 check digit. */
static gboolean
valid_steuer_id (const char *v, guint n)
{
  if (n != 11 || v[0] == '0')
    return FALSE;
  guint counts[10] = { 0 }, repeated = 0, missing = 0;
  for (guint k = 0; k < 10; k++)
    counts[v[k] - '0']++;
  for (guint d = 0; d < 10; d++)
    {
      repeated += counts[d] >= 2;
      missing += counts[d] == 0;
      if (counts[d] > 3)
        return FALSE;
    }
  if (repeated != 1 || (missing != 1 && missing != 2))
    return FALSE;
  guint product = 10;
  for (guint k = 0; k < 10; k++)
    {
      guint sum = ((guint) (v[k] - '0') + product) % 10;
      product = ((sum == 0 ? 10 : sum) * 2) % 11;
    }
  guint check = 11 - product;
  return (check == 10 ? 0 : check) == (guint) (v[10] - '0');
}

/* US ABA routing number: nine digits, prefix 00-12, 21-32, 61-72 or 80, and
 * 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) divisible by 10. */
static gboolean
valid_aba (const char *v, guint n)
{
  static const guint8 w[] = { 3, 7, 1, 3, 7, 1, 3, 7, 1 };
  if (n != 9 || one_digit_repeated (v, n))
    return FALSE;
  guint p = num (v, 2);
  if (!(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
    return FALSE;
  return weighted (v, w, 9) % 10 == 0;
}

/* US ITIN: 9XX-GG-SSSS with the group 50-65, 70-88, 90-92 or 94-99 (IRS). */
static gboolean
valid_itin (const char *v, guint n)
{
  guint g = num (v + 3, 2);
  return n == 9 && v[0] == '9'
         && ((g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || g >= 94)
         && num (v + 5, 4) != 0;
}

/* Belgian national number: YYMMDD, a serial and 97 - (the first nine digits mod 97),
 * with a 2 in front for people born from 2000. */
static gboolean
valid_be_nn (const char *v, guint n)
{
  if (n != 11)
    return FALSE;
  guint month = num (v + 2, 2), day = num (v + 4, 2);
  if (month > 12 || day > 31)
    return FALSE;          /* 00 is allowed: a date of birth only partly known */
  guint64 first = num (v, 9), check = num (v + 9, 2);
  return 97 - first % 97 == check || 97 - (2000000000ULL + first) % 97 == check;
}

/* Swiss AHV/AVS number: 756, nine digits and an EAN-13 check digit. */
static gboolean
valid_ahv (const char *v, guint n)
{
  static const guint8 w[] = { 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3 };
  return n == 13 && memcmp (v, "756", 3) == 0
         && (10 - weighted (v, w, 12) % 10) % 10 == (guint) (v[12] - '0');
}

/* Indian PAN: five letters, four digits, a letter; the fourth letter is the holder's
 * type (P person, C company, H Hindu undivided family, F firm, A association, T trust,
 * B body of individuals, L local authority, J juridical person, G government, K
 * krish). No check character is published. */
static gboolean
valid_pan (const char *v, guint n)
{
  return n == 10 && strchr ("PCHFATBLJGK", v[3]) != NULL;
}

/* ---- formats ------------------------------------------------------------------------ */

typedef struct {
  const char *word;
  gsize len;
} SizedWord;
#define W(w) { w, sizeof w - 1 }

typedef struct {
  const char *shape;              /* d digit, L capital, A either; separators literal */
  guint8 len;                     /* strlen (shape) */
  DetectId id;
  gboolean (*valid) (const char *v, guint n);
  const SizedWord *context;       /* NULL, or context words (ending with { NULL, 0 }) */
} IdFormat;

static const SizedWord ctx_bsn[] = { W ("bsn"), W ("burgerservicenummer"), W ("sofinummer"), W ("sofi-nummer"), W ("citizen service"), { NULL, 0 } };
static const SizedWord ctx_pesel[] = { W ("pesel"), { NULL, 0 } };
static const SizedWord ctx_pnr[] = { W ("personnummer"), W ("personnr"), W ("person nr"), W ("pnr"), W ("samordningsnummer"), { NULL, 0 } };
static const SizedWord ctx_cpr[] = { W ("cpr"), W ("cpr-nr"), W ("cpr-nummer"), { NULL, 0 } };
static const SizedWord ctx_fnr[] = { W ("fødselsnummer"), W ("fodselsnummer"), W ("personnummer"), W ("fnr"), W ("f.nr"), W ("d-nummer"), { NULL, 0 } };
static const SizedWord ctx_cpf[] = { W ("cpf"), { NULL, 0 } };
static const SizedWord ctx_cnpj[] = { W ("cnpj"), { NULL, 0 } };
static const SizedWord ctx_aadhaar[] = { W ("aadhaar"), W ("aadhar"), W ("uidai"), W ("uid"), { NULL, 0 } };
static const SizedWord ctx_sin[] = { W ("sin"), W ("social insurance"), W ("numéro d'assurance sociale"), W ("nas"), { NULL, 0 } };
static const SizedWord ctx_tfn[] = { W ("tfn"), W ("tax file"), { NULL, 0 } };
static const SizedWord ctx_medicare[] = { W ("medicare"), { NULL, 0 } };
static const SizedWord ctx_mynumber[] = { W ("my number"), W ("mynumber"), W ("individual number"), W ("マイナンバー"), W ("個人番号"), { NULL, 0 } };
static const SizedWord ctx_nino[] = { W ("nino"), W ("national insurance"), W ("ni number"), W ("ni no"), { NULL, 0 } };
static const SizedWord ctx_steuer[] = { W ("steuer"), W ("steuerid"), W ("steuer-id"), W ("idnr"), W ("identifikationsnummer"), W ("tax id"), W ("tin"), { NULL, 0 } };
static const SizedWord ctx_aba[] = { W ("routing"), W ("aba"), W ("rtn"), W ("transit number"), { NULL, 0 } };
static const SizedWord ctx_itin[] = { W ("itin"), W ("taxpayer identification"), { NULL, 0 } };
static const SizedWord ctx_be[] = { W ("rijksregister"), W ("registre national"), W ("national number"), W ("numéro national"), W ("insz"), W ("niss"), W ("nn"), { NULL, 0 } };
static const SizedWord ctx_rrn[] = { W ("rrn"), W ("resident registration"), W ("주민등록번호"), W ("주민번호"), { NULL, 0 } };

static const IdFormat formats[] = {
  { "ddddddddd", sizeof "ddddddddd" - 1, DET_NL_BSN, valid_bsn, ctx_bsn },
  { "dddd.dd.ddd", sizeof "dddd.dd.ddd" - 1, DET_NL_BSN, valid_bsn, ctx_bsn },
  { "ddddddddddd", sizeof "ddddddddddd" - 1, DET_PL_PESEL, valid_pesel, ctx_pesel },
  { "dddddd-dddd", sizeof "dddddd-dddd" - 1, DET_SE_PERSONNUMMER, valid_personnummer, NULL },
  { "dddddd+dddd", sizeof "dddddd+dddd" - 1, DET_SE_PERSONNUMMER, valid_personnummer, NULL },
  { "dddddddd-dddd", sizeof "dddddddd-dddd" - 1, DET_SE_PERSONNUMMER, valid_personnummer, NULL },
  { "dddddddddd", sizeof "dddddddddd" - 1, DET_SE_PERSONNUMMER, valid_personnummer, ctx_pnr },
  { "dddddddddddd", sizeof "dddddddddddd" - 1, DET_SE_PERSONNUMMER, valid_personnummer, ctx_pnr },
  { "dddddd-dddd", sizeof "dddddd-dddd" - 1, DET_DK_CPR, valid_cpr, ctx_cpr },
  { "dddddddddd", sizeof "dddddddddd" - 1, DET_DK_CPR, valid_cpr, ctx_cpr },
  { "dddddd-dddA", sizeof "dddddd-dddA" - 1, DET_FI_HETU, valid_hetu, NULL },
  { "dddddd+dddA", sizeof "dddddd+dddA" - 1, DET_FI_HETU, valid_hetu, NULL },
  { "ddddddLdddA", sizeof "ddddddLdddA" - 1, DET_FI_HETU, valid_hetu, NULL },
  { "ddddddddddd", sizeof "ddddddddddd" - 1, DET_NO_FNR, valid_fnr, ctx_fnr },
  { "dddddd ddddd", sizeof "dddddd ddddd" - 1, DET_NO_FNR, valid_fnr, NULL },
  { "ddd.ddd.ddd-dd", sizeof "ddd.ddd.ddd-dd" - 1, DET_BR_CPF, valid_cpf, NULL },
  { "ddddddddddd", sizeof "ddddddddddd" - 1, DET_BR_CPF, valid_cpf, ctx_cpf },
  { "dd.ddd.ddd/dddd-dd", sizeof "dd.ddd.ddd/dddd-dd" - 1, DET_BR_CNPJ, valid_cnpj, NULL },
  { "dddddddddddddd", sizeof "dddddddddddddd" - 1, DET_BR_CNPJ, valid_cnpj, ctx_cnpj },
  { "dddd dddd dddd", sizeof "dddd dddd dddd" - 1, DET_IN_AADHAAR, valid_aadhaar, NULL },
  { "dddd-dddd-dddd", sizeof "dddd-dddd-dddd" - 1, DET_IN_AADHAAR, valid_aadhaar, NULL },
  { "dddddddddddd", sizeof "dddddddddddd" - 1, DET_IN_AADHAAR, valid_aadhaar, ctx_aadhaar },
  { "LLLLLddddL", sizeof "LLLLLddddL" - 1, DET_IN_PAN, valid_pan, NULL },
  { "ddd-ddd-ddd", sizeof "ddd-ddd-ddd" - 1, DET_CA_SIN, valid_sin, ctx_sin },
  { "ddd ddd ddd", sizeof "ddd ddd ddd" - 1, DET_CA_SIN, valid_sin, ctx_sin },
  { "ddddddddd", sizeof "ddddddddd" - 1, DET_CA_SIN, valid_sin, ctx_sin },
  { "ddd ddd ddd", sizeof "ddd ddd ddd" - 1, DET_AU_TFN, valid_tfn, ctx_tfn },
  { "ddddddddd", sizeof "ddddddddd" - 1, DET_AU_TFN, valid_tfn, ctx_tfn },
  { "dddd ddddd d", sizeof "dddd ddddd d" - 1, DET_AU_MEDICARE, valid_medicare, ctx_medicare },
  { "dddd ddddd d d", sizeof "dddd ddddd d d" - 1, DET_AU_MEDICARE, valid_medicare, ctx_medicare },
  { "dddddddddd", sizeof "dddddddddd" - 1, DET_AU_MEDICARE, valid_medicare, ctx_medicare },
  { "dddddddddddddddddA", sizeof "dddddddddddddddddA" - 1, DET_CN_RESIDENT_ID, valid_cn_id, NULL },
  { "dddddd-ddddddd", sizeof "dddddd-ddddddd" - 1, DET_KR_RRN, valid_rrn, NULL },
  { "ddddddddddddd", sizeof "ddddddddddddd" - 1, DET_KR_RRN, valid_rrn, ctx_rrn },
  { "dddd dddd dddd", sizeof "dddd dddd dddd" - 1, DET_JP_MY_NUMBER, valid_my_number, ctx_mynumber },
  { "dddddddddddd", sizeof "dddddddddddd" - 1, DET_JP_MY_NUMBER, valid_my_number, ctx_mynumber },
  { "LdddddddL", sizeof "LdddddddL" - 1, DET_SG_NRIC, valid_nric, NULL },
  { "LLLLddddddLLLLLLAd", sizeof "LLLLddddddLLLLLLAd" - 1, DET_MX_CURP, valid_curp, NULL },
  { "ddddddddddddddd", sizeof "ddddddddddddddd" - 1, DET_FR_NIR, valid_nir, NULL },
  { "d dd dd dd ddd ddd dd", sizeof "d dd dd dd ddd ddd dd" - 1, DET_FR_NIR, valid_nir, NULL },
  { "d dd dd dA ddd ddd dd", sizeof "d dd dd dA ddd ddd dd" - 1, DET_FR_NIR, valid_nir, NULL },
  { "LLLLLLAALAALAAAL", sizeof "LLLLLLAALAALAAAL" - 1, DET_IT_CODICE_FISCALE, valid_codice_fiscale, NULL },
  { "ddddddddL", sizeof "ddddddddL" - 1, DET_ES_DNI, valid_dni, NULL },
  { "dddddddd-L", sizeof "dddddddd-L" - 1, DET_ES_DNI, valid_dni, NULL },
  { "LdddddddL", sizeof "LdddddddL" - 1, DET_ES_DNI, valid_dni, NULL },
  { "LL dd dd dd L", sizeof "LL dd dd dd L" - 1, DET_UK_NINO, valid_nino, NULL },
  { "LLddddddL", sizeof "LLddddddL" - 1, DET_UK_NINO, valid_nino, ctx_nino },
  { "ddddddddddd", sizeof "ddddddddddd" - 1, DET_DE_TAX_ID, valid_steuer_id, ctx_steuer },
  { "dd ddd ddd ddd", sizeof "dd ddd ddd ddd" - 1, DET_DE_TAX_ID, valid_steuer_id, ctx_steuer },
  { "ddddddddd", sizeof "ddddddddd" - 1, DET_US_ABA_ROUTING, valid_aba, ctx_aba },
  { "ddd-dd-dddd", sizeof "ddd-dd-dddd" - 1, DET_US_ITIN, valid_itin, NULL },
  { "ddddddddd", sizeof "ddddddddd" - 1, DET_US_ITIN, valid_itin, ctx_itin },
  { "dd.dd.dd-ddd.dd", sizeof "dd.dd.dd-ddd.dd" - 1, DET_BE_NATIONAL_NUMBER, valid_be_nn, NULL },
  { "ddddddddddd", sizeof "ddddddddddd" - 1, DET_BE_NATIONAL_NUMBER, valid_be_nn, ctx_be },
  { "ddd.dddd.dddd.dd", sizeof "ddd.dddd.dddd.dd" - 1, DET_CH_AHV, valid_ahv, NULL },
  { "ddddddddddddd", sizeof "ddddddddddddd" - 1, DET_CH_AHV, valid_ahv, NULL },
};

static guint8 wildcard[G_N_ELEMENTS (formats)];   /* the shape holds an 'A' (formats_index) */

static gboolean
shape_matches (const IdFormat *fmt, const char *got, guint len)
{
  const char *want = fmt->shape;
  if (fmt->len != len)
    return FALSE;
  if (!wildcard[fmt - formats])
    return memcmp (want, got, len) == 0;
  for (guint k = 0; k < len; k++)
    {
      char w = want[k], g = got[k];
      if (w == g || (w == 'A' && (g == 'd' || g == 'L')))
        continue;
      return FALSE;
    }
  return TRUE;
}

/* The CONTEXT_WINDOW bytes before a candidate, lower-cased once per candidate, with
 * where its words start: each context word is compared at word starts only. */
typedef struct {
  char text[CONTEXT_WINDOW + 1];
  gsize n;
  guint8 starts[CONTEXT_WINDOW];
  guint nstarts;
  guint32 letters;               /* first letters of the window's words (bit 26: non-ASCII) */
  gboolean ready;
} Context;

static guint32
letter_bit (guchar c)
{
  return c >= 'a' && c <= 'z' ? 1u << (c - 'a') : c >= 0x80 ? 1u << 26 : 0;
}

static void
context_load (Context *cx, const DetectScan *scan, gsize i)
{
  gsize from = i > CONTEXT_WINDOW ? i - CONTEXT_WINDOW : 0;
  gboolean after_letter = from > 0 && g_ascii_isalpha (scan->text[from - 1]);
  cx->n = i - from;
  cx->nstarts = 0;
  cx->letters = 0;
  for (gsize k = 0; k < cx->n; k++)
    {
      char c = detect_lower (scan->text[from + k]);
      cx->text[k] = c;
      gboolean letter = g_ascii_isalpha (c);
      if (!after_letter && (letter || (guchar) c >= 0x80))
        {
          cx->starts[cx->nstarts++] = (guint8) k;
          cx->letters |= letter_bit ((guchar) c);
        }
      after_letter = letter;
    }
  cx->text[cx->n] = 0;
  cx->ready = TRUE;
}

/* One of words starts a word in the window and ends at a non-letter (ASCII letters;
 * words in other scripts are compared as bytes). */
static gboolean
context_has (const Context *cx, const SizedWord *words)
{
  guint32 firsts = 0;
  for (const SizedWord *w = words; w->word != NULL; w++)
    firsts |= letter_bit ((guchar) w->word[0]);
  if ((firsts & cx->letters) == 0)
    return FALSE;      /* no word of the window starts like a context word */
  for (guint s = 0; s < cx->nstarts; s++)
    {
      gsize k = cx->starts[s];
      for (const SizedWord *w = words; w->word != NULL; w++)
        if (w->word[0] == cx->text[k] && k + w->len <= cx->n
            && memcmp (cx->text + k, w->word, w->len) == 0
            && (k + w->len == cx->n || !g_ascii_isalpha (cx->text[k + w->len])))
          return TRUE;
    }
  return FALSE;
}

/* Format indices grouped by shape length, built once. */
static guint8 by_len[G_N_ELEMENTS (formats)];
static guint8 len_first[ID_SHAPE_MAX + 2];

static void
formats_index (void)
{
  static gsize done = 0;
  if (!g_once_init_enter (&done))
    return;
  guint at = 0;
  for (guint len = 0; len <= ID_SHAPE_MAX; len++)
    {
      len_first[len] = (guint8) at;
      for (gsize f = 0; f < G_N_ELEMENTS (formats); f++)
        if (formats[f].len == len)
          by_len[at++] = (guint8) f;
    }
  len_first[ID_SHAPE_MAX + 1] = (guint8) at;
  for (gsize f = 0; f < G_N_ELEMENTS (formats); f++)
    wildcard[f] = strchr (formats[f].shape, 'A') != NULL;
  g_once_init_leave (&done, 1);
}

/* The characters of the first len shape bytes of t. */
static guint
value_of (const IdToken *t, guint len, char *out)
{
  guint n = 0;
  for (guint k = 0; k < len; k++)
    if (t->shape[k] == 'd' || t->shape[k] == 'L')
      out[n] = t->v[n], n++;
  out[n] = 0;
  return n;
}

/* Tries the token's first len shape bytes against every format; notes each format
 * that accepts. */
static gboolean
id_try (DetectScan *scan, gsize i, const IdToken *t, guint len)
{
  char v[ID_SHAPE_MAX + 1];
  guint n = 0;
  gboolean found = FALSE;
  Context cx;
  cx.ready = FALSE;
  for (guint k = len_first[len]; k < len_first[len + 1]; k++)
    {
      const IdFormat *fmt = &formats[by_len[k]];
      if (!shape_matches (fmt, t->shape, len))
        continue;
      if (n == 0)
        n = value_of (t, len, v);
      if (!fmt->valid (v, n))
        continue;
      if (fmt->context != NULL && !cx.ready)
        context_load (&cx, scan, i);
      if (fmt->context != NULL && !context_has (&cx, fmt->context))
        continue;
      detect_note (scan, fmt->id, (const guchar *) v, n);
      found = TRUE;
    }
  if (n != 0)
    explicit_bzero (v, n);
  return found;
}

/* At a word start (digits or a capital): the longest prefix of the token, cut at the
 * end or at a space, that some format accepts. Returns the end of the match or 0. */
/* Formats that start with capitals have their first digit right after them: NRIC and
 * NIE after one (S1234567D), NINO after two (AB123456C, AB 12 34 56 C), CURP after
 * four, PAN after five, codice fiscale after six. All-capital words and roff macros
 * leave here at once. */
static gboolean
letters_then_digit (const DetectScan *scan, gsize i)
{
  gsize k = detect_span (scan, i, DETECT_UPPER, 7);
  if (k == 2 && detect_at (scan, i + 2, " "))
    k = 3;
  return (k == 1 || k == 2 || k == 3 || k == 4 || k == 5 || k == 6) && detect_has (scan, i + k, DETECT_DIGIT);
}

gsize
detect_match_national (DetectScan *scan, gsize i)
{
  if (detect_has (scan, i, DETECT_UPPER) && !letters_then_digit (scan, i))
    return 0;
  formats_index ();
  IdToken t;
  id_token_read (scan, i, &t);
  gsize end = 0;
  if (t.n >= 9 && t.digits >= 4)     /* every format has at least four digits */
    {
      guint values = t.n;          /* digits and capitals in shape[0..len) */
      for (guint len = t.len; len >= 9 && end == 0; len--)
        {
          if (len < t.len && t.shape[len] == 'd')
            values--;
          else if (len < t.len && t.shape[len] == 'L')
            values--;
          if (values < 9 || (len < t.len && t.shape[len] != ' '))
            continue;
          gsize after = i + len;
          if (len == t.len && (detect_has (scan, after, DETECT_WORD)
                               || (after + 1 < scan->len && detect_in (scan->text[after], ".,")
                                   && detect_has (scan, after + 1, DETECT_DIGIT))))
            continue;
          if (id_try (scan, i, &t, len))
            end = after;
        }
    }
  explicit_bzero (t.v, t.n);
  return end;
}
