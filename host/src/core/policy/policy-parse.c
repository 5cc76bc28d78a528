/* policy-parse.c: a policy file in, a checked Policy out; every refusal names the field. */
#include "policy-private.h"

#include <gio/gio.h>
#include <string.h>

#include "engine/detect.h"
#include "engine/winnow.h"
#include "file.h"
#include "json-syntax.h"
#include "weir-error.h"
#include "weir-rules.h"

/* A policy file is admin input, but it may arrive from anywhere: cap its size and
 * the length of every list, and check every field's type. */
#define POLICY_MAX_BYTES (4 * 1024 * 1024)
#define POLICY_MAX_ITEMS 4096
/* Messages, ids and URLs reach the extension in replies capped at 1 MiB: keep each
 * one short enough that 64 reasons and a message always fit. */
#define POLICY_MAX_STRING 2000
/* A placeholder is written into the page once per masked match: short, like a word. */
#define POLICY_MAX_PLACEHOLDER 100

static void
rule_free (Rule *rule)
{
  g_free (rule->id);
  g_strfreev (rule->detectors);
  g_strfreev (rule->labels);
  g_strfreev (rule->sources);
  g_free (rule->placeholder);
  g_free (rule->message);
  g_free (rule->learn_more);
  g_free (rule);
}

static void
origin_group_free (OriginGroup *group)
{
  g_free (group->id);
  g_strfreev (group->match);
  g_free (group->source);
  g_clear_pointer (&group->overrides, g_hash_table_unref);
  g_free (group);
}

void
policy_free (Policy *policy)
{
  if (policy == NULL)
    return;
  cJSON_Delete (policy->doc);
  g_free (policy->digest);
  g_free (policy->oversize_message);
  g_free (policy->encrypted_message);
  g_free (policy->ocr_languages);
  g_free (policy->gpu_message);
  g_strfreev (policy->download_patterns);
  g_clear_pointer (&policy->rules, g_ptr_array_unref);
  g_clear_pointer (&policy->origins, g_ptr_array_unref);
  g_free (policy);
}

/* ---- typed field readers: each names the field in its error ---- */

/* where is the field's path from the top of the document, e.g. "origins[2].overrides.cards";
 * "" is the document itself. */
static gboolean
fail (GError **error, const char *where, const char *what)
{
  if (where[0] == '\0')
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "%s", what);
  else
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "%s: %s", where, what);
  return FALSE;
}

static char *
field_path (const char *where, const char *key)
{
  return where[0] == '\0' ? g_strdup (key) : g_strdup_printf ("%s.%s", where, key);
}

/* The value as the admin wrote it, short, for "..., not X". */
static char *
json_shown (const cJSON *item)
{
  if (cJSON_IsString (item))
    return g_strdup_printf ("\"%.40s\"", item->valuestring);
  if (cJSON_IsNumber (item))
    return g_strdup_printf ("%g", item->valuedouble);
  if (cJSON_IsBool (item))
    return g_strdup (cJSON_IsTrue (item) ? "true" : "false");
  return g_strdup (cJSON_IsNull (item) ? "null" : cJSON_IsArray (item) ? "a list" : "an object");
}

static gboolean
check_rule_verdict (const cJSON *item, const char *path, VerdictLevel *out, GError **error)
{
  if (cJSON_IsString (item) && verdict_parse_rule (item->valuestring, out))
    return TRUE;
  g_autofree char *shown = json_shown (item);
  g_autofree char *what = g_strdup_printf ("expected \"allow\", \"redact\", \"warn\" or \"block\", not %s",
                                           shown);
  return fail (error, path, what);
}

static gboolean
check_verdict (const cJSON *item, const char *path, VerdictLevel *out, GError **error)
{
  if (cJSON_IsString (item) && verdict_parse (item->valuestring, out))
    return TRUE;
  g_autofree char *shown = json_shown (item);
  g_autofree char *what = g_strdup_printf ("expected \"allow\", \"warn\" or \"block\", not %s", shown);
  return fail (error, path, what);
}

static gboolean
get_verdict (const cJSON *obj, const char *key, const char *where, VerdictLevel *out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL)
    return TRUE;
  g_autofree char *path = field_path (where, key);
  return check_verdict (item, path, out, error);
}

static gboolean
get_string (const cJSON *obj, const char *key, const char *where, char **out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL || cJSON_IsNull (item))
    return TRUE;
  g_autofree char *path = field_path (where, key);
  if (!cJSON_IsString (item))
    return fail (error, path, "expected a string");
  if (strlen (item->valuestring) > POLICY_MAX_STRING)
    return fail (error, path, "longer than " G_STRINGIFY (POLICY_MAX_STRING) " bytes");
  g_free (*out);
  *out = g_strdup (item->valuestring);
  return TRUE;
}

