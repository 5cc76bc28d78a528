/* detect.c: the detector registry and the one-pass anchor scanner.
 *
 * Why no regular-expression engine: the host must answer its first request fast, so a
 * pattern database compiled at start-up (or shipped and loaded) is cost without benefit;
 * the anchors below are a handful of literal prefixes and byte classes that a table
 * lookup per byte finds, and every candidate is then checked by code that understands
 * the format (checksums, issuer ranges, decoding), which a regex cannot do anyway.
 * docs/detectors.md says where each rule comes from. */
#include "detect.h"
#include "detect-private.h"

#include <math.h>
#include <string.h>

/* Indexed by DetectId. */
static const DetectorInfo detectors[DET_N] = {
  [DET_PRIVATE_KEY] = { "private-key", "Private key", DETECT_SEVERITY_HIGH },
  [DET_AWS_ACCESS_KEY] = { "aws-access-key", "AWS access key", DETECT_SEVERITY_HIGH },
  [DET_GITHUB_TOKEN] = { "github-token", "GitHub token", DETECT_SEVERITY_HIGH },
  [DET_SLACK_TOKEN] = { "slack-token", "Slack token", DETECT_SEVERITY_HIGH },
  [DET_STRIPE_LIVE_KEY] = { "stripe-live-key", "Stripe live key", DETECT_SEVERITY_HIGH },
  [DET_GOOGLE_API_KEY] = { "google-api-key", "Google API key", DETECT_SEVERITY_HIGH },
  [DET_LLM_API_KEY] = { "llm-api-key", "AI provider API key", DETECT_SEVERITY_HIGH },
  [DET_JWT] = { "jwt", "JSON Web Token", DETECT_SEVERITY_HIGH },
  [DET_GENERIC_SECRET] = { "generic-secret", "Password or secret in configuration",
                           DETECT_SEVERITY_MEDIUM },
  [DET_CREDIT_CARD] = { "credit-card", "Payment card number", DETECT_SEVERITY_MEDIUM },
  [DET_IBAN] = { "iban", "IBAN", DETECT_SEVERITY_MEDIUM },
  [DET_US_SSN] = { "us-ssn", "US social security number", DETECT_SEVERITY_MEDIUM },
  [DET_GITLAB_TOKEN] = { "gitlab-token", "GitLab token", DETECT_SEVERITY_HIGH },
  [DET_NPM_TOKEN] = { "npm-token", "npm access token", DETECT_SEVERITY_HIGH },
  [DET_PYPI_TOKEN] = { "pypi-token", "PyPI API token", DETECT_SEVERITY_HIGH },
  [DET_DOCKER_HUB_TOKEN] = { "docker-hub-token", "Docker Hub access token", DETECT_SEVERITY_HIGH },
  [DET_SENDGRID_KEY] = { "sendgrid-key", "SendGrid API key", DETECT_SEVERITY_HIGH },
  [DET_SHOPIFY_TOKEN] = { "shopify-token", "Shopify access token", DETECT_SEVERITY_HIGH },
  [DET_DIGITALOCEAN_TOKEN] = { "digitalocean-token", "DigitalOcean token", DETECT_SEVERITY_HIGH },
  [DET_HASHICORP_TOKEN] = { "hashicorp-token", "HashiCorp Vault or Terraform Cloud token",
                            DETECT_SEVERITY_HIGH },
  [DET_DATABRICKS_TOKEN] = { "databricks-token", "Databricks access token", DETECT_SEVERITY_HIGH },
  [DET_TWILIO_KEY] = { "twilio-key", "Twilio API key", DETECT_SEVERITY_HIGH },
  [DET_MAILGUN_KEY] = { "mailgun-key", "Mailgun API key", DETECT_SEVERITY_HIGH },
  [DET_ATLASSIAN_TOKEN] = { "atlassian-token", "Atlassian API token", DETECT_SEVERITY_HIGH },
  [DET_DATADOG_KEY] = { "datadog-key", "Datadog API or application key", DETECT_SEVERITY_HIGH },
  [DET_HEROKU_KEY] = { "heroku-key", "Heroku API key", DETECT_SEVERITY_HIGH },
  [DET_URL_CREDENTIALS] = { "url-credentials", "Password in a URL or connection string",
                            DETECT_SEVERITY_HIGH },
  [DET_UK_NINO] = { "uk-nino", "UK National Insurance number", DETECT_SEVERITY_MEDIUM },
  [DET_DE_TAX_ID] = { "de-tax-id", "German tax identification number", DETECT_SEVERITY_MEDIUM },
  [DET_FR_NIR] = { "fr-nir", "French social security number (NIR)", DETECT_SEVERITY_MEDIUM },
  [DET_ES_DNI] = { "es-dni", "Spanish DNI or NIE", DETECT_SEVERITY_MEDIUM },
  [DET_IT_CODICE_FISCALE] = { "it-codice-fiscale", "Italian codice fiscale", DETECT_SEVERITY_MEDIUM },
  [DET_NL_BSN] = { "nl-bsn", "Dutch citizen service number (BSN)", DETECT_SEVERITY_MEDIUM },
  [DET_BE_NATIONAL_NUMBER] = { "be-national-number", "Belgian national number", DETECT_SEVERITY_MEDIUM },
  [DET_PL_PESEL] = { "pl-pesel", "Polish PESEL", DETECT_SEVERITY_MEDIUM },
  [DET_SE_PERSONNUMMER] = { "se-personnummer", "Swedish personal identity number", DETECT_SEVERITY_MEDIUM },
  [DET_DK_CPR] = { "dk-cpr", "Danish CPR number", DETECT_SEVERITY_MEDIUM },
  [DET_FI_HETU] = { "fi-hetu", "Finnish personal identity code", DETECT_SEVERITY_MEDIUM },
  [DET_NO_FNR] = { "no-fnr", "Norwegian national identity number", DETECT_SEVERITY_MEDIUM },
  [DET_CH_AHV] = { "ch-ahv", "Swiss AHV number", DETECT_SEVERITY_MEDIUM },
  [DET_IN_AADHAAR] = { "in-aadhaar", "Indian Aadhaar number", DETECT_SEVERITY_MEDIUM },
  [DET_IN_PAN] = { "in-pan", "Indian PAN", DETECT_SEVERITY_MEDIUM },
  [DET_CA_SIN] = { "ca-sin", "Canadian social insurance number", DETECT_SEVERITY_MEDIUM },
  [DET_AU_TFN] = { "au-tfn", "Australian tax file number", DETECT_SEVERITY_MEDIUM },
  [DET_AU_MEDICARE] = { "au-medicare", "Australian Medicare number", DETECT_SEVERITY_MEDIUM },
  [DET_BR_CPF] = { "br-cpf", "Brazilian CPF", DETECT_SEVERITY_MEDIUM },
  [DET_BR_CNPJ] = { "br-cnpj", "Brazilian CNPJ", DETECT_SEVERITY_MEDIUM },
  [DET_CN_RESIDENT_ID] = { "cn-resident-id", "Chinese resident identity number", DETECT_SEVERITY_MEDIUM },
  [DET_JP_MY_NUMBER] = { "jp-my-number", "Japanese My Number", DETECT_SEVERITY_MEDIUM },
  [DET_KR_RRN] = { "kr-rrn", "Korean resident registration number", DETECT_SEVERITY_MEDIUM },
  [DET_SG_NRIC] = { "sg-nric", "Singapore NRIC or FIN", DETECT_SEVERITY_MEDIUM },
  [DET_MX_CURP] = { "mx-curp", "Mexican CURP", DETECT_SEVERITY_MEDIUM },
  [DET_US_ITIN] = { "us-itin", "US individual taxpayer identification number", DETECT_SEVERITY_MEDIUM },
  [DET_US_ABA_ROUTING] = { "us-aba-routing", "US ABA routing number", DETECT_SEVERITY_MEDIUM },
  [DET_AZURE_KEY] = { "azure-key", "Azure key, connection string, SAS or client secret", DETECT_SEVERITY_HIGH },
  [DET_PASSPORT_MRZ] = { "passport-mrz", "Passport or identity card machine-readable zone", DETECT_SEVERITY_MEDIUM },
  [DET_EMAIL_LIST] = { "email-list", "List of e-mail addresses", DETECT_SEVERITY_LOW },
  [DET_PHONE_LIST] = { "phone-list", "List of phone numbers", DETECT_SEVERITY_LOW },
  [DET_PEOPLE_LIST] = { "people-list", "Table of names with postal addresses", DETECT_SEVERITY_LOW },
};

