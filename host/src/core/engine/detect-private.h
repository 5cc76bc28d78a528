/* detect-private.h: what the detector files share; nothing here leaves engine/.
 *
 * The scanner (detect.c) walks the text once and calls a matcher only at a candidate:
 * a word start whose first two bytes can begin some detector's value, or one of the
 * punctuation anchors "--" (PEM armour), '=' and ':' (assignments). A matcher validates
 * the candidate with bounded look-ahead and, when it accepts, notes a 64-bit digest of
 * the normalised value (for distinct counts) and returns the offset just past the match,
 * where the scan resumes; it returns 0 when it accepts nothing. Reads that are not
 * bounded go through a cache (detect_run_b64url, the bare-value run in detect-secret.c)
 * or skip bytes that are then never read again (a private key's body), so the whole
 * scan is linear in the text length. */
#pragma once

#include <glib.h>
#include <string.h>

typedef enum {
  DET_PRIVATE_KEY,
  DET_AWS_ACCESS_KEY,
  DET_GITHUB_TOKEN,
  DET_SLACK_TOKEN,
  DET_STRIPE_LIVE_KEY,
  DET_GOOGLE_API_KEY,
  DET_LLM_API_KEY,
  DET_JWT,
  DET_GENERIC_SECRET,
  DET_CREDIT_CARD,
  DET_IBAN,
  DET_US_SSN,
  DET_GITLAB_TOKEN,
  DET_NPM_TOKEN,
  DET_PYPI_TOKEN,
  DET_DOCKER_HUB_TOKEN,
  DET_SENDGRID_KEY,
  DET_SHOPIFY_TOKEN,
  DET_DIGITALOCEAN_TOKEN,
  DET_HASHICORP_TOKEN,
  DET_DATABRICKS_TOKEN,
  DET_TWILIO_KEY,
  DET_MAILGUN_KEY,
  DET_ATLASSIAN_TOKEN,
  DET_DATADOG_KEY,
  DET_HEROKU_KEY,
  DET_URL_CREDENTIALS,
  DET_UK_NINO,
  DET_DE_TAX_ID,
  DET_FR_NIR,
  DET_ES_DNI,
  DET_IT_CODICE_FISCALE,
  DET_NL_BSN,
  DET_BE_NATIONAL_NUMBER,
  DET_PL_PESEL,
  DET_SE_PERSONNUMMER,
  DET_DK_CPR,
  DET_FI_HETU,
  DET_NO_FNR,
  DET_CH_AHV,
  DET_IN_AADHAAR,
  DET_IN_PAN,
  DET_CA_SIN,
  DET_AU_TFN,
  DET_AU_MEDICARE,
  DET_BR_CPF,
  DET_BR_CNPJ,
  DET_CN_RESIDENT_ID,
  DET_JP_MY_NUMBER,
  DET_KR_RRN,
  DET_SG_NRIC,
  DET_MX_CURP,
  DET_US_ITIN,
  DET_US_ABA_ROUTING,
  DET_AZURE_KEY,
  DET_PASSPORT_MRZ,
  DET_EMAIL_LIST,
  DET_PHONE_LIST,
  DET_PEOPLE_LIST,
  DET_N,
  DET_AWS_SECRET = DET_N,       /* AWS secret access keys: paired with key ids, not reported */
  DET_TWILIO_SECRET,            /* Twilio auth tokens: paired with account SIDs, likewise */
  DET_SLOTS,
} DetectId;

typedef struct {
  const guchar *text;
  gsize len;
  GArray *seen[DET_SLOTS];      /* guint64 digests of accepted values, deduplicated at the end */
  gsize run_from, run_end;      /* cached run of base64url bytes [run_from, run_end) */
  gsize bare_from, bare_end;    /* cached run of bytes that do not end a bare value */
  gsize claimed;                /* start of a value a pairing already counted (an AWS secret
                                 * after its key id): generic-secret skips it; G_MAXSIZE: none */
  gsize aws_clear_to;           /* no AWS secret starts in [aws_clear_from, aws_clear_to) */
  gsize aws_clear_from;
  gsize mrz_from, mrz_end;      /* a run of zone characters already judged not a zone */
  /* Where matches are (detect_scan_spans): NULL when only counts are asked for. While
   * one matcher runs, the notes it makes are tracked here: the first detector noted,
   * the bytes of the text its notes covered, and whether the note is the whole match
   * (an assigned value: the key and quotes around it stay). */
  GArray *spans;                /* DetectSpan */
  DetectId note_id;
  gsize note_lo, note_hi;
  gboolean noted, note_exact;
  gboolean in_anchor;           /* a matcher runs (notes after the walk make their own spans) */
} DetectScan;

/* Byte classes (detect.c builds the table once). */
enum {
  DETECT_WORD = 1 << 0,         /* [A-Za-z0-9_] */
  DETECT_DIGIT = 1 << 1,
  DETECT_UPPER = 1 << 2,
  DETECT_LOWER = 1 << 3,
  DETECT_B64URL = 1 << 4,       /* [A-Za-z0-9_-] */
  DETECT_B64 = 1 << 5,          /* [A-Za-z0-9+/=] */
  DETECT_ANCHOR = 1 << 6,       /* punctuation anchors: - = : ~ < @ + " ' */
  DETECT_START = 1 << 7,        /* can begin a value: digits, A-Z and e g h p r s x */
};
extern const guint8 *detect_class;

static inline gboolean
detect_has (const DetectScan *scan, gsize i, guint8 cls)
{
  return i < scan->len && (detect_class[scan->text[i]] & cls) != 0;
}

