/* The Decider: the sequence that makes a verdict, and the audit log's gap bookkeeping
 * (verdicts given while the log refused writes are told in one record once it takes
 * them again). */
#include "verdict-private.h"

#include <string.h>

#include "engine/findings.h"
#include "engine/html.h"
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
  /* Reports per origin and kind (ReportBucket*, keyed "kind origin"): a page can send
   * them at will, so each gets REPORT_BURST records a minute and the rest are counted
   * and told in one record. */
  GHashTable *reports;
  gint64 reports_window_start;  /* monotonic µs: the minute all origins share */
  guint reports_recorded;
};

/* Reports from one origin of one kind in the current minute. */
typedef struct {
  char *event, *origin;   /* origin NULL: every origin past REPORT_ORIGINS_MAX */
  gint64 window_start;    /* monotonic µs */
  guint recorded;         /* records written in this window */
  guint held;             /* reports not recorded one by one */
  char *held_since;       /* UTC, ISO 8601, of the first held */
} ReportBucket;

static void
report_bucket_free (gpointer data)
{
  ReportBucket *bucket = data;
  g_free (bucket->event);
  g_free (bucket->origin);
  g_free (bucket->held_since);
  g_free (bucket);
}

Decider *
decider_new (WeirContext *ctx)
{
  Decider *decider = g_new0 (Decider, 1);
  decider->ctx = ctx;
  decider->reports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, report_bucket_free);
  return decider;
}