static gboolean
get_bool (const cJSON *obj, const char *key, const char *where, gboolean *out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL)
    return TRUE;
  g_autofree char *path = field_path (where, key);
  if (!cJSON_IsBool (item))
    return fail (error, path, "expected true or false");
  *out = cJSON_IsTrue (item);
  return TRUE;
}

static gboolean
get_size (const cJSON *obj, const char *key, const char *where, double max, gsize *out,
          GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL)
    return TRUE;
  g_autofree char *path = field_path (where, key);
  if (!cJSON_IsNumber (item) || item->valuedouble < 0 || item->valuedouble > max
      || item->valuedouble != (double) (gint64) item->valuedouble)
    {
      g_autofree char *shown = json_shown (item);
      g_autofree char *what = g_strdup_printf ("expected a whole number from 0 to %.0f, not %s", max, shown);
      return fail (error, path, what);
    }
  *out = (gsize) item->valuedouble;
  return TRUE;
}

static gboolean
get_strv (const cJSON *obj, const char *key, const char *where, GStrv *out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  g_autofree char *path = field_path (where, key);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  if (item != NULL && !cJSON_IsArray (item))
    return fail (error, path, "expected a list of strings [\"...\", ...]");
  if (cJSON_GetArraySize (item) > POLICY_MAX_ITEMS)
    return fail (error, path, "more than " G_STRINGIFY (POLICY_MAX_ITEMS) " items");
  const cJSON *child;
  guint i = 0;
  cJSON_ArrayForEach (child, item)
    {
      g_autofree char *item_path = g_strdup_printf ("%s[%u]", path, i++);
      if (!cJSON_IsString (child))
        return fail (error, item_path, "expected a string");
      if (strlen (child->valuestring) > POLICY_MAX_STRING)
        return fail (error, item_path, "longer than " G_STRINGIFY (POLICY_MAX_STRING) " bytes");
      g_strv_builder_add (builder, child->valuestring);
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

static const cJSON *
get_object (const cJSON *obj, const char *key, const char *where, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item != NULL && !cJSON_IsObject (item))
    {
      /* NULL with the error set: callers test for exactly that. Returning the item
       * let parsing go on, so "gpu": "block" was accepted with the error dropped. */
      g_autofree char *path = field_path (where, key);
      fail (error, path, "expected an object {...}");
      return NULL;
    }
  return item;
}

/* ---- model downloads ---- */

/* What the extension watches for when the policy names no patterns: the files that bring
 * a model to a page (docs/webgpu.md says which runtime fetches which). Regular expressions
 * over the whole URL, case-insensitive, in the subset JavaScript and RE2 (Chromium's
 * declarativeNetRequest) share. */
static const char *const default_download_patterns[] = {
  "^https?://[^/?#]+/[^?#]*/resolve/[^/?#]+/",          /* Hugging Face (and mirrors) */
  "/params_shard_[0-9]+\\.bin([/;?#]|$)",                /* WebLLM / MLC weights */
  "/(tensor|ndarray)-cache\\.json([/;?#]|$)",            /* MLC weight manifests */
  "/mlc-chat-config\\.json([/;?#]|$)",                   /* MLC model config */
  "\\.(gguf|safetensors|onnx|onnx_data|task|litertlm)([/;?#]|$)",  /* llama.cpp, HF, ONNX, MediaPipe, LiteRT */
  "/binary-mlc-llm-libs/[^?#]*\\.wasm([/;?#]|$)",        /* WebLLM model libraries */
  "-webgpu\\.wasm([/;?#]|$)",                             /* WebLLM model libraries elsewhere */
  NULL,
};
/* A file name ends at the query, the fragment, a ";params" suffix or a trailing "/", all
 * of which servers commonly ignore when they find the file. Percent-encoded forms of the
 * same names (model%2Esafetensors, %72esolve) are the extension's part: it matches the
 * decoded URL and, where downloads are blocked, blocks paths that spell out unreserved
 * characters in percent-encoding (docs/webgpu.md). */

/* A download cannot wait for a dialog: a model download is allowed (and audited) or
 * blocked. */
static gboolean
get_download_verdict (const cJSON *obj, const char *key, const char *where, VerdictLevel *out, GError **error)
{
  if (!get_verdict (obj, key, where, out, error))
    return FALSE;
  if (*out == VERDICT_WARN)
    {
      g_autofree char *path = field_path (where, key);
      return fail (error, path, "a download cannot wait for a dialog: use \"allow\" or \"block\"");
    }
  return TRUE;
}

/* Each pattern runs in the browser as a JavaScript RegExp and a declarativeNetRequest
 * regexFilter (RE2): refuse what does not compile, and the constructs only one of them
 * knows (look-around, back-references). */
static gboolean
check_download_pattern (const char *pattern, const char *where, GError **error)
{
  static const char *const unshared[] = { "(?=", "(?!", "(?<", "\\1", "\\2", "\\3", "\\4", "\\5",
                                          "\\6", "\\7", "\\8", "\\9", NULL };
  if (pattern[0] == '\0')
    return fail (error, where, "an empty pattern would match every request");
  for (const char *const *u = unshared; *u != NULL; u++)
    if (strstr (pattern, *u) != NULL)
      return fail (error, where, "look-around and back-references do not run in the browser's matcher");
  g_autoptr (GError) local = NULL;
  g_autoptr (GRegex) regex = g_regex_new (pattern, G_REGEX_CASELESS, 0, &local);
  if (regex == NULL)
    {
      g_autofree char *what = g_strdup_printf ("not a regular expression: %s", local->message);
      return fail (error, where, what);
    }
  return TRUE;
}

static gboolean
parse_downloads (const cJSON *doc, Policy *p, GError **error)
{
  const cJSON *section = get_object (doc, "model_downloads", "", error);
  if (section == NULL)
    return *error == NULL;
  if (!get_download_verdict (section, "verdict", "model_downloads", &p->downloads, error)
      || !get_bool (section, "audit", "model_downloads", &p->downloads_audit, error))
    return FALSE;
  if (cJSON_GetObjectItemCaseSensitive (section, "patterns") == NULL)
    return TRUE;
  g_strfreev (p->download_patterns);
  p->download_patterns = NULL;
  if (!get_strv (section, "patterns", "model_downloads", &p->download_patterns, error))
    return FALSE;
  for (guint i = 0; p->download_patterns[i] != NULL; i++)
    {
      g_autofree char *where = g_strdup_printf ("model_downloads.patterns[%u]", i);
      if (!check_download_pattern (p->download_patterns[i], where, error))
        return FALSE;
    }
  return TRUE;
}

/* A misspelt field would otherwise be ignored, and a rule or an origin group with a
 * typo would silently stop applying. Keys starting with "$" or "_" are comments. */
static gboolean
only_known_keys (const cJSON *obj, const char *where, const char *const *known, GError **error)
{
  const cJSON *child;
  cJSON_ArrayForEach (child, obj)
    {
      if (child->string == NULL || child->string[0] == '$' || child->string[0] == '_'
          || g_strv_contains (known, child->string))
        continue;
      g_autofree char *list = g_strjoinv (", ", (char **) known);
      g_autofree char *what = g_strdup_printf ("unknown field \"%.40s\" (known here: %s)",
                                               child->string, list);
      if (where[0] == '\0')
        return fail (error, "top level", what);
      return fail (error, where, what);
    }
  return TRUE;
}

/* audit_retention: how long the audit log keeps records and how large it may grow,
 * and whether only records an export has taken may go ("after-export") or any
 * ("always": the organisation's forwarding takes them, docs/siem.md). */
static gboolean
parse_retention (const cJSON *doc, Policy *p, GError **error)
{
  static const char *const known[] = { "max_age_days", "max_mb", "prune", NULL };
  const cJSON *section = get_object (doc, "audit_retention", "", error);
  if (section == NULL)
    return *error == NULL;
  g_autofree char *prune = NULL;
  if (!only_known_keys (section, "audit_retention", known, error)
      || !get_size (section, "max_age_days", "audit_retention", 36500, &p->retention_days, error)
      || !get_size (section, "max_mb", "audit_retention", 1024 * 1024, &p->retention_mb, error)
      || !get_string (section, "prune", "audit_retention", &prune, error))
    return FALSE;
  if (prune != NULL && strcmp (prune, "after-export") != 0 && strcmp (prune, "always") != 0)
    return fail (error, "audit_retention.prune", "expected \"after-export\" or \"always\"");
  if (prune != NULL)
    p->retention_after_export = strcmp (prune, "after-export") == 0;
  return TRUE;
}

/* An origin pattern is a star alone or scheme://host[:port]; "chatgpt.com" alone would
 * match nothing, silently. */
gboolean
policy_origin_wellformed (const char *origin)
{
  const char *sep = origin != NULL ? strstr (origin, "://") : NULL;
  return sep != NULL && sep != origin && sep[3] != '\0';
}

static gboolean
check_origin_pattern (const char *pattern, const char *where, GError **error)
{
  if (strcmp (pattern, "*") == 0 || policy_origin_wellformed (pattern))
    return TRUE;
  g_autofree char *what = g_strdup_printf ("\"%.80s\" is not an origin: write scheme://host, "
                                           "e.g. https://chatgpt.com or https://*.example.com", pattern);
  return fail (error, where, what);
}

/* ---- sections ---- */

static char *
detector_list (void)
{
  gsize n = 0;
  const DetectorInfo *all = detect_detectors (&n);
  g_autoptr (GString) list = g_string_new (NULL);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "", all[i].id);
  return g_string_free (g_steal_pointer (&list), FALSE);
}

