/* detect-keys.c: private keys, prefixed API keys and tokens, JSON Web Tokens.
 *
 * Sources and limits of every rule: docs/detectors.md. */
#include "detect-private.h"
#include "json.h"

#include <string.h>

/* Random parts of issued tokens are far from uniform text; a body under this many bits
 * per byte is a placeholder such as sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. */
#define TOKEN_MIN_ENTROPY 3.0

/* ---- private keys ---------------------------------------------------------------- */

#define PEM_LABEL_MAX 48      /* "-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----" fits */
#define PEM_BODY_WINDOW 1024  /* bytes after the header searched for the base64 body */
#define PEM_BODY_MIN 64       /* base64 characters a real key body has at least */
#define PEM_LINE_MIN 32       /* one unbroken run at least this long */

/* The label between "-----BEGIN " and "-----" must end in PRIVATE KEY (or PGP's
 * PRIVATE KEY BLOCK). Returns the offset past the closing dashes, or 0. */
static gsize
pem_header_end (const DetectScan *scan, gsize i)
{
  gsize at = i + strlen ("-----BEGIN ");
  gsize n = detect_span (scan, at, DETECT_UPPER | DETECT_DIGIT, PEM_LABEL_MAX);
  while (n < PEM_LABEL_MAX && detect_at (scan, at + n, " "))
    n += 1 + detect_span (scan, at + n + 1, DETECT_UPPER | DETECT_DIGIT, PEM_LABEL_MAX);
  if (n > PEM_LABEL_MAX || !detect_at (scan, at + n, "-----"))
    return 0;
  const char *label = (const char *) scan->text + at;
  gboolean key = (n >= 11 && memcmp (label + n - 11, "PRIVATE KEY", 11) == 0)
                 || (n >= 17 && memcmp (label + n - 17, "PRIVATE KEY BLOCK", 17) == 0);
  return key ? at + n + 5 : 0;
}

/* Bytes that separate body lines: real line ends, the "\n" escapes of a key pasted
 * inside a JSON string (cloud service-account files), and indentation (YAML). */
static gsize
pem_break (const DetectScan *scan, gsize at)
{
  guchar c = scan->text[at];
  if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
    return 1;
  if (c == '\\' && at + 1 < scan->len && (scan->text[at + 1] == 'n' || scan->text[at + 1] == 'r'))
    return 2;
  return 0;
}

/* Skips armour header lines ("Proc-Type: ...", "DEK-Info: ...", "Version: ..."): a
 * line with a ':' before its end. Returns where the body starts. */
static gsize
pem_skip_headers (const DetectScan *scan, gsize at, gsize stop)
{
  for (int lines = 0; lines < 8 && at < stop; lines++)
    {
      gsize b;
      while (at < stop && (b = pem_break (scan, at)) != 0)
        at += b;
      gsize e = at;
      while (e < stop && scan->text[e] != ':' && scan->text[e] != '\n' && pem_break (scan, e) != 2)
        e++;
      if (e >= stop || scan->text[e] != ':')
        break;
      while (e < stop && scan->text[e] != '\n' && pem_break (scan, e) != 2)
        e++;
      at = e;
    }
  return at;
}

/* Counts the body's base64 characters (up to PEM_BODY_MIN) across line breaks and
 * notes the longest unbroken run: key lines are 64-76 characters, while prose words
 * ("paste your key here") never reach PEM_LINE_MIN. */
static gboolean
pem_body_ok (const DetectScan *scan, gsize at, gsize stop)
{
  gsize b64 = 0, run = 0, longest = 0;
  while (at < stop && b64 < PEM_BODY_MIN)
    {
      gsize b = pem_break (scan, at);
      if (b != 0)
        {
          run = 0;
          at += b;
          continue;
        }
      if (!(detect_class[scan->text[at]] & DETECT_B64))
        break;
      b64++;
      longest = MAX (longest, ++run);
      at++;
    }
  return b64 >= PEM_BODY_MIN && longest >= PEM_LINE_MIN;
}

/* The scan resumes past the whole body: random base64 must not be read as cards or
 * tokens. Spaces count only as indentation after a line break, so prose that follows
 * a truncated key is still scanned. Unbounded, but no byte passed here is read again. */
