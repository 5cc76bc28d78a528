#include "policy.h"

#include <gio/gio.h>
#include <string.h>

#include "engine/detect.h"
#include "engine/findings.h"
#include "weir-error.h"
#include "weir-rules.h"

/* A policy file is admin input, but it may arrive from anywhere: cap its size and
 * the length of every list, and check every field's type. */
#define POLICY_MAX_BYTES (4 * 1024 * 1024)
#define POLICY_MAX_ITEMS 4096

typedef struct {
  char *id;
  GStrv detectors;  /* detector ids; may be empty */
  GStrv labels;     /* pack labels; "*" is any label */
  Verdict verdict;
  char *message;
  char *learn_more;
  gboolean justification;
} Rule;

typedef struct {
  char *id;
  GStrv match;
  gboolean has_max;
  Verdict max_verdict;
  gboolean justification;
  gboolean has_gpu;
  Verdict gpu;
  GHashTable *overrides;  /* rule id -> GINT_TO_POINTER (Verdict + 1) */
} OriginGroup;

struct Policy {
  cJSON *doc;
  char *digest;
  Verdict fail_mode;
  guint timeout_ms;
  gsize min_scan_chars;
  gsize max_scan_bytes;
  Verdict oversize;
  char *oversize_message;
  Verdict unreadable;
  Verdict fallback;
  Verdict gpu;
  char *gpu_message;
  GPtrArray *rules;    /* Rule* */
  GPtrArray *origins;  /* OriginGroup* */
};

const char *
verdict_name (Verdict verdict)
{
  switch (verdict)
    {
    case VERDICT_ALLOW: return "allow";
    case VERDICT_WARN: return "warn";
    case VERDICT_BLOCK: return "block";
    }
  g_assert_not_reached ();
}

gboolean
verdict_parse (const char *name, Verdict *out)
{
  static const Verdict all[] = { VERDICT_ALLOW, VERDICT_WARN, VERDICT_BLOCK };
  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (all); i++)
    if (strcmp (name, verdict_name (all[i])) == 0)
      {
        *out = all[i];
        return TRUE;
      }
  return FALSE;
}

static void
rule_free (Rule *rule)
{
  g_free (rule->id);
  g_strfreev (rule->detectors);
  g_strfreev (rule->labels);
  g_free (rule->message);
  g_free (rule->learn_more);
  g_free (rule);
}

static void
origin_group_free (OriginGroup *group)
{
  g_free (group->id);
  g_strfreev (group->match);
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
  g_free (policy->gpu_message);
  g_clear_pointer (&policy->rules, g_ptr_array_unref);
  g_clear_pointer (&policy->origins, g_ptr_array_unref);
  g_free (policy);
}

/* ---- typed field readers: each names the field in its error ---- */

static gboolean
fail (GError **error, const char *where, const char *what)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "policy: %s: %s", where, what);
  return FALSE;
}

static gboolean
get_verdict (const cJSON *obj, const char *key, const char *where, Verdict *out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL)
    return TRUE;
  g_autofree char *path = g_strdup_printf ("%s.%s", where, key);
  if (!cJSON_IsString (item) || !verdict_parse (item->valuestring, out))
    return fail (error, path, "expected \"allow\", \"warn\" or \"block\"");
  return TRUE;
}

static gboolean
get_string (const cJSON *obj, const char *key, const char *where, char **out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL || cJSON_IsNull (item))
    return TRUE;
  g_autofree char *path = g_strdup_printf ("%s.%s", where, key);
  if (!cJSON_IsString (item))
    return fail (error, path, "expected a string");
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
  g_autofree char *path = g_strdup_printf ("%s.%s", where, key);
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
  g_autofree char *path = g_strdup_printf ("%s.%s", where, key);
  if (!cJSON_IsNumber (item) || item->valuedouble < 0 || item->valuedouble > max
      || item->valuedouble != (double) (gint64) item->valuedouble)
    return fail (error, path, "expected a whole number in range");
  *out = (gsize) item->valuedouble;
  return TRUE;
}

static gboolean
get_strv (const cJSON *obj, const char *key, const char *where, GStrv *out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  g_autofree char *path = g_strdup_printf ("%s.%s", where, key);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  if (item != NULL && (!cJSON_IsArray (item) || cJSON_GetArraySize (item) > POLICY_MAX_ITEMS))
    return fail (error, path, "expected a list of strings");
  const cJSON *child;
  cJSON_ArrayForEach (child, item)
    {
      if (!cJSON_IsString (child))
        return fail (error, path, "expected a list of strings");
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
      g_autofree char *path = g_strdup_printf ("%s.%s", where, key);
      fail (error, path, "expected an object");
      return NULL;
    }
  return item;
}