/* The rule ids so far, for "no rule has the id ..."; the list may be long, so it is cut. */
static char *
rule_id_list (const Policy *policy)
{
  g_autoptr (GString) list = g_string_new (NULL);
  for (guint i = 0; i < policy->rules->len && list->len < 200; i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "", ((Rule *) policy->rules->pdata[i])->id);
  if (list->len >= 200)
    g_string_append (list, ", ...");
  return g_string_free (g_steal_pointer (&list), FALSE);
}

static gboolean
parse_rule (const cJSON *obj, const char *where, Rule *rule, GError **error)
{
  if (!cJSON_IsObject (obj))
    return fail (error, where, "expected an object");
  static const char *const known[] = { "id", "detectors", "labels", "sources", "min_words", "min_count",
                                       "verdict", "message", "learn_more", "justification", "redact",
                                       "placeholder", NULL };
  if (!only_known_keys (obj, where, known, error)
      || !get_string (obj, "id", where, &rule->id, error)
      || !get_strv (obj, "detectors", where, &rule->detectors, error)
      || !get_strv (obj, "labels", where, &rule->labels, error)
      || !get_strv (obj, "sources", where, &rule->sources, error)
      || !get_size (obj, "min_words", where, 1e6, &rule->min_words, error)
      || !get_size (obj, "min_count", where, 1e6, &rule->min_count, error)
      || !get_string (obj, "message", where, &rule->message, error)
      || !get_string (obj, "learn_more", where, &rule->learn_more, error)
      || !get_bool (obj, "justification", where, &rule->justification, error)
      || !get_bool (obj, "redact", where, &rule->redact, error)
      || !get_string (obj, "placeholder", where, &rule->placeholder, error))
    return FALSE;
  rule->has_redact = cJSON_GetObjectItemCaseSensitive (obj, "redact") != NULL;
  if (rule->placeholder != NULL && strlen (rule->placeholder) > POLICY_MAX_PLACEHOLDER)
    {
      g_autofree char *path = g_strdup_printf ("%s.placeholder", where);
      return fail (error, path, "longer than " G_STRINGIFY (POLICY_MAX_PLACEHOLDER) " bytes");
    }
  if (rule->id == NULL || rule->id[0] == '\0')
    return fail (error, where, "a rule needs an \"id\"");
  if (cJSON_GetObjectItemCaseSensitive (obj, "verdict") == NULL)
    return fail (error, where, "a rule needs a \"verdict\"");
  if (rule->detectors[0] == NULL && rule->labels[0] == NULL && rule->sources[0] == NULL)
    return fail (error, where, "a rule needs \"detectors\", \"labels\" or \"sources\", or it matches nothing");
  g_autofree char *verdict_path = field_path (where, "verdict");
  if (!check_rule_verdict (cJSON_GetObjectItemCaseSensitive (obj, "verdict"), verdict_path, &rule->verdict, error))
    return FALSE;
  for (guint i = 0; rule->detectors[i] != NULL; i++)
    if (detect_lookup (rule->detectors[i]) == NULL)
      {
        g_autofree char *path = g_strdup_printf ("%s.detectors[%u]", where, i);
        g_autofree char *detectors = detector_list ();
        g_autofree char *what = g_strdup_printf ("unknown detector \"%.40s\" (detectors: %s)",
                                                 rule->detectors[i], detectors);
        return fail (error, path, what);
      }
  return TRUE;
}

