/* detect-vendors.c: API tokens of cloud and developer services, found by the prefix
 * their issuer puts in front (glpat-, npm_, pypi-, dckr_pat_, SG., shpat_, dop_v1_,
 * hvs., dapi, SK, ATATT3, HRKU-AA...) and checked for the length, alphabet and, where
 * the issuer publishes one, the checksum of the body.
 *
 * Shapes follow the issuers' documentation where it exists and gitleaks' and
 * TruffleHog's rules otherwise; docs/detectors.md names the source of each. */
#include "detect-private.h"

#include <string.h>

static gboolean
is_hex_lower (guchar c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static gboolean
is_hex (guchar c)
{
  return g_ascii_isxdigit (c);
}

/* Length of the run at at of bytes accepted by ok, stopping at max + 1. */
static gsize
span_fn (const DetectScan *scan, gsize at, gboolean (*ok) (guchar), gsize max)
{
  gsize n = 0;
  while (n <= max && at + n < scan->len && ok (scan->text[at + n]))
    n++;
  return n;
}

/* Exactly n hex digits (lower case when lower) ending at a word boundary. */
static gsize
hex_body (const DetectScan *scan, gsize at, gsize n, gboolean lower)
{
  gsize got = span_fn (scan, at, lower ? is_hex_lower : is_hex, n);
  return got == n && !detect_has (scan, at + n, DETECT_WORD) ? n : 0;
}

/* ---- fixed shapes ----------------------------------------------------------------- */

typedef enum {
  BODY_CLASS,        /* min..max bytes of cls, then not cls2 */
  BODY_HEX,          /* exactly min lower-case hex digits */
  BODY_HEX_ANY,      /* exactly min hex digits of either case */
} BodyKind;

typedef struct {
  const char *prefix;
  DetectId id;
  BodyKind kind;
  guint8 cls, bound;
  guint16 min, max;
} VendorShape;

#define B64URL DETECT_B64URL
#define LETTERS (DETECT_UPPER | DETECT_LOWER)

/* GitLab: "Token prefixes" in GitLab's security documentation (glpat- personal, gldt-
 * deploy, glft- feed, glrt- runner, glimt- incoming mail, glagent- agent, gloas- OAuth
 * app secret, glptt- pipeline trigger, glsoat- SCIM, glffct- feature flags, glcbt- CI
 * job). Routable tokens (glpat-<27+>.<2><7>) are read by gitlab_routable below. */
static const VendorShape shapes[] = {
  { "glpat-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  { "gldt-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  { "glft-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  { "glrt-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  { "glsoat-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  { "glffct-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  { "glimt-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 25, 25 },
  { "glagent-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 50, 50 },
  { "gloas-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 64, 64 },
  { "glcbt-", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 22, 26 },
  { "glptt-", DET_GITLAB_TOKEN, BODY_HEX, 0, 0, 40, 40 },
  { "GR1348941", DET_GITLAB_TOKEN, BODY_CLASS, B64URL, B64URL, 20, 20 },
  /* Docker Hub personal and organisation access tokens. */
  { "dckr_pat_", DET_DOCKER_HUB_TOKEN, BODY_CLASS, B64URL, B64URL, 27, 27 },
  { "dckr_oat_", DET_DOCKER_HUB_TOKEN, BODY_CLASS, B64URL, B64URL, 32, 32 },
  /* Shopify admin API access tokens and shared secrets. */
  { "shpat_", DET_SHOPIFY_TOKEN, BODY_HEX_ANY, 0, 0, 32, 32 },
  { "shpss_", DET_SHOPIFY_TOKEN, BODY_HEX_ANY, 0, 0, 32, 32 },
  { "shpca_", DET_SHOPIFY_TOKEN, BODY_HEX_ANY, 0, 0, 32, 32 },
  { "shppa_", DET_SHOPIFY_TOKEN, BODY_HEX_ANY, 0, 0, 32, 32 },
  /* DigitalOcean personal, OAuth and refresh tokens. */
  { "dop_v1_", DET_DIGITALOCEAN_TOKEN, BODY_HEX, 0, 0, 64, 64 },
  { "doo_v1_", DET_DIGITALOCEAN_TOKEN, BODY_HEX, 0, 0, 64, 64 },
  { "dor_v1_", DET_DIGITALOCEAN_TOKEN, BODY_HEX, 0, 0, 64, 64 },
  /* HashiCorp Vault service and batch tokens (Vault 1.10 token formats). */
  { "hvs.", DET_HASHICORP_TOKEN, BODY_CLASS, B64URL, B64URL, 90, 120 },
  { "hvb.", DET_HASHICORP_TOKEN, BODY_CLASS, B64URL, B64URL, 138, 300 },
  /* Hugging Face organisation tokens (user tokens hf_ are in detect-keys.c). */
  { "api_org_", DET_LLM_API_KEY, BODY_CLASS, LETTERS, DETECT_WORD, 34, 34 },
  /* Twilio API key SIDs: SK and 32 hex digits. */
  { "SK", DET_TWILIO_KEY, BODY_HEX_ANY, 0, 0, 32, 32 },
  /* Atlassian API tokens: ATATT3 and 186 characters (the last 9 are "=" and a CRC). */
  { "ATATT3", DET_ATLASSIAN_TOKEN, BODY_CLASS, B64URL | DETECT_B64, B64URL | DETECT_B64, 186, 186 },
  /* Heroku platform API keys, 2024 format. */
  { "HRKU-AA", DET_HEROKU_KEY, BODY_CLASS, B64URL, B64URL, 58, 58 },
};

static gsize
shape_body (const DetectScan *scan, const VendorShape *s, gsize at)
{
  switch (s->kind)
    {
    case BODY_HEX:
      return hex_body (scan, at, s->min, TRUE);
    case BODY_HEX_ANY:
      return hex_body (scan, at, s->min, FALSE);
    default:
      return detect_token_body (scan, at, s->cls, s->bound, s->min, s->max);
    }
}

/* glpat-<27 to 300>.<2 base36><7 base36>: GitLab 17's routable tokens. */
static gsize
gitlab_routable (DetectScan *scan, gsize i, gsize at)
{
  gsize end = detect_run_b64url (scan, at);
  if (end - at < 27 || end - at > 300 || !detect_at (scan, end, "."))
    return 0;
  gsize n = 0;
  while (n < 10 && (detect_has (scan, end + 1 + n, DETECT_DIGIT | DETECT_LOWER)))
    n++;
  if (n != 9 || detect_has (scan, end + 1 + n, DETECT_WORD))
    return 0;
  return detect_token_accept (scan, DET_GITLAB_TOKEN, i, end + 1 + n, at);
}

static gsize
match_shapes (DetectScan *scan, gsize i)
{
  for (gsize k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      const VendorShape *s = &shapes[k];
      if (scan->text[i] != (guchar) s->prefix[0] || !detect_at (scan, i, s->prefix))
        continue;
      gsize at = i + strlen (s->prefix);
      gsize n = shape_body (scan, s, at);
      if (n == 0 && (k == 0 || strcmp (s->prefix, "glrt-") == 0))
        return gitlab_routable (scan, i, at);   /* glpat- is shapes[0] */
      return n ? detect_token_accept (scan, s->id, i, at + n, at) : 0;
    }
  return 0;
}

/* ---- shapes with more structure --------------------------------------------------- */

/* npm access tokens (2021 format): npm_, 30 random base62 characters and their CRC-32
 * in six base62 digits, as GitHub's ("Announcing npm's new access token format"). */
static gsize
match_npm (DetectScan *scan, gsize i)
{
  gsize n = detect_token_body (scan, i + 4, DETECT_ALNUM, DETECT_WORD, 36, 36);
  if (n == 0 || !detect_crc32_base62_ok (scan->text + i + 4))
    return 0;
  detect_note (scan, DET_NPM_TOKEN, scan->text + i, 40);
  return i + 40;
}

/* PyPI API tokens are macaroons: pypi- and the base64 of a macaroon whose location is
 * pypi.org (or test.pypi.org), so the body starts with the same 14 characters. */
static gsize
match_pypi (DetectScan *scan, gsize i)
{
  static const char *const heads[] = { "pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw" };
  for (gsize k = 0; k < G_N_ELEMENTS (heads); k++)
    if (detect_at (scan, i, heads[k]))
      {
        gsize at = i + strlen (heads[k]);
        gsize end = detect_run_b64url (scan, at);
        if (end - at < 50 || end - at > 1000)
          return 0;
        return detect_token_accept (scan, DET_PYPI_TOKEN, i, end, at);
      }
  return 0;
}

/* SendGrid API keys: SG., 22 characters of key id, '.', 43 of secret (66 in all). */
static gsize
match_sendgrid (DetectScan *scan, gsize i)
{
  gsize at = i + 3;
  gsize a = detect_span (scan, at, B64URL, 23);
  if (a != 22 || !detect_at (scan, at + a, "."))
    return 0;
  gsize b = detect_token_body (scan, at + 23, B64URL, B64URL, 43, 43);
  return b ? detect_token_accept (scan, DET_SENDGRID_KEY, i, at + 23 + b, at) : 0;
}

/* Databricks personal access tokens: dapi, 32 lower-case hex digits, optionally -<digit>. */
static gsize
match_databricks (DetectScan *scan, gsize i)
{
  gsize at = i + 4;
  gsize n = span_fn (scan, at, is_hex_lower, 32);
  if (n != 32)
    return 0;
  gsize end = at + n;
  if (detect_at (scan, end, "-") && detect_has (scan, end + 1, DETECT_DIGIT)
      && !detect_has (scan, end + 2, DETECT_WORD))
    end += 2;
  else if (detect_has (scan, end, DETECT_WORD))
    return 0;
  return detect_token_accept (scan, DET_DATABRICKS_TOKEN, i, end, at);
}

/* Terraform Cloud / Enterprise API tokens: 14 alphanumerics, ".atlasv1.", 60 to 70 of
 * [A-Za-z0-9_=-]. The anchor is "atlasv1"; the token starts 15 bytes before it. */
static gsize
match_atlas (DetectScan *scan, gsize i)
{
  if (i < 15 || !detect_at (scan, i, "atlasv1.") || scan->text[i - 1] != '.'
      || detect_span (scan, i - 15, DETECT_ALNUM, 14) != 14
      || (i >= 16 && detect_has (scan, i - 16, DETECT_WORD)))
    return 0;
  gsize at = i + 8;
  gsize n = detect_token_body (scan, at, B64URL | DETECT_B64, B64URL | DETECT_B64, 60, 70);
  return n ? detect_token_accept (scan, DET_HASHICORP_TOKEN, i - 15, at + n, at) : 0;
}

/* Mailgun private API keys: key- and 32 lower-case hex digits. "key-" is a common
 * prefix of cache keys too, so "mailgun" must appear in the 80 bytes before. */
static gboolean
mailgun_before (const DetectScan *scan, gsize i)
{
  gsize from = i > 80 ? i - 80 : 0;
  for (gsize k = from; k + 7 <= i; k++)
    if (detect_lower (scan->text[k]) == 'm' && g_ascii_strncasecmp ((const char *) scan->text + k, "mailgun", 7) == 0)
      return TRUE;
  return FALSE;
}

static gsize
match_mailgun (DetectScan *scan, gsize i)
{
  gsize n = hex_body (scan, i + 4, 32, TRUE);
  if (n == 0 || !mailgun_before (scan, i))
    return 0;
  return detect_token_accept (scan, DET_MAILGUN_KEY, i, i + 4 + n, i + 4);
}

gsize
detect_match_vendor (DetectScan *scan, gsize i)
{
  if (detect_at (scan, i, "npm_"))
    return match_npm (scan, i);
  if (detect_at (scan, i, "pypi-"))
    return match_pypi (scan, i);
  if (detect_at (scan, i, "SG."))
    return match_sendgrid (scan, i);
  if (detect_at (scan, i, "dapi"))
    return match_databricks (scan, i);
  if (detect_at (scan, i, "atlasv1."))
    return match_atlas (scan, i);
  if (detect_at (scan, i, "key-"))
    return match_mailgun (scan, i);
  return match_shapes (scan, i);
}
