/* The Decider: the sequence that makes a verdict, and the audit log's gap bookkeeping
 * (verdicts given while the log refused writes are told in one record once it takes
 * them again). */
#include "verdict-private.h"

#include "engine/findings.h"
#include "json.h"
#include "text.h"
#include "weir-error.h"

struct Decider {
  WeirContext *ctx;
  const char *source;     /* static; "cli" marks records of weir scan, NULL for the host */
  gint64 scan_budget;     /* microseconds; 0 = half the policy's timeout */
  /* Verdicts given without a record (the store unavailable, the disk full), told in
   * one audit-gap record as soon as the log takes writes again. */
  guint unrecorded;
  char *unrecorded_since; /* UTC, ISO 8601, of the first */
  char *unrecorded_why;   /* the first failure's message */
};

Decider *
decider_new (WeirContext *ctx)
{
  Decider *decider = g_new0 (Decider, 1);
  decider->ctx = ctx;
  return decider;
}

void
decider_free (Decider *decider)
{
  if (decider == NULL)
    return;
  g_free (decider->unrecorded_since);
  g_free (decider->unrecorded_why);
  g_free (decider);
}

void
decider_set_source (Decider *decider, const char *source)
{
  decider->source = source;
}

void
decider_set_scan_budget (Decider *decider, gint64 usec)
{
  decider->scan_budget = MAX (usec, 0);
}

static gint64
scan_deadline (const Decider *decider)
{
  gint64 budget = decider->scan_budget;
  if (budget == 0)
    budget = (gint64) policy_timeout_ms (context_policy (decider->ctx)) * 1000 / 2;
  return g_get_monotonic_time () + budget;
}

/* ---- the verdict's parts ---- */

static void
add_policy_reason (Verdict *verdict, const char *rule, guint count)
{
  g_assert (verdict->n_policy_reasons < VERDICT_MAX_POLICY_REASONS);
  verdict->policy_reasons[verdict->n_policy_reasons++] = (VerdictPolicyReason) { rule, count };
}

/* The user-facing sentence: a protected document by name when one matched, else the
 * deciding rule's message. Names come from packs and the policy, never from content. */
static char *
verdict_message (const PolicyDecision *decision, const GPtrArray *findings)
{
  if (decision->verdict == VERDICT_ALLOW)
    return NULL;
  for (guint i = 0; i < findings->len; i++)
    {
      const Finding *f = findings->pdata[i];
      if (f->kind != FINDING_PATTERN && f->name != NULL)
        return f->label ? g_strdup_printf ("This text matches %s (%s).", f->name, f->label)
                        : g_strdup_printf ("This text matches %s.", f->name);
    }
  if (decision->message != NULL)
    return g_strdup (decision->message);
  return g_strdup ("This content matches your organisation's data protection policy.");
}

/* The decision, once every override before recording has been applied, into the
 * verdict; findings are taken over. */
static void
verdict_settle (Verdict *verdict, const PolicyDecision *decision, GPtrArray *findings)
{
  verdict->findings = findings;
  verdict->verdict = decision->verdict;
  verdict->rule = g_strdup (decision->rule_id);
  verdict->message = verdict_message (decision, findings);
  if (decision->learn_more != NULL && decision->learn_more[0] != '\0')
    verdict->learn_more = g_strdup (decision->learn_more);
  verdict->justification = decision->verdict == VERDICT_WARN && decision->justification;
}

/* ---- overrides ---- */

/* The budget ran out with parts unread: the fail verdict, unless what was read
 * already decides something stricter. */
static void
override_timeout (Verdict *verdict, const Policy *policy, PolicyDecision *decision)
{
  PolicyDecision failure;
  policy_decide_failure (policy, &failure);
  if (failure.verdict >= decision->verdict)
    {
      *decision = failure;
      verdict->overrides |= VERDICT_OVERRIDE_TIMEOUT;
    }
  add_policy_reason (verdict, "timeout", 0);
  g_message ("a scan ran over its time budget; the fail verdict applies");
}

/* Files that came as name and size only: *unsent those larger than max_bytes (the
 * extension sends no bytes of a file past what one message may carry), *unseen the rest,
 * which Weir cannot read either. */
static void
count_unsent (const ScanRequest *request, gsize max_bytes, guint *unsent, guint *unseen)
{
  for (guint i = 0; i < request->n_files; i++)
    if (request->files[i].data == NULL)
      {
        if (request->files[i].size > (double) max_bytes)
          (*unsent)++;
        else
          (*unseen)++;
      }
}

/* A policy reason for files (rule, count), and its verdict when that is stricter than
 * what was decided so far. */
static void
override_files (Verdict *verdict, const PolicyDecision *by, const char *rule, guint files,
                guint flag, PolicyDecision *decision)
{
  add_policy_reason (verdict, rule, files);
  if (by->verdict > decision->verdict)
    {
      *decision = *by;
      verdict->overrides |= flag;
    }
}