static gboolean
parse_overrides (const cJSON *obj, const char *where, const Policy *policy, OriginGroup *group,
                 GError **error)
{
  const cJSON *overrides = get_object (obj, "overrides", where, error);
  if (overrides == NULL)
    return error == NULL || *error == NULL;
  g_autofree char *path = g_strdup_printf ("%s.overrides", where);
  const cJSON *child;
  cJSON_ArrayForEach (child, overrides)
    {
      gboolean known = FALSE;
      for (guint i = 0; i < policy->rules->len; i++)
        known |= g_strcmp0 (((Rule *) policy->rules->pdata[i])->id, child->string) == 0;
      VerdictLevel v = VERDICT_ALLOW;
      if (!known)
        {
          g_autofree char *rules = rule_id_list (policy);
          g_autofree char *what = g_strdup_printf (
            "origin group \"%.40s\" overrides rule \"%.40s\", but no rule has that id (rules: %s)",
            group->id ? group->id : "(no id)", child->string, rules[0] ? rules : "none");
          return fail (error, path, what);
        }
      g_autofree char *rule_path = field_path (path, child->string);
      if (!check_rule_verdict (child, rule_path, &v, error))
        return FALSE;
      g_hash_table_insert (group->overrides, g_strdup (child->string), GINT_TO_POINTER (v + 1));
    }
  return TRUE;
}