const DetectorInfo *
detect_detectors (gsize *n)
{
  *n = G_N_ELEMENTS (detectors);
  return detectors;
}

const DetectorInfo *
detect_lookup (const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (detectors); i++)
    if (g_strcmp0 (detectors[i].id, id) == 0)
      return &detectors[i];
  return NULL;
}

/* ---- byte classes ---------------------------------------------------------------- */

static guint8 class_table[256];
const guint8 *detect_class = class_table;

static guint8
class_of (int c)
{
  guint8 k = 0;
  if (g_ascii_isdigit (c))
    k |= DETECT_DIGIT;
  if (g_ascii_isupper (c))
    k |= DETECT_UPPER;
  if (g_ascii_islower (c))
    k |= DETECT_LOWER;
  if (g_ascii_isalnum (c) || c == '_')
    k |= DETECT_WORD;
  if (g_ascii_isalnum (c) || c == '_' || c == '-')
    k |= DETECT_B64URL;
  if (g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=')
    k |= DETECT_B64;
  if (c != 0 && strchr ("-=:~<@+\"'", c))
    k |= DETECT_ANCHOR;
  if (g_ascii_isdigit (c) || g_ascii_isupper (c) || (c != 0 && strchr ("adeghknprsx", c)))
    k |= DETECT_START;
  return k;
}

static void
class_table_init (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      for (int c = 0; c < 256; c++)
        class_table[c] = class_of (c);
      g_once_init_leave (&done, 1);
    }
}