/* ---- sections ---- */

static gboolean
parse_rule (const cJSON *obj, const char *where, Rule *rule, GError **error)
{
  if (!cJSON_IsObject (obj))
    return fail (error, where, "expected an object");
  if (!get_string (obj, "id", where, &rule->id, error)
      || !get_strv (obj, "detectors", where, &rule->detectors, error)
      || !get_strv (obj, "labels", where, &rule->labels, error)
      || !get_string (obj, "message", where, &rule->message, error)
      || !get_string (obj, "learn_more", where, &rule->learn_more, error)
      || !get_bool (obj, "justification", where, &rule->justification, error))
    return FALSE;
  if (rule->id == NULL || rule->id[0] == '\0')
    return fail (error, where, "a rule needs an \"id\"");
  if (cJSON_GetObjectItemCaseSensitive (obj, "verdict") == NULL)
    return fail (error, where, "a rule needs a \"verdict\"");
  if (!get_verdict (obj, "verdict", where, &rule->verdict, error))
    return FALSE;
  for (char **d = rule->detectors; *d != NULL; d++)
    if (detect_lookup (*d) == NULL)
      {
        g_autofree char *what = g_strdup_printf ("unknown detector \"%s\"", *d);
        return fail (error, where, what);
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
      Verdict v = VERDICT_ALLOW;
      if (!known)
        return fail (error, path, "names a rule that does not exist");
      if (!cJSON_IsString (child) || !verdict_parse (child->valuestring, &v))
        return fail (error, path, "expected \"allow\", \"warn\" or \"block\" for each rule");
      g_hash_table_insert (group->overrides, g_strdup (child->string), GINT_TO_POINTER (v + 1));
    }
  return TRUE;
}

static gboolean
parse_origin (const cJSON *obj, const char *where, const Policy *policy, OriginGroup *group,
              GError **error)
{
  if (!cJSON_IsObject (obj))
    return fail (error, where, "expected an object");
  group->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  group->has_max = cJSON_GetObjectItemCaseSensitive (obj, "max_verdict") != NULL;
  group->has_gpu = cJSON_GetObjectItemCaseSensitive (obj, "gpu") != NULL;
  return get_string (obj, "id", where, &group->id, error)
         && get_strv (obj, "match", where, &group->match, error)
         && get_verdict (obj, "max_verdict", where, &group->max_verdict, error)
         && get_verdict (obj, "gpu", where, &group->gpu, error)
         && get_bool (obj, "justification", where, &group->justification, error)
         && parse_overrides (obj, where, policy, group, error);
}

static gboolean
parse_list (const cJSON *doc, const char *key, Policy *policy, GPtrArray *into, GError **error)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive (doc, key);
  if (list == NULL)
    return TRUE;
  if (!cJSON_IsArray (list) || cJSON_GetArraySize (list) > POLICY_MAX_ITEMS)
    return fail (error, key, "expected a list");
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
          ok = parse_rule (child, where, rule, error);
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

static gboolean
parse_sections (const cJSON *doc, Policy *p, GError **error)
{
  const cJSON *oversize, *unreadable, *fallback, *gpu;
  if (!get_verdict (doc, "fail_mode", "policy", &p->fail_mode, error)
      || !get_size (doc, "min_scan_chars", "policy", 1e6, &p->min_scan_chars, error)
      || !get_size (doc, "max_scan_bytes", "policy", 64.0 * 1024 * 1024, &p->max_scan_bytes, error))
    return FALSE;
  gsize timeout = p->timeout_ms;
  if (!get_size (doc, "timeout_ms", "policy", 600000, &timeout, error))
    return FALSE;
  p->timeout_ms = (guint) timeout;
  if (((oversize = get_object (doc, "oversize", "policy", error)) == NULL && *error)
      || ((unreadable = get_object (doc, "unreadable", "policy", error)) == NULL && *error)
      || ((fallback = get_object (doc, "default", "policy", error)) == NULL && *error)
      || ((gpu = get_object (doc, "gpu", "policy", error)) == NULL && *error))
    return FALSE;
  return get_verdict (oversize, "verdict", "oversize", &p->oversize, error)
         && get_string (oversize, "message", "oversize", &p->oversize_message, error)
         && get_verdict (unreadable, "verdict", "unreadable", &p->unreadable, error)
         && get_verdict (fallback, "verdict", "default", &p->fallback, error)
         && get_verdict (gpu, "verdict", "gpu", &p->gpu, error)
         && get_string (gpu, "message", "gpu", &p->gpu_message, error)
         && parse_list (doc, "rules", p, p->rules, error)
         && parse_list (doc, "origins", p, p->origins, error);
}