static gboolean
check_origin_patterns (const OriginGroup *group, const char *where, GError **error)
{
  if (group->match[0] == NULL)
    return fail (error, where, "an origin group needs \"match\": a list of origins");
  for (guint i = 0; group->match[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s.match[%u]", where, i);
      if (!check_origin_pattern (group->match[i], path, error))
        return FALSE;
    }
  return TRUE;
}

/* Issue 25: a source's name is what copied findings and rules' "sources" say: a short
 * name, not free text, since it reaches replies and the dialog. */
static gboolean
get_source (const cJSON *obj, const char *where, char **out, GError **error)
{
  if (!get_string (obj, "source", where, out, error))
    return FALSE;
  if (*out == NULL)
    return TRUE;
  gsize n = strlen (*out);
  gboolean ok = n > 0 && n <= 64 && strcmp (*out, "*") != 0;
  for (const char *c = *out; ok && *c != '\0'; c++)
    ok = g_ascii_isalnum (*c) || *c == '-' || *c == '_' || *c == '.';
  if (ok)
    return TRUE;
  g_autofree char *path = field_path (where, "source");
  return fail (error, path, "expected a name of 1 to 64 letters, digits, '-', '_' or '.'");
}

/* Every source a rule names is one an origin group has (or "*"): a misspelt source
 * would switch the rule off without a word. */
static gboolean
check_rule_sources (const Policy *p, GError **error)
{
  for (guint i = 0; i < p->rules->len; i++)
    {
      const Rule *rule = p->rules->pdata[i];
      for (guint j = 0; rule->sources[j] != NULL; j++)
        {
          gboolean known = strcmp (rule->sources[j], "*") == 0;
          for (guint k = 0; !known && k < p->origins->len; k++)
            known = g_strcmp0 (((OriginGroup *) p->origins->pdata[k])->source, rule->sources[j]) == 0;
          if (known)
            continue;
          g_autofree char *path = g_strdup_printf ("rules[%u].sources[%u]", i, j);
          g_autofree char *what = g_strdup_printf ("no origin group has \"source\": \"%.40s\"", rule->sources[j]);
          return fail (error, path, what);
        }
    }
  return TRUE;
}

/* The "copies" section (issue 25). */
static gboolean
parse_copies (const cJSON *doc, Policy *p, GError **error)
{
  static const char *const known[] = { "keep_hours", "max", "min_words", "audit", NULL };
  const cJSON *copies = get_object (doc, "copies", "", error);
  if (copies == NULL)
    return *error == NULL;
  gsize keep = 8, max = p->copies.max_copies, min_words = p->copies.min_words;
  if (!only_known_keys (copies, "copies", known, error)
      || !get_size (copies, "keep_hours", "copies", 720, &keep, error)
      || !get_size (copies, "max", "copies", 1000000, &max, error)
      || !get_size (copies, "min_words", "copies", 100000, &min_words, error)
      || !get_bool (copies, "audit", "copies", &p->copies.audit, error))
    return FALSE;
  if (keep == 0)
    return fail (error, "copies.keep_hours", "expected a whole number from 1 to 720, not 0");
  if (min_words < WINNOW_K)
    return fail (error, "copies.min_words", "expected at least 8 (the words of one k-gram)");
  p->copies.keep_seconds = (gint64) keep * 3600;
  p->copies.max_copies = (guint) MAX (max, 1);
  p->copies.min_words = (guint) min_words;
  return TRUE;
}

static gboolean
parse_origin (const cJSON *obj, const char *where, const Policy *policy, OriginGroup *group,
              GError **error)
{
  if (!cJSON_IsObject (obj))
    return fail (error, where, "expected an object");
  static const char *const known[] = { "id", "match", "max_verdict", "gpu", "model_downloads",
                                       "justification", "overrides", "record_url", "ocr", "source", NULL };
  if (!only_known_keys (obj, where, known, error))
    return FALSE;
  group->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  group->has_max = cJSON_GetObjectItemCaseSensitive (obj, "max_verdict") != NULL;
  group->has_gpu = cJSON_GetObjectItemCaseSensitive (obj, "gpu") != NULL;
  group->has_downloads = cJSON_GetObjectItemCaseSensitive (obj, "model_downloads") != NULL;
  group->has_record_url = cJSON_GetObjectItemCaseSensitive (obj, "record_url") != NULL;
  group->has_ocr = cJSON_GetObjectItemCaseSensitive (obj, "ocr") != NULL;
  return get_string (obj, "id", where, &group->id, error)
         && get_strv (obj, "match", where, &group->match, error)
         && get_verdict (obj, "max_verdict", where, &group->max_verdict, error)
         && get_verdict (obj, "gpu", where, &group->gpu, error)
         && get_download_verdict (obj, "model_downloads", where, &group->downloads, error)
         && get_bool (obj, "justification", where, &group->justification, error)
         && get_bool (obj, "record_url", where, &group->record_url, error)
         && get_bool (obj, "ocr", where, &group->ocr, error)
         && get_source (obj, where, &group->source, error)
         && parse_overrides (obj, where, policy, group, error)
         && check_origin_patterns (group, where, error);
}

/* Overrides, replies and audit records name rules by id: two rules with one id would
 * make each of them ambiguous. */
static gboolean
rule_id_unique (const Policy *policy, const Rule *rule, const char *where, GError **error)
{
  for (guint i = 0; i + 1 < policy->rules->len; i++)
    if (strcmp (((Rule *) policy->rules->pdata[i])->id, rule->id) == 0)
      {
        g_autofree char *path = g_strdup_printf ("%s.id", where);
        g_autofree char *what = g_strdup_printf ("\"%.40s\" is already the id of rules[%u]", rule->id, i);
        return fail (error, path, what);
      }
  return TRUE;
}

static gboolean
parse_list (const cJSON *doc, const char *key, Policy *policy, GPtrArray *into, GError **error)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive (doc, key);
  if (list == NULL)
    return TRUE;
  if (!cJSON_IsArray (list))
    return fail (error, key, "expected a list [...]");
  if (cJSON_GetArraySize (list) > POLICY_MAX_ITEMS)
    return fail (error, key, "more than " G_STRINGIFY (POLICY_MAX_ITEMS) " items");
  int i = 0;
  const cJSON *child;
  cJSON_ArrayForEach (child, list)
    {
      g_autofree char *where = g_strdup_printf ("%s[%d]", key, i++);
      gboolean ok;
      if (into == policy->rules)
        {
          Rule *rule = g_new0 (Rule, 1);
          g_ptr_array_add (into, rule);
          ok = parse_rule (child, where, rule, error) && rule_id_unique (policy, rule, where, error);
        }
      else
        {
          OriginGroup *group = g_new0 (OriginGroup, 1);
          g_ptr_array_add (into, group);
          ok = parse_origin (child, where, policy, group, error);
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* "extract": the bounds of reading documents and archives (docs/policy.md). */
static gboolean
parse_extract (const cJSON *doc, Policy *p, GError **error)
{
  static const char *const keys[] = { "max_inflated_bytes", "max_members", "max_compression_ratio",
                                      "max_depth", "max_pages", "time_per_file_ms", "memory_mb", NULL };
  const cJSON *extract = get_object (doc, "extract", "", error);
  if (extract == NULL)
    return *error == NULL;
  if (!only_known_keys (extract, "extract", keys, error))
    return FALSE;
  ExtractBounds *b = &p->extract;
  gsize inflated = b->max_inflated, members = b->max_members, ratio = b->max_ratio, depth = b->max_depth,
        pages = b->max_pages, time_ms = b->time_ms, memory = b->memory_mb;
  if (!get_size (extract, "max_inflated_bytes", "extract", 4.0 * 1024 * 1024 * 1024, &inflated, error)
      || !get_size (extract, "max_members", "extract", 1e6, &members, error)
      || !get_size (extract, "max_compression_ratio", "extract", 1e6, &ratio, error)
      || !get_size (extract, "max_depth", "extract", 32, &depth, error)
      || !get_size (extract, "max_pages", "extract", 1e6, &pages, error)
      || !get_size (extract, "time_per_file_ms", "extract", 600000, &time_ms, error)
      || !get_size (extract, "memory_mb", "extract", 65536, &memory, error))
    return FALSE;
  if (memory < 64)
    return fail (error, "extract.memory_mb", "at least 64: the parsers need that much to start");
  /* Field by field: the OCR bounds are the "ocr" object's. */
  b->max_inflated = inflated;
  b->max_members = (guint32) members;
  b->max_ratio = (guint32) MAX (ratio, 1);
  b->max_depth = (guint32) depth;
  b->max_pages = (guint32) pages;
  b->time_ms = (guint32) time_ms;
  b->memory_mb = (guint32) memory;
  return TRUE;
}

/* "ocr": reading the text in images (docs/policy.md, issue 26). The languages are
 * Tesseract's names (eng, deu, chi_sim): letters and '_' only, since they become file
 * names of its models. */
static gboolean
parse_ocr (const cJSON *doc, Policy *p, GError **error)
{
  static const char *const keys[] = { "enabled", "languages", "time_ms", "max_pixels", NULL };
  const cJSON *ocr = get_object (doc, "ocr", "", error);
  if (ocr == NULL)
    return *error == NULL;
  gsize time_ms = p->extract.ocr_time_ms, pixels = (gsize) p->extract.ocr_max_pixels;
  g_auto (GStrv) languages = NULL;
  if (!only_known_keys (ocr, "ocr", keys, error)
      || !get_bool (ocr, "enabled", "ocr", &p->ocr, error)
      || !get_strv (ocr, "languages", "ocr", &languages, error)
      || !get_size (ocr, "time_ms", "ocr", 60000, &time_ms, error)
      || !get_size (ocr, "max_pixels", "ocr", 1e9, &pixels, error))
    return FALSE;
  if (time_ms < 100)
    return fail (error, "ocr.time_ms", "at least 100: no image is read faster");
  if (languages != NULL)
    {
      if (languages[0] == NULL || g_strv_length (languages) > 8)
        return fail (error, "ocr.languages", "one to eight of Tesseract's language names, such as \"eng\"");
      for (gsize i = 0; languages[i] != NULL; i++)
        {
          gsize n = strlen (languages[i]);
          gboolean ok = n >= 3 && n <= 16;
          for (gsize j = 0; j < n && ok; j++)
            ok = g_ascii_islower (languages[i][j]) || languages[i][j] == '_';
          if (!ok)
            return fail (error, "ocr.languages", "holds a name that is not a Tesseract language (such as \"eng\")");
        }
      g_free (p->ocr_languages);
      p->ocr_languages = g_strjoinv ("+", languages);
    }
  p->extract.ocr_time_ms = (guint32) time_ms;
  p->extract.ocr_max_pixels = pixels;
  return TRUE;
}

/* "encrypted": files Weir cannot open (docs/policy.md). */
static gboolean
parse_encrypted (const cJSON *doc, Policy *p, GError **error)
{
  static const char *const keys[] = { "verdict", "message", "justification", NULL };
  const cJSON *encrypted = get_object (doc, "encrypted", "", error);
  if (encrypted == NULL)
    return *error == NULL;
  return only_known_keys (encrypted, "encrypted", keys, error)
         && get_verdict (encrypted, "verdict", "encrypted", &p->encrypted, error)
         && get_string (encrypted, "message", "encrypted", &p->encrypted_message, error)
         && get_bool (encrypted, "justification", "encrypted", &p->encrypted_justification, error);
}

static gboolean
parse_sections (const cJSON *doc, Policy *p, GError **error)
{
  const cJSON *oversize, *unreadable, *fallback, *gpu;
  static const char *const top[] = { "version", "fail_mode", "timeout_ms", "min_scan_chars",
                                     "max_scan_bytes", "oversize", "unreadable", "default", "rules",
                                     "origins", "gpu", "model_downloads", "record_url", "encrypted", "audit_retention",
                                     "extract", "ocr", "copies", NULL };
  static const char *const verdict_message[] = { "verdict", "message", NULL };
  static const char *const verdict_only[] = { "verdict", NULL };
  static const char *const downloads[] = { "verdict", "audit", "patterns", NULL };
  const cJSON *version = cJSON_GetObjectItemCaseSensitive (doc, "version");
  if (!only_known_keys (doc, "", top, error)
      || !get_bool (doc, "record_url", "", &p->record_url, error))
    return FALSE;
  if (version != NULL && !(cJSON_IsNumber (version) && version->valuedouble == 1))
    {
      g_autofree char *shown = json_shown (version);
      g_autofree char *what = g_strdup_printf ("this host reads policy version 1, not %s", shown);
      return fail (error, "version", what);
    }
  if (!get_verdict (doc, "fail_mode", "", &p->fail_mode, error)
      || !get_size (doc, "min_scan_chars", "", 1e6, &p->min_scan_chars, error)
      || !get_size (doc, "max_scan_bytes", "", (double) POLICY_MAX_SCAN_BYTES, &p->max_scan_bytes, error))
    return FALSE;
  gsize timeout = p->timeout_ms;
  if (!get_size (doc, "timeout_ms", "", 600000, &timeout, error))
    return FALSE;
  p->timeout_ms = (guint) timeout;
  if (((oversize = get_object (doc, "oversize", "", error)) == NULL && *error)
      || ((unreadable = get_object (doc, "unreadable", "", error)) == NULL && *error)
      || ((fallback = get_object (doc, "default", "", error)) == NULL && *error)
      || ((gpu = get_object (doc, "gpu", "", error)) == NULL && *error))
    return FALSE;
  const cJSON *md = cJSON_GetObjectItemCaseSensitive (doc, "model_downloads");
  if (!only_known_keys (oversize, "oversize", verdict_message, error)
      || !only_known_keys (unreadable, "unreadable", verdict_only, error)
      || !only_known_keys (fallback, "default", verdict_only, error)
      || !only_known_keys (gpu, "gpu", verdict_message, error)
      || (cJSON_IsObject (md) && !only_known_keys (md, "model_downloads", downloads, error)))
    return FALSE;
  return get_verdict (oversize, "verdict", "oversize", &p->oversize, error)
         && get_string (oversize, "message", "oversize", &p->oversize_message, error)
         && get_verdict (unreadable, "verdict", "unreadable", &p->unreadable, error)
         && get_verdict (fallback, "verdict", "default", &p->fallback, error)
         && get_verdict (gpu, "verdict", "gpu", &p->gpu, error)
         && get_string (gpu, "message", "gpu", &p->gpu_message, error)
         && parse_downloads (doc, p, error)
         && parse_retention (doc, p, error)
         && parse_encrypted (doc, p, error)
         && parse_extract (doc, p, error)
         && parse_ocr (doc, p, error)
         && parse_list (doc, "rules", p, p->rules, error)
         && parse_list (doc, "origins", p, p->origins, error)
         && parse_copies (doc, p, error)
         && check_rule_sources (p, error);
}

/* Where the text stops being a UTF-8 JSON object, by line and column: cJSON only says
 * where it gave up, json_syntax_check says what it expected there. */
static gboolean
check_syntax (const char *json, gsize len, GError **error)
{
  JsonSyntaxError where;
  const char *end = NULL;
  if (!g_utf8_validate_len (json, len, &end))
    {
      json_syntax_locate (json, len, (gsize) (end - json), &where);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "line %u, column %u: not UTF-8 text "
                   "(save the file as UTF-8)", where.line, where.column);
      return FALSE;
    }
  if (!json_syntax_check (json, len, &where))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "line %u, column %u: %s",
                   where.line, where.column, where.what);
      return FALSE;
    }
  return TRUE;
}