/* Files the extension sent as name and size only, too large to send: the policy's
 * oversize verdict for them, when it is stricter than what the rest of the request,
 * which was read, decided. */
static void
override_unsent (Verdict *verdict, const Policy *policy, guint files, PolicyDecision *decision)
{
  PolicyDecision oversize;
  policy_decide_oversize (policy, &oversize);
  override_files (verdict, &oversize, "oversize", files, VERDICT_OVERRIDE_OVERSIZE, decision);
}

/* Files Weir could not read: the policy's unreadable verdict, when it is stricter. */
static void
override_unreadable (Verdict *verdict, const Policy *policy, guint files, PolicyDecision *decision)
{
  PolicyDecision unreadable;
  policy_decide_unreadable (policy, &unreadable);
  override_files (verdict, &unreadable, "unreadable", files, VERDICT_OVERRIDE_UNREADABLE, decision);
}

static void
gap_note (Decider *decider, const GError *error)
{
  if (decider->unrecorded++ > 0)
    return;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  decider->unrecorded_since = g_date_time_format_iso8601 (now);
  decider->unrecorded_why = g_strdup (error->message);
  if (context_audit (decider->ctx) != NULL)
    {
      /* The store is open but refuses writes: the user hears of it like a store that
       * would not open (the host tells each problem once). */
      g_autofree char *problem = g_strdup_printf ("The audit log cannot be written, so every "
                                                  "check fails safe: %s", error->message);
      context_add_problem (decider->ctx, CONTEXT_PROBLEM_AUDIT, problem);
    }
}

/* No record could be written: the fail verdict, since a decision that leaves no record
 * is not one the organisation can stand behind. The user sees why, not the scan's own
 * message; the reasons stay. */
static void
override_unrecorded (Decider *decider, Verdict *verdict, GError *error)
{
  PolicyDecision failure;
  policy_decide_failure (context_policy (decider->ctx), &failure);
  gap_note (decider, error);
  verdict->verdict = failure.verdict;
  g_free (verdict->message);
  verdict->message = g_strdup (VERDICT_UNRECORDED_MESSAGE);
  g_free (verdict->rule);
  verdict->rule = g_strdup (failure.rule_id);
  verdict->justification = FALSE;
  verdict->overrides |= VERDICT_OVERRIDE_UNRECORDED;
  verdict->unrecorded = error;
  g_warning ("audit: %s", error->message);
}

/* ---- the audit record ---- */

/* Before the first record after a gap: how many verdicts went unrecorded, since when,
 * and why. Kept for the next try when the log still refuses. */
static void
gap_record (Decider *decider)
{
  if (decider->unrecorded == 0 || context_audit (decider->ctx) == NULL)
    return;
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddNumberToObject (fields, "count", decider->unrecorded);
  cJSON_AddStringToObject (fields, "since", decider->unrecorded_since);
  cJSON_AddStringToObject (fields, "detail", decider->unrecorded_why);
  g_autofree char *id = audit_append (context_audit (decider->ctx), "audit-gap", fields, NULL);
  if (id == NULL)
    return;
  decider->unrecorded = 0;
  g_clear_pointer (&decider->unrecorded_since, g_free);
  g_clear_pointer (&decider->unrecorded_why, g_free);
}

/* The record's common fields, from the verdict: the event's own follow. */
static cJSON *
record_new (const Verdict *verdict)
{
  cJSON *record = cJSON_CreateObject ();
  cJSON_AddItemToObject (record, "reasons", verdict_reasons_json (verdict));
  cJSON_AddStringToObject (record, "verdict", verdict_name (verdict->verdict));
  if (verdict->rule != NULL)
    cJSON_AddStringToObject (record, "rule", verdict->rule);
  return record;
}

/* Writes the record; without one, the last override. */
static void
decider_record (Decider *decider, Verdict *verdict, const char *event, const cJSON *record)
{
  GError *error = NULL;
  gap_record (decider);
  if (context_audit (decider->ctx) == NULL)
    g_set_error (&error, WEIR_ERROR, WEIR_ERROR_STORE, "the store is unavailable");
  else
    verdict->audit = audit_append (context_audit (decider->ctx), event, record, &error);
  if (verdict->audit == NULL)
    override_unrecorded (decider, verdict, error);
}

/* ---- the sequences ---- */

