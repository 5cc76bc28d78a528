#include "verdict.h"

#include <string.h>

#include "engine/findings.h"
#include "text.h"

void
verdict_free (Verdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->rule);
  for (guint i = 0; i < verdict->n_policy_reasons; i++)
    {
      g_free (verdict->policy_reasons[i].file);
      g_free (verdict->policy_reasons[i].where);
      g_free (verdict->policy_reasons[i].detail);
    }
  g_clear_pointer (&verdict->findings, g_ptr_array_unref);
  g_free (verdict->message);
  g_free (verdict->learn_more);
  g_free (verdict->audit);
  g_clear_error (&verdict->unrecorded);
  redaction_free (verdict->redaction);
  g_strfreev (verdict->placeholders);
  g_free (verdict);
}

/* Names of files and places in them: what the user called the file, cut to a bound
 * and made valid UTF-8 (weir scan's names come from the command line, any bytes). */
#define REASON_MAX_FILE 255
#define REASON_MAX_WHERE 1024

static void
add_name (cJSON *reason, const char *field, const char *value, gsize max)
{
  g_autofree char *valid = g_utf8_make_valid (value, -1);
  g_autofree char *cut = text_utf8_prefix (valid, max);
  cJSON_AddStringToObject (reason, field, cut);
}

/* A finding as a reason: what matched and how much, never the matched value; for what a
 * file held, which file ("file", its name as sent) and where in it ("where"). A
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
  if (finding->file)
    add_name (reason, "file", finding->file, REASON_MAX_FILE);
  if (finding->where)
    add_name (reason, "where", finding->where, REASON_MAX_WHERE);
  if (finding->kind == FINDING_COPIED)
    {
      /* Issue 25: which source the text was copied from, how many words it shares with
       * that copy and when it was copied (UTC). name is the source. */
      cJSON_AddStringToObject (reason, "source", finding->name);
      cJSON_AddNumberToObject (reason, "words", finding->words);
      g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (finding->at);
      g_autofree char *when = at ? g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ") : NULL;
      if (when != NULL)
        cJSON_AddStringToObject (reason, "copied_at", when);
    }
  else if (finding->kind == FINDING_DOCUMENT)
    cJSON_AddNumberToObject (reason, "score", (double) (gint) (finding->score * 100 + 0.5) / 100);
  else
    cJSON_AddNumberToObject (reason, "count", finding->count);
  /* Issue 26: read from an image, so it may hold OCR's errors. */
  if (finding->ocr)
    cJSON_AddStringToObject (reason, "source", "ocr");
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
  if (policy_reason->file)
    cJSON_AddStringToObject (reason, "file", policy_reason->file);
  if (policy_reason->where)
    cJSON_AddStringToObject (reason, "where", policy_reason->where);
  if (policy_reason->detail)
    cJSON_AddStringToObject (reason, strcmp (policy_reason->rule, "oversize") == 0 ? "bound" : "detail",
                             policy_reason->detail);
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
