/* detect-secret.c: passwords and secrets assigned in configuration or code.
 *
 * Anchored on the assignment operator ('=', ':', ":=", "=>"): the key before it must
 * name a secret, the value after it must look random. The filters follow what gitleaks'
 * generic rule and detect-secrets' keyword plugin do: keyword, length, Shannon entropy,
 * and a list of placeholder shapes. Sources and limits: docs/detectors.md. */
#include "detect-private.h"

#include <string.h>

#define KEY_MAX 64           /* longest key name looked at, e.g. spring.datasource.password */
#define VALUE_MIN 8
#define VALUE_MAX 200
#define VALUE_MIN_ENTROPY 3.0  /* bits per byte; 8 distinct characters reach it */

typedef struct {
  gsize key, key_len;        /* key name [key, key + key_len) */
  gsize value, value_len;    /* value without its quotes */
  gsize end;                 /* past the value and its closing quote */
} Assignment;

static gboolean
is_key_byte (guchar c)
{
  return (detect_class[c] & DETECT_WORD) || c == '.' || c == '-';
}

/* The byte before '=' in ==, !=, <=, >=, :=, +=, -=, *=, /=, %=, &=, |=, ^= */
static gboolean
is_operator_byte (guchar c)
{
  switch (c)
    {
    case '=': case '!': case '<': case '>': case ':': case '+': case '-': case '*':
    case '/': case '%': case '&': case '|': case '^':
      return TRUE;
    default:
      return FALSE;
    }
}

/* The operator at i ('=', ':', ":=", "=>"). Returns the offset where the value may
 * start, or 0 for comparisons (==, !=, <=), scopes (::) and URLs (://). */
static gsize
assignment_operator (const DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  guchar next = i + 1 < scan->len ? p[i + 1] : 0;
  guchar prev = i > 0 ? p[i - 1] : 0;
  if (p[i] == ':')
    {
      if (next == ':' || prev == ':' || next == '/')
        return 0;
      return i + 1 + (next == '=');
    }
  if (next == '=' || next == '~' || is_operator_byte (prev))
    return 0;
  return i + 1 + (next == '>');
}

/* The key name before the operator at i, optionally quoted. FALSE when there is none,
 * when it is the inside of a string ("secretsmanager:ResourceTag/..."), or a field
 * of a colon list (arn:aws:secretsmanager:*:*:secret:name). */
/* A type between a name and its '=' (Go's var x string = "...", Kotlin's
 * val x: String = "..."): the name is the word before it. */
static gboolean
is_type_name (const guchar *s, gsize n)
{
  return (n == 6 && g_ascii_strncasecmp ((const char *) s, "string", 6) == 0)
         || (n == 3 && memcmp (s, "str", 3) == 0);
}