static gsize
pem_body_end (const DetectScan *scan, gsize at)
{
  gboolean line_start = FALSE;
  while (at < scan->len)
    {
      guchar c = scan->text[at];
      gsize b = pem_break (scan, at);
      if (b != 0 && (c == ' ' || c == '\t') && !line_start)
        break;
      if (b == 0 && !(detect_class[c] & DETECT_B64))
        break;
      line_start = b != 0;
      at += b ? b : 1;
    }
  return at;
}

gsize
detect_match_private_key (DetectScan *scan, gsize i)
{
  if (!detect_at (scan, i, "-----BEGIN "))
    return 0;
  gsize end = pem_header_end (scan, i);
  if (end == 0)
    return 0;
  gsize stop = MIN (scan->len, end + PEM_BODY_WINDOW);
  gsize body = pem_skip_headers (scan, end, stop);
  if (!pem_body_ok (scan, body, stop))
    return 0;
  /* Distinct keys differ in their first body bytes (the key material or its salt). */
  gsize n = MIN (scan->len - body, (gsize) PEM_BODY_MIN + 16);
  detect_note (scan, DET_PRIVATE_KEY, scan->text + body, n);
  return pem_body_end (scan, body);
}

/* A PEM private key written in base64 once more, as Kubernetes stores it
 * (kubeconfig's client-key-data, a Secret's tls.key): "LS0tLS1CRUdJTi" is the base64
 * of "-----BEGIN". The first 96 characters are decoded and must hold a private key's
 * armour header; the whole run of base64 must be long enough for a key. */
#define PEM_B64_HEAD 96
#define PEM_B64_MIN 200

static gsize decode_base64 (const guchar *in, gsize n, guchar *out, gboolean url);

gsize
detect_match_pem_base64 (DetectScan *scan, gsize i)
{
  if (!detect_at (scan, i, "LS0tLS1CRUdJTi") || detect_span (scan, i, DETECT_B64, PEM_B64_HEAD) < PEM_B64_HEAD)
    return 0;
  guchar head[PEM_B64_HEAD];
  gsize m = decode_base64 (scan->text + i, PEM_B64_HEAD, head, FALSE);
  DetectScan decoded = { .text = head, .len = m };
  if (!detect_at (&decoded, 0, "-----BEGIN ") || pem_header_end (&decoded, 0) == 0)
    return 0;
  gsize end = i;
  while (detect_has (scan, end, DETECT_B64))
    end++;             /* unbounded, but the scan resumes past it: each byte read once */
  if (end - i < PEM_B64_MIN)
    return 0;
  detect_note (scan, DET_PRIVATE_KEY, scan->text + i + 64, PEM_B64_HEAD);
  return end;
}

/* PuTTY's .ppk files (PuTTY manual, appendix C): a "PuTTY-User-Key-File-2:" or "-3:"
 * header, then within a few lines "Private-Lines: N" and the base64 private blob. At
 * i is the ':' of the header. */
#define PPK_WINDOW 4096

gsize
detect_match_putty (DetectScan *scan, gsize i)
{
  static const char head[] = "PuTTY-User-Key-File-";
  gsize hn = sizeof head - 1;
  if (i < hn + 1 || memcmp (scan->text + i - hn - 1, head, hn) != 0
      || !detect_in (scan->text[i - 1], "123"))
    return 0;
  gsize stop = MIN (scan->len, i + PPK_WINDOW);
  const char *p = (const char *) scan->text;
  const char *lines = g_strstr_len (p + i, (gssize) (stop - i), "Private-Lines:");
  if (lines == NULL)
    return 0;
  gsize at = (gsize) (lines - p) + strlen ("Private-Lines:");
  while (at < stop && (p[at] == ' ' || g_ascii_isdigit (p[at])))
    at++;
  if (!pem_body_ok (scan, at, stop))
    return 0;
  while (at < scan->len && pem_break (scan, at) != 0)
    at++;
  detect_note (scan, DET_PRIVATE_KEY, scan->text + at, MIN (scan->len - at, (gsize) PEM_BODY_MIN));
  return pem_body_end (scan, at);
}