/* ---- helpers shared by the matchers ---------------------------------------------- */

gsize
detect_run_b64url (DetectScan *scan, gsize i)
{
  if (i >= scan->run_from && i < scan->run_end)
    return scan->run_end;
  gsize end = i;
  while (detect_has (scan, end, DETECT_B64URL))
    end++;
  scan->run_from = i;
  scan->run_end = end;
  return end;
}

double
detect_entropy (const guchar *s, gsize n)
{
  guint counts[256] = { 0 };
  double h = 0;
  for (gsize i = 0; i < n; i++)
    counts[s[i]]++;
  for (int c = 0; c < 256; c++)
    if (counts[c] > 0)
      {
        double p = (double) counts[c] / (double) n;
        h -= p * log2 (p);
      }
  return h;
}

/* ---- spans ---------------------------------------------------------------------- */

/* A value that lies in the text (not a normalised copy of it) tells where the match is. */

/* The detector a span is told under: the paired secrets (an AWS secret key, a Twilio auth
 * token) have slots past the detectors and are reported with their key id's detector. */
static const DetectorInfo *
span_detector (guint id)
{
  if (id == DET_AWS_SECRET)
    id = DET_AWS_ACCESS_KEY;
  else if (id == DET_TWILIO_SECRET)
    id = DET_TWILIO_KEY;
  return &detectors[MIN (id, (guint) DET_N - 1)];
}

static void
note_track (DetectScan *scan, DetectId id, const guchar *value, gsize n)
{
  if (!scan->noted)
    scan->note_id = id == DET_AWS_SECRET ? DET_AWS_ACCESS_KEY : id;
  if (value >= scan->text && value + n <= scan->text + scan->len)
    {
      gsize lo = (gsize) (value - scan->text), hi = lo + n;
      scan->note_lo = scan->noted ? MIN (scan->note_lo, lo) : lo;
      scan->note_hi = scan->noted ? MAX (scan->note_hi, hi) : hi;
      if (!scan->in_anchor)   /* a note of the pass after the walk (a table of people) */
        {
          DetectSpan span = { lo, hi, span_detector (scan->note_id) };
          g_array_append_val (scan->spans, span);
          scan->noted = FALSE;
          return;
        }
    }
  scan->noted = TRUE;
}

/* After the matcher at i accepted text[i..end): the bytes it read and the values it
 * noted, or for an exact note only the value. Every byte the scan skipped is covered,
 * so masking the spans leaves nothing a rescan could find there. */
