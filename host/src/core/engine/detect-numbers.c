/* detect-numbers.c: payment cards, US social security numbers and IBANs.
 *
 * Sources and limits of every rule: docs/detectors.md. */
#include "detect-private.h"

#include <string.h>

#define CARD_MAX_GROUPS 6

/* A run of digit groups joined by one separator kind (' ', '-' or '.'), read from an
 * anchor. Dots separate only SSNs (123.45.6789): cards are never read with them. */
typedef struct {
  char digits[20];
  guint n;                       /* digits read, at most 19 */
  guint ends[CARD_MAX_GROUPS];   /* text offset just past each group */
  guint sizes[CARD_MAX_GROUPS];  /* digits in each group */
  guint groups;
  char sep;                      /* 0 when the digits are contiguous */
} DigitRun;

static gboolean
digit_at (const DetectScan *scan, gsize i)
{
  return detect_has (scan, i, DETECT_DIGIT);
}

/* Part of a longer number ("12-4111...", "3.4111..."): not a candidate. */
static gboolean
number_continues_before (const DetectScan *scan, gsize i)
{
  if (i == 0)
    return FALSE;
  guchar c = scan->text[i - 1];
  if ((detect_class[c] & DETECT_WORD) || detect_in (c, "*^"))
    return TRUE;       /* glued to a word, or an operand: 4828147466240000*t**12 */
  return detect_in (c, ".,-/") && i >= 2 && digit_at (scan, i - 2);
}

static gboolean
number_continues_after (const DetectScan *scan, gsize end)
{
  if (detect_has (scan, end, DETECT_WORD) || (end < scan->len && detect_in (scan->text[end], "*^")))
    return TRUE;
  return end < scan->len && detect_in (scan->text[end], ".,-/")
         && digit_at (scan, end + 1);
}

/* Reads up to 19 digits in groups; stops at the first byte that does not continue the
 * run. A run too long for a card is unusable, except that space-separated groups stop
 * before the group that would overflow (a card followed by a code or a year). */
static gboolean
digit_run_read (const DetectScan *scan, gsize i, DigitRun *run)
{
  memset (run, 0, sizeof *run);
  gsize at = i;
  for (;;)
    {
      gsize size = detect_span (scan, at, DETECT_DIGIT, 20);
      if (run->n + size > 19 || run->groups == CARD_MAX_GROUPS)
        return run->groups > 0 && run->sep == ' ';
      memcpy (run->digits + run->n, scan->text + at, size);
      run->n += (guint) size;
      at += size;
      run->sizes[run->groups] = (guint) size;
      run->ends[run->groups++] = (guint) (at - i);
      char c = at < scan->len ? (char) scan->text[at] : 0;
      if ((c != ' ' && c != '-' && c != '.') || (run->sep != 0 && c != run->sep)
          || !digit_at (scan, at + 1))
        return TRUE;
      run->sep = c;
      at++;
    }
}

static guint
digits_value (const char *d, guint n)
{
  guint v = 0;
  for (guint i = 0; i < n; i++)
    v = v * 10 + (guint) (d[i] - '0');
  return v;
}

