/* redaction.c: whether a verdict can offer the paste with its findings masked, and how
 * the reply and the audit record tell it (issue 24).
 *
 * The offer is made only when it is sound: the policy allows it for every finding that
 * matters, and the content masked with the policy's placeholders, scanned again with
 * the same files (never rewritten), leaves nothing any rule acts on. */
#include "verdict-private.h"

#include <string.h>

#include "engine/spans.h"

/* The placeholder of each kind: its first rule's, else the detector's or table's. */
GStrv
verdict_placeholders (const Policy *policy, const Redaction *r, const GPtrArray *findings)
{
  GStrv out = g_new0 (char *, r->kinds->len + 1);
  for (guint i = 0; i < r->kinds->len; i++)
    {
      const RedactKind *k = &g_array_index (r->kinds, RedactKind, i);
      Finding probe = { .kind = k->kind };
      if (k->kind == FINDING_PATTERN)
        probe.rule = (char *) k->name;
      for (guint f = 0; k->kind == FINDING_EDM && f < findings->len; f++)
        {
          const Finding *found = findings->pdata[f];
          if (found->kind == FINDING_EDM && g_strcmp0 (found->name, k->name) == 0)
            probe = *found;
        }
      const char *set = policy_placeholder (policy, &probe);
      out[i] = set != NULL ? g_strdup (set) : engine_span_placeholder (k->kind, k->name);
    }
  return out;
}

/* Whether a finding came from a file, which masking cannot change. */
static gboolean
found_in_files (const GPtrArray *findings)
{
  for (guint i = 0; i < findings->len; i++)
    if (((const Finding *) findings->pdata[i])->file != NULL)
      return TRUE;
  return FALSE;
}

/* Whether the request with its text and HTML masked leaves nothing a rule acts on. */
static gboolean
masked_is_clean (const Verdict *verdict, const ScanRequest *request, WeirContext *ctx, gint64 deadline)
{
  const Policy *policy = context_policy (ctx);
  const Redaction *r = verdict->redaction;
  const char *const *ph = (const char *const *) verdict->placeholders;
  g_autofree char *text = request->text ? redaction_mask (request->text, strlen (request->text), r->text, ph, FALSE) : NULL;
  g_autofree char *html = request->html ? redaction_mask (request->html, strlen (request->html), r->html, ph, TRUE) : NULL;
  ScanRequest masked = *request;
  masked.text = text;
  masked.html = html;
  ScanResult scan;
  /* Files are never rewritten: their findings stand whatever the masking (checked by
   * the caller), so the masked text and HTML are scanned alone. */
  masked.files = NULL;
  masked.n_files = 0;
  scan_run (&masked, context_index (ctx), policy_min_scan_chars (policy), deadline, NULL, NULL, &scan);
  PolicyDecision decision;
  policy_decide (policy, request->origin, scan.findings, &decision);
  gboolean clean = !scan.overrun && (decision.verdict == VERDICT_ALLOW || decision.rule_id == NULL);
  scan_result_clear (&scan);
  return clean;
}

void
verdict_plan_redaction (Verdict *verdict, const ScanRequest *request, WeirContext *ctx, gint64 deadline,
                        const GPtrArray *findings, PolicyDecision *decision)
{
  const Policy *policy = context_policy (ctx);
  gsize bytes = (request->text ? strlen (request->text) : 0) + (request->html ? strlen (request->html) : 0);
  if (request->spans && decision->verdict != VERDICT_ALLOW && verdict->overrides == 0 && bytes <= REDACT_MAX_BYTES)
    {
      g_autoptr (Redaction) r = redaction_new (request, context_index (ctx));
      if (r->matches > 0 && !r->incomplete && r->text->len + r->html->len <= REDACT_MAX_PIECES)
        {
          verdict->placeholders = verdict_placeholders (policy, r, findings);
          verdict->redaction = g_steal_pointer (&r);
          verdict->redact_offer = policy_redaction_allowed (policy, request->origin, findings)
                                  && !found_in_files (findings)
                                  && masked_is_clean (verdict, request, ctx, deadline);
        }
    }
  if (decision->verdict == VERDICT_REDACT && !verdict->redact_offer)
    {
      /* The rule wants the paste masked, and masking cannot satisfy it (a sender that
       * cannot mask, a document, a file, too many pieces): the safe answer is block. */
      decision->verdict = VERDICT_BLOCK;
      verdict->overrides |= VERDICT_OVERRIDE_UNREDACTABLE;
      if (!request->spans)
        return;   /* a sender that cannot mask sees the block it always saw */
      g_assert (verdict->n_policy_reasons < VERDICT_MAX_POLICY_REASONS);
      verdict->policy_reasons[verdict->n_policy_reasons++] = (VerdictPolicyReason) { .rule = "unredactable" };
    }
}

cJSON *
verdict_redaction_json (const Verdict *verdict, const ScanRequest *request)
{
  const Redaction *r = verdict->redaction;
  if (r == NULL)
    return NULL;
  cJSON *json = cJSON_CreateObject ();
  cJSON_AddBoolToObject (json, "offer", verdict->redact_offer);
  cJSON *ph = cJSON_AddArrayToObject (json, "placeholders");
  for (guint i = 0; verdict->placeholders[i] != NULL; i++)
    cJSON_AddItemToArray (ph, cJSON_CreateString (verdict->placeholders[i]));
  if (request->text != NULL)
    cJSON_AddItemToObject (json, "text", redaction_pieces_json (request->text, r->text));
  if (request->html != NULL)
    cJSON_AddItemToObject (json, "html", redaction_pieces_json (request->html, r->html));
  return json;
}

cJSON *
verdict_redaction_summary (const Verdict *verdict)
{
  const Redaction *r = verdict->redaction;
  if (r == NULL)
    return NULL;
  cJSON *json = cJSON_CreateObject ();
  cJSON_AddNumberToObject (json, "matches", r->matches);
  cJSON *kinds = cJSON_AddArrayToObject (json, "kinds");
  for (guint i = 0; i < r->kinds->len; i++)
    {
      const RedactKind *k = &g_array_index (r->kinds, RedactKind, i);
      cJSON *kind = cJSON_CreateObject ();
      cJSON_AddStringToObject (kind, "kind", finding_kind_name (k->kind));
      cJSON_AddStringToObject (kind, k->kind == FINDING_PATTERN ? "rule" : "name", k->name);
      cJSON_AddNumberToObject (kind, "count", k->count);
      cJSON_AddItemToArray (kinds, kind);
    }
  return json;
}
