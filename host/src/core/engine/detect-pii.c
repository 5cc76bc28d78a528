/* detect-pii.c: personal data that is not a number with a checksum of its own:
 * machine-readable zones of passports and identity cards (ICAO Doc 9303, whose check
 * digits make them as certain as a card number) and e-mail addresses, which count
 * only in bulk (a customer list). Phone numbers are read in detect-numbers.c. */
#include "detect-private.h"

#include <string.h>

/* ---- machine-readable zones (ICAO Doc 9303) -------------------------------------- */

#define MRZ_TD1 30     /* identity cards: three lines of 30 */
#define MRZ_TD2 36     /* older cards and visas: two lines of 36 */
#define MRZ_TD3 44     /* passports: two lines of 44 */

static gboolean
is_mrz (guchar c)
{
  return g_ascii_isdigit (c) || g_ascii_isupper (c) || c == '<';
}

/* A character's value in a check digit: digits as themselves, A-Z 10-35, '<' 0. */
static guint
mrz_value (guchar c)
{
  return g_ascii_isdigit (c) ? (guint) (c - '0') : g_ascii_isupper (c) ? (guint) (c - 'A' + 10) : 0;
}

/* The check digit of s[0..n), weights 7, 3, 1 repeating (Doc 9303 part 3, 4.9),
 * added to *sum so that composite checks can run over several fields. */
static guint
mrz_sum (const guchar *s, gsize n, guint *pos)
{
  static const guint weights[] = { 7, 3, 1 };
  guint sum = 0;
  for (gsize k = 0; k < n; k++)
    sum += mrz_value (s[k]) * weights[(*pos)++ % 3];
  return sum;
}

static gboolean
mrz_check (const guchar *field, gsize n, guchar digit)
{
  guint pos = 0;
  return g_ascii_isdigit (digit) && mrz_sum (field, n, &pos) % 10 == (guint) (digit - '0');
}