static gsize
skip_blanks_back (const guchar *p, gsize k)
{
  for (int s = 0; s < 4 && k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'); s++)
    k--;
  return k;
}

static gboolean
assignment_key (const DetectScan *scan, gsize i, Assignment *a)
{
  const guchar *p = scan->text;
  gsize k = i;
  if (p[i] == '=' && k > 0 && (p[k - 1] == '?' || p[k - 1] == '.'))
    k--;               /* make's ?=, PHP's .= */
  gsize line = k;
  for (int s = 0; s < 32 && line > 0 && (p[line - 1] == ' ' || p[line - 1] == '\t'); s++)
    line--;
  if (p[i] == '=' && line > 0 && p[line - 1] == '\n')
    {                  /* Java's and C#'s key on one line, "= value" indented on the next */
      k = line - 1 - (line > 1 && p[line - 2] == '\r');
      k = skip_blanks_back (p, k);
    }
  else
    k = skip_blanks_back (p, k);
  guchar close = k > 0 && detect_in (p[k - 1], "\"'`") ? p[--k] : 0;
  gsize end = k;
  while (k > 0 && end - k <= KEY_MAX && is_key_byte (p[k - 1]))
    k--;
  if (end == k || end - k > KEY_MAX)
    return FALSE;
  if (close == 0 && p[i] == '=' && is_type_name (p + k, end - k) && k > 0
      && (p[k - 1] == ' ' || p[k - 1] == ':'))
    {
      end = skip_blanks_back (p, k - (p[k - 1] == ':'));
      end = end > 0 && p[end - 1] == ':' ? skip_blanks_back (p, end - 1) : end;
      k = end;
      while (k > 0 && end - k <= KEY_MAX && is_key_byte (p[k - 1]))
        k--;
      if (end == k || end - k > KEY_MAX)
        return FALSE;
    }
  guchar before = k > 0 ? p[k - 1] : 0;
  /* A quote before the key that is not its own: the inside of a string. That is a
   * key too when the string starts with it and '=' follows ("password=..."), not
   * when ':' does ("secretsmanager:ResourceTag/..."). */
  if (detect_in (before, "\"'`") && before != close && !(close == 0 && p[i] == '='))
    return FALSE;
  if (before == ':' && k > 1 && !detect_in (p[k - 2], " \t\r\n{([,"))
    return FALSE;
  a->key = k;
  a->key_len = end - k;
  return TRUE;
}

typedef struct {
  const char *word;
  gsize len;
} SizedWord;
#define WORD(w) { w, sizeof w - 1 }

/* Key names that announce a secret (detect-secrets' and gitleaks' keyword lists,
 * trimmed of words too common in prose). One pass: each byte selects the few words
 * that start with it. */
static const SizedWord key_words_p[] = {
  WORD ("password"), WORD ("passwd"), WORD ("passphrase"), WORD ("pwd"), WORD ("private_key"),
  WORD ("private-key"),
};
static const SizedWord key_words_a[] = {
  WORD ("api_key"), WORD ("apikey"), WORD ("api-key"), WORD ("access_key"), WORD ("accesskey"),
  WORD ("auth_key"),
};
static const SizedWord key_words_c[] = { WORD ("credential"), WORD ("creds") };
static const SizedWord key_words_s[] = { WORD ("secret") };
static const SizedWord key_words_t[] = { WORD ("token") };

/* Last words of keys that name something about a secret, not the secret: token_url,
 * secret_name, password_file, ACCESS_KEY_PREFIX. */
static const SizedWord metadata_words[] = {
  WORD ("prefix"), WORD ("name"), WORD ("id"), WORD ("type"), WORD ("url"), WORD ("uri"),
  WORD ("path"), WORD ("file"), WORD ("dir"), WORD ("length"), WORD ("len"), WORD ("size"),
  WORD ("format"), WORD ("header"), WORD ("field"), WORD ("env"), WORD ("var"), WORD ("hint"),
  WORD ("count"), WORD ("expiry"), WORD ("expires"), WORD ("ttl"), WORD ("timeout"),
  WORD ("enabled"), WORD ("version"), WORD ("endpoint"), WORD ("location"), WORD ("policy"),
  WORD ("rotation"), WORD ("audience"), WORD ("issuer"),
};
#undef WORD

/* Keys that hold something public or single-use next to a secret-sounding word:
 * publicToken, public_key, CSRF and XSRF form tokens, Rails' authenticity_token, the
 * Jenkins credentialsId. */
static const char *const key_not_secret[] = {
  "public", "csrf", "xsrf", "authenticity", "credentialsid", "withcredentials",
};

/* The key ends in a metadata word after '_', '-' or '.', or as the last camelCase word
 * (credentialsId, apiTokenName: orig is the key as written, key lower-cased). */
static gboolean
key_names_metadata (const char *key, const char *orig, gsize n)
{
  for (gsize w = 0; w < G_N_ELEMENTS (metadata_words); w++)
    {
      gsize len = metadata_words[w].len;
      if (n <= len || memcmp (key + n - len, metadata_words[w].word, len) != 0)
        continue;
      guchar before = (guchar) orig[n - len - 1], first = (guchar) orig[n - len];
      if (detect_in (before, "_-.")
          || (g_ascii_isupper (first) && (g_ascii_islower (before) || g_ascii_isdigit (before))))
        return TRUE;
    }
  for (gsize w = 0; w < G_N_ELEMENTS (key_not_secret); w++)
    if (g_strstr_len (key, (gssize) n, key_not_secret[w]) != NULL)
      return TRUE;
  return FALSE;
}

/* Services whose keys have no prefix of their own, so that the key name tells them
 * (assignment_keyed): Datadog (datadog, dd_, dd-), Heroku, Azure storage and Cosmos DB. */
static const SizedWord service_words[] = {
  { "datadog", 7 }, { "heroku", 6 }, { "dd_", 3 }, { "dd-", 3 }, { "azure", 5 }, { "storage", 7 },
  { "account", 7 }, { "cosmos", 6 },
};

enum {
  KEY_SECRET = 1 << 0,       /* names a secret (key_words_*, not metadata) */
  KEY_SERVICE = 1 << 1,      /* names a service of service_words */
};

static gboolean
word_at (const char *key, gsize n, gsize k, const SizedWord *words, gsize count)
{
  for (gsize w = 0; w < count; w++)
    if (words[w].word[0] == key[k] && k + words[w].len <= n
        && memcmp (key + k, words[w].word, words[w].len) == 0)
      return TRUE;
  return FALSE;
}

/* "auth" as a word of the key (auth, basic_auth, basicAuth, AUTH-2), not a part of one
 * (author, oauth). */
static gboolean
auth_word_at (const char *key, const char *orig, gsize n, gsize k)
{
  if (k + 4 > n || memcmp (key + k, "auth", 4) != 0)
    return FALSE;
  gboolean starts = k == 0 || !g_ascii_islower (orig[k - 1]) || g_ascii_isupper (orig[k]);
  gboolean ends = k + 4 == n || !g_ascii_islower (orig[k + 4]);
  return starts && ends;
}

/* A word of key_words_* (or "auth" as a word) starts at key[k]. */
static gboolean
key_word_at (const char *key, const char *orig, gsize n, gsize k)
{
#define AT(words) word_at (key, n, k, words, G_N_ELEMENTS (words))
  switch (key[k])
    {
    case 'p':
      return AT (key_words_p);
    case 'a':
      return AT (key_words_a) || (key[k + 1] == 'u' && auth_word_at (key, orig, n, k));
    case 'c':
      return AT (key_words_c);
    case 's':
      return AT (key_words_s);
    case 't':
      return AT (key_words_t);
    default:
      return FALSE;
    }
#undef AT
}

/* One pass over the lower-cased key: each byte selects the few words that start with
 * it. */
static guint
key_kind (const char *key, const char *orig, gsize n)
{
  guint kind = 0;
  for (gsize k = 0; k + 3 <= n; k++)
    {
      char c = key[k];
      if (c != 'p' && c != 's' && c != 't' && c != 'a' && c != 'c' && c != 'd' && c != 'h')
        continue;
      if (!(kind & KEY_SECRET) && key_word_at (key, orig, n, k))
        kind |= KEY_SECRET;
      if (((c == 'd' && (key[k + 1] == 'a' || (key[k + 1] == 'd' && (k == 0 || key[k - 1] == '_'))))
           || (c == 'h' && key[k + 1] == 'e')
           || (c == 'a' && ((key[k + 1] == 'z' && key[k + 2] == 'u') || (key[k + 1] == 'c' && key[k + 2] == 'c' && key[k + 3] == 'o')))
           || (c == 's' && key[k + 1] == 't' && key[k + 2] == 'o') || (c == 'c' && key[k + 1] == 'o' && key[k + 2] == 's'))
          && word_at (key, n, k, service_words, G_N_ELEMENTS (service_words)))
        kind |= KEY_SERVICE;
    }
  if (n == 4 && memcmp (key, "key", 3) == 0 && (key[3] == '1' || key[3] == '2'))
    kind |= KEY_SERVICE;     /* key1, key2: `az storage account keys list` */
  if ((kind & KEY_SECRET) && key_names_metadata (key, orig, n))
    kind &= ~(guint) KEY_SECRET;
  return kind;
}

static gboolean
ends_bare_value (guchar c)
{
  switch (c)
    {
    case ',': case ';': case '"': case '\'': case '`': case ')': case ']': case '}': case '&':
    case 0:
      return TRUE;
    default:
      return g_ascii_isspace (c);
    }
}

/* End of the bare value that contains at. Cached like detect_run_b64url, so that
 * "password=password=..." costs O(1) per '=' instead of a read of VALUE_MAX bytes. */
static gsize
bare_value_end (DetectScan *scan, gsize at)
{
  if (at >= scan->bare_from && at < scan->bare_end)
    return scan->bare_end;
  gsize end = at;
  while (end < scan->len && !ends_bare_value (scan->text[end]))
    end++;
  scan->bare_from = at;
  scan->bare_end = end;
  return end;
}

/* The value: quoted up to its closing quote on the same line, or bare up to
 * whitespace or a delimiter. FALSE when it is too long to be one secret. */
static gboolean
assignment_value (DetectScan *scan, gsize at, Assignment *a)
{
  const guchar *p = scan->text;
  for (int s = 0; s < 8 && at < scan->len && (p[at] == ' ' || p[at] == '\t'); s++)
    at++;
  guchar quote = at < scan->len && detect_in (p[at], "\"'`") ? p[at] : 0;
  at += quote != 0;
  a->value = at;
  gsize n = 0;
  if (quote == 0)
    n = bare_value_end (scan, at) - at;
  else
    while (at + n < scan->len && n <= VALUE_MAX && p[at + n] != quote && p[at + n] != '\n')
      n++;
  a->value_len = n;
  if (n > VALUE_MAX || (quote && (at + n >= scan->len || p[at + n] != quote)))
    return FALSE;
  a->end = at + n + (quote != 0);
  return TRUE;
}

static gboolean
all_hex (const char *s, gsize n)
{
  for (gsize k = 0; k < n; k++)
    if (!g_ascii_isxdigit (s[k]))
      return FALSE;
  return TRUE;
}

static gboolean
all_alpha (const char *s, gsize n)
{
  for (gsize k = 0; k < n; k++)
    if (!g_ascii_isalpha (s[k]))
      return FALSE;
  return TRUE;
}

/* Template and variable references, documentation stand-ins and masked values. */
static gboolean
value_is_placeholder (const char *lower, gsize n)
{
  static const char *const marks[] = {
    "${", "{{", "}}", "$(", "%s", "%(", "<", ">", "xxx", "***", "...", "example", "dummy",
    "changeme", "change_me", "change-me", "placeholder", "your", "redacted", "sample",
    "fake", "todo", "replace", "insert", "secret", "password", "test", "foobar",
    "mock", "token", "privatekey", "private_key", "api_key", "apikey", "api-key", "access_key",
    "accesskey",
  };
  if (detect_in ((guchar) lower[0], "$@{") || detect_in ((guchar) lower[n - 1], "}*")
      || (lower[0] == '%' && lower[n - 1] == '%'))
    return TRUE;       /* $VAR, @var, {name}, %VAR%, wildcard patterns */
  if (lower[0] == '#' && (all_hex (lower + 1, n - 1) || all_alpha (lower + 1, n - 1)))
    return TRUE;       /* #c0ffee, #ansiblue */
  for (gsize k = 0; k < G_N_ELEMENTS (marks); k++)
    if (g_strstr_len (lower, (gssize) n, marks[k]) != NULL)
      return TRUE;
  return FALSE;
}

/* Names, not secrets: every segment (split at - _ . : / | + ,) is letters with
 * optional trailing digits, or digits (scram-sha-256, antlr4.BufferedTokenStream,
 * ResourceTag/QueryOwner, us-east-1), and there are several segments or several words
 * (a lower-to-upper step). A single word with digits ("Summer2024") stays a candidate.
 * Random secrets put a letter after a digit, or a symbol, almost surely. */
static gboolean
value_is_identifier (const char *v, gsize n)
{
  guint segments = 1, words = 0;
  for (gsize k = 0; k < n; k++)
    {
      guchar c = (guchar) v[k], prev = k > 0 ? (guchar) v[k - 1] : 0;
      if (detect_in (c, "-_.:/|+,"))
        segments++;
      else if (!g_ascii_isalnum (c) || (g_ascii_isalpha (c) && g_ascii_isdigit (prev)))
        return FALSE;
      words += g_ascii_isupper (c) && g_ascii_islower (prev);
    }
  return segments > 1 || words > 0;
}

/* A dotted path of names (ed25519.Ed25519PrivateKey, os.environ): two or more
 * segments, each starting with a letter. Also a value ending in a separator is a
 * prefix, not a whole secret (k8s-aws-v1.). */
static gboolean
value_is_dotted_name (const char *v, gsize n)
{
  if (detect_in ((guchar) v[n - 1], "-_.:/"))
    return TRUE;
  guint dots = 0;
  for (gsize k = 0; k < n; k++)
    {
      if (v[k] == '.')
        {
          if (k + 1 >= n || !g_ascii_isalpha (v[k + 1]))
            return FALSE;
          dots++;
        }
      else if (!g_ascii_isalnum (v[k]) && v[k] != '_')
        return FALSE;
    }
  return dots > 0 && g_ascii_isalpha (v[0]);
}

/* An ascending run of four (1234, abcd, ABC12345): typed-in stand-ins. A random
 * base62 string holds one with a probability near 4 in 62^3 per position. */
static gboolean
value_has_sequence (const char *v, gsize n)
{
  for (gsize k = 0; k + 3 < n; k++)
    if (g_ascii_isalnum (v[k]) && v[k + 1] == v[k] + 1 && v[k + 2] == v[k] + 2
        && v[k + 3] == v[k] + 3)
      return TRUE;
  return FALSE;
}

/* Words, names, paths and code rather than a secret. */
static gboolean
value_is_plain (const char *v, gsize n)
{
  gboolean letter = FALSE, digit = FALSE, symbol = FALSE;
  for (gsize k = 0; k < n; k++)
    {
      guchar c = (guchar) v[k];
      if (g_ascii_isspace (c) || detect_in (c, "()[]"))
        return TRUE;   /* prose, calls, indexing */
      letter |= g_ascii_isalpha (c) != 0;
      digit |= g_ascii_isdigit (c) != 0;
      symbol |= !g_ascii_isalnum (c) && !detect_in (c, "_.-");
    }
  if (!letter || (!digit && !symbol))
    return TRUE;       /* numbers and dates; plain words */
  if (v[0] == '/' || v[0] == '~' || memcmp (v, "./", 2) == 0 || memcmp (v, "../", 3) == 0
      || g_strstr_len (v, (gssize) n, "://") != NULL)
    return TRUE;       /* paths and URLs */
  return value_is_identifier (v, n) || value_is_dotted_name (v, n) || value_has_sequence (v, n);
}

static gboolean
all_hex_lower (const guchar *s, gsize n)
{
  for (gsize k = 0; k < n; k++)
    if (!g_ascii_isdigit (s[k]) && !(s[k] >= 'a' && s[k] <= 'f'))
      return FALSE;
  return TRUE;
}

/* 8-4-4-4-12 hex digits: a UUID (Heroku's classic API keys have this shape). */
static gboolean
is_uuid (const guchar *s, gsize n)
{
  static const guint8 dashes[] = { 8, 13, 18, 23 };
  if (n != 36)
    return FALSE;
  for (gsize k = 0, d = 0; k < n; k++)
    {
      if (d < G_N_ELEMENTS (dashes) && k == dashes[d])
        {
          if (s[k] != '-')
            return FALSE;
          d++;
        }
      else if (!g_ascii_isxdigit (s[k]))
        return FALSE;
    }
  return TRUE;
}

/* Credentials whose value has no prefix of its own, told by the key they are assigned
 * to: AWS secret access keys (40 base64 characters; "aws" and "secret" in the key, or
 * SecretAccessKey as AWS's own JSON prints it) and session tokens (100+ base64
 * characters); Datadog API keys (32 hex) and application keys (40 hex); Heroku API
 * keys (a UUID). Returns the detector, or DET_SLOTS for none. */
static DetectId
assignment_keyed (DetectScan *scan, const char *key, const guchar *v, gsize n)
{
  gsize at = (gsize) (v - scan->text);
  if (n == 40 && detect_span (scan, at, DETECT_B64, 41) == 40
      && ((strstr (key, "aws") != NULL && strstr (key, "secret") != NULL)
          || strstr (key, "secretaccesskey") != NULL || strstr (key, "secret_access_key") != NULL)
      && g_strstr_len ((const char *) v, 40, "EXAMPLE") == NULL)
    return DET_AWS_SECRET;
  if (n >= 100 && (strstr (key, "sessiontoken") != NULL || strstr (key, "session_token") != NULL
                   || strstr (key, "security_token") != NULL)
      && detect_span (scan, at, DETECT_B64, n + 1) == n)
    return DET_AWS_SECRET;
  if ((n == 32 || n == 40) && all_hex_lower (v, n)
      && (strstr (key, "datadog") != NULL || g_str_has_prefix (key, "dd_")
          || g_str_has_prefix (key, "dd-") || strstr (key, "_dd_") != NULL))
    return DET_DATADOG_KEY;
  if (is_uuid (v, n) && strstr (key, "heroku") != NULL)
    return DET_HEROKU_KEY;
  if (n == 88 && detect_azure_storage_key (key, v, n))
    return DET_AZURE_KEY;
  if (n == 32 && detect_twilio_token (scan, key, v, n))
    return DET_TWILIO_SECRET;
  if (n == 40 && detect_aws_secret_by_keyword (scan, key, v, n))
    return DET_AWS_SECRET;
  return DET_SLOTS;
}

static gsize
assignment_judge (DetectScan *scan, const Assignment *a, const char *key, guint kind)
{
  const guchar *v = scan->text + a->value;
  gsize n = a->value_len;
  if (a->value == scan->claimed)
    return a->end;     /* counted already, as the other half of a key id before it */
  if (n < VALUE_MIN || detect_token_prefix_at (scan, a->value))
    return 0;
  DetectId keyed = assignment_keyed (scan, key, v, n);
  if (keyed != DET_SLOTS)
    {
      if (detect_token_is_placeholder (v, n) || detect_entropy (v, n) < VALUE_MIN_ENTROPY)
        return 0;
      detect_note (scan, keyed, v, n);
      detect_note_exact (scan);
      return a->end;
    }
  if (!(kind & KEY_SECRET) || value_is_plain ((const char *) v, n) || detect_entropy (v, n) < VALUE_MIN_ENTROPY)
    return 0;
  char lower[VALUE_MAX + 1];
  for (gsize k = 0; k < n; k++)
    lower[k] = detect_lower (v[k]);
  lower[n] = 0;
  gsize end = 0;
  if (!value_is_placeholder (lower, n))
    {
      detect_note (scan, DET_GENERIC_SECRET, v, n);
      detect_note_exact (scan);
      end = a->end;
    }
  explicit_bzero (lower, sizeof lower);
  return end;
}


/* ---- credentials in URLs ------------------------------------------------------------ */

#define URL_USER_MAX 64
#define URL_PASSWORD_MIN 6     /* shorter ones are stand-ins: pass, 1234, pw */
#define URL_PASSWORD_MAX 128

/* A URL scheme ends at i (postgres, mongodb+srv, jdbc:mysql's mysql): 2 to 32 bytes of
 * [A-Za-z0-9+.-] starting with a letter. */
static gboolean
url_scheme_before (const DetectScan *scan, gsize i)
{
  gsize k = i;
  while (k > 0 && i - k <= 32 && (g_ascii_isalnum (scan->text[k - 1]) || detect_in (scan->text[k - 1], "+.-")))
    k--;
  return i - k >= 2 && i - k <= 32 && g_ascii_isalpha (scan->text[k]);
}

/* Length of the run at at of bytes that may stand in a URL's user or password (RFC 3986
 * userinfo, less the delimiters stop), up to max + 1. */
static gsize
url_part (const DetectScan *scan, gsize at, const char *stop, gsize max)
{
  gsize n = 0;
  while (n <= max && at + n < scan->len)
    {
      guchar c = scan->text[at + n];
      if (c <= ' ' || c >= 0x7f || detect_in (c, "\"'<>`") || detect_in (c, stop))
        break;
      n++;
    }
  return n;
}

/* scheme://user:password@host (postgres, mysql, mongodb+srv, redis, amqp, https...): at
 * i is the ':' of "://". The password must not be a stand-in (the placeholder words of
 * generic-secret, "pass", the user name again, under six bytes) nor a token that its own
 * detector reports. */
static gsize
match_url_credentials (DetectScan *scan, gsize i)
{
  if (!url_scheme_before (scan, i))
    return 0;
  gsize user = i + 3;
  gsize u = url_part (scan, user, "/@:?#", URL_USER_MAX);
  if (u > URL_USER_MAX || !detect_at (scan, user + u, ":"))
    return 0;
  gsize pw = user + u + 1;
  gsize n = url_part (scan, pw, "/@?#", URL_PASSWORD_MAX);
  if (n < URL_PASSWORD_MIN || n > URL_PASSWORD_MAX || !detect_at (scan, pw + n, "@")
      || !detect_has (scan, pw + n + 1, DETECT_WORD) || detect_token_prefix_at (scan, pw))
    return 0;
  const guchar *v = scan->text + pw;
  char lower[URL_PASSWORD_MAX + 1];
  for (gsize k = 0; k < n; k++)
    lower[k] = detect_lower (v[k]);
  lower[n] = 0;
  gboolean stand_in = value_is_placeholder (lower, n) || strstr (lower, "pass") != NULL
                      || (u == n && memcmp (scan->text + user, v, n) == 0);
  explicit_bzero (lower, sizeof lower);
  if (stand_in)
    return 0;
  detect_note (scan, DET_URL_CREDENTIALS, scan->text + user, u + 1 + n);
  detect_note_exact (scan);
  return pw + n + 1;
}

/* Lower-cases the key of a and judges it with its value (the common end of the
 * assignment forms). */
static gsize
assignment_finish (DetectScan *scan, const Assignment *a)
{
  char key[KEY_MAX + 1];
  for (gsize k = 0; k < a->key_len; k++)
    key[k] = detect_lower (scan->text[a->key + k]);
  key[a->key_len] = 0;
  guint kind = key_kind (key, (const char *) scan->text + a->key, a->key_len);
  return kind != 0 ? assignment_judge (scan, a, key, kind) : 0;
}

/* A call's first two arguments, a quoted key and a quoted value: setProperty("db.password",
 * "..."), define('DB_PASSWORD', '...'), environ.setdefault("SECRET_KEY", "..."), or a
 * pair in braces (C#'s { "AccountKey", "..." }). At i is the key's closing quote, a ','
 * after it. */
gsize
detect_match_quoted_pair (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  guchar q = p[i];
  gsize k = i;
  while (k > 0 && i - k <= KEY_MAX && is_key_byte (p[k - 1]))
    k--;
  if (k == i || i - k > KEY_MAX || k == 0 || p[k - 1] != q)
    return 0;
  gsize open = skip_blanks_back (p, k - 1);
  if (open == 0 || (p[open - 1] != '(' && p[open - 1] != '{'))
    return 0;
  gsize at = i + 2;
  while (at < scan->len && at < i + 6 && p[at] == ' ')
    at++;
  if (at >= scan->len || !detect_in (p[at], "\"'"))
    return 0;
  Assignment a = { .key = k, .key_len = i - k };
  if (!assignment_value (scan, at, &a))
    return 0;
  return assignment_finish (scan, &a);
}

/* An XML element that names a secret, at the "</" of its end tag:
 * <password>...</password>, <ns:client-secret>...</ns:client-secret>. */
gsize
detect_match_xml_element (DetectScan *scan, gsize i)
{
  const guchar *p = scan->text;
  gsize name = i + 2, n = 0;
  while (n <= KEY_MAX && name + n < scan->len && (is_key_byte (p[name + n]) || p[name + n] == ':'))
    n++;
  if (n == 0 || n > KEY_MAX || name + n >= scan->len || p[name + n] != '>')
    return 0;
  gsize colon = n;      /* the local name, after a namespace prefix */
  while (colon > 0 && p[name + colon - 1] != ':')
    colon--;
  char key[KEY_MAX + 1];
  for (gsize k = colon; k < n; k++)
    key[k - colon] = detect_lower (p[name + k]);
  if (n - colon < 3 || key_kind (key, (const char *) p + name + colon, n - colon) == 0)
    return 0;           /* <div>, <p>, <td>...: decided before looking back */
  /* the value runs back to the '>' of the start tag, which must be <name> or <name ...> */
  gsize v = i;
  while (v > 0 && i - v <= VALUE_MAX && p[v - 1] != '>' && p[v - 1] != '<')
    v--;
  if (v == 0 || p[v - 1] != '>' || i - v > VALUE_MAX)
    return 0;
  gsize open = v - 1;
  while (open > 0 && v - open <= 256 && p[open - 1] != '<')
    open--;
  if (open == 0 || p[open - 1] != '<' || open + n > scan->len || memcmp (p + open, p + name, n) != 0
      || !detect_in (p[open + n], "> \t\n/"))
    return 0;
  while (v < i && g_ascii_isspace (p[v]))
    v++;
  gsize e = i;
  while (e > v && g_ascii_isspace (p[e - 1]))
    e--;
  Assignment a = { .key = name + colon, .key_len = n - colon, .value = v, .value_len = e - v,
                   .end = name + n + 1 };
  return assignment_finish (scan, &a);
}

/* value="..." in a tag that names it with key="..." or name="..." before (.NET's
 * <add key="DbPassword" value="..."/>, Spring's <property name="password" value="..."/>):
 * the name becomes a's key. */
static gboolean
attribute_names_value (const DetectScan *scan, Assignment *a)
{
  const guchar *p = scan->text;
  gsize lt = a->key;
  while (lt > 0 && a->key - lt < 256 && p[lt - 1] != '<' && p[lt - 1] != '>')
    lt--;
  if (lt == 0 || p[lt - 1] != '<')
    return FALSE;
  static const char *const names[] = { " key=", " name=" };
  for (gsize w = 0; w < G_N_ELEMENTS (names); w++)
    {
      const char *hit = g_strstr_len ((const char *) p + lt, (gssize) (a->key - lt), names[w]);
      if (hit == NULL)
        continue;
      gsize q = (gsize) ((const guchar *) hit - p) + strlen (names[w]);
      if (q >= a->key || !detect_in (p[q], "\"'"))
        continue;
      gsize n = 0;
      while (q + 1 + n < a->key && n <= KEY_MAX && is_key_byte (p[q + 1 + n]))
        n++;
      if (n >= 3 && n <= KEY_MAX && p[q + 1 + n] == p[q])
        {
          a->key = q + 1;
          a->key_len = n;
          return TRUE;
        }
    }
  return FALSE;
}

gsize
detect_match_assignment (DetectScan *scan, gsize i)
{
  Assignment a = { 0 };
  if (detect_at (scan, i, "://"))
    return match_url_credentials (scan, i);
  if (i > 0 && detect_in (scan->text[i - 1], "23") && scan->text[i] == ':')
    {
      gsize end = detect_match_putty (scan, i);
      if (end != 0)
        return end;
    }
  gsize value = assignment_operator (scan, i);
  if (value == 0 || !assignment_key (scan, i, &a) || a.key_len < 3)
    return 0;
  char key[KEY_MAX + 1];
  for (gsize k = 0; k < a.key_len; k++)
    key[k] = detect_lower (scan->text[a.key + k]);
  key[a.key_len] = 0;
  guint kind = key_kind (key, (const char *) scan->text + a.key, a.key_len);
  if (kind == 0 && a.key_len == 5 && memcmp (key, "value", 5) == 0 && scan->text[i] == '='
      && attribute_names_value (scan, &a))
    {
      for (gsize k = 0; k < a.key_len; k++)
        key[k] = detect_lower (scan->text[a.key + k]);
      key[a.key_len] = 0;
      kind = key_kind (key, (const char *) scan->text + a.key, a.key_len);
    }
  gboolean cloud = detect_cloud_key (key, a.key_len);
  if ((kind == 0 && !cloud) || !assignment_value (scan, value, &a))
    return 0;
  if (cloud)
    {
      gsize end = detect_match_cloud_value (scan, key, a.value, a.value_len, a.end);
      if (end != 0 || kind == 0)
        return end;
    }
  /* A bare value after ':' that a ',' or ')' ends is a type hint or a parameter
   * (private_key: PKCS7PrivateKeyTypes,), not configuration. */
  gboolean bare = a.end == a.value + a.value_len;
  if (scan->text[i] == ':' && bare && a.end < scan->len && detect_in (scan->text[a.end], ",)"))
    return 0;
  return assignment_judge (scan, &a, key, kind);
}
