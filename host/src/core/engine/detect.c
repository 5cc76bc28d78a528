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
  if (c == '-' || c == '=' || c == ':')
    k |= DETECT_ANCHOR;
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

gboolean
detect_at (const DetectScan *scan, gsize i, const char *lit)
{
  gsize n = strlen (lit);
  return i <= scan->len && scan->len - i >= n && memcmp (scan->text + i, lit, n) == 0;
}

gsize
detect_span (const DetectScan *scan, gsize i, guint8 cls, gsize max)
{
  gsize n = 0;
  while (n < max && detect_has (scan, i + n, cls))
    n++;
  return n;
}

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

/* FNV-1a, 64 bits, seeded with the detector id: the digest only tells equal values
 * apart within one scan and is dropped with it. */
void
detect_note (DetectScan *scan, DetectId id, const guchar *value, gsize n)
{
  guint64 h = 14695981039346656037ULL ^ (guint64) id;
  for (gsize i = 0; i < n; i++)
    h = (h ^ value[i]) * 1099511628211ULL;
  g_array_append_val (scan->seen[id], h);
}

/* ---- the scan -------------------------------------------------------------------- */

/* At a word start: the first byte picks the matchers that can begin there. */
static gsize
scan_word (DetectScan *scan, gsize i)
{
  guchar c = scan->text[i];
  if (g_ascii_isdigit (c))
    return detect_match_number (scan, i);
  gsize end = 0;
  if (g_ascii_isupper (c))
    end = detect_match_iban (scan, i);
  if (end == 0 && c == 'e')
    end = detect_match_jwt (scan, i);
  if (end == 0)
    end = detect_match_token (scan, i);
  return end;
}

static gsize
scan_punct (DetectScan *scan, gsize i)
{
  if (scan->text[i] == '-')
    return detect_match_private_key (scan, i);
  return detect_match_assignment (scan, i);
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
  g_array_sort (digests, digest_cmp);
  guint n = 0;
  for (guint i = 0; i < digests->len; i++)
    if (i == 0 || g_array_index (digests, guint64, i) != g_array_index (digests, guint64, i - 1))
      n++;
  return n;
}

static void
scan_walk (DetectScan *scan)
{
  const guchar *p = scan->text;
  gsize i = 0, len = scan->len;
  while (i < len)
    {
      guint8 k = class_table[p[i]];
      gsize end = 0;
      if (k & DETECT_WORD)
        {
          end = scan_word (scan, i);
          if (end == 0)
            for (i++; i < len && (class_table[p[i]] & DETECT_WORD); i++)
              ;
        }
      else if (k & DETECT_ANCHOR)
        {
          end = scan_punct (scan, i);
          if (end == 0)
            i++;
        }
      else
        i++;
      if (end > i)
        i = end;
    }
}

/* An AWS credential is a key id and its secret; either alone still counts, so the
 * count is the larger of distinct ids and distinct secrets. */
static guint
detector_count (DetectScan *scan, int d)
{
  guint count = distinct_count (scan->seen[d]);
  if (d == DET_AWS_ACCESS_KEY)
    count = MAX (count, distinct_count (scan->seen[DET_AWS_SECRET]));
  return count;
}

void
detect_scan (const char *text, gsize len, GArray *hits)
{
  g_return_if_fail (text != NULL || len == 0);
  class_table_init ();
  DetectScan scan = { .text = (const guchar *) text, .len = len };
  for (int d = 0; d < DET_SLOTS; d++)
    scan.seen[d] = g_array_new (FALSE, FALSE, sizeof (guint64));
  scan_walk (&scan);
  for (int d = 0; d < DET_N; d++)
    {
      guint count = detector_count (&scan, d);
      if (count > 0)
        g_array_append_val (hits, ((DetectHit) { &detectors[d], count }));
    }
  for (int d = 0; d < DET_SLOTS; d++)
    g_array_free (scan.seen[d], TRUE);
}