Verdict *
decider_scan (Decider *decider, const ScanRequest *request)
{
  const Policy *policy = context_policy (decider->ctx);
  Verdict *verdict = g_new0 (Verdict, 1);
  PolicyDecision decision;
  ScanResult scan = { 0 };
  gsize size = scan_request_size (request);
  if (scan_request_readable_size (request) > policy_max_scan_bytes (policy))
    {
      /* Too large to read: nothing is scanned. */
      policy_decide_oversize (policy, &decision);
      verdict->overrides |= VERDICT_OVERRIDE_OVERSIZE;
      add_policy_reason (verdict, "oversize", 0);
      scan.findings = findings_new ();
    }
  else
    {
      scan_run (request, context_index (decider->ctx), policy_min_scan_chars (policy), scan_deadline (decider),
                context_audit (decider->ctx), &scan);
      policy_decide (policy, request->origin, scan.findings, &decision);
      if (scan.overrun)
        override_timeout (verdict, policy, &decision);
      guint unsent = 0, unseen = 0;
      count_unsent (request, policy_max_scan_bytes (policy), &unsent, &unseen);
      if (unsent > 0)
        override_unsent (verdict, policy, unsent, &decision);
      if (scan.unreadable + unseen > 0)
        override_unreadable (verdict, policy, scan.unreadable + unseen, &decision);
      verdict_plan_redaction (verdict, request, decider->ctx, scan_deadline (decider), scan.findings, &decision);
    }
  verdict_settle (verdict, &decision, g_steal_pointer (&scan.findings));

  g_autoptr (cJSON) record = record_new (verdict);
  cJSON_AddStringToObject (record, "origin", request->origin);
  if (request->url != NULL && policy_record_url (policy, request->origin))
    {
      g_autofree char *url = text_utf8_prefix (request->url, 2048);
      cJSON_AddStringToObject (record, "url", url);
    }
  cJSON_AddStringToObject (record, "scan_event", request->event);
  cJSON_AddNumberToObject (record, "bytes", (double) size);
  if (scan.digest[0] != '\0')
    cJSON_AddStringToObject (record, "content_digest", scan.digest);
  cJSON_AddStringToObject (record, "policy", policy_digest (policy));
  if (decider->source != NULL)
    cJSON_AddStringToObject (record, "source", decider->source);
  cJSON *redaction = verdict_redaction_summary (verdict);
  if (redaction != NULL)
    {
      cJSON_AddBoolToObject (redaction, "offered", verdict->redact_offer);
      cJSON_AddItemToObject (record, "redaction", redaction);
    }
  decider_record (decider, verdict, "verdict", record);
  return verdict;
}

Verdict *
decider_gpu (Decider *decider, const char *origin, const char *api)
{
  Verdict *verdict = g_new0 (Verdict, 1);
  PolicyDecision decision;
  policy_decide_gpu (context_policy (decider->ctx), origin, &decision);
  add_policy_reason (verdict, "gpu", 0);
  verdict_settle (verdict, &decision, findings_new ());

  g_autoptr (cJSON) record = record_new (verdict);
  cJSON_AddStringToObject (record, "origin", origin);
  cJSON_AddStringToObject (record, "api", api ? api : "requestAdapter");
  decider_record (decider, verdict, "gpu", record);
  return verdict;
}

/* ---- what the user and the extension tell the host ---- */

#define MAX_JUSTIFICATION 2000
#define MAX_REPORT_DETAIL 200

static char *
record_append (Decider *decider, const char *event, cJSON *record, GError **error)
{
  Audit *audit = context_audit (decider->ctx);
  if (audit == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the store is unavailable");
      return NULL;
    }
  return audit_append (audit, event, record, error);
}

char *
decider_record_decision (Decider *decider, const char *ref, const char *action,
                         const char *justification, GError **error)
{
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "ref", ref);
  cJSON_AddStringToObject (record, "action", action);
  if (justification != NULL)
    {
      g_autofree char *cut = text_utf8_prefix (justification, MAX_JUSTIFICATION);
      cJSON_AddStringToObject (record, "justification", g_utf8_validate (cut, -1, NULL) ? cut : "");
    }
  return record_append (decider, "decision", record, error);
}

char *
decider_record_redaction (Decider *decider, const char *ref, const cJSON *summary, GError **error)
{
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "ref", ref);
  cJSON_AddStringToObject (record, "action", "redact");
  if (summary != NULL)
    cJSON_AddItemToObject (record, "redacted", cJSON_Duplicate (summary, TRUE));
  return record_append (decider, "decision", record, error);
}

char *
decider_record_report (Decider *decider, const char *event, const char *origin, const char *verdict,
                       const char *detail, GError **error)
{
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "reported", event);
  if (origin)
    cJSON_AddStringToObject (record, "origin", origin);
  if (verdict)
    cJSON_AddStringToObject (record, "verdict", verdict);
  if (detail)
    {
      g_autofree char *cut = text_utf8_prefix (detail, MAX_REPORT_DETAIL);
      cJSON_AddStringToObject (record, "detail", cut);
    }
  return record_append (decider, "report", record, error);
}