gboolean
detect_luhn_ok (const char *digits, guint n)
{
  guint sum = 0;
  for (guint i = 0; i < n; i++)
    {
      guint d = (guint) (digits[n - 1 - i] - '0');
      if (i % 2 == 1)
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
  return sum % 10 == 0;
}

/* Domestic schemes, from the IIN tables the schemes and their national switches publish
 * (as collected in ISO/IEC 7812 registers and Wikipedia's "Payment card number"): a
 * prefix range of `digits` digits and the card lengths issued.
 * Ranges already inside an international scheme (Elo's 4..., Verve's and RuPay's 65...,
 * RuPay's 353/356 in JCB's) are read there. UATP (1..., 15 digits) is left out: it is
 * the shape of ordinary 15-digit order numbers. */
#define LEN(n) (1u << (n))
static const struct {
  guint8 digits;
  guint32 lo, hi;
  guint32 lengths;         /* bit n: n-digit cards are issued */
} domestic[] = {
  { 4, 5019, 5019, LEN (16) },                       /* Dankort (Denmark) */
  { 4, 2200, 2204, LEN (16) | LEN (17) | LEN (18) | LEN (19) },  /* Mir (Russia) */
  { 4, 2205, 2205, LEN (16) },                       /* BORICA (Bulgaria) */
  { 4, 9792, 9792, LEN (16) },                       /* Troy (Turkey) */
  { 4, 9860, 9860, LEN (16) },                       /* Humo (Uzbekistan) */
  { 4, 8600, 8600, LEN (16) },                       /* UzCard (Uzbekistan) */
  { 2, 60, 60, LEN (16) },                           /* RuPay (India) */
  { 2, 81, 82, LEN (16) },                           /* RuPay */
  { 3, 508, 508, LEN (16) },                         /* RuPay */
  { 6, 506099, 506198, LEN (16) | LEN (18) | LEN (19) },  /* Verve (Nigeria) */
  { 6, 507865, 507964, LEN (16) | LEN (18) | LEN (19) },  /* Verve */
  { 6, 504175, 504175, LEN (16) },                   /* Elo (Brazil) */
  { 6, 506699, 506778, LEN (16) },                   /* Elo */
  { 6, 509000, 509999, LEN (16) },                   /* Elo */
  { 6, 606282, 606282, LEN (16) | LEN (19) },        /* Hipercard (Brazil) */
  { 3, 636, 636, LEN (16) | LEN (17) | LEN (18) | LEN (19) },  /* InterPayment */
  { 3, 637, 639, LEN (16) },                         /* InstaPayment */
};
#undef LEN

static gboolean
domestic_issuer_ok (const char *d, guint n)
{
  for (gsize k = 0; k < G_N_ELEMENTS (domestic); k++)
    {
      guint32 p = digits_value (d, domestic[k].digits);
      if (p >= domestic[k].lo && p <= domestic[k].hi)
        return (domestic[k].lengths >> n & 1) != 0;
    }
  return FALSE;
}

/* Issuer identification number ranges and the lengths each scheme issues. */
static gboolean
card_issuer_ok (const char *d, guint n)
{
  guint p1 = digits_value (d, 1), p2 = digits_value (d, 2), p3 = digits_value (d, 3);
  guint p4 = digits_value (d, 4), p6 = digits_value (d, 6);
  if (p1 == 4)                                           /* Visa */
    return n == 13 || n == 16 || n == 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))  /* Mastercard */
    return n == 16;
  if (p2 == 34 || p2 == 37)                              /* American Express */
    return n == 15;
  if (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304
      || p4 == 6759 || (p4 >= 6761 && p4 <= 6763))       /* Maestro */
    return n >= 13;
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65
      || (p6 >= 622126 && p6 <= 622925))                 /* Discover */
    return n >= 16;
  if (p2 == 62)                                          /* UnionPay */
    return n >= 16;
  if (p4 >= 3528 && p4 <= 3589)                          /* JCB */
    return n >= 16;
  if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
    return n >= 14;                                      /* Diners Club */
  return domestic_issuer_ok (d, n);
}

/* Separated digits must be grouped the way cards are printed: fours with a shorter
 * last group (4-4-4-4, 4-4-4-4-3, 4-4-4-1) or the 4-6-5 / 4-6-4 Amex and Diners layout. */
static gboolean
card_groups_ok (const DigitRun *run, guint groups)
{
  if (run->sep == 0 || groups == 1)
    return groups == 1;
  if (groups == 3 && run->sizes[0] == 4 && run->sizes[1] == 6
      && (run->sizes[2] == 5 || run->sizes[2] == 4))
    return TRUE;
  if (groups < 4)
    return FALSE;
  for (guint g = 0; g + 1 < groups; g++)
    if (run->sizes[g] != 4)
      return FALSE;
  return run->sizes[groups - 1] >= 1 && run->sizes[groups - 1] <= 4;
}

static gboolean
card_ok (const char *d, guint n)
{
  return n >= 13 && n <= 19 && card_issuer_ok (d, n) && detect_luhn_ok (d, n);
}

/* The whole run, or (a card followed by its security code or a year) the longest run of
 * leading groups that is a card. */
static gsize
card_match (DetectScan *scan, gsize i, const DigitRun *run)
{
  guint n = 0;
  if (run->sep == '.')
    return 0;
  for (guint g = run->groups; g > 0; g--)
    {
      n = 0;
      for (guint k = 0; k < g; k++)
        n += run->sizes[k];
      gsize end = i + run->ends[g - 1];
      if (g < run->groups && run->sep != ' ')
        break;
      if ((g < run->groups || !number_continues_after (scan, end))
          && card_groups_ok (run, g) && card_ok (run->digits, n))
        {
          detect_note (scan, DET_CREDIT_CARD, (const guchar *) run->digits, n);
          return end;
        }
    }
  return 0;
}