static inline char
detect_lower (guchar c)
{
  return (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* TRUE when c is one of the bytes of set (never for NUL). */
static inline gboolean
detect_in (guchar c, const char *set)
{
  for (; *set != 0; set++)
    if ((guchar) *set == c)
      return TRUE;
  return FALSE;
}

/* TRUE when text[i..] starts with lit. Inline so that, with a literal, strlen and
 * memcmp fold into a few compares. */
static inline gboolean
detect_at (const DetectScan *scan, gsize i, const char *lit)
{
  gsize n = strlen (lit);
  return i <= scan->len && scan->len - i >= n && memcmp (scan->text + i, lit, n) == 0;
}

/* Length of the run of bytes of class cls starting at i, stopping at max. */
static inline gsize
detect_span (const DetectScan *scan, gsize i, guint8 cls, gsize max)
{
  gsize n = 0;
  while (n < max && detect_has (scan, i + n, cls))
    n++;
  return n;
}

/* End of the run of base64url bytes that contains i (cached: linear over the scan). */
gsize detect_run_b64url (DetectScan *scan, gsize i);

/* Shannon entropy of s[0..n) in bits per byte. */
double detect_entropy (const guchar *s, gsize n);

#define DETECT_ALNUM (DETECT_UPPER | DETECT_LOWER | DETECT_DIGIT)

/* A token body of min..max bytes of class cls that ends at a boundary (the next byte
 * is not of class bound). Returns the body length, or 0. */
gsize detect_token_body (const DetectScan *scan, gsize at, guint8 cls, guint8 bound,
                         gsize min, gsize max);

/* Notes text[i..end) as a value of detector id and returns end, unless the body
 * text[body..end) is a placeholder (low entropy, runs); then 0. */
gsize detect_token_accept (DetectScan *scan, DetectId id, gsize i, gsize end, gsize body);

/* Five equal bytes or five ascending letters or digits in a row: a stand-in. */
gboolean detect_token_is_placeholder (const guchar *s, gsize n);

/* 30 random characters followed by their CRC-32 in six base62 digits (GitHub, npm). */
gboolean detect_crc32_base62_ok (const guchar *random36);
/* The Luhn check over n ASCII digits (cards, and the ids that use it). */
gboolean detect_luhn_ok (const char *digits, guint n);

/* The value just noted is exactly the match (an assigned secret, a URL's user and
 * password), not the bytes the matcher read around it. */
static inline void
detect_note_exact (DetectScan *scan)
{
  scan->note_exact = TRUE;
}

/* The match just noted (from a normalised copy) covers text[from..to): an e-mail address
 * found at its '@', a machine-readable zone found at a "<<" of one of its lines. */
static inline void
detect_note_widen (DetectScan *scan, gsize from, gsize to)
{
  if (scan->spans == NULL)
    return;
  scan->note_lo = scan->note_hi > scan->note_lo ? MIN (scan->note_lo, from) : from;
  scan->note_hi = MAX (scan->note_hi, to);
}

/* Records an accepted value (never stored, only its digest). */
void detect_note (DetectScan *scan, DetectId id, const guchar *value, gsize n);

/* Matchers: each returns the offset past an accepted match, or 0. */
gsize detect_match_number (DetectScan *scan, gsize i);      /* cards, SSNs */
gsize detect_match_iban (DetectScan *scan, gsize i);
gsize detect_match_private_key (DetectScan *scan, gsize i);
gsize detect_match_pem_base64 (DetectScan *scan, gsize i);   /* LS0tLS1CRUdJTi... */
gsize detect_match_putty (DetectScan *scan, gsize i);        /* at the ':' of PuTTY-User-Key-File-N: */
gsize detect_match_token (DetectScan *scan, gsize i);       /* prefixed keys and tokens */
gsize detect_match_vendor (DetectScan *scan, gsize i);      /* detect-vendors.c */
gsize detect_match_national (DetectScan *scan, gsize i);    /* detect-national.c */
gsize detect_match_jwt (DetectScan *scan, gsize i);
gsize detect_match_assignment (DetectScan *scan, gsize i);  /* generic secrets at '=' / ':' */
gsize detect_match_quoted_pair (DetectScan *scan, gsize i); /* at the quote of ("key", "value") */
gsize detect_match_xml_element (DetectScan *scan, gsize i); /* at the "</" of </password> */
gsize detect_match_mrz (DetectScan *scan, gsize i);         /* at a "<<" (detect-pii.c) */
gsize detect_match_email (DetectScan *scan, gsize i);       /* at an '@' (detect-pii.c) */
gsize detect_match_phone (DetectScan *scan, gsize i);       /* at a '+' before a digit */
void detect_people_table (DetectScan *scan);                /* once, at the start of the text */

/* detect-cloud.c: Azure, Twilio, AWS secrets by their neighbours. */
gboolean detect_cloud_key (const char *key, gsize n);                /* accountkey, sharedaccesskey, sig */
gsize detect_match_cloud_value (DetectScan *scan, const char *key, gsize value, gsize n, gsize end);
gboolean detect_azure_storage_key (const char *key, const guchar *v, gsize n);
gsize detect_match_azure_ad (DetectScan *scan, gsize i);     /* at the '~' of "Q~" */
gboolean detect_twilio_token (const DetectScan *scan, const char *key, const guchar *v, gsize n);
gsize detect_match_twilio_sid (DetectScan *scan, gsize i);   /* at "AC" */
void detect_aws_secret_after (DetectScan *scan, gsize end);
gboolean detect_aws_secret_by_keyword (const DetectScan *scan, const char *key, const guchar *v, gsize n);

/* TRUE when a prefixed token, key or JWT starts at i (the generic detector then yields). */
gboolean detect_token_prefix_at (const DetectScan *scan, gsize i);
