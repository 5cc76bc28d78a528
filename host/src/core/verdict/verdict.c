#include "verdict.h"

#include "engine/findings.h"

void
verdict_free (Verdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->rule);
  g_clear_pointer (&verdict->findings, g_ptr_array_unref);
  g_free (verdict->message);
  g_free (verdict->learn_more);
  g_free (verdict->audit);
  g_clear_error (&verdict->unrecorded);
  redaction_free (verdict->redaction);
  g_strfreev (verdict->placeholders);
  g_free (verdict);
}

/* A finding as a reason: what matched and how much, never the matched value. A
 * document's score is told to two decimals. */
static cJSON *
finding_json (const Finding *finding)
{
  cJSON *reason = cJSON_CreateObject ();
  cJSON_AddStringToObject (reason, "kind", finding_kind_name (finding->kind));
  if (finding->rule)
    cJSON_AddStringToObject (reason, "rule", finding->rule);
  if (finding->name)
    cJSON_AddStringToObject (reason, "name", finding->name);
  if (finding->label)
    cJSON_AddStringToObject (reason, "label", finding->label);
  if (finding->detail)
    cJSON_AddStringToObject (reason, "columns", finding->detail);
  if (finding->kind == FINDING_DOCUMENT)
    cJSON_AddNumberToObject (reason, "score", (double) (gint) (finding->score * 100 + 0.5) / 100);
  else
    cJSON_AddNumberToObject (reason, "count", finding->count);
  return reason;
}

static cJSON *
policy_reason_json (const VerdictPolicyReason *policy_reason)
{
  cJSON *reason = cJSON_CreateObject ();
  cJSON_AddStringToObject (reason, "kind", "policy");
  cJSON_AddStringToObject (reason, "rule", policy_reason->rule);
  if (policy_reason->count > 0)
    cJSON_AddNumberToObject (reason, "count", policy_reason->count);
  return reason;
}

cJSON *
verdict_reasons_json (const Verdict *verdict)
{
  cJSON *reasons = cJSON_CreateArray ();
  for (guint i = 0; i < verdict->findings->len && i < VERDICT_MAX_FINDINGS; i++)
    cJSON_AddItemToArray (reasons, finding_json (verdict->findings->pdata[i]));
  for (guint i = 0; i < verdict->n_policy_reasons; i++)
    cJSON_AddItemToArray (reasons, policy_reason_json (&verdict->policy_reasons[i]));
  return reasons;
}
