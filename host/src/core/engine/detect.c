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
  if (g_ascii_isdigit (c) || g_ascii_isupper (c) || (c != 0 && strchr ("eghprsx", c)))
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

/* At a word start: the first two bytes pick the matchers that can begin there, so
 * that ordinary words cost one switch. */
static gsize
scan_word (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text + i;
  guchar c = p[0], d = i + 1 < scan->len ? p[1] : 0;
  switch (c)
    {
    case 'e':
      return d == 'y' ? detect_match_jwt (scan, i) : 0;
    case 'g':
      return d == 'h' || d == 'i' || d == 's' ? detect_match_token (scan, i) : 0;
    case 'h':
      return d == 'o' || d == 'f' ? detect_match_token (scan, i) : 0;
    case 'p':
      return d == 'p' ? detect_match_token (scan, i) : 0;
    case 'r':
    case 's':
      return d == 'k' ? detect_match_token (scan, i) : 0;
    case 'x':
      return d == 'o' || d == 'a' ? detect_match_token (scan, i) : 0;
    default:
      break;
    }
  if (class_table[c] & DETECT_DIGIT)
    return (class_table[d] & DETECT_DIGIT) && detect_has (scan, i + 2, DETECT_DIGIT)
           ? detect_match_number (scan, i) : 0;
  if (!(class_table[d] & DETECT_UPPER))
    return 0;
  gsize end = detect_match_iban (scan, i);
  if (end == 0 && c == 'A')
    end = detect_match_token (scan, i);
  return end;
}

static gsize
scan_punct (DetectScan *scan, gsize i)
{
  if (scan->text[i] == '-')
    return detect_at (scan, i, "-----BEGIN ") ? detect_match_private_key (scan, i) : 0;
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

/* An anchor is a start byte (DETECT_START) that begins a word, or a punctuation anchor.
 * Returns where to look next: past an accepted match, else the next byte. */
static gsize
scan_anchor (DetectScan *scan, gsize i)
{
  guint8 k = class_table[scan->text[i]];
  gsize end = 0;
  if (k & DETECT_ANCHOR)
    end = scan_punct (scan, i);
  else if ((k & DETECT_START) && (i == 0 || !(class_table[scan->text[i - 1]] & DETECT_WORD)))
    end = scan_word (scan, i);
  return end > i ? end : i + 1;
}

#if defined (__SSE2__) && !defined (DETECT_NO_SIMD)
#include <emmintrin.h>

/* Bytes of v in [lo, hi], as a 0xff/0x00 lane mask. */
static inline __m128i
lanes_in (__m128i v, char lo, char hi)
{
  __m128i t = _mm_sub_epi8 (v, _mm_set1_epi8 (lo));
  return _mm_cmpeq_epi8 (_mm_min_epu8 (t, _mm_set1_epi8 ((char) (hi - lo))), t);
}

static inline __m128i
lanes_eq (__m128i v, char c)
{
  return _mm_cmpeq_epi8 (v, _mm_set1_epi8 (c));
}

static inline __m128i
lanes_or (__m128i a, __m128i b)
{
  return _mm_or_si128 (a, b);
}

/* Candidate starts among the 16 bytes at p, judged on each byte and the next one with
 * the gates scan_word applies (two digits, two capitals, or a two-letter prefix of a
 * token), as a bit mask: sixteen bytes in a few dozen instructions instead of a branch
 * per byte, and ordinary words never reach scan_word. Reads p[0..16]. */
static inline guint
candidates16 (const guchar *p, gboolean prev_word)
{
  __m128i v = _mm_loadu_si128 ((const __m128i *) p);
  __m128i w = _mm_loadu_si128 ((const __m128i *) (p + 1));
  __m128i digit = lanes_in (v, '0', '9'), upper = lanes_in (v, 'A', 'Z');
  __m128i word = lanes_or (lanes_or (digit, upper), lanes_or (lanes_in (v, 'a', 'z'), lanes_eq (v, '_')));
  __m128i pairs = lanes_or (
      lanes_or (_mm_and_si128 (digit, lanes_in (w, '0', '9')), _mm_and_si128 (upper, lanes_in (w, 'A', 'Z'))),
      lanes_or (_mm_and_si128 (lanes_eq (v, 'e'), lanes_eq (w, 'y')),
                _mm_and_si128 (lanes_or (lanes_eq (v, 'r'), lanes_eq (v, 's')), lanes_eq (w, 'k'))));
  pairs = lanes_or (pairs, _mm_and_si128 (lanes_eq (v, 'g'),
                                          lanes_or (lanes_or (lanes_eq (w, 'h'), lanes_eq (w, 'i')),
                                                    lanes_eq (w, 's'))));
  pairs = lanes_or (pairs, _mm_and_si128 (lanes_eq (v, 'h'), lanes_or (lanes_eq (w, 'o'), lanes_eq (w, 'f'))));
  pairs = lanes_or (pairs, _mm_and_si128 (lanes_eq (v, 'x'), lanes_or (lanes_eq (w, 'o'), lanes_eq (w, 'a'))));
  pairs = lanes_or (pairs, _mm_and_si128 (lanes_eq (v, 'p'), lanes_eq (w, 'p')));
  __m128i punct = lanes_or (_mm_and_si128 (lanes_eq (v, '-'), lanes_eq (w, '-')),
                            lanes_or (lanes_eq (v, '='), lanes_eq (v, ':')));
  guint words = (guint) _mm_movemask_epi8 (word);
  guint after_word = ((words << 1) | (prev_word ? 1u : 0u)) & 0xffffu;
  return ((guint) _mm_movemask_epi8 (pairs) & ~after_word) | (guint) _mm_movemask_epi8 (punct);
}

/* Walks sixteen bytes at a time; returns where the scalar walk takes over. */
static gsize
scan_walk_blocks (DetectScan *scan)
{
  const guchar *p = scan->text;
  gsize i = 0;
  while (i + 17 <= scan->len)
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
#else
static gsize
scan_walk_blocks (DetectScan *scan)
{
  return 0;
}
#endif

static void
scan_walk (DetectScan *scan)
{
  gsize i = scan_walk_blocks (scan);
  while (i < scan->len)
    {
      guint8 k = class_table[scan->text[i]];
      i = (k & (DETECT_START | DETECT_ANCHOR)) ? scan_anchor (scan, i) : i + 1;
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