/* ---- prefixed tokens ------------------------------------------------------------- */

/* A token body of min..max bytes of class cls that ends at a boundary (the next byte is
 * not of class bound). Returns the body length, or 0. */
gsize
detect_token_body (const DetectScan *scan, gsize at, guint8 cls, guint8 bound, gsize min, gsize max)
{
  gsize n = detect_span (scan, at, cls, max + 1);
  if (n < min || n > max || detect_has (scan, at + n, bound))
    return 0;
  return n;
}

/* Stand-ins typed by hand: five equal bytes in a row (AKIAXXXXXXXXXXXXXXXX) or five
 * ascending letters or digits (AIzaSyabcdefghijklmnop..., 12345). In a random body of
 * base32 or more the chance of either is under 1 in 1,000 per token (hex: ~1 in 1,500
 * per 32 characters), so real tokens are hardly ever lost. */
gboolean
detect_token_is_placeholder (const guchar *s, gsize n)
{
  guint same = 1, up = 1;
  for (gsize k = 1; k < n; k++)
    {
      same = s[k] == s[k - 1] ? same + 1 : 1;
      up = g_ascii_isalnum (s[k]) && s[k] == s[k - 1] + 1 ? up + 1 : 1;
      if (same >= 5 || up >= 5)
        return TRUE;
    }
  return FALSE;
}

gsize
detect_token_accept (DetectScan *scan, DetectId id, gsize i, gsize end, gsize body)
{
  if (detect_entropy (scan->text + body, end - body) < TOKEN_MIN_ENTROPY
      || detect_token_is_placeholder (scan->text + body, end - body))
    return 0;
  detect_note (scan, id, scan->text + i, end - i);
  return end;
}


/* base62 with the alphabet 0-9A-Za-z; -1 for any other byte. */
static int
base62_value (guchar c)
{
  if (g_ascii_isdigit (c))
    return c - '0';
  if (g_ascii_isupper (c))
    return c - 'A' + 10;
  if (g_ascii_islower (c))
    return c - 'a' + 36;
  return -1;
}

/* The last six characters of a classic GitHub token (and of an npm token) are the
 * CRC-32 of the 30 random characters before them, in base62 padded with zeros. */
