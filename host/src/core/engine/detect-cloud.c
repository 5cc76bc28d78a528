/* detect-cloud.c: cloud credentials told by their structure and their neighbours rather
 * than by a prefix of their own: Azure storage and Service Bus keys in connection
 * strings, shared access signatures, Azure AD (Entra ID) client secrets, Twilio
 * account SIDs and the auth tokens beside them, and AWS secret access keys beside an
 * access key id.
 *
 * Sources: Microsoft's connection-string and SAS documentation ("Configure Azure
 * Storage connection strings", "Create a service SAS"), the client-secret format that
 * gitleaks' azure-ad-client-secret rule reads, Twilio's "Account SID and Auth Token"
 * pages, AWS IAM's "Managing access keys". docs/detectors.md has the limits. */
#include "detect-private.h"

#include <string.h>

#define NEAR 256          /* how far a credential's other half is looked for */

/* The well-known key of the Azure Storage emulator (Azurite): published, not secret. */
static const char azurite_key[] =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

static gboolean
is_b64 (guchar c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* n bytes of base64 of which exactly `pad` trailing are '=' (a key of 64 bytes is 88
 * characters with "==", one of 32 bytes 44 with "="). */
static gboolean
b64_exact (const guchar *v, gsize n, gsize want, gsize pad)
{
  if (n != want)
    return FALSE;
  for (gsize k = 0; k < n; k++)
    if (k < n - pad ? !is_b64 (v[k]) : v[k] != '=')
      return FALSE;
  return TRUE;
}

static gboolean
random_enough (const guchar *v, gsize n, double floor)
{
  return detect_entropy (v, n) >= floor && !detect_token_is_placeholder (v, n);
}

/* TRUE when word (lower case, 3 to 16 bytes) occurs, case-insensitively, in
 * text[from, to). */
static gboolean
word_near (const DetectScan *scan, gsize from, gsize to, const char *word)
{
  gsize len = strlen (word);
  char first = word[0];
  for (gsize k = from; k + len <= to && k + len <= scan->len; k++)
    if (detect_lower (scan->text[k]) == first
        && g_ascii_strncasecmp ((const char *) scan->text + k, word, len) == 0)
      return TRUE;
  return FALSE;
}

/* ---- Azure ---------------------------------------------------------------------- */

gboolean
detect_cloud_key (const char *key, gsize n)
{
  switch (n)
    {
    case 3:
      return memcmp (key, "sig", 3) == 0;
    case 10:
      return memcmp (key, "accountkey", 10) == 0;
    case 15:
      return memcmp (key, "sharedaccesskey", 15) == 0;
    default:
      return FALSE;
    }
}

/* The signature of a SAS (sig=): the base64 of an HMAC-SHA256, 43 characters and '=',
 * usually percent-encoded (%2B, %2F, %3D). 40 to 48 characters are taken, as peers'
 * test cases (and truncated copies) are not always exact. Decodes into out and sets *len;
 * FALSE when the value is anything else. */
#define SAS_SIG_MIN 40
#define SAS_SIG_MAX 48

static gboolean
sas_signature (const guchar *v, gsize n, guchar out[SAS_SIG_MAX], gsize *len)
{
  gsize o = 0, pad = 0;
  for (gsize k = 0; k < n; k++)
    {
      guchar c = v[k];
      if (c == '%' && k + 2 < n)
        {
          char hex[3] = { (char) v[k + 1], (char) v[k + 2], 0 };
          c = (guchar) (g_ascii_strcasecmp (hex, "2B") == 0 ? '+' : g_ascii_strcasecmp (hex, "2F") == 0 ? '/'
                        : g_ascii_strcasecmp (hex, "3D") == 0 ? '=' : 0);
          k += 2;
        }
      if (c == 0 || o == SAS_SIG_MAX || (c == '=' ? ++pad > 2 : !is_b64 (c) || pad > 0))
        return FALSE;
      out[o++] = c;
    }
  *len = o - pad;
  return o >= SAS_SIG_MIN;
}

/* A SAS names its signed version (sv=2021-06-08) before the signature, in the same
 * query or connection string. */
static gboolean
sas_version_before (const DetectScan *scan, gsize value)
{
  gsize from = value > 600 ? value - 600 : 0;
  for (gsize k = from; k + 5 < value; k++)
    if (scan->text[k] == 's' && detect_at (scan, k, "sv=") && g_ascii_isdigit (scan->text[k + 3])
        && (k == 0 || detect_in (scan->text[k - 1], "?&;\"' \n=")))
      return TRUE;
  return FALSE;
}

/* At an assignment whose key is one of detect_cloud_key's: AccountKey=<88 base64>
 * (storage and Cosmos DB connection strings), SharedAccessKey=<44 base64> (Service
 * Bus, Event Hubs, IoT Hub) and sig=<SAS signature> after sv=. Returns the end of the
 * value when it is one, else 0. */
gsize
detect_match_cloud_value (DetectScan *scan, const char *key, gsize value, gsize n, gsize end)
{
  const guchar *v = scan->text + value;
  if (strcmp (key, "sig") == 0)
    {
      guchar sig[SAS_SIG_MAX];
      gsize len = 0;
      if (!sas_signature (v, n, sig, &len) || !random_enough (sig, len, 4.0) || !sas_version_before (scan, value))
        return 0;
      detect_note (scan, DET_AZURE_KEY, sig, len);
      return end;
    }
  gboolean account = key[0] == 'a';
  if (!b64_exact (v, n, account ? 88 : 44, account ? 2 : 1) || !random_enough (v, n, 4.0)
      || (account && memcmp (v, azurite_key, 88) == 0))
    return 0;
  detect_note (scan, DET_AZURE_KEY, v, n);
  return end;
}

/* A storage or Cosmos DB account key assigned to a name that says so
 * (AZURE_STORAGE_KEY=, "storageAccountKey":, cosmosKey:, key1 of `az storage account
 * keys list`): 88 base64 ending "==" under a key naming azure, storage, cosmos or
 * account, or key1/key2. */
gboolean
detect_azure_storage_key (const char *key, const guchar *v, gsize n)
{
  if (!b64_exact (v, n, 88, 2) || memcmp (v, azurite_key, 88) == 0 || !random_enough (v, n, 4.0))
    return FALSE;
  return strstr (key, "azure") != NULL || strstr (key, "storage") != NULL || strstr (key, "cosmos") != NULL
         || strstr (key, "account") != NULL || strcmp (key, "key1") == 0 || strcmp (key, "key2") == 0;
}

static gboolean
is_ad_secret_byte (guchar c)
{
  return g_ascii_isalnum (c) || detect_in (c, "_~.-");
}

/* Azure AD (Entra ID) client secrets, 2022 format: three characters, a digit, "Q~",
 * then 31 to 34 characters of [A-Za-z0-9_~.-] (40 in all as issued). At i is the '~'. */
gsize
detect_match_azure_ad (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  if (i < 5 || p[i - 1] != 'Q' || !g_ascii_isdigit (p[i - 2]))
    return 0;
  gsize start = i - 5;
  for (gsize k = start; k < i - 2; k++)
    if (!g_ascii_isalnum (p[k]) && !detect_in (p[k], "_~."))
      return 0;
  if (start > 0 && is_ad_secret_byte (p[start - 1]))
    return 0;
  gsize n = 0;
  while (n <= 34 && i + 1 + n < scan->len && is_ad_secret_byte (p[i + 1 + n]))
    n++;
  if (n < 31 || n > 34)
    return 0;
  gsize end = i + 1 + n;
  if (!random_enough (p + start, end - start, 3.5))
    return 0;
  detect_note (scan, DET_AZURE_KEY, p + start, end - start);
  return end;
}

/* ---- Twilio --------------------------------------------------------------------- */

static gboolean
is_hex_lower (guchar c)
{
  return g_ascii_isdigit (c) || (c >= 'a' && c <= 'f');
}

/* 32 lower-case hex digits at k that end a word. */
static gboolean
hex32_ends_word (const DetectScan *scan, gsize k)
{
  if (k + 32 > scan->len)
    return FALSE;
  for (gsize j = 0; j < 32; j++)
    if (!is_hex_lower (scan->text[k + j]))
      return FALSE;
  return !detect_has (scan, k + 32, DETECT_WORD);
}

/* 32 lower-case hex digits at k, a whole word. */
static gboolean
hex32_at (const DetectScan *scan, gsize k)
{
  return (k == 0 || !detect_has (scan, k - 1, DETECT_WORD)) && hex32_ends_word (scan, k);
}

/* An account SID (AC + 32 hex) in text[from, to). */
static gboolean
twilio_sid_in (const DetectScan *scan, gsize from, gsize to)
{
  for (gsize k = from; k + 34 <= to && k + 34 <= scan->len; k++)
    if (scan->text[k] == 'A' && scan->text[k + 1] == 'C' && hex32_ends_word (scan, k + 2)
        && (k == 0 || !detect_has (scan, k - 1, DETECT_WORD)))
      return TRUE;
  return FALSE;
}

/* An auth token (32 hex under a key naming an auth token) is Twilio's when "twilio" or an
 * account SID is near: Twilio's own samples set account_sid and auth_token side by side. */
gboolean
detect_twilio_token (const DetectScan *scan, const char *key, const guchar *v, gsize n)
{
  gsize at = (gsize) (v - scan->text);
  if (n != 32 || !hex32_at (scan, at))
    return FALSE;
  if (strstr (key, "twilio") != NULL)
    return strstr (key, "token") != NULL || strstr (key, "secret") != NULL || strstr (key, "auth") != NULL;
  if (strstr (key, "auth") == NULL || strstr (key, "token") == NULL)
    return FALSE;
  gsize from = at > NEAR ? at - NEAR : 0, to = MIN (scan->len, at + 32 + NEAR);
  return word_near (scan, from, to, "twilio") || twilio_sid_in (scan, from, to);
}

/* Twilio account SIDs, AC + 32 lower-case hex: the user half of Twilio's credential,
 * reported like an AWS key id. An auth token (32 hex, a word of its own) within NEAR
 * bytes after it is the other half (Client("AC...", "...")): noted as the secret and
 * claimed, so that generic-secret does not count it again. */
gsize
detect_match_twilio_sid (DetectScan *scan, gsize i)
{
  if (!hex32_ends_word (scan, i + 2) || detect_token_is_placeholder (scan->text + i + 2, 32)
      || detect_entropy (scan->text + i + 2, 32) < 3.0)
    return 0;
  detect_note (scan, DET_TWILIO_KEY, scan->text + i, 34);
  gsize end = i + 34, to = MIN (scan->len, end + NEAR);
  for (gsize k = end; k + 32 <= to; k++)
    if (is_hex_lower (scan->text[k]) && hex32_at (scan, k)
        && !detect_token_is_placeholder (scan->text + k, 32) && detect_entropy (scan->text + k, 32) >= 3.0)
      {
        detect_note (scan, DET_TWILIO_SECRET, scan->text + k, 32);
        scan->claimed = k;
        break;
      }
  return end;
}

/* ---- AWS secret access keys beside their key id --------------------------------- */

/* 40 characters of [A-Za-z0-9/+] as a whole word, with upper case, lower case and a
 * digit and near-random: what AWS issues (a git SHA-1 is hex, base64 data is longer). */
static gboolean
aws_secret_at (const DetectScan *scan, gsize k)
{
  const guchar *p = scan->text;
  if (k + 40 > scan->len || (k > 0 && (is_b64 (p[k - 1]) || p[k - 1] == '=')))
    return FALSE;
  gboolean upper = FALSE, lower = FALSE, digit = FALSE;
  for (gsize j = 0; j < 40; j++)
    {
      guchar c = p[k + j];
      if (!is_b64 (c))
        return FALSE;
      upper |= g_ascii_isupper (c) != 0;
      lower |= g_ascii_islower (c) != 0;
      digit |= g_ascii_isdigit (c) != 0;
    }
  if (k + 40 < scan->len && (is_b64 (p[k + 40]) || p[k + 40] == '='))
    return FALSE;
  return upper && lower && digit && random_enough (p + k, 40, 4.0)
         && g_strstr_len ((const char *) p + k, 40, "EXAMPLE") == NULL;
}

/* After an access key id ending at end: the first secret-shaped word within NEAR bytes
 * (the CSV the console downloads, `aws configure` answers, a .env or JSON pair). */
void
detect_aws_secret_after (DetectScan *scan, gsize end)
{
  gsize to = MIN (scan->len, end + NEAR);
  gsize k = end;
  if (k >= scan->aws_clear_from && k < scan->aws_clear_to)
    k = scan->aws_clear_to;      /* searched for the key id before this one: none there */
  for (; k + 40 <= to; k++)
    if (is_b64 (scan->text[k]) && aws_secret_at (scan, k))
      {
        detect_note (scan, DET_AWS_SECRET, scan->text + k, 40);
        scan->claimed = k;
        return;
      }
  scan->aws_clear_from = end;
  scan->aws_clear_to = MAX (k, end);
}

/* A 40-character secret assigned to a key naming a secret, with "aws" in the key or an
 * access key id within NEAR bytes before ("aws:\n  secret: ..."). */
gboolean
detect_aws_secret_by_keyword (const DetectScan *scan, const char *key, const guchar *v, gsize n)
{
  gsize at = (gsize) (v - scan->text);
  if (n != 40 || strstr (key, "secret") == NULL || !aws_secret_at (scan, at))
    return FALSE;
  gsize from = at > NEAR ? at - NEAR : 0;
  return strstr (key, "aws") != NULL || word_near (scan, from, at, "aws");
}