/* YYMMDD with a real month and day. */
static gboolean
mrz_date (const guchar *d)
{
  for (int k = 0; k < 6; k++)
    if (!g_ascii_isdigit (d[k]))
      return FALSE;
  guint month = (guint) ((d[2] - '0') * 10 + d[3] - '0'), day = (guint) ((d[4] - '0') * 10 + d[5] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* The second line of a passport (TD3, 44) or of a TD2 document (36): document number,
 * nationality, birth date, sex, expiry, optional data, each number with its check digit,
 * and a composite check digit over all of them. */
static gboolean
mrz_line2_ok (const guchar *l, gsize n)
{
  if (!mrz_check (l, 9, l[9]) || !mrz_date (l + 13) || !mrz_check (l + 13, 6, l[19])
      || !detect_in (l[20], "MFX<") || !mrz_date (l + 21) || !mrz_check (l + 21, 6, l[27]))
    return FALSE;
  for (int k = 10; k < 13; k++)
    if (!g_ascii_isupper (l[k]) && l[k] != '<')
      return FALSE;
  gsize last = n - 1;          /* the composite digit */
  if (n == MRZ_TD3 && l[42] != '<' && !mrz_check (l + 28, 14, l[42]))
    return FALSE;              /* personal number: '<' when there is none */
  guint pos = 0, sum = mrz_sum (l, 10, &pos) + mrz_sum (l + 13, 7, &pos) + mrz_sum (l + 21, last - 21, &pos);
  return g_ascii_isdigit (l[last]) && sum % 10 == (guint) (l[last] - '0');
}

/* TD1: line 1 holds the document number (5..14, check 14), line 2 the dates and the
 * composite digit (29) over line 1's 5..30 and line 2's 0..7, 8..15, 18..29. */
static gboolean
mrz_td1_ok (const guchar *l1, const guchar *l2)
{
  if (!mrz_check (l1 + 5, 9, l1[14]) || !mrz_date (l2) || !mrz_check (l2, 6, l2[6])
      || !detect_in (l2[7], "MFX<") || !mrz_date (l2 + 8) || !mrz_check (l2 + 8, 6, l2[14]))
    return FALSE;
  guint pos = 0;
  guint sum = mrz_sum (l1 + 5, 25, &pos) + mrz_sum (l2, 7, &pos) + mrz_sum (l2 + 8, 7, &pos)
              + mrz_sum (l2 + 18, 11, &pos);
  return g_ascii_isdigit (l2[29]) && sum % 10 == (guint) (l2[29] - '0');
}

/* The run of MRZ characters around i, as a line: its start and length, or FALSE when
 * it is longer than a line or glued to other word characters. */
static gboolean
mrz_line_at (const DetectScan *scan, gsize i, gsize *start, gsize *len)
{
  const guchar *p = scan->text;
  gsize s = i, e = i;
  while (s > 0 && i - s <= MRZ_TD3 && is_mrz (p[s - 1]))
    s--;
  while (e < scan->len && e - s <= MRZ_TD3 && is_mrz (p[e]))
    e++;
  /* glued to a word: not a zone, unless that is a JSON string's escaped line break */
  gboolean escaped = s > 1 && detect_in (p[s - 1], "nr") && p[s - 2] == '\\';
  if (e - s > MRZ_TD3 || (s > 0 && detect_has (scan, s - 1, DETECT_WORD) && !escaped)
      || detect_has (scan, e, DETECT_WORD))
    return FALSE;
  *start = s;
  *len = e - s;
  return TRUE;
}

/* Bytes of the line break at e: \n or \r\n, or as a JSON string escapes them. */
static gsize
mrz_break_at (const DetectScan *scan, gsize e)
{
  static const char *const breaks[] = { "\r\n", "\n", "\\r\\n", "\\n" };
  for (gsize k = 0; k < G_N_ELEMENTS (breaks); k++)
    if (detect_at (scan, e, breaks[k]))
      return strlen (breaks[k]);
  return 0;
}

/* The line after the one ending at e (one line break). */
static gboolean
mrz_next_line (const DetectScan *scan, gsize e, gsize *start, gsize *len)
{
  gsize at = e + mrz_break_at (scan, e);
  return at != e && at < scan->len && is_mrz (scan->text[at]) && mrz_line_at (scan, at, start, len)
         && *start == at;
}

/* The line before the one starting at s. */
static gboolean
mrz_prev_line (const DetectScan *scan, gsize s, gsize *start, gsize *len)
{
  gsize e = s;
  for (gsize n = 1; n <= 4 && e == s; n++)
    if (s > n && mrz_break_at (scan, s - n) == n)
      e = s - n;
  return e < s && e > 0 && is_mrz (scan->text[e - 1]) && mrz_line_at (scan, e - 1, start, len) && *start + *len == e;
}

/* Notes the zone by its line 2 (which holds the number and dates) and returns end. */
static gsize
mrz_accept (DetectScan *scan, gsize line2, gsize n, gsize end)
{
  detect_note (scan, DET_PASSPORT_MRZ, scan->text + line2, n);
  if (scan->spans != NULL)
    {
      /* Where it is (issue 24): every line of the zone, the name's too. */
      gsize from = line2, s, m;
      while (mrz_prev_line (scan, from, &s, &m) && m == n && line2 - s < 4 * n)
        from = s;
      gsize to = end;
      while (mrz_next_line (scan, to, &s, &m) && m == n && s + m - line2 < 4 * n)
        to = s + m;
      detect_note_widen (scan, from, to);
    }
  return end;
}

/* Remembers the run of zone characters around i as judged: no zone starts in it. */
static void
mrz_reject (DetectScan *scan, gsize i)
{
  gsize e = i;
  while (e < scan->len && e - i < 64 && is_mrz (scan->text[e]))
    e++;
  scan->mrz_from = i;
  scan->mrz_end = e;
}

/* The zone whose line holds i, [s, s + n): its end when it is one, else 0. */
static gsize
mrz_judge (DetectScan *scan, gsize s, gsize n)
{
  const guchar *p = scan->text;
  gsize s2, n2, s0, n0;
  if (n != MRZ_TD1)
    {
      if (mrz_line2_ok (p + s, n))
        return mrz_accept (scan, s, n, s + n);
      if (mrz_next_line (scan, s + n, &s2, &n2) && n2 == n && mrz_line2_ok (p + s2, n))
        return mrz_accept (scan, s2, n, s2 + n);
      return 0;
    }
  if (mrz_next_line (scan, s + n, &s2, &n2) && n2 == n && mrz_td1_ok (p + s, p + s2))
    return mrz_accept (scan, s2, n, s2 + n);     /* at line 1 */
  if (mrz_prev_line (scan, s, &s0, &n0) && n0 == n && mrz_td1_ok (p + s0, p + s))
    return mrz_accept (scan, s, n, s + n);       /* at line 2 */
  if (mrz_prev_line (scan, s, &s0, &n0) && n0 == n && mrz_prev_line (scan, s0, &s2, &n2) && n2 == n
      && mrz_td1_ok (p + s2, p + s0))
    return mrz_accept (scan, s0, n, s + n);      /* at line 3 */
  return 0;
}

/* At the "<<" that every zone holds (fillers, the name separator): the line around it
 * is a zone's line 2, or line 1 before a line 2 (TD3, TD2), or one of TD1's three.
 * A run judged no zone is remembered, so that its other "<<" cost nothing. */
gsize
detect_match_mrz (DetectScan *scan, gsize i)
{
  gsize s, n, end = 0;
  if (i >= scan->mrz_from && i < scan->mrz_end)
    return 0;
  if (mrz_line_at (scan, i, &s, &n) && (n == MRZ_TD1 || n == MRZ_TD2 || n == MRZ_TD3))
    end = mrz_judge (scan, s, n);
  if (end == 0)
    mrz_reject (scan, i);
  return end;
}

/* ---- e-mail addresses ----------------------------------------------------------- */

#define EMAIL_LOCAL_MAX 64        /* RFC 5321, 4.5.3.1 */
#define EMAIL_DOMAIN_MAX 253

static gboolean
is_local_byte (guchar c)
{
  return g_ascii_isalnum (c) || detect_in (c, "._%+-");
}

/* A domain of two or more labels of [A-Za-z0-9-] that neither start nor end with '-',
 * the last one 2 to 24 letters. Returns its length, or 0. */
static gsize
email_domain (const DetectScan *scan, gsize at)
{
  const guchar *p = scan->text;
  gsize k = at, labels = 0, tld_letters = 0;
  for (;;)
    {
      gsize n = 0;
      gboolean letters = TRUE;
      while (k + n < scan->len && n < 64 && (g_ascii_isalnum (p[k + n]) || p[k + n] == '-'))
        {
          letters = letters && g_ascii_isalpha (p[k + n]);
          n++;
        }
      if (n == 0 || p[k] == '-' || p[k + n - 1] == '-' || k + n - at > EMAIL_DOMAIN_MAX)
        break;
      labels++;
      tld_letters = letters ? n : 0;
      k += n;
      if (!(k + 1 < scan->len && p[k] == '.' && g_ascii_isalnum (p[k + 1])))
        break;
      k++;
    }
  if (labels < 2 || tld_letters < 2 || tld_letters > 24 || detect_has (scan, k, DETECT_WORD)
      || (k < scan->len && p[k] == '-'))
    return 0;
  return k - at;
}

/* At an '@': local-part@domain (RFC 5322's dot-atom, as addresses are really written).
 * Not after '/' or ':' (URLs with credentials, ssh://git@host; "mailto:" excepted), not
 * a decorator or package scope (nothing before the '@'). */
gsize
detect_match_email (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  gsize k = i;
  while (k > 0 && i - k <= EMAIL_LOCAL_MAX && is_local_byte (p[k - 1]))
    k--;
  if (k == i || i - k > EMAIL_LOCAL_MAX || p[k] == '.' || p[i - 1] == '.')
    return 0;
  if (k > 0 && (p[k - 1] == '/' || (p[k - 1] == ':' && !(k >= 7 && g_ascii_strncasecmp ((const char *) p + k - 7, "mailto:", 7) == 0))))
    return 0;
  gsize d = email_domain (scan, i + 1);
  if (d == 0)
    return 0;
  /* one address however it is capitalised */
  char lower[EMAIL_LOCAL_MAX + 1 + EMAIL_DOMAIN_MAX + 1];
  gsize n = i + 1 + d - k;
  for (gsize j = 0; j < n; j++)
    lower[j] = detect_lower (p[k + j]);
  detect_note (scan, DET_EMAIL_LIST, (const guchar *) lower, n);
  detect_note_widen (scan, k, i + 1 + d);
  explicit_bzero (lower, n);
  return i + 1 + d;
}

/* ---- tables of people: names with postal addresses --------------------------------- */

#define TABLE_HEADER_MAX 1024     /* a header line longer than this is not a table's */
#define TABLE_LOOK 4096           /* the header is the first non-blank line within this */

/* Header cells, lower-cased, without spaces, '_', '-' and '.'. A column of names and a
 * column of a postal address make a table of people; cells naming other things that
 * have names (user, file, host, company...) or addresses (e-mail, IP, MAC) do not. */
static const char *const name_cells[] = {
  "name", "fullname", "firstname", "lastname", "givenname", "familyname", "surname",
  "customer", "customername", "contactname", "vorname", "nachname", "nom", "prenom",
  "prénom", "nombre", "apellido", "apellidos", "cognome",
};
static const char *const address_cells[] = {
  "streetaddress", "street", "addressline1", "address1", "city", "town", "zip",
  "zipcode", "postcode", "postalcode", "strasse", "straße", "plz", "ort",
  "ville", "codepostal", "ciudad", "citta", "città",
};
/* "address" alone may be a host's: its column counts when the first row's cell there
 * reads like a street (a letter and a space: "12 Main St", not "10.0.0.7"). */
static const char *const address_words[] = {
  "address", "adresse", "direccion", "dirección", "indirizzo", "postaladdress", "homeaddress",
};

static gboolean
cell_in (const char *cell, const char *const *list, gsize n)
{
  for (gsize k = 0; k < n; k++)
    if (strcmp (cell, list[k]) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  gboolean names, addresses;
  gssize address_column;     /* a column named only "address", or -1 */
} TableHeader;

/* Judges header cell number column, [from, to). */
static void
header_cell (const guchar *p, gsize from, gsize to, gsize column, TableHeader *h)
{
  char cell[64];
  gsize n = 0;
  for (gsize k = from; k < to && n + 1 < sizeof cell; k++)
    if (!detect_in (p[k], " _-.\"'\t\r"))
      cell[n++] = detect_lower (p[k]);
  cell[n] = 0;
  h->names |= cell_in (cell, name_cells, G_N_ELEMENTS (name_cells));
  h->addresses |= cell_in (cell, address_cells, G_N_ELEMENTS (address_cells));
  if (h->address_column < 0 && cell_in (cell, address_words, G_N_ELEMENTS (address_words)))
    h->address_column = (gssize) column;
}

/* The cell of the row [row, end) in column, like a street: a letter and a space. */
static gboolean
street_in_column (const guchar *p, gsize row, gsize end, guchar sep, gsize column)
{
  gsize k = row;
  for (gsize c = 0; c < column && k < end; k++)
    c += p[k] == sep;
  gboolean letter = FALSE, space = FALSE;
  for (; k < end && p[k] != sep; k++)
    {
      letter |= g_ascii_isalpha (p[k]) != 0;
      space |= p[k] == ' ' && letter;
    }
  return letter && space;
}

static gsize
line_end (const DetectScan *scan, gsize at)
{
  const guchar *nl = memchr (scan->text + at, '\n', scan->len - at);
  return nl != NULL ? (gsize) (nl - scan->text) : scan->len;
}

static gsize
count_byte (const guchar *p, gsize from, gsize to, guchar c)
{
  gsize n = 0;
  for (gsize k = from; k < to; k++)
    n += p[k] == c;
  return n;
}

/* A table that starts the text (CSV, TSV, ';'-separated or Markdown) whose header names
 * people and their postal addresses: each row after it with as many separators is a
 * person's record. Looked at once per scan, outside the anchor walk: a pasted customer
 * list starts with its header. */
void
detect_people_table (DetectScan *scan)
{
  const guchar *p = scan->text;
  gsize at = 0;
  while (at < scan->len && at < TABLE_LOOK && g_ascii_isspace (p[at]))
    at++;
  if (at >= scan->len || at >= TABLE_LOOK)
    return;
  gsize end = line_end (scan, at);
  if (end - at > TABLE_HEADER_MAX)
    return;
  static const guchar seps[] = { ',', '\t', ';', '|' };
  guchar sep = 0;
  gsize most = 0;
  for (gsize k = 0; k < G_N_ELEMENTS (seps); k++)
    {
      gsize n = count_byte (p, at, end, seps[k]);
      if (n > most)
        most = n, sep = seps[k];
    }
  if (most == 0)
    return;
  TableHeader h = { .address_column = -1 };
  for (gsize from = at, k = at, column = 0; k <= end; k++)
    if (k == end || p[k] == sep)
      {
        header_cell (p, from, k, column++, &h);
        from = k + 1;
      }
  if (!h.names || (!h.addresses && h.address_column < 0))
    return;
  gboolean first = TRUE;
  for (gsize row = end + 1; row < scan->len; row = end + 1)
    {
      end = line_end (scan, row);
      if (sep == '|' && count_byte (p, row, end, '-') * 2 > end - row)
        continue;                    /* Markdown's |---|---| */
      if (count_byte (p, row, end, sep) < most)
        break;
      if (first && !h.addresses && !street_in_column (p, row, end, sep, (gsize) h.address_column))
        return;
      first = FALSE;
      detect_note (scan, DET_PEOPLE_LIST, p + row, end - row);
    }
}