void
decider_free (Decider *decider)
{
  if (decider == NULL)
    return;
  g_free (decider->unrecorded_since);
  g_free (decider->unrecorded_why);
  g_hash_table_unref (decider->reports);
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

/* Files that came in chunks (upload.h) are large by nature: a budget meant for a paste
 * would leave the second of two 100 MB files unread. Each gets 1 s per 10 MB more; the
 * extension waits 2 s per 10 MB more for such a scan (background/guard.js), so the
 * host's answer still comes first. */
#define SCAN_USEC_PER_UPLOADED_BYTE 0.1

static gint64
scan_deadline (const Decider *decider, const ScanRequest *request)
{
  gint64 budget = decider->scan_budget;
  if (budget == 0)
    budget = (gint64) policy_timeout_ms (context_policy (decider->ctx)) * 1000 / 2;
  gsize uploaded = 0;
  for (guint i = 0; i < request->n_files; i++)
    if (request->files[i].bytes != NULL)
      uploaded += request->files[i].bytes_len;
  return g_get_monotonic_time () + budget + (gint64) ((double) uploaded * SCAN_USEC_PER_UPLOADED_BYTE);
}

/* ---- the verdict's parts ---- */

static void
add_policy_reason (Verdict *verdict, const char *rule, guint count)
{
  g_assert (verdict->n_policy_reasons < VERDICT_MAX_POLICY_REASONS);
  verdict->policy_reasons[verdict->n_policy_reasons++] = (VerdictPolicyReason) { .rule = rule, .count = count };
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
      if (f->kind == FINDING_COPIED && decision->message == NULL)
        return g_strdup_printf ("This text was copied from %s.", f->name);
      if (f->kind != FINDING_PATTERN && f->kind != FINDING_COPIED && f->name != NULL)
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

/* Files that came as name and size only: *unsent those larger than what max_bytes
 * leaves beside the bytes that were read (the extension sends no bytes of a file past
 * what the policy lets one request carry: by itself, or with the files sent before it),
 * *unseen the rest, which Weir cannot read either. */
static void
count_unsent (const ScanRequest *request, gsize max_bytes, guint *unsent, guint *unseen)
{
  gsize room = max_bytes - MIN (scan_request_readable_size (request), max_bytes);
  for (guint i = 0; i < request->n_files; i++)
    if (request->files[i].data == NULL && request->files[i].bytes == NULL)
      {
        if (request->files[i].size > (double) room)
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

/* What a file's reader could not read, each told by file and where (up to
 * VERDICT_MAX_FILE_REASONS), and each class's verdict when it is stricter: encrypted
 * files the encrypted verdict, a bound passed the oversize verdict, the rest the
 * unreadable verdict. */
static void
override_notes (Verdict *verdict, const Policy *policy, const ScanResult *scan, PolicyDecision *decision)
{
  static const char *const rules[] = { [SCAN_NOTE_ENCRYPTED] = "encrypted", [SCAN_NOTE_OVERSIZE] = "oversize",
                                       [SCAN_NOTE_UNREADABLE] = "unreadable" };
  static const guint flags[] = { [SCAN_NOTE_ENCRYPTED] = VERDICT_OVERRIDE_ENCRYPTED,
                                 [SCAN_NOTE_OVERSIZE] = VERDICT_OVERRIDE_OVERSIZE,
                                 [SCAN_NOTE_UNREADABLE] = VERDICT_OVERRIDE_UNREADABLE };
  guint kinds = scan->dropped_kinds;
  for (guint i = 0; i < scan->notes->len; i++)
    {
      const ScanNote *note = scan->notes->pdata[i];
      kinds |= 1u << note->kind;
      if (i >= VERDICT_MAX_FILE_REASONS)
        continue;
      add_policy_reason (verdict, rules[note->kind], 0);
      VerdictPolicyReason *r = &verdict->policy_reasons[verdict->n_policy_reasons - 1];
      r->file = g_strdup (note->file);
      r->where = g_strdup (note->where);
      r->detail = g_strdup (note->detail);
    }
  for (guint kind = SCAN_NOTE_ENCRYPTED; kind <= SCAN_NOTE_UNREADABLE; kind++)
    {
      if (!(kinds & (1u << kind)))
        continue;
      PolicyDecision by;
      if (kind == SCAN_NOTE_ENCRYPTED)
        policy_decide_encrypted (policy, &by);
      else if (kind == SCAN_NOTE_OVERSIZE)
        policy_decide_oversize (policy, &by);
      else
        policy_decide_unreadable (policy, &by);
      if (by.verdict > decision->verdict)
        {
          *decision = by;
          verdict->overrides |= flags[kind];
        }
    }
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
  /* What a decision answering it must carry, for a host that did not give the verdict. */
  if (verdict->verdict == VERDICT_WARN && verdict->justification)
    cJSON_AddTrueToObject (record, "justification_required");
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

static char *record_append (Decider *decider, const char *event, cJSON *record, GError **error);

/* ---- copies (issue 25) ---- */

/* The text of a paste as the copy memory reads it: its text, else the visible text of
 * its HTML (what a copy out of a page puts on the clipboard is both). Files are not
 * read: a copy event carries text. Returns NULL when there is none; caller frees. */
static char *
copy_match_text (const ScanRequest *request, gsize *len)
{
  if (request->text != NULL && request->text[0] != '\0')
    {
      *len = strlen (request->text);
      return g_strndup (request->text, *len);
    }
  if (request->html != NULL && request->html[0] != '\0')
    return engine_html_to_text (request->html, strlen (request->html), len);
  return NULL;
}

/* Copied findings: the paste checked against what was copied out of source groups other
 * than the destination's own (pasting back into the same group is never a finding). */
static void
match_copies (Decider *decider, const ScanRequest *request, GPtrArray *findings)
{
  CopyBook *book = context_copies (decider->ctx);
  if (book == NULL)
    return;
  gsize len = 0;
  g_autofree char *text = copy_match_text (request, &len);
  if (text == NULL)
    return;
  const char *own = policy_origin_source (context_policy (decider->ctx), request->origin);
  copy_book_match (book, text, len, own, g_get_real_time () / G_USEC_PER_SEC, findings);
}

gboolean
decider_copy (Decider *decider, const char *event, const char *origin, const char *text, gsize len,
              DeciderCopy *out, GError **error)
{
  const Policy *policy = context_policy (decider->ctx);
  *out = (DeciderCopy) { .kept = FALSE };
  out->source = policy_origin_source (policy, origin);
  CopyBook *book = out->source != NULL ? context_copies (decider->ctx) : NULL;
  if (book == NULL)
    {
      out->why = "not-a-source";
      return TRUE;
    }
  g_autoptr (GError) store_error = NULL;
  CopyOutcome outcome = copy_book_add (book, origin, out->source, text, len, g_get_real_time () / G_USEC_PER_SEC,
                                       &out->words, &store_error);
  if (store_error != NULL)
    g_warning ("copies: %s; the copy is remembered until the host stops", store_error->message);
  out->kept = outcome == COPY_KEPT;
  out->why = out->kept ? NULL : copy_outcome_name (outcome);
  PolicyCopies copies;
  policy_copies (policy, &copies);
  if (!out->kept || !copies.audit)
    return TRUE;
  /* The event, the page's origin, its source group and sizes: never the text. */
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "origin", origin);
  cJSON_AddStringToObject (record, "source", out->source);
  cJSON_AddStringToObject (record, "copy_event", event);
  cJSON_AddNumberToObject (record, "bytes", (double) len);
  cJSON_AddNumberToObject (record, "words", out->words);
  out->audit = record_append (decider, "copy", record, error);
  return out->audit != NULL;
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
      ExtractBounds bounds;
      policy_extract_bounds_for (policy, request->origin, &bounds);
      ScanExtract extract = { NULL, &bounds };
      if (scan_request_has_files (request))
        extract.extractor = context_extractor (decider->ctx);
      scan_run (request, context_index (decider->ctx), policy_min_scan_chars (policy), scan_deadline (decider, request),
                context_audit (decider->ctx), &extract, &scan);
      match_copies (decider, request, scan.findings);
      policy_decide (policy, request->origin, scan.findings, &decision);
      if (scan.overrun)
        override_timeout (verdict, policy, &decision);
      guint unsent = 0, unseen = 0;
      count_unsent (request, policy_max_scan_bytes (policy), &unsent, &unseen);
      if (unsent > 0)
        override_unsent (verdict, policy, unsent, &decision);
      if (scan.unreadable + unseen > 0)
        override_unreadable (verdict, policy, scan.unreadable + unseen, &decision);
      override_notes (verdict, policy, &scan, &decision);
      verdict_plan_redaction (verdict, request, decider->ctx, scan_deadline (decider, request), scan.findings, &decision);
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

/* Reports per origin and kind: REPORT_BURST records a minute, then one record for the
 * rest; all origins together at most REPORT_TOTAL_BURST a minute. A page that requests
 * model files in a loop (20,000 in 3 s were seen) must not fill the disk with the log;
 * the count still tells an admin it happened. 50 leaves room for a real model's
 * shards and a page's workers, each reported once. */
#define REPORT_BURST 50
#define REPORT_TOTAL_BURST 200
#define REPORT_WINDOW_US (60 * G_USEC_PER_SEC)
#define REPORT_ORIGINS_MAX 256

static ReportBucket *
report_bucket (Decider *decider, const char *event, const char *origin)
{
  g_autofree char *key = g_strconcat (event, " ", origin ? origin : "-", NULL);
  ReportBucket *bucket = g_hash_table_lookup (decider->reports, key);
  if (bucket != NULL)
    return bucket;
  if (g_hash_table_size (decider->reports) >= REPORT_ORIGINS_MAX)
    {
      /* Past the cap every new origin of a kind shares one bucket: a page that makes up
       * origins cannot grow the table nor escape the limit. */
      origin = NULL;
      g_free (key);
      key = g_strconcat (event, " *", NULL);
      if ((bucket = g_hash_table_lookup (decider->reports, key)) != NULL)
        return bucket;
    }
  bucket = g_new0 (ReportBucket, 1);
  bucket->event = g_strdup (event);
  bucket->origin = g_strdup (origin);
  bucket->window_start = g_get_monotonic_time ();
  g_hash_table_insert (decider->reports, g_steal_pointer (&key), bucket);
  return bucket;
}

/* One record for the reports a bucket held back: how many, since when. */
static gboolean
report_summary (Decider *decider, ReportBucket *bucket, GError **error)
{
  if (bucket->held == 0)
    return TRUE;
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "reported", bucket->event);
  cJSON_AddStringToObject (record, "origin", bucket->origin ? bucket->origin : "*");
  cJSON_AddNumberToObject (record, "count", bucket->held);
  cJSON_AddStringToObject (record, "since", bucket->held_since);
  g_autofree char *detail = g_strdup_printf ("%u more like this in the last minute, not recorded one by one",
                                             bucket->held);
  cJSON_AddStringToObject (record, "detail", detail);
  g_autofree char *id = record_append (decider, "report", record, error);
  if (id == NULL)
    return FALSE;
  bucket->held = 0;
  g_clear_pointer (&bucket->held_since, g_free);
  return TRUE;
}

/* Writes the summaries of windows that have ended. Best effort: a summary that
 * cannot be written now is kept for the next try. */
static void
reports_flush (Decider *decider, gboolean all)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, decider->reports);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ReportBucket *bucket = value;
      gboolean ended = now - bucket->window_start >= REPORT_WINDOW_US;
      if ((all || ended) && !report_summary (decider, bucket, NULL))
        continue;
      if (ended)
        g_hash_table_iter_remove (&iter);
    }
}

void
decider_flush_reports (Decider *decider)
{
  reports_flush (decider, TRUE);
}

static const char *
record_string (const cJSON *record, const char *name)
{
  return cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (record, name));
}