gboolean
detect_crc32_base62_ok (const guchar *random30)
{
  guint64 want = 0;
  for (int k = 0; k < 6; k++)
    want = want * 62 + (guint64) base62_value (random30[30 + k]);
  guint32 crc = 0xffffffffu;
  for (int k = 0; k < 30; k++)
    {
      crc ^= random30[k];
      for (int b = 0; b < 8; b++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
  return want == (guint64) (crc ^ 0xffffffffu);
}

static gsize
match_github (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  if (detect_at (scan, i, "github_pat_"))
    {
      gsize at = i + 11;
      gsize a = detect_span (scan, at, DETECT_ALNUM, 23);
      gsize b = a == 22 && detect_at (scan, at + 22, "_")
                ? detect_token_body (scan, at + 23, DETECT_ALNUM, DETECT_WORD, 59, 59) : 0;
      return b ? detect_token_accept (scan, DET_GITHUB_TOKEN, i, at + 23 + b, at) : 0;
    }
  if (scan->len - i < 4 || p[i + 3] != '_' || !detect_in (p[i + 2], "pousr"))
    return 0;
  gsize n = detect_token_body (scan, i + 4, DETECT_ALNUM, DETECT_WORD, 36, 36);
  if (n == 0 || !detect_crc32_base62_ok (p + i + 4))
    return 0;
  detect_note (scan, DET_GITHUB_TOKEN, p + i, 40);
  return i + 40;
}

/* Legacy bot tokens carry one numeric id: xoxb-<8-14 digits>-<18-26 alphanumerics>. */
static gsize
match_slack_legacy_bot (DetectScan *scan, gsize i)
{
  gsize d = detect_span (scan, i + 5, DETECT_DIGIT, 15);
  if (d < 8 || d > 14 || !detect_at (scan, i + 5 + d, "-"))
    return 0;
  gsize at = i + 6 + d;
  gsize n = detect_token_body (scan, at, DETECT_ALNUM, DETECT_B64URL, 18, 26);
  return n ? detect_token_accept (scan, DET_SLACK_TOKEN, i, at + n, at) : 0;
}

/* Configuration tokens: xoxe.xoxb-1-<163-166> or xoxe.xoxp-1-<...> (access) and
 * xoxe-1-<146> (refresh), alphanumerics after a one-digit version. */
static gsize
match_slack_config (DetectScan *scan, gsize i)
{
  gsize at = i + 5;
  if (detect_at (scan, i, "xoxe.xoxb-") || detect_at (scan, i, "xoxe.xoxp-"))
    at = i + 10;
  if (!detect_has (scan, at, DETECT_DIGIT) || !detect_at (scan, at + 1, "-"))
    return 0;
  gsize n = detect_token_body (scan, at + 2, DETECT_ALNUM, DETECT_B64URL, 140, 170);
  return n ? detect_token_accept (scan, DET_SLACK_TOKEN, i, at + 2 + n, at + 2) : 0;
}

/* App-level tokens: xapp-<digit>-<app id>-<digits>-<hex secret>
 * (xapp-1-A0123ABCDEF-1234567890123-<64 hex>). */
static gsize
match_slack_app (DetectScan *scan, gsize i)
{
  gsize at = i + 5;
  if (!detect_has (scan, at, DETECT_DIGIT) || !detect_at (scan, at + 1, "-"))
    return 0;
  at += 2;
  gsize a = detect_span (scan, at, DETECT_UPPER | DETECT_DIGIT, 16);
  if (a < 8 || a > 15 || !detect_at (scan, at + a, "-"))
    return 0;
  at += a + 1;
  gsize d = detect_span (scan, at, DETECT_DIGIT, 16);
  if (d < 8 || d > 15 || !detect_at (scan, at + d, "-"))
    return 0;
  at += d + 1;
  gsize n = detect_token_body (scan, at, DETECT_DIGIT | DETECT_LOWER, DETECT_B64URL, 32, 96);
  return n ? detect_token_accept (scan, DET_SLACK_TOKEN, i, at + n, at) : 0;
}

/* Bot and user tokens: xoxb-/xoxp- then two numeric ids of 10-13 digits and a secret;
 * the older app, refresh and session shapes (xoxa-, xoxr-, xoxs-) by length and
 * randomness. */
static gsize
match_slack (DetectScan *scan, gsize i)
{
  char kind = (char) scan->text[i + 3];
  gsize at = i + 5;
  if (kind == 'e')
    return match_slack_config (scan, i);
  if (kind == 'b' || kind == 'p')
    {
      for (int k = 0; k < 2; k++)
        {
          gsize d = detect_span (scan, at, DETECT_DIGIT, 14);
          if (d < 10 || d > 13 || !detect_at (scan, at + d, "-"))
            return kind == 'b' ? match_slack_legacy_bot (scan, i) : 0;
          at += d + 1;
        }
    }
  gsize n = detect_token_body (scan, at, DETECT_ALNUM | DETECT_B64URL, DETECT_B64URL, 20, 160);
  return n ? detect_token_accept (scan, DET_SLACK_TOKEN, i, at + n, at) : 0;
}

/* https://hooks.slack.com/services/T<team>/B<channel>/<24 secret characters> */
static gsize
match_slack_webhook (DetectScan *scan, gsize i)
{
  gsize at = i + strlen ("hooks.slack.com/services/");
  static const char ids[] = "TB";
  for (int k = 0; k < 2; k++)
    {
      if (!detect_at (scan, at, (char[]) { ids[k], 0 }))
        return 0;
      gsize n = detect_span (scan, at + 1, DETECT_UPPER | DETECT_DIGIT, 13);
      if (n < 8 || n > 12 || !detect_at (scan, at + 1 + n, "/"))
        return 0;
      at += n + 2;
    }
  gsize n = detect_token_body (scan, at, DETECT_ALNUM, DETECT_WORD, 24, 24);
  return n ? detect_token_accept (scan, DET_SLACK_TOKEN, i, at + n, at) : 0;
}

/* Key id prefixes that name credentials (AWS IAM "unique identifier prefixes"): AKIA
 * access keys, ASIA temporary keys, ABIA STS service bearer tokens, ACCA
 * context-specific credentials, and A3T plus one character, an older access key form. */
static gboolean
aws_prefix_at (const DetectScan *scan, gsize i)
{
  return detect_at (scan, i, "AKIA") || detect_at (scan, i, "ASIA") || detect_at (scan, i, "ABIA")
         || detect_at (scan, i, "ACCA")
         || (detect_at (scan, i, "A3T") && detect_has (scan, i + 3, DETECT_UPPER | DETECT_DIGIT));
}

static gsize
match_aws (DetectScan *scan, gsize i)
{
  gsize at = i + 4;
  gsize n = 0;
  while (n < 17 && (detect_has (scan, at + n, DETECT_UPPER)
                    || (at + n < scan->len && scan->text[at + n] >= '2'
                        && scan->text[at + n] <= '7')))
    n++;
  if (n != 16 || detect_has (scan, at + n, DETECT_WORD))
    return 0;
  /* AKIAIOSFODNN7EXAMPLE and its kin are AWS's documentation examples. */
  if (memcmp (scan->text + at + 9, "EXAMPLE", 7) == 0 || detect_token_is_placeholder (scan->text + at, 16))
    return 0;
  detect_note (scan, DET_AWS_ACCESS_KEY, scan->text + i, 20);
  detect_aws_secret_after (scan, at + n);
  return at + n;
}

/* A prefix followed by a body of one class; bound is the class that may not follow. */
typedef struct {
  const char *prefix;
  DetectId id;
  guint8 cls, bound;
  guint8 min, max;
} TokenShape;

static const TokenShape shapes[] = {
  { "sk_live_", DET_STRIPE_LIVE_KEY, DETECT_ALNUM, DETECT_WORD, 24, 247 },
  { "rk_live_", DET_STRIPE_LIVE_KEY, DETECT_ALNUM, DETECT_WORD, 24, 247 },
  { "AIza", DET_GOOGLE_API_KEY, DETECT_B64URL, DETECT_B64URL, 35, 35 },
  { "hf_", DET_LLM_API_KEY, DETECT_UPPER | DETECT_LOWER, DETECT_WORD, 34, 34 },
  { "gsk_", DET_LLM_API_KEY, DETECT_ALNUM, DETECT_WORD, 52, 52 },
  { "xai-", DET_LLM_API_KEY, DETECT_ALNUM, DETECT_WORD, 80, 80 },
  { "pplx-", DET_LLM_API_KEY, DETECT_ALNUM, DETECT_WORD, 48, 48 },
};

static gsize
match_shape (DetectScan *scan, gsize i)
{
  for (gsize k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      const TokenShape *s = &shapes[k];
      if (scan->text[i] != (guchar) s->prefix[0] || !detect_at (scan, i, s->prefix))
        continue;
      gsize at = i + strlen (s->prefix);
      gsize n = detect_token_body (scan, at, s->cls, s->bound, s->min, s->max);
      return n ? detect_token_accept (scan, s->id, i, at + n, at) : 0;
    }
  return 0;
}

/* Anthropic keys: sk-ant-api03- or sk-ant-admin01-, then 95 characters ending in AA. */
static gsize
match_anthropic (DetectScan *scan, gsize i, gsize end)
{
  gsize body = i + (detect_at (scan, i, "sk-ant-api03-") ? 13 : 15);
  if (end - body != 95 || memcmp (scan->text + end - 2, "AA", 2) != 0)
    return 0;
  return detect_token_accept (scan, DET_LLM_API_KEY, i, end, body);
}

/* OpenAI keys (sk-, sk-proj-, sk-svcacct-, sk-admin-) carry "T3BlbkFJ", the base64 of
 * "OpenAI", between two random parts of at least 20 characters each. */
static gsize
match_sk_dash (DetectScan *scan, gsize i)
{
  gsize end = detect_run_b64url (scan, i);
  if (detect_at (scan, i, "sk-ant-api03-") || detect_at (scan, i, "sk-ant-admin01-"))
    return match_anthropic (scan, i, end);
  gsize n = end - i;
  if (n > 400)
    return 0;
  const char *p = (const char *) scan->text + i;
  const char *mark = g_strstr_len (p, (gssize) n, "T3BlbkFJ");
  if (mark == NULL || mark - p < 3 + 20 || (gsize) (p + n - (mark + 8)) < 20)
    return 0;
  return detect_token_accept (scan, DET_LLM_API_KEY, i, end, i + 3);
}

gboolean
detect_token_prefix_at (const DetectScan *scan, gsize i)
{
  static const char *const prefixes[] = {
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xoxb-", "xoxp-", "xoxa-",
    "xoxr-", "xoxs-", "xoxe", "xapp-", "AKIA", "ASIA", "ABIA", "ACCA", "A3T", "sk-", "sk_live_", "rk_live_", "AIza", "hf_", "gsk_",
    "xai-", "pplx-", "eyJ", "ewog", "https://hooks.slack.com/", "glpat-", "gldt-", "glrt-",
    "glft-", "glimt-", "glagent-", "gloas-", "glptt-", "glcbt-", "glsoat-", "glffct-",
    "GR1348941", "npm_", "pypi-", "dckr_pat_", "dckr_oat_", "SG.", "shpat_", "shpss_",
    "shpca_", "shppa_", "dop_v1_", "doo_v1_", "dor_v1_", "hvs.", "hvb.", "dapi", "api_org_",
    "ATATT3", "HRKU-AA", "LS0tLS1CRUdJTi",
  };
  for (gsize k = 0; k < G_N_ELEMENTS (prefixes); k++)
    if (detect_at (scan, i, prefixes[k]))
      return TRUE;
  /* Prefixes too short to yield to on their own: Twilio's SK and AC, Mailgun's key-
   * (all before hex) and a Terraform token's ".atlasv1." after 14 characters. */
  if (detect_at (scan, i, "SK") || detect_at (scan, i, "AC") || detect_at (scan, i, "key-"))
    {
      gsize at = i + (scan->text[i] == 'k' ? 4 : 2), n = 0;
      while (n < 32 && at + n < scan->len && g_ascii_isxdigit (scan->text[at + n]))
        n++;
      return n == 32;
    }
  /* An Azure AD client secret: three characters, a digit, "Q~". */
  if (i + 6 <= scan->len && scan->text[i + 4] == 'Q' && scan->text[i + 5] == '~'
      && g_ascii_isdigit (scan->text[i + 3]))
    return TRUE;
  return detect_at (scan, i + 14, ".atlasv1.");
}

gsize
detect_match_token (DetectScan *scan, gsize i)
{
  switch (scan->text[i])
    {
    case 'g':
      if (detect_at (scan, i, "gh") || detect_at (scan, i, "github_pat_"))
        return match_github (scan, i);
      if (detect_at (scan, i, "gl"))      /* glpat-, gldt-, glagent-...: a '-' by the eighth byte */
        return memchr (scan->text + i + 4, '-', MIN ((gsize) 5, scan->len - MIN (scan->len, i + 4))) != NULL
               ? detect_match_vendor (scan, i) : 0;
      return match_shape (scan, i);
    case 'x':
      if (detect_at (scan, i, "xox") && scan->len - i > 5
          && (scan->text[i + 4] == '-' || detect_at (scan, i, "xoxe."))
          && detect_in (scan->text[i + 3], "bparse"))
        return match_slack (scan, i);
      if (detect_at (scan, i, "xapp-"))
        return match_slack_app (scan, i);
      return match_shape (scan, i);
    case 'h':
      if (detect_at (scan, i, "hooks.slack.com/services/"))
        return match_slack_webhook (scan, i);
      return detect_at (scan, i, "hv") ? detect_match_vendor (scan, i) : match_shape (scan, i);
    case 'A':
      if (aws_prefix_at (scan, i))
        return match_aws (scan, i);
      if (detect_at (scan, i, "AIza"))
        return match_shape (scan, i);
      if (detect_at (scan, i, "AC"))
        return detect_match_twilio_sid (scan, i);
      return detect_at (scan, i, "ATATT3") ? detect_match_vendor (scan, i) : 0;
    case 'S':
      return detect_at (scan, i, "SG.") || detect_at (scan, i, "SK") ? detect_match_vendor (scan, i) : 0;
    case 'G':
      return detect_at (scan, i, "GR1348941") ? detect_match_vendor (scan, i) : 0;
    case 'H':
      return detect_at (scan, i, "HRKU-AA") ? detect_match_vendor (scan, i) : 0;
    case 's':
      if (detect_at (scan, i, "sk-"))
        return match_sk_dash (scan, i);
      return detect_at (scan, i, "sh") ? detect_match_vendor (scan, i) : match_shape (scan, i);
    case 'L':
      return detect_match_pem_base64 (scan, i);
    case 'r':
    case 'p':
      return detect_at (scan, i, "py") ? detect_match_vendor (scan, i) : match_shape (scan, i);
    default:
      return detect_match_vendor (scan, i);
    }
}

/* ---- JSON Web Tokens ------------------------------------------------------------- */

#define JWT_HEADER_MAX 1024   /* base64url characters; real headers are under 300 */

/* Decodes base64 into out (room for n * 3 / 4 bytes). url: the base64url alphabet, whose
 * callers have already bounded the run, so any other byte counts as 63; otherwise the
 * standard alphabet ('+' and '/'), stopping at the first byte of no value ('=' padding). */
static gsize
decode_base64 (const guchar *in, gsize n, guchar *out, gboolean url)
{
  guint32 acc = 0;
  int bits = 0;
  gsize o = 0;
  for (gsize k = 0; k < n; k++)
    {
      guchar c = in[k];
      int v = g_ascii_isupper (c) ? c - 'A' : g_ascii_islower (c) ? c - 'a' + 26
              : g_ascii_isdigit (c) ? c - '0' + 52
              : url ? (c == '-' ? 62 : 63)
              : c == '+' ? 62 : c == '/' ? 63 : -1;
      if (v < 0)
        break;
      acc = (acc << 6) | (guint32) v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[o++] = (guchar) (acc >> bits);
        }
    }
  return o;
}

/* The decoded header must parse as a JSON object whose "alg" is a string (RFC 7515
 * §4.1.1 makes alg the one required header parameter). */
static gboolean
jwt_header_ok (const guchar *b64, gsize n)
{
  guchar json[JWT_HEADER_MAX];
  gsize m = decode_base64 (b64, n, json, TRUE);
  g_autoptr (cJSON) header = cJSON_ParseWithLength ((const char *) json, m);
  return cJSON_IsObject (header)
         && cJSON_IsString (cJSON_GetObjectItemCaseSensitive (header, "alg"));
}

/* A JSON object in base64url: "{\"" gives eyJ, "{\n" (a pretty-printed header or
 * payload) gives ewo, "{\r\n" ew0K, "{ " eyA. */
static gboolean
jwt_part_at (const DetectScan *scan, gsize i)
{
  return detect_at (scan, i, "ey") || detect_at (scan, i, "ewo") || detect_at (scan, i, "ew0K");
}

gsize
detect_match_jwt (DetectScan *scan, gsize i)
{
  if (!detect_at (scan, i, "eyJ") && !detect_at (scan, i, "ewo") && !detect_at (scan, i, "ew0K"))
    return 0;
  gsize h_end = detect_run_b64url (scan, i);
  if (h_end - i > JWT_HEADER_MAX || !detect_at (scan, h_end, ".") || !jwt_part_at (scan, h_end + 1))
    return 0;
  gsize p_end = detect_run_b64url (scan, h_end + 1);
  if (p_end - h_end < 5 || !detect_at (scan, p_end, "."))
    return 0;
  gsize s_end = detect_run_b64url (scan, p_end + 1);
  if (detect_at (scan, s_end, ".") || !jwt_header_ok (scan->text + i, h_end - i))
    return 0;
  detect_note (scan, DET_JWT, scan->text + h_end, s_end - h_end);
  return s_end;
}