Policy *
policy_new_from_data (const char *json, gsize len, GError **error)
{
  g_return_val_if_fail (error != NULL, NULL);
  if (len > POLICY_MAX_BYTES)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY, "policy: over %d bytes", POLICY_MAX_BYTES);
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
  p->doc = cJSON_ParseWithLength (json, len);
  if (p->doc == NULL || !cJSON_IsObject (p->doc))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_POLICY,
                   "policy: not a JSON object (check for a missing comma or brace)");
      return NULL;
    }
  if (!parse_sections (p->doc, p, error))
    return NULL;
  p->digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) json, len);
  return g_steal_pointer (&p);
}

Policy *
policy_new_from_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  Policy *policy = policy_new_from_data (data, len, error);
  if (policy == NULL)
    g_prefix_error (error, "%s: ", path);
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

/* ---- origins ---- */

/* Splits "scheme://host[:port][/...]" into its parts, in place in buf. */
static gboolean
split_origin (char *buf, char **scheme, char **host, char **port)
{
  char *sep = strstr (buf, "://");
  if (sep == NULL)
    return FALSE;
  *sep = '\0';
  *scheme = buf;
  *host = sep + 3;
  char *slash = strchr (*host, '/');
  if (slash != NULL)
    *slash = '\0';
  char *colon = strrchr (*host, ':');
  *port = NULL;
  if (colon != NULL && strchr (colon, ']') == NULL)
    {
      *colon = '\0';
      *port = colon + 1;
    }
  return TRUE;
}

static gboolean
host_matches (const char *pattern, const char *host)
{
  if (g_str_has_prefix (pattern, "*."))
    {
      const char *base = pattern + 2;
      gsize hl = strlen (host), bl = strlen (base);
      return g_ascii_strcasecmp (host, base) == 0
             || (hl > bl && host[hl - bl - 1] == '.' && g_ascii_strcasecmp (host + hl - bl, base) == 0);
    }
  return strcmp (pattern, "*") == 0 || g_ascii_strcasecmp (pattern, host) == 0;
}

gboolean
policy_origin_matches (const char *pattern, const char *origin)
{
  if (pattern == NULL || origin == NULL)
    return FALSE;
  if (strcmp (pattern, "*") == 0)
    return TRUE;
  g_autofree char *p = g_strdup (pattern), *o = g_strdup (origin);
  char *ps, *ph, *pp, *os, *oh, *op;
  if (!split_origin (p, &ps, &ph, &pp) || !split_origin (o, &os, &oh, &op))
    return FALSE;
  if (strcmp (ps, "*") != 0 && g_ascii_strcasecmp (ps, os) != 0)
    return FALSE;
  if (pp != NULL && g_strcmp0 (pp, op) != 0)
    return FALSE;
  return host_matches (ph, oh);
}

static const OriginGroup *
find_origin (const Policy *policy, const char *origin)
{
  for (guint i = 0; origin != NULL && i < policy->origins->len; i++)
    {
      const OriginGroup *group = policy->origins->pdata[i];
      for (char **m = group->match; *m != NULL; m++)
        if (policy_origin_matches (*m, origin))
          return group;
    }
  return NULL;
}

/* ---- decisions ---- */

static gboolean
rule_applies (const Rule *rule, const Finding *finding)
{
  if (finding->kind == FINDING_PATTERN)
    return g_strv_contains ((const char *const *) rule->detectors, finding->rule);
  for (char **l = rule->labels; *l != NULL; l++)
    if (strcmp (*l, "*") == 0 || g_strcmp0 (*l, finding->label) == 0)
      return TRUE;
  return FALSE;
}

static const Rule *
first_rule (const Policy *policy, const Finding *finding)
{
  for (guint i = 0; i < policy->rules->len; i++)
    if (rule_applies (policy->rules->pdata[i], finding))
      return policy->rules->pdata[i];
  return NULL;
}