gboolean
decider_open_warn (Decider *decider, const char *ref, gboolean *justification, GError **error)
{
  Audit *audit = context_audit (decider->ctx);
  if (audit == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the store is unavailable");
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  g_autoptr (cJSON) record = audit_find (audit, ref, &local);
  if (record == NULL && !g_error_matches (local, WEIR_ERROR, WEIR_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  const char *event = record ? record_string (record, "event") : NULL;
  gboolean warn = (g_strcmp0 (event, "verdict") == 0 || g_strcmp0 (event, "gpu") == 0)
                  && g_strcmp0 (record_string (record, "verdict"), "warn") == 0;
  gboolean decided = FALSE;
  if (warn && !audit_find_ref (audit, "decision", ref, &decided, error))
    return FALSE;
  if (!warn || decided)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "no open warn verdict has this audit id%s",
                   decided ? " (it was answered already)" : "");
      return FALSE;
    }
  *justification = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (record, "justification_required"));
  return TRUE;
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
                       const char *detail, gboolean *held, GError **error)
{
  *held = FALSE;
  reports_flush (decider, FALSE);
  ReportBucket *bucket = report_bucket (decider, event, origin);
  gint64 now = g_get_monotonic_time ();
  if (now - decider->reports_window_start >= REPORT_WINDOW_US)
    {
      decider->reports_window_start = now;
      decider->reports_recorded = 0;
    }
  if (bucket->recorded >= REPORT_BURST || decider->reports_recorded >= REPORT_TOTAL_BURST)
    {
      if (bucket->held++ == 0)
        {
          g_autoptr (GDateTime) first = g_date_time_new_now_utc ();
          bucket->held_since = g_date_time_format_iso8601 (first);
        }
      *held = TRUE;
      return NULL;
    }
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
  char *id = record_append (decider, "report", record, error);
  if (id != NULL)
    {
      bucket->recorded++;
      decider->reports_recorded++;
    }
  return id;
}