static cJSON *
parse_document (const char *json, gsize len, GError **error)
{
  if (!check_syntax (json, len, error))
    return NULL;
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts (json, len, &end, FALSE);
  if (doc == NULL)
    {
      /* Well-formed by the grammar but refused by cJSON (memory, its own limits). */
      JsonSyntaxError where;
      json_syntax_locate (json, len, end != NULL ? (gsize) (end - json) : 0, &where);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "line %u, column %u: cannot be read as JSON",
                   where.line, where.column);
      return NULL;
    }
  if (!cJSON_IsObject (doc))
    {
      cJSON_Delete (doc);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "a policy is one JSON object, {...}");
      return NULL;
    }
  return doc;
}

/* Errors carry no prefix here: the callers name the source ("policy:" or the file). */
static Policy *
policy_parse (const char *json, gsize len, GError **error)
{
  if (len > POLICY_MAX_BYTES)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "%" G_GSIZE_FORMAT " bytes, over the limit of %d",
                   len, POLICY_MAX_BYTES);
      return NULL;
    }
  g_autoptr (Policy) p = g_new0 (Policy, 1);
  p->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  p->origins = g_ptr_array_new_with_free_func ((GDestroyNotify) origin_group_free);
  p->fail_mode = VERDICT_BLOCK;
  p->timeout_ms = 3000;
  p->min_scan_chars = 8;
  p->max_scan_bytes = 32 * 1024 * 1024;
  p->oversize = VERDICT_WARN;
  p->gpu = VERDICT_WARN;
  p->encrypted = VERDICT_WARN;
  p->encrypted_justification = TRUE;
  p->encrypted_message = g_strdup (POLICY_ENCRYPTED_MESSAGE);
  p->extract = EXTRACT_BOUNDS_DEFAULT;
  p->ocr_languages = g_strdup ("eng");
  p->downloads = VERDICT_ALLOW;
  p->downloads_audit = TRUE;
  p->retention_days = 90;
  p->retention_mb = 200;
  p->retention_after_export = TRUE;
  p->download_patterns = g_strdupv ((char **) default_download_patterns);
  p->copies = (PolicyCopies) { .keep_seconds = 8 * 3600, .max_copies = 100000, .min_words = WINNOW_K };
  /* Its strings are copied into replies, which must stay valid UTF-8 JSON. */
  p->doc = parse_document (json, len, error);
  if (p->doc == NULL)
    return NULL;
  /* The section readers test *error to tell "absent" from "invalid", so they always
   * get a real one, whatever the caller passed. */
  g_autoptr (GError) local = NULL;
  if (!parse_sections (p->doc, p, &local))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  p->digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) json, len);
  return g_steal_pointer (&p);
}

Policy *
policy_new_from_data (const char *json, gsize len, GError **error)
{
  Policy *policy = policy_parse (json, len, error);
  if (policy == NULL)
    g_prefix_error (error, "policy: ");
  return policy;
}

Policy *
policy_new_from_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!file_read (path, POLICY_MAX_BYTES, &data, &len, error))
    {
      g_prefix_error (error, "policy: ");
      return NULL;
    }
  Policy *policy = policy_parse (data, len, error);
  if (policy == NULL)
    g_prefix_error (error, "policy %s: ", path);
  return policy;
}

Policy *
policy_new_default (GError **error)
{
  /* Asking the resource by name (not the global registry) keeps the linker from
   * dropping it out of the static library. */
  g_autoptr (GBytes) bytes = g_resource_lookup_data (weir_rules_get_resource (),
                                                     "/dev/weir/rules/default-policy.json",
                                                     G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  return policy_new_from_data (data, len, error);
}

