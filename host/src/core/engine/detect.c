#include "detect.h"

#include <string.h>

/* Placeholder set: a PEM private-key block and Luhn-valid 16-digit card numbers.
 * The full detector set replaces this file. */

static const DetectorInfo detectors[] = {
  { "private-key", "Private key", DETECT_SEVERITY_HIGH },
  { "aws-access-key", "AWS access key", DETECT_SEVERITY_HIGH },
  { "github-token", "GitHub token", DETECT_SEVERITY_HIGH },
  { "slack-token", "Slack token", DETECT_SEVERITY_HIGH },
  { "stripe-live-key", "Stripe live key", DETECT_SEVERITY_HIGH },
  { "google-api-key", "Google API key", DETECT_SEVERITY_HIGH },
  { "llm-api-key", "AI provider API key", DETECT_SEVERITY_HIGH },
  { "jwt", "JSON Web Token", DETECT_SEVERITY_HIGH },
  { "generic-secret", "Password or secret in configuration", DETECT_SEVERITY_MEDIUM },
  { "credit-card", "Payment card number", DETECT_SEVERITY_MEDIUM },
  { "iban", "IBAN", DETECT_SEVERITY_MEDIUM },
  { "us-ssn", "US social security number", DETECT_SEVERITY_MEDIUM },
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

static gboolean
luhn_ok (const char *digits, gsize n)
{
  guint sum = 0;
  for (gsize i = 0; i < n; i++)
    {
      guint d = (guint) (digits[n - 1 - i] - '0');
      if (i % 2 == 1)
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
  return sum % 10 == 0;
}

static guint
count_cards (const char *text, gsize len)
{
  guint count = 0;
  char digits[20];
  gsize nd = 0;
  for (gsize i = 0; i <= len; i++)
    {
      char c = i < len ? text[i] : '\0';
      if (c >= '0' && c <= '9')
        {
          if (nd < sizeof digits)
            digits[nd] = c;
          nd++;
          continue;
        }
      if ((c == ' ' || c == '-') && nd > 0 && nd < 19)
        continue;
      if (nd == 16 && luhn_ok (digits, nd))
        count++;
      nd = 0;
    }
  return count;
}

/* The longest PEM header line worth reading ("-----BEGIN ENCRYPTED PRIVATE KEY-----"
 * is 37 bytes). Looking no further keeps the scan linear: searching each "BEGIN" to
 * its end of line made a megabyte of "-----BEGIN " with no newline quadratic
 * (bench/bench-linear). */
#define PEM_HEADER_MAX 80

static guint
count_private_keys (const char *text, gsize len)
{
  static const char begin[] = "-----BEGIN ";
  guint count = 0;
  const char *p = text, *end = text + len;
  while ((p = memmem (p, (gsize) (end - p), begin, sizeof begin - 1)) != NULL)
    {
      gsize line = MIN ((gsize) (end - p), PEM_HEADER_MAX);
      const char *eol = memchr (p, '\n', line);
      if (eol != NULL)
        line = (gsize) (eol - p);
      if (memmem (p, line, "PRIVATE KEY-----", 16) != NULL)
        count++;
      p += sizeof begin - 1;
    }
  return count;
}

void
detect_scan (const char *text, gsize len, GArray *hits)
{
  guint keys = count_private_keys (text, len);
  guint cards = count_cards (text, len);
  if (keys > 0)
    g_array_append_val (hits, ((DetectHit) { detect_lookup ("private-key"), keys }));
  if (cards > 0)
    g_array_append_val (hits, ((DetectHit) { detect_lookup ("credit-card"), cards }));
}