static void
span_close (DetectScan *scan, gsize i, gsize end)
{
  gsize lo = i, hi = end;
  if (scan->note_hi > scan->note_lo)
    {
      lo = scan->note_exact ? scan->note_lo : MIN (lo, scan->note_lo);
      hi = scan->note_exact ? scan->note_hi : MAX (hi, scan->note_hi);
    }
  hi = MIN (hi, scan->len);
  /* A PEM key's scan ends with its body: its END line belongs to it too. */
  if (scan->note_id == DET_PRIVATE_KEY && detect_at (scan, hi, "-----END "))
    {
      const guchar *close = memmem (scan->text + hi + 9, MIN (scan->len - hi - 9, (gsize) 64), "-----", 5);
      if (close != NULL)
        hi = (gsize) (close - scan->text) + 5;
    }
  DetectSpan span = { lo, hi, span_detector (scan->note_id) };
  /* A match that reaches back (HashiCorp's prefix) may overlap the one before it. */
  if (scan->spans->len > 0)
    {
      DetectSpan *last = &g_array_index (scan->spans, DetectSpan, scan->spans->len - 1);
      if (span.start < last->end)
        {
          last->end = MAX (last->end, span.end);
          return;
        }
    }
  g_array_append_val (scan->spans, span);
}

/* FNV-1a, 64 bits, seeded with the detector id: the digest only tells equal values
 * apart within one scan and is dropped with it. */
void
detect_note (DetectScan *scan, DetectId id, const guchar *value, gsize n)
{
  guint64 h = 14695981039346656037ULL ^ (guint64) id;
  for (gsize i = 0; i < n; i++)
    h = (h ^ value[i]) * 1099511628211ULL;
  if (scan->seen[id] == NULL)
    scan->seen[id] = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_array_append_val (scan->seen[id], h);
  if (scan->spans != NULL)
    note_track (scan, id, value, n);
}

/* ---- the scan -------------------------------------------------------------------- */

/* National formats that start with capitals have their first digit right after them:
 * NRIC and NIE after one, NINO after two (or "AB 12"), CURP after four, PAN after
 * five, codice fiscale after six. */
static inline gboolean
capitals_then_digit (const DetectScan *scan, gsize i)
{
  gsize k = 1;
  while (k < 7 && detect_has (scan, i + k, DETECT_UPPER))
    k++;
  if (k == 2 && detect_at (scan, i + 2, " "))
    k = 3;
  return k < 7 && detect_has (scan, i + k, DETECT_DIGIT);
}

/* At a word start: the first bytes pick the matchers that can begin there, so that
 * ordinary words cost one switch. Prefixes that begin common words ("do", "at", "sh",
 * "ke") are gated on a third or fourth byte too (dop_, atl, shp, key-); the block walk
 * gates on the first two bytes only (pair_buckets). */
