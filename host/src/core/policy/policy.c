/* policy.c: what the policy says: from findings and a destination to a decision, and
 * what the extension is told of it. The Policy is built by policy-parse.c. */
#include "policy-private.h"

#include <string.h>

#include "engine/findings.h"

const char *
verdict_name (VerdictLevel verdict)
{
  switch (verdict)
    {
    case VERDICT_ALLOW: return "allow";
    case VERDICT_REDACT: return "redact";
    case VERDICT_WARN: return "warn";
    case VERDICT_BLOCK: return "block";
    }
  g_assert_not_reached ();
}

gboolean
verdict_parse (const char *name, VerdictLevel *out)
{
  static const VerdictLevel all[] = { VERDICT_ALLOW, VERDICT_WARN, VERDICT_BLOCK };
  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (all); i++)
    if (strcmp (name, verdict_name (all[i])) == 0)
      {
        *out = all[i];
        return TRUE;
      }
  return FALSE;
}

gboolean
verdict_parse_rule (const char *name, VerdictLevel *out)
{
  if (g_strcmp0 (name, "redact") == 0)
    {
      *out = VERDICT_REDACT;
      return TRUE;
    }
  return verdict_parse (name, out);
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
  /* min_count: "warn on 1 card, block on 50" is a block rule with min_count 50 listed
   * before a warn rule; a finding under the count passes on to the next rule. */
  if (finding->kind != FINDING_DOCUMENT && finding->count < rule->min_count)
    return FALSE;
  if (finding->kind == FINDING_PATTERN)
    return g_strv_contains ((const char *const *) rule->detectors, finding->rule);
  if ((finding->kind == FINDING_DOCUMENT || finding->kind == FINDING_COPIED) && finding->words < rule->min_words)
    return FALSE;
  if (finding->kind == FINDING_COPIED)
    return g_strv_contains ((const char *const *) rule->sources, "*")
           || g_strv_contains ((const char *const *) rule->sources, finding->name);
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

static VerdictLevel
rule_verdict (const Rule *rule, const OriginGroup *group)
{
  gpointer v = group ? g_hash_table_lookup (group->overrides, rule->id) : NULL;
  return v != NULL ? (VerdictLevel) (GPOINTER_TO_INT (v) - 1) : rule->verdict;
}

/* Whether a finding under rule, whose verdict here is v, may be masked instead. */
static gboolean
rule_redactable (const Rule *rule, VerdictLevel v)
{
  if (v == VERDICT_REDACT)
    return TRUE;
  return rule->has_redact ? rule->redact : v == VERDICT_WARN;
}

gboolean
policy_redaction_allowed (const Policy *policy, const char *origin, const GPtrArray *findings)
{
  const OriginGroup *group = find_origin (policy, origin);
  gboolean any = FALSE;
  for (guint i = 0; findings != NULL && i < findings->len; i++)
    {
      const Finding *finding = findings->pdata[i];
      const Rule *rule = first_rule (policy, finding);
      if (rule == NULL)
        continue;
      VerdictLevel v = rule_verdict (rule, group);
      if (group != NULL && group->has_max)
        v = MIN (v, group->max_verdict);
      if (v == VERDICT_ALLOW)
        continue;
      if (finding->kind == FINDING_DOCUMENT || !rule_redactable (rule, v))
        return FALSE;
      any = TRUE;
    }
  return any;
}

const char *
policy_placeholder (const Policy *policy, const Finding *finding)
{
  const Rule *rule = first_rule (policy, finding);
  return rule != NULL ? rule->placeholder : NULL;
}

void
policy_decide (const Policy *policy, const char *origin, const GPtrArray *findings,
               PolicyDecision *out)
{
  const OriginGroup *group = find_origin (policy, origin);
  const Rule *deciding = NULL;
  VerdictLevel verdict = policy->fallback;
  for (guint i = 0; findings != NULL && i < findings->len; i++)
    {
      const Rule *rule = first_rule (policy, findings->pdata[i]);
      if (rule == NULL)
        continue;
      VerdictLevel v = rule_verdict (rule, group);
      /* A rule decides only when it raises the verdict: one below the default verdict
       * must not lend its message to a verdict it did not set. */
      if (deciding == NULL ? v >= verdict : v > verdict)
        {
          verdict = v;
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
  VerdictLevel verdict = group != NULL && group->has_gpu ? group->gpu : policy->gpu;
  *out = (PolicyDecision) {
    .verdict = verdict,
    .rule_id = "gpu",
    .message = verdict != VERDICT_ALLOW ? policy->gpu_message : NULL,
  };
}

void
policy_decide_download (const Policy *policy, const char *origin, PolicyDecision *out)
{
  const OriginGroup *group = find_origin (policy, origin);
  VerdictLevel verdict = group != NULL && group->has_downloads ? group->downloads : policy->downloads;
  *out = (PolicyDecision) { .verdict = verdict, .rule_id = "model-download" };
}

gboolean
policy_download_audit (const Policy *policy)
{
  return policy->downloads_audit;
}

const char *const *
policy_download_patterns (const Policy *policy)
{
  return (const char *const *) policy->download_patterns;
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
policy_decide_encrypted (const Policy *policy, PolicyDecision *out)
{
  *out = (PolicyDecision) {
    .verdict = policy->encrypted,
    .rule_id = "encrypted",
    .message = policy->encrypted != VERDICT_ALLOW ? policy->encrypted_message : NULL,
    .justification = policy->encrypted == VERDICT_WARN && policy->encrypted_justification,
  };
}

const ExtractBounds *
policy_extract_bounds (const Policy *policy)
{
  return &policy->extract;
}

void
policy_extract_bounds_for (const Policy *policy, const char *origin, ExtractBounds *out)
{
  const OriginGroup *group = find_origin (policy, origin);
  *out = policy->extract;
  out->ocr = (group != NULL && group->has_ocr ? group->ocr : policy->ocr) ? 1 : 0;
}

const char *
policy_ocr_languages (const Policy *policy)
{
  return policy->ocr_languages;
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

gboolean
policy_record_url (const Policy *policy, const char *origin)
{
  const OriginGroup *group = find_origin (policy, origin);
  return group != NULL && group->has_record_url ? group->record_url : policy->record_url;
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

const char *
policy_origin_source (const Policy *policy, const char *origin)
{
  const OriginGroup *group = find_origin (policy, origin);
  return group != NULL ? group->source : NULL;
}

void
policy_copies (const Policy *policy, PolicyCopies *out)
{
  *out = policy->copies;
}

gboolean
policy_has_sources (const Policy *policy)
{
  for (guint i = 0; i < policy->origins->len; i++)
    if (((const OriginGroup *) policy->origins->pdata[i])->source != NULL)
      return TRUE;
  return FALSE;
}

/* Issue 25: the extension sends copies only from pages of a source group, so it gets
 * every origin group in order with its source, if any: the first group that matches a
 * page decides, as for the host's own verdicts (which checks again). Empty when no
 * group is a source, so the extension sends nothing. */
static cJSON *
copies_to_json (const Policy *policy)
{
  cJSON *copies = cJSON_CreateObject ();
  cJSON *origins = cJSON_AddArrayToObject (copies, "origins");
  for (guint i = 0; policy_has_sources (policy) && i < policy->origins->len; i++)
    {
      const OriginGroup *group = policy->origins->pdata[i];
      cJSON *entry = cJSON_CreateObject ();
      cJSON_AddItemToObject (entry, "match",
                             cJSON_CreateStringArray ((const char *const *) group->match,
                                                      (int) g_strv_length (group->match)));
      if (group->source != NULL)
        cJSON_AddStringToObject (entry, "source", group->source);
      cJSON_AddItemToArray (origins, entry);
    }
  return copies;
}

/* Every origin group in order, each with its own verdict for one section (gpu, model
 * downloads) when it sets one: the first group that matches a page's origin decides, as for
 * the host's own verdicts, and one without a verdict leaves the section's default. */
static cJSON *
origins_to_json (const Policy *policy, gboolean gpu)
{
  cJSON *origins = cJSON_CreateArray ();
  for (guint i = 0; i < policy->origins->len; i++)
    {
      const OriginGroup *group = policy->origins->pdata[i];
      cJSON *entry = cJSON_CreateObject ();
      cJSON_AddItemToObject (entry, "match",
                             cJSON_CreateStringArray ((const char *const *) group->match,
                                                      (int) g_strv_length (group->match)));
      if (gpu ? group->has_gpu : group->has_downloads)
        cJSON_AddStringToObject (entry, "verdict", verdict_name (gpu ? group->gpu : group->downloads));
      cJSON_AddItemToArray (origins, entry);
    }
  return origins;
}

/* The extension decides on model downloads itself (a request cannot wait for the host),
 * so it gets the patterns and the origin groups. */
static cJSON *
downloads_to_json (const Policy *policy)
{
  cJSON *models = cJSON_CreateObject ();
  cJSON_AddStringToObject (models, "verdict", verdict_name (policy->downloads));
  cJSON_AddBoolToObject (models, "audit", policy->downloads_audit);
  cJSON_AddItemToObject (models, "patterns",
                         cJSON_CreateStringArray ((const char *const *) policy->download_patterns,
                                                  (int) g_strv_length (policy->download_patterns)));
  cJSON_AddItemToObject (models, "origins", origins_to_json (policy, FALSE));
  return models;
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
  cJSON_AddStringToObject (hello, "encrypted", verdict_name (policy->encrypted));
  cJSON *gpu = cJSON_AddObjectToObject (hello, "gpu");
  cJSON_AddStringToObject (gpu, "verdict", verdict_name (policy->gpu));
  /* Issue 20: shared and service workers, which Weir cannot reach inside, are refused
   * where an origin's verdict is block; the extension decides that from these. */
  cJSON_AddItemToObject (gpu, "origins", origins_to_json (policy, TRUE));
  cJSON_AddItemToObject (hello, "model_downloads", downloads_to_json (policy));
  cJSON_AddItemToObject (hello, "copies", copies_to_json (policy));
  cJSON_AddStringToObject (hello, "digest", policy->digest);
  return hello;
}

void
policy_audit_retention (const Policy *policy, guint *days, guint *mb, gboolean *after_export)
{
  *days = (guint) policy->retention_days;
  *mb = (guint) policy->retention_mb;
  *after_export = policy->retention_after_export;
}