static Verdict
rule_verdict (const Rule *rule, const OriginGroup *group)
{
  gpointer v = group ? g_hash_table_lookup (group->overrides, rule->id) : NULL;
  return v != NULL ? (Verdict) (GPOINTER_TO_INT (v) - 1) : rule->verdict;
}

void
policy_decide (const Policy *policy, const char *origin, const GPtrArray *findings,
               PolicyDecision *out)
{
  const OriginGroup *group = find_origin (policy, origin);
  const Rule *deciding = NULL;
  Verdict verdict = policy->fallback;
  for (guint i = 0; findings != NULL && i < findings->len; i++)
    {
      const Rule *rule = first_rule (policy, findings->pdata[i]);
      if (rule == NULL)
        continue;
      Verdict v = rule_verdict (rule, group);
      if (deciding == NULL || v > verdict)
        {
          verdict = MAX (v, policy->fallback);
          deciding = rule;
        }
    }
  if (group != NULL && group->has_max)
    verdict = MIN (verdict, group->max_verdict);
  *out = (PolicyDecision) {
    .verdict = verdict,
    .rule_id = deciding ? deciding->id : NULL,
    .message = verdict != VERDICT_ALLOW && deciding ? deciding->message : NULL,
    .learn_more = verdict != VERDICT_ALLOW && deciding ? deciding->learn_more : NULL,
    .justification = verdict == VERDICT_WARN
                     && ((deciding && deciding->justification) || (group && group->justification)),
  };
}

void
policy_decide_gpu (const Policy *policy, const char *origin, PolicyDecision *out)
{
  const OriginGroup *group = find_origin (policy, origin);
  Verdict verdict = group != NULL && group->has_gpu ? group->gpu : policy->gpu;
  *out = (PolicyDecision) {
    .verdict = verdict,
    .rule_id = "gpu",
    .message = verdict != VERDICT_ALLOW ? policy->gpu_message : NULL,
  };
}

void
policy_decide_oversize (const Policy *policy, PolicyDecision *out)
{
  *out = (PolicyDecision) {
    .verdict = policy->oversize,
    .rule_id = "oversize",
    .message = policy->oversize != VERDICT_ALLOW ? policy->oversize_message : NULL,
  };
}

void
policy_decide_unreadable (const Policy *policy, PolicyDecision *out)
{
  *out = (PolicyDecision) { .verdict = policy->unreadable, .rule_id = "unreadable" };
}

void
policy_decide_failure (const Policy *policy, PolicyDecision *out)
{
  *out = (PolicyDecision) {
    .verdict = policy->fail_mode,
    .rule_id = "fail-mode",
    .message = "Weir could not check this content.",
  };
}

gsize
policy_min_scan_chars (const Policy *policy)
{
  return policy->min_scan_chars;
}

gsize
policy_max_scan_bytes (const Policy *policy)
{
  return policy->max_scan_bytes;
}

guint
policy_timeout_ms (const Policy *policy)
{
  return policy->timeout_ms;
}

const char *
policy_digest (const Policy *policy)
{
  return policy->digest;
}

cJSON *
policy_to_hello_json (const Policy *policy)
{
  cJSON *hello = cJSON_CreateObject ();
  cJSON_AddStringToObject (hello, "fail_mode", verdict_name (policy->fail_mode));
  cJSON_AddNumberToObject (hello, "timeout_ms", policy->timeout_ms);
  cJSON_AddNumberToObject (hello, "min_scan_chars", (double) policy->min_scan_chars);
  cJSON_AddNumberToObject (hello, "max_scan_bytes", (double) policy->max_scan_bytes);
  cJSON_AddStringToObject (hello, "oversize", verdict_name (policy->oversize));
  cJSON_AddStringToObject (hello, "unreadable", verdict_name (policy->unreadable));
  cJSON *gpu = cJSON_AddObjectToObject (hello, "gpu");
  cJSON_AddStringToObject (gpu, "verdict", verdict_name (policy->gpu));
  const cJSON *models = cJSON_GetObjectItemCaseSensitive (policy->doc, "model_downloads");
  if (cJSON_IsObject (models))
    cJSON_AddItemToObject (hello, "model_downloads", cJSON_Duplicate (models, TRUE));
  cJSON_AddStringToObject (hello, "digest", policy->digest);
  return hello;
}
