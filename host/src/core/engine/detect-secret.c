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

/* Finds the operator at i and the key name before it. Returns the offset where the
 * value may start, or 0 for comparisons (==, !=, <=), scopes (::) and URLs (://). */
static gsize
assignment_key (const DetectScan *scan, gsize i, Assignment *a)
{
  const guchar *p = scan->text;
  guchar next = i + 1 < scan->len ? p[i + 1] : 0;
  guchar prev = i > 0 ? p[i - 1] : 0;
  gsize value = i + 1;
  if (p[i] == ':')
    {
      if (next == ':' || prev == ':' || next == '/')
        return 0;
      value += next == '=';
    }
  else
    {
      if (next == '=' || next == '~' || is_operator_byte (prev))
        return 0;
      value += next == '>';
    }
  gsize k = i;
  for (int s = 0; s < 4 && k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'); s++)
    k--;
  if (k > 0 && detect_in (p[k - 1], "\"'`"))
    k--;
  gsize end = k;
  while (k > 0 && end - k <= KEY_MAX && is_key_byte (p[k - 1]))
    k--;
  if (end == k || end - k > KEY_MAX)
    return 0;
  a->key = k;
  a->key_len = end - k;
  return value;
}

/* Key names that announce a secret (detect-secrets' and gitleaks' keyword lists,
 * trimmed of words too common in prose). One pass: each byte selects the few words
 * that start with it. */
#define WORD(w) { w, sizeof w - 1 }
static const struct {
  const char *word;
  gsize len;
} key_words[] = {
  WORD ("password"), WORD ("passwd"), WORD ("passphrase"), WORD ("pwd"), WORD ("private_key"),
  WORD ("secret"), WORD ("token"), WORD ("api_key"), WORD ("apikey"), WORD ("api-key"),
  WORD ("access_key"), WORD ("accesskey"), WORD ("auth_key"), WORD ("credential"),
};
#undef WORD

static gboolean
key_names_secret (const char *key, gsize n)
{
  for (gsize k = 0; k + 3 <= n; k++)
    {
      char c = key[k];
      if (c != 'p' && c != 's' && c != 't' && c != 'a' && c != 'c')
        continue;
      for (gsize w = 0; w < G_N_ELEMENTS (key_words); w++)
        {
          gsize len = key_words[w].len;
          if (key_words[w].word[0] == c && k + len <= n
              && memcmp (key + k, key_words[w].word, len) == 0)
            return TRUE;
        }
    }
  return FALSE;
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

/* Template and variable references, documentation stand-ins and masked values. */
static gboolean
value_is_placeholder (const char *lower, gsize n)
{
  static const char *const marks[] = {
    "${", "{{", "}}", "$(", "%s", "%(", "<", ">", "xxx", "***", "...", "example", "dummy",
    "changeme", "change_me", "change-me", "placeholder", "your", "redacted", "sample",
    "fake", "todo", "replace", "insert", "secret", "password", "test", "foobar",
  };
  if (detect_in ((guchar) lower[0], "$%@{") || lower[n - 1] == '}')
    return TRUE;       /* $VAR, %VAR%, @var, {name} */
  for (gsize k = 0; k < G_N_ELEMENTS (marks); k++)
    if (g_strstr_len (lower, (gssize) n, marks[k]) != NULL)
      return TRUE;
  return FALSE;
}

/* Words, identifiers and code: no digit and no symbol, or whitespace, calls, indexing,
 * dotted names; and numbers without a letter. */
static gboolean
value_is_plain (const char *v, gsize n)
{
  gboolean letter = FALSE, digit = FALSE, symbol = FALSE, dotted = FALSE;
  for (gsize k = 0; k < n; k++)
    {
      guchar c = (guchar) v[k];
      if (g_ascii_isspace (c) || detect_in (c, "()[]"))
        return TRUE;
      letter |= g_ascii_isalpha (c) != 0;
      digit |= g_ascii_isdigit (c) != 0;
      dotted |= c == '.';
      symbol |= !g_ascii_isalnum (c) && !detect_in (c, "_.-");
    }
  if (dotted && !symbol && g_ascii_isalpha (v[0]) && g_ascii_isalpha (v[n - 1]))
    return TRUE;       /* settings.secret_key, os.environ.token2x */
  return !letter || (!digit && !symbol);
}

/* AWS secret access keys: 40 base64 characters assigned to a key naming both. */
static gboolean
assignment_aws_secret (DetectScan *scan, const char *key, const guchar *v, gsize n)
{
  if (n != 40 || strstr (key, "aws") == NULL || strstr (key, "secret") == NULL
      || detect_span (scan, (gsize) (v - scan->text), DETECT_B64, 41) != 40
      || g_strstr_len ((const char *) v, 40, "EXAMPLE") != NULL)
    return FALSE;
  detect_note (scan, DET_AWS_SECRET, v, n);
  return TRUE;
}

static gsize
assignment_judge (DetectScan *scan, const Assignment *a, const char *key)
{
  const guchar *v = scan->text + a->value;
  gsize n = a->value_len;
  if (n < VALUE_MIN || value_is_plain ((const char *) v, n)
      || detect_entropy (v, n) < VALUE_MIN_ENTROPY || detect_token_prefix_at (scan, a->value))
    return 0;
  char lower[VALUE_MAX + 1];
  for (gsize k = 0; k < n; k++)
    lower[k] = detect_lower (v[k]);
  lower[n] = 0;
  gsize end = 0;
  if (assignment_aws_secret (scan, key, v, n))
    end = a->end;
  else if (!value_is_placeholder (lower, n))
    {
      detect_note (scan, DET_GENERIC_SECRET, v, n);
      end = a->end;
    }
  memset (lower, 0, sizeof lower);
  return end;
}

gsize
detect_match_assignment (DetectScan *scan, gsize i)
{
  Assignment a = { 0 };
  gsize value = assignment_key (scan, i, &a);
  if (value == 0 || a.key_len < 3)
    return 0;
  char key[KEY_MAX + 1];
  for (gsize k = 0; k < a.key_len; k++)
    key[k] = detect_lower (scan->text[a.key + k]);
  key[a.key_len] = 0;
  if (!key_names_secret (key, a.key_len) || !assignment_value (scan, value, &a))
    return 0;
  return assignment_judge (scan, &a, key);
}