static gboolean
same_digits (const char *d, guint n)
{
  for (guint k = 1; k < n; k++)
    if (d[k] != d[0])
      return FALSE;
  return TRUE;
}

/* Social Security Administration rules for numbers it can have issued, less the
 * numbers it voided after they were printed in advertising. */
static gboolean
ssn_ok (const char *d)
{
  guint area = digits_value (d, 3), group = digits_value (d + 3, 2);
  guint serial = digits_value (d + 5, 4);
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
    return FALSE;
  if (memcmp (d, "078051120", 9) == 0 || memcmp (d, "219099999", 9) == 0
      || memcmp (d, "123456789", 9) == 0)
    return FALSE;
  /* Stand-ins typed by hand: each part one repeated digit (111-11-1111, 111-22-3333). */
  return !(same_digits (d, 3) && same_digits (d + 3, 2) && same_digits (d + 5, 4));
}

/* Nine bare digits count only near a keyword that starts a word ("SSN:", "ssn=",
 * "Social Security No."; not "harmlessness"), searched case-insensitively in the 40
 * bytes before the number. */
static gboolean
ssn_keyword_before (const DetectScan *scan, gsize i)
{
  static const char *const keywords[] = { "ssn", "social security", "ss#", "soc sec" };
  gsize from = i > 40 ? i - 40 : 0;
  char window[40];
  gsize n = i - from;
  for (gsize k = 0; k < n; k++)
    window[k] = detect_lower (scan->text[from + k]);
  for (gsize k = 0; k < n; k++)
    {
      if (window[k] != 's' || (k > 0 && g_ascii_isalpha (window[k - 1])))
        continue;      /* every keyword starts with 's' */
      for (gsize w = 0; w < G_N_ELEMENTS (keywords); w++)
        {
          gsize len = strlen (keywords[w]);
          if (k + len <= n && memcmp (window + k, keywords[w], len) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

static gsize
ssn_match (DetectScan *scan, gsize i, const DigitRun *run)
{
  gsize end = i + run->ends[run->groups - 1];
  gboolean dashed = run->groups == 3 && run->sizes[0] == 3 && run->sizes[1] == 2
                    && run->sizes[2] == 4;
  gboolean bare = run->groups == 1 && run->n == 9;
  if (!(dashed || bare) || number_continues_after (scan, end) || !ssn_ok (run->digits))
    return 0;
  if (bare && !ssn_keyword_before (scan, i))
    return 0;
  detect_note (scan, DET_US_SSN, (const guchar *) run->digits, 9);
  return end;
}

/* The first group of every national format that starts with digits: its length and
 * the separator after it (ddd.ddd.ddd-dd: 3 and '.'), or nine digits and more, or
 * digits then a capital (DNI 12345678Z). Years, counts, times and dates
 * (2026-11-05) stop here. */
static gboolean
national_may_start (const DetectScan *scan, gsize i)
{
  gsize d = detect_span (scan, i, DETECT_DIGIT, 9);
  guchar next = i + d < scan->len ? scan->text[i + d] : 0;
  if (d >= 9 || g_ascii_isupper (next))
    return TRUE;
  if (!detect_has (scan, i + d + 1, DETECT_DIGIT))
    return FALSE;
  gsize d2 = detect_span (scan, i + d + 1, DETECT_DIGIT, 8);
  switch (next)
    {
    case '.':    /* BSN dddd.dd, CPF ddd.ddd, AHV ddd.dddd */
      return (d == 4 && d2 == 2) || (d == 3 && (d2 == 3 || d2 == 4));
    case '-':    /* Aadhaar dddd-dddd, SIN/ITIN ddd-dd(d), personnummer, CPR, HETU, RRN dddddd-, DNI dddddddd- */
      return (d == 4 && d2 == 4) || (d == 3 && (d2 == 2 || d2 == 3)) || d == 6 || d == 8;
    case ' ':    /* Aadhaar/My Number/Medicare dddd dddd(d), SIN/TFN ddd ddd, FNR dddddd ddddd */
      return (d == 4 && d2 >= 4) || (d == 3 && d2 == 3) || (d == 6 && d2 == 5);
    case '+':    /* personnummer and HETU of people over 100 */
      return d == 6;
    default:
      return FALSE;
    }
}

static gsize phone_nanp (DetectScan *scan, gsize i);

gsize
detect_match_number (DetectScan *scan, gsize i)
{
  DigitRun run;
  gsize end = 0;
  if (!number_continues_before (scan, i) && digit_run_read (scan, i, &run))
    {
      end = card_match (scan, i, &run);
      if (end == 0)
        end = ssn_match (scan, i, &run);
    }
  /* National ids have nine or more digits and capitals: a shorter number that neither
   * continues after a separator nor ends in a capital is none (years, counts, ports). */
  if (end == 0 && !number_continues_before (scan, i))
    {
      if (national_may_start (scan, i))
        end = detect_match_national (scan, i);
    }
  if (end == 0)
    end = phone_nanp (scan, i);
  explicit_bzero (&run, sizeof run);   /* the digits are a copy of the value */
  return end;
}

/* ---- phone numbers (counted only in bulk) ---------------------------------------- */

#define PHONE_DIGITS_MIN 8      /* a country code and the shortest national numbers */
#define PHONE_DIGITS_MAX 15     /* ITU-T E.164 */

/* Exactly n digits at k, copied to out. */
static gboolean
digits_at (const DetectScan *scan, gsize k, gsize n, char *out)
{
  if (detect_span (scan, k, DETECT_DIGIT, n + 1) != n)
    return FALSE;
  memcpy (out, scan->text + k, n);
  return TRUE;
}

/* North American numbers: (AAA) EEE-NNNN, AAA-EEE-NNNN, AAA.EEE.NNNN, AAA EEE NNNN,
 * area code and exchange starting 2-9 (the North American Numbering Plan). */
static gsize
phone_nanp (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  char d[10];
  gboolean paren = i > 0 && p[i - 1] == '(';
  if (!digits_at (scan, i, 3, d) || i + 4 >= scan->len)
    return 0;
  gsize at = i + 3;
  char sep;
  if (paren)
    {
      if (p[at] != ')')
        return 0;
      at += 1 + (p[at + 1] == ' ');
      sep = 0;
    }
  else if (detect_in (p[at], "-. ") && !number_continues_before (scan, i))
    sep = (char) p[at++];
  else
    return 0;
  if (!digits_at (scan, at, 3, d + 3) || at + 3 >= scan->len)
    return 0;
  at += 3;
  if (sep ? p[at] != (guchar) sep : !detect_in (p[at], "-. "))
    return 0;
  if (!digits_at (scan, at + 1, 4, d + 6) || number_continues_after (scan, at + 5)
      || d[0] < '2' || d[3] < '2')
    return 0;
  detect_note (scan, DET_PHONE_LIST, (const guchar *) d, 10);
  return at + 5;
}

/* International numbers as written: '+', a country code, groups of digits separated
 * by single spaces, dashes, dots or a parenthesised trunk digit (+44 (0)20 7946 0958),
 * 8 to 15 digits in all. At i is the '+'. */
gsize
detect_match_phone (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  if (i > 0 && (detect_has (scan, i - 1, DETECT_WORD) || detect_in (p[i - 1], "+.")))
    return 0;
  char d[PHONE_DIGITS_MAX + 1];
  gsize n = 0, k = i + 1, end = 0;
  while (k < scan->len && n <= PHONE_DIGITS_MAX)
    {
      guchar c = p[k];
      if (g_ascii_isdigit (c))
        {
          if (n < PHONE_DIGITS_MAX)
            d[n] = (char) c;
          n++;
          end = ++k;
        }
      else if (detect_in (c, " -.(") && k > i + 1 && (g_ascii_isdigit (p[k - 1]) || p[k - 1] == ')')
               && detect_has (scan, k + 1 + (c == ' ' && k + 1 < scan->len && p[k + 1] == '('), DETECT_DIGIT))
        k += 1 + (c == ' ' && p[k + 1] == '(');
      else if (c == ')' && k > 0 && g_ascii_isdigit (p[k - 1]) && k + 2 < scan->len && p[k + 1] == ' '
               && g_ascii_isdigit (p[k + 2]))
        k += 2;
      else
        break;
    }
  if (n < PHONE_DIGITS_MIN || n > PHONE_DIGITS_MAX || d[0] == '0' || number_continues_after (scan, end))
    return 0;
  detect_note (scan, DET_PHONE_LIST, (const guchar *) d, n);
  return end;
}

/* ---- IBAN ------------------------------------------------------------------------ */

/* Country code and IBAN length, from the SWIFT IBAN registry (ISO 13616). */
static const struct {
  char cc[3];
  guint8 len;
} iban_countries[] = {
  { "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
  { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BI", 27 }, { "BR", 29 }, { "BY", 28 },
  { "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 },
  { "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 },
  { "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 }, { "GI", 23 },
  { "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HN", 28 }, { "HR", 21 }, { "HU", 28 },
  { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 },
  { "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 },
  { "LU", 20 }, { "LV", 21 }, { "LY", 25 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 },
  { "MK", 19 }, { "MN", 20 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 },
  { "NL", 18 }, { "NO", 15 }, { "OM", 23 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 },
  { "PT", 25 }, { "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 }, { "SA", 24 },
  { "SC", 31 }, { "SD", 18 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 },
  { "SO", 23 }, { "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 },
  { "UA", 29 }, { "VA", 22 }, { "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

static guint
iban_length (const guchar *cc)
{
  for (gsize k = 0; k < G_N_ELEMENTS (iban_countries); k++)
    if (iban_countries[k].cc[0] == cc[0] && iban_countries[k].cc[1] == cc[1])
      return iban_countries[k].len;
  return 0;
}

/* ISO 7064 MOD 97-10 over the rearranged IBAN (first four characters moved to the end,
 * letters as 10..35), computed piecewise so no big integer is needed. */
static gboolean
iban_checksum_ok (const char *iban, guint n)
{
  guint rem = 0;
  for (guint k = 0; k < n; k++)
    {
      char c = iban[(k + 4) % n];
      if (g_ascii_isdigit (c))
        rem = (rem * 10 + (guint) (c - '0')) % 97;
      else
        rem = (rem * 100 + (guint) (c - 'A' + 10)) % 97;
    }
  return rem == 1;
}

/* Reads exactly want characters, either contiguous (electronic format) or in groups of
 * four separated by single spaces (paper format) or single dashes (as some forms and
 * spreadsheets print them), one separator kind throughout. Returns the end offset or 0. */
static gsize
iban_read (const DetectScan *scan, gsize i, guint want, char *out)
{
  char sep = detect_at (scan, i + 4, " ") ? ' ' : detect_at (scan, i + 4, "-") ? '-' : 0;
  gsize at = i;
  for (guint n = 0; n < want; n++)
    {
      if (sep != 0 && n > 0 && n % 4 == 0)
        {
          if (at >= scan->len || scan->text[at] != (guchar) sep)
            return 0;
          at++;
        }
      if (!detect_has (scan, at, DETECT_UPPER | DETECT_DIGIT))
        return 0;
      out[n] = (char) scan->text[at++];
    }
  return detect_has (scan, at, DETECT_WORD) ? 0 : at;
}

/* End of the grouped run an IBAN-shaped candidate spans (country, check digits, then
 * groups of capitals and digits after single spaces or dashes). When the candidate
 * fails its own check, the scan resumes here: the groups of a mistyped or made-up IBAN
 * must not be read again as a card (GB12 5105 1051 0510 5100). Each byte is passed
 * once, so the scan stays linear. */
static gsize
iban_shape_end (const DetectScan *scan, gsize i)
{
  guchar sep = i + 4 < scan->len ? scan->text[i + 4] : 0;
  if (sep != ' ' && sep != '-')
    return 0;
  gsize at = i + 4;
  guint groups = 0;
  while (at < scan->len && scan->text[at] == sep)
    {
      gsize n = detect_span (scan, at + 1, DETECT_UPPER | DETECT_DIGIT, 5);
      if (n == 0 || n > 4)
        break;
      at += 1 + n;
      groups++;
    }
  return groups >= 2 ? at : 0;
}

gsize
detect_match_iban (DetectScan *scan, gsize i)
{
  if (!detect_has (scan, i + 1, DETECT_UPPER) || !detect_has (scan, i + 2, DETECT_DIGIT)
      || !detect_has (scan, i + 3, DETECT_DIGIT))
    return 0;
  guint want = iban_length (scan->text + i);
  if (want == 0)
    return 0;
  char iban[34];
  gsize end = iban_read (scan, i, want, iban);
  if (end != 0 && iban_checksum_ok (iban, want))
    detect_note (scan, DET_IBAN, (const guchar *) iban, want);
  else
    end = iban_shape_end (scan, i);
  explicit_bzero (iban, sizeof iban);
  return end;
}