static gsize
scan_word (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text + i;
  guchar c = p[0], d = i + 1 < scan->len ? p[1] : 0;
#define e (i + 2 < scan->len ? p[2] : 0)
#define f (i + 3 < scan->len ? p[3] : 0)
  switch (c)
    {
    case 'e':
      return d == 'y' || (d == 'w' && (e == 'o' || e == '0')) ? detect_match_jwt (scan, i) : 0;
    case 'g':
      return d == 'h' || d == 'i' || d == 's' || d == 'l' ? detect_match_token (scan, i) : 0;
    case 'h':
      return d == 'o' || d == 'f' || d == 'v' ? detect_match_token (scan, i) : 0;
    case 'p':
      return d == 'p' || (d == 'y' && e == 'p') ? detect_match_token (scan, i) : 0;
    case 'r':
      return d == 'k' ? detect_match_token (scan, i) : 0;
    case 's':
      return d == 'k' || (d == 'h' && e == 'p') ? detect_match_token (scan, i) : 0;
    case 'x':
      return d == 'o' || d == 'a' ? detect_match_token (scan, i) : 0;
    case 'n':
      return d == 'p' && e == 'm' ? detect_match_token (scan, i) : 0;
    case 'd':
      return (d == 'c' && e == 'k') || (d == 'o' && f == '_') || (d == 'a' && e == 'p' && f == 'i')
             ? detect_match_token (scan, i) : 0;
    case 'a':
      return (d == 't' && e == 'l') || (d == 'p' && e == 'i' && f == '_')
             ? detect_match_token (scan, i) : 0;
    case 'k':
      return d == 'e' && e == 'y' && f == '-' ? detect_match_token (scan, i) : 0;
    default:
      break;
    }
  if (class_table[c] & DETECT_DIGIT)
    {
      if (d == ' ' && (c == '1' || c == '2'))
        return (class_table[e] & DETECT_DIGIT) && (class_table[f] & DETECT_DIGIT)
               && detect_at (scan, i + 4, " ") ? detect_match_national (scan, i) : 0;
      if (!(class_table[d] & DETECT_DIGIT))
        return 0;
      if (class_table[e] & DETECT_DIGIT)
        return detect_match_number (scan, i);
      /* dd.dd.dd-ddd.dd (Belgium), dd.ddd.ddd/dddd-dd (CNPJ): no card or SSN starts so */
      return e == '.' && (class_table[f] & DETECT_DIGIT) && (i == 0 || !detect_in (scan->text[i - 1], ".,-/"))
             ? detect_match_national (scan, i) : 0;
    }
  if (c == 'A' && d == '3')
    return detect_match_token (scan, i);
  if (class_table[d] & DETECT_DIGIT)   /* NRIC/FIN S1234567D, NIE X1234567L */
    return strchr ("STFGXYZ", c) != NULL ? detect_match_national (scan, i) : 0;
  if (!(class_table[d] & DETECT_UPPER))
    return 0;
  gsize end = detect_match_iban (scan, i);
  /* AKIA, ASIA, ABIA, ACCA, AIza, ATATT3; SG., SK; GR1348941; HRKU-AA; LS0tLS1CRUdJTi */
  if (end == 0 && ((c == 'A' && detect_in (d, "KSBCIT")) || (c == 'S' && (d == 'K' || (d == 'G' && e == '.')))
                   || (c == 'G' && d == 'R' && e == '1') || (c == 'H' && d == 'R' && e == 'K')
                   || (c == 'L' && d == 'S' && e == '0')))
    end = detect_match_token (scan, i);
  if (end == 0 && (class_table[e] & (DETECT_UPPER | DETECT_DIGIT) || e == ' ')
      && capitals_then_digit (scan, i))
    end = detect_match_national (scan, i);
  return end;
#undef e
#undef f
}

static gsize
scan_punct (DetectScan *scan, gsize i)
{
  if (scan->text[i] == '-')
    return detect_at (scan, i, "-----BEGIN ") ? detect_match_private_key (scan, i) : 0;
  guchar c = scan->text[i];
  if (c == '=' || c == ':')
    return detect_match_assignment (scan, i);
  guchar next = i + 1 < scan->len ? scan->text[i + 1] : 0;
  switch (c)
    {
    case '~':
      return detect_match_azure_ad (scan, i);
    case '<':
      return next == '/' ? detect_match_xml_element (scan, i) : next == '<' ? detect_match_mrz (scan, i) : 0;
    case '@':
      return detect_match_email (scan, i);
    case '+':
      return g_ascii_isdigit (next) ? detect_match_phone (scan, i) : 0;
    case '"':
    case '\'':
      return next == ',' ? detect_match_quoted_pair (scan, i) : 0;
    default:
      return detect_match_assignment (scan, i);
    }
}

static int
digest_cmp (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

static guint
distinct_count (GArray *digests)
{
  if (digests == NULL)
    return 0;
  g_array_sort (digests, digest_cmp);
  guint n = 0;
  for (guint i = 0; i < digests->len; i++)
    if (i == 0 || g_array_index (digests, guint64, i) != g_array_index (digests, guint64, i - 1))
      n++;
  return n;
}

/* An anchor is a start byte (DETECT_START) that begins a word, or a punctuation anchor.
 * Returns where to look next: past an accepted match, else the next byte. */
static gsize
scan_anchor (DetectScan *scan, gsize i)
{
  guint8 k = class_table[scan->text[i]];
  gsize end = 0;
  if (G_UNLIKELY (scan->spans != NULL))
    {
      scan->noted = scan->note_exact = FALSE;
      scan->note_lo = scan->note_hi = 0;
      scan->in_anchor = TRUE;
    }
  if (k & DETECT_ANCHOR)
    end = scan_punct (scan, i);
  else if ((k & DETECT_START) && (i == 0 || !(class_table[scan->text[i - 1]] & DETECT_WORD)))
    end = scan_word (scan, i);
  if (G_UNLIKELY (scan->spans != NULL) && scan->noted && end > i)
    span_close (scan, i, end);
  scan->in_anchor = FALSE;
  return end > i ? end : i + 1;
}

/* ---- the block walk (x86-64 with SSSE3) ------------------------------------------- */

#if (defined (__x86_64__) || defined (__i386__)) && (defined (__GNUC__) || defined (__clang__)) \
    && !defined (DETECT_NO_SIMD)
#define DETECT_BLOCKS 1
#include <tmmintrin.h>

/* The first bytes that can begin a value, in buckets of (first bytes) x (second bytes)
 * x (third bytes). Sixteen bytes are judged at once the way Hyperscan's Teddy matcher
 * does: each byte's low and high nibble select, through PSHUFB, the buckets whose
 * bytes have that nibble; a position is a candidate when some bucket holds its byte
 * and the two after it. The third byte keeps common words ("do", "at", "sh", "key")
 * away from scan_word. A bucket's set is the product of its nibbles, so keep each
 * bucket's bytes within one row of the ASCII table (the capitals' bucket also admits
 * @ [ \ ] ^ _, which scan_word turns away at once). The cost is the same for any
 * number of prefixes, which the byte-compare gates it replaces were not. scan_word
 * applies the exact rules (and third-byte gates); this is only a superset of them. */
static const struct {
  const char *first, *second, *third;    /* third NULL: any byte */
} pair_buckets[16] = {
  { "0123456789", "0123456789", NULL },                            /* cards, SSNs, ids */
  { "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", NULL },  /* IBANs, AKIA, SG. */
  { "A", "3", "T" },                       /* A3T */
  { "e", "yw", "JAo0" },                   /* JWTs: eyJ, eyA, ewo, ew0 */
  { "g", "hisl", NULL },                   /* ghp_, github_pat_, gsk_, glpat- */
  { "h", "ofv", "o_sb" },                  /* hooks.slack.com, hf_, hvs., hvb. */
  { "p", "py", "lp" },                     /* pplx-, pypi- */
  { "rs", "k", "_-" },                     /* sk_live_, rk_live_, sk- */
  { "s", "h", "p" },                       /* shpat_ */
  { "x", "oa", "xip" },                    /* xoxb-, xai-, xapp- */
  { "n", "p", "m" },                       /* npm_ */
  { "d", "coa", "kpor" },                  /* dckr_pat_, dop_v1_, dapi */
  { "a", "tp", "li" },                     /* atlasv1, api_org_ */
  { "k", "e", "y" },                       /* key- (Mailgun) */
  { "STFGXYZ", "0123456789", "0123456789" },  /* NRIC/FIN, NIE */
  { "12", " ", "0123456789" },             /* a spaced French NIR: 1 85 05 78 006 084 36 */
};

/* lo0, hi0 (first byte), lo1, hi1 (second byte), lo2, hi2 (third byte) for buckets
 * 0-7, then for 8-15. */
static guint8 pair_tables[15][16] __attribute__ ((aligned (16)));

/* Tables 12-14: punctuation anchors by low nibble. Table 12 holds the single-byte
 * anchors, 13 the first bytes of the two-byte ones and 14 the byte each needs after it.
 * A nibble no anchor has maps to a byte of another nibble, which never matches. */
static void
punct_tables_init (void)
{
  static const char single[] = "=:~<@+", first[] = "-\"'", second[] = "-,,";
  for (int n = 0; n < 16; n++)
    pair_tables[12][n] = pair_tables[13][n] = pair_tables[14][n] = (guint8) (n ^ 1);
  for (const char *c = single; *c != 0; c++)
    pair_tables[12][*c & 15] = (guint8) *c;
  for (gsize k = 0; first[k] != 0; k++)
    {
      pair_tables[13][first[k] & 15] = (guint8) first[k];
      pair_tables[14][first[k] & 15] = (guint8) second[k];
    }
}

static void
pair_tables_init (void)
{
  punct_tables_init ();
  for (gsize b = 0; b < G_N_ELEMENTS (pair_buckets); b++)
    {
      if (pair_buckets[b].first == NULL)
        continue;
      guint8 bit = (guint8) (1u << (b % 8)), set = (guint8) (b / 8 * 6);
      for (const char *c = pair_buckets[b].first; *c != 0; c++)
        {
          pair_tables[set][(guchar) *c & 15] |= bit;
          pair_tables[set + 1][(guchar) *c >> 4] |= bit;
        }
      for (const char *c = pair_buckets[b].second; *c != 0; c++)
        {
          pair_tables[set + 2][(guchar) *c & 15] |= bit;
          pair_tables[set + 3][(guchar) *c >> 4] |= bit;
        }
      for (int n = 0; n < 16; n++)
        if (pair_buckets[b].third == NULL)
          {
            pair_tables[set + 4][n] |= bit;
            pair_tables[set + 5][n] |= bit;
          }
      for (const char *c = pair_buckets[b].third; c != NULL && *c != 0; c++)
        {
          pair_tables[set + 4][(guchar) *c & 15] |= bit;
          pair_tables[set + 5][(guchar) *c >> 4] |= bit;
        }
    }
}

#define SSSE3 __attribute__ ((target ("ssse3")))

/* Bytes of v in [lo, hi], as a 0xff/0x00 lane mask. */
static inline SSSE3 __m128i
lanes_in (__m128i v, char lo, char hi)
{
  __m128i t = _mm_sub_epi8 (v, _mm_set1_epi8 (lo));
  return _mm_cmpeq_epi8 (_mm_min_epu8 (t, _mm_set1_epi8 ((char) (hi - lo))), t);
}

static inline SSSE3 __m128i
lanes_eq (__m128i v, char c)
{
  return _mm_cmpeq_epi8 (v, _mm_set1_epi8 (c));
}

static inline SSSE3 __m128i
table (int k)
{
  return _mm_load_si128 ((const __m128i *) pair_tables[k]);
}

/* Buckets (of one table set) that hold each byte of v as a first byte, each byte of w
 * as a second and each byte of x as a third. */
static inline SSSE3 __m128i
pair_hits (int set, __m128i vl, __m128i vh, __m128i wl, __m128i wh, __m128i xl, __m128i xh)
{
  __m128i first = _mm_and_si128 (_mm_shuffle_epi8 (table (set), vl), _mm_shuffle_epi8 (table (set + 1), vh));
  __m128i second = _mm_and_si128 (_mm_shuffle_epi8 (table (set + 2), wl), _mm_shuffle_epi8 (table (set + 3), wh));
  __m128i third = _mm_and_si128 (_mm_shuffle_epi8 (table (set + 4), xl), _mm_shuffle_epi8 (table (set + 5), xh));
  return _mm_and_si128 (_mm_and_si128 (first, second), third);
}

/* Candidate starts among the 16 bytes at p, as a bit mask: a bucket of pair_buckets at
 * a word start, or a punctuation anchor ("--", a quote before ',', = : ~ < @ +).
 * Reads p[0..18). */
static inline SSSE3 guint
candidates16 (const guchar *p, gboolean prev_word)
{
  __m128i v = _mm_loadu_si128 ((const __m128i *) p);
  __m128i w = _mm_loadu_si128 ((const __m128i *) (p + 1));
  __m128i nib = _mm_set1_epi8 (0x0f);
  __m128i vl = _mm_and_si128 (v, nib), vh = _mm_and_si128 (_mm_srli_epi16 (v, 4), nib);
  __m128i x = _mm_loadu_si128 ((const __m128i *) (p + 2));
  __m128i wl = _mm_and_si128 (w, nib), wh = _mm_and_si128 (_mm_srli_epi16 (w, 4), nib);
  __m128i xl = _mm_and_si128 (x, nib), xh = _mm_and_si128 (_mm_srli_epi16 (x, 4), nib);
  __m128i hits = _mm_or_si128 (pair_hits (0, vl, vh, wl, wh, xl, xh), pair_hits (6, vl, vh, wl, wh, xl, xh));
  guint pairs = ~(guint) _mm_movemask_epi8 (_mm_cmpeq_epi8 (hits, _mm_setzero_si128 ())) & 0xffffu;
  __m128i word = _mm_or_si128 (_mm_or_si128 (lanes_in (v, '0', '9'), lanes_in (v, 'A', 'Z')),
                               _mm_or_si128 (lanes_in (v, 'a', 'z'), lanes_eq (v, '_')));
  /* Punctuation anchors by their low nibble (each table maps a nibble to the one byte
   * that can have it, so a lane is that byte when the lookup equals it): one byte,
   * = : ~ < @ +, or two, "--" and a quote before ','. */
  __m128i single = _mm_cmpeq_epi8 (_mm_shuffle_epi8 (table (12), vl), v);
  __m128i first = _mm_cmpeq_epi8 (_mm_shuffle_epi8 (table (13), vl), v);
  __m128i second = _mm_cmpeq_epi8 (_mm_shuffle_epi8 (table (14), vl), w);
  __m128i punct = _mm_or_si128 (single, _mm_and_si128 (first, second));
  guint words = (guint) _mm_movemask_epi8 (word);
  guint after_word = ((words << 1) | (prev_word ? 1u : 0u)) & 0xffffu;
  return (pairs & ~after_word) | (guint) _mm_movemask_epi8 (punct);
}

/* Walks sixteen bytes at a time; returns where the scalar walk takes over. */
static SSSE3 gsize
scan_walk_blocks (DetectScan *scan)
{
  const guchar *p = scan->text;
  gsize i = 0;
  while (i + 18 <= scan->len)
    {
      gboolean prev_word = i > 0 && (class_table[p[i - 1]] & DETECT_WORD);
      guint mask = candidates16 (p + i, prev_word);
      gsize next = i + 16;
      while (mask != 0)
        {
          gsize at = i + (gsize) __builtin_ctz (mask);
          mask &= mask - 1;
          gsize end = scan_anchor (scan, at);
          if (end > at + 1)
            {
              next = end;    /* past a match: anchors inside it are not looked at */
              break;
            }
        }
      i = next;
    }
  return i;
}
#endif

/* PSHUFB is SSSE3 (every x86-64 processor since 2006 has it); without it, and on
 * other architectures, the scalar walk below does all the work. */
#ifdef DETECT_BLOCKS
static gboolean
blocks_usable (void)
{
  static gsize usable = 0;
  if (g_once_init_enter (&usable))
    {
      __builtin_cpu_init ();
      gboolean ok = __builtin_cpu_supports ("ssse3");
      if (ok)
        pair_tables_init ();
      g_once_init_leave (&usable, ok ? 2 : 1);
    }
  return usable == 2;
}
#endif

static void
scan_walk (DetectScan *scan)
{
  gsize i = 0;
#ifdef DETECT_BLOCKS
  if (blocks_usable ())
    i = scan_walk_blocks (scan);
#endif
  while (i < scan->len)
    {
      guint8 k = class_table[scan->text[i]];
      i = (k & (DETECT_START | DETECT_ANCHOR)) ? scan_anchor (scan, i) : i + 1;
    }
}

/* E-mail addresses, phone numbers and people's addresses are personal data in bulk only: a paste with
 * fewer distinct ones than this is not reported at all. */
#define DETECT_LIST_MIN 5

/* An AWS credential is a key id and its secret (a Twilio one an account SID and its
 * auth token); either alone still counts, so the count is the larger of distinct ids
 * and distinct secrets. */
static guint
detector_count (DetectScan *scan, int d)
{
  guint count = distinct_count (scan->seen[d]);
  if (d == DET_AWS_ACCESS_KEY)
    count = MAX (count, distinct_count (scan->seen[DET_AWS_SECRET]));
  if (d == DET_TWILIO_KEY)
    count = MAX (count, distinct_count (scan->seen[DET_TWILIO_SECRET]));
  if ((d == DET_EMAIL_LIST || d == DET_PHONE_LIST || d == DET_PEOPLE_LIST) && count < DETECT_LIST_MIN)
    count = 0;         /* one address is not a list; policies raise the bar with min_count */
  return count;
}

void
detect_scan (const char *text, gsize len, GArray *hits)
{
  detect_scan_spans (text, len, hits, NULL);
}

void
detect_scan_spans (const char *text, gsize len, GArray *hits, GArray *spans)
{
  g_return_if_fail (text != NULL || len == 0);
  class_table_init ();
  DetectScan scan = { .text = (const guchar *) text, .len = len, .claimed = G_MAXSIZE, .spans = spans };   /* seen[]: made on first note */
  scan_walk (&scan);
  detect_people_table (&scan);
  for (int d = 0; d < DET_N; d++)
    {
      guint count = detector_count (&scan, d);
      if (count > 0)
        g_array_append_val (hits, ((DetectHit) { &detectors[d], count }));
    }
  for (int d = 0; d < DET_SLOTS; d++)
    if (scan.seen[d] != NULL)
      g_array_free (scan.seen[d], TRUE);
}
