#include "proto.h"

#include <errno.h>
#include <string.h>

#include "engine/html.h"
#include "json.h"
#include "nm.h"
#include "engine/score.h"
#include "weir-config.h"
#include "weir-error.h"

/* Bounds on what one request may ask for; the frame cap bounds the bytes. */
#define MAX_FILES 256
#define MAX_REASONS 64
#define MAX_JUSTIFICATION 2000
#define MAX_PENDING 1024
/* The id is echoed in the reply: a bounded one keeps every reply under NM_MAX_REPLY. */
#define MAX_ID_BYTES 256
#define FAIL_UNRECORDED_MESSAGE \
  "Weir cannot write its audit log right now (its store is unavailable or the disk is " \
  "full), so your organisation's fail mode applies."

/* A warn verdict the user may still answer with a decision. */
typedef struct {
  char *audit;
  gboolean justification;
} Pending;

struct Proto {
  WeirContext *ctx;
  const char *source;    /* static; "cli" marks records of weir scan, NULL for the host */
  gint64 scan_budget;    /* microseconds; 0 = half the policy's timeout */
  GHashTable *pending;   /* audit id -> Pending* */
  GQueue pending_order;  /* audit ids, oldest first, borrowed from pending */
  /* Verdicts given without a record (the store unavailable, the disk full), told in
   * one audit-gap record as soon as the log takes writes again. */
  guint unrecorded;
  char *unrecorded_since; /* UTC, ISO 8601, of the first */
  char *unrecorded_why;   /* the first failure's message */
};

static void
pending_free (Pending *pending)
{
  g_free (pending->audit);
  g_free (pending);
}

Proto *
proto_new (WeirContext *ctx)
{
  Proto *proto = g_new0 (Proto, 1);
  proto->ctx = ctx;
  proto->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) pending_free);
  g_queue_init (&proto->pending_order);
  return proto;
}

void
proto_free (Proto *proto)
{
  if (proto == NULL)
    return;
  g_queue_clear (&proto->pending_order);
  g_hash_table_unref (proto->pending);
  g_free (proto->unrecorded_since);
  g_free (proto->unrecorded_why);
  g_free (proto);
}

static void
pending_add (Proto *proto, const char *audit, gboolean justification)
{
  while (g_queue_get_length (&proto->pending_order) >= MAX_PENDING)
    g_hash_table_remove (proto->pending, g_queue_pop_head (&proto->pending_order));
  Pending *pending = g_new0 (Pending, 1);
  pending->audit = g_strdup (audit);
  pending->justification = justification;
  g_hash_table_insert (proto->pending, pending->audit, pending);
  g_queue_push_tail (&proto->pending_order, pending->audit);
}

static void
pending_remove (Proto *proto, const char *audit)
{
  Pending *pending = g_hash_table_lookup (proto->pending, audit);
  if (pending == NULL)
    return;
  g_queue_remove (&proto->pending_order, pending->audit);
  g_hash_table_remove (proto->pending, audit);
}

void
proto_set_source (Proto *proto, const char *source)
{
  proto->source = source;
}

void
proto_set_scan_budget (Proto *proto, gint64 usec)
{
  proto->scan_budget = MAX (usec, 0);
}

static gint64
scan_deadline (const Proto *proto)
{
  gint64 budget = proto->scan_budget;
  if (budget == 0)
    budget = (gint64) policy_timeout_ms (proto->ctx->policy) * 1000 / 2;
  return g_get_monotonic_time () + budget;
}

/* ---- request fields ---- */

static gboolean
bad_field (GError **error, const char *field, const char *what)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_BAD_REQUEST, "\"%s\" %s", field, what);
  return FALSE;
}

/* *out is NULL when the field is absent and optional. */
static gboolean
string_field (const cJSON *req, const char *field, gboolean required, const char **out,
              GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (req, field);
  *out = NULL;
  if (item == NULL || (!required && cJSON_IsNull (item)))
    return required ? bad_field (error, field, "is missing") : TRUE;
  if (!cJSON_IsString (item))
    return bad_field (error, field, "must be a string");
  *out = item->valuestring;
  return TRUE;
}

/* The first max_chars characters of s, copied. g_utf8_substring() cannot do this: it
 * walks to its end offset even past the end of a shorter string (found by fuzzing). */
static char *
utf8_prefix (const char *s, gsize max_chars)
{
  const char *end = s + strlen (s), *p = s;
  for (gsize i = 0; i < max_chars && p != NULL && p < end; i++)
    p = g_utf8_find_next_char (p, end);
  return g_strndup (s, (gsize) ((p != NULL ? p : end) - s));
}

static gboolean
one_of (const char *value, const char *const *allowed)
{
  return value != NULL && g_strv_contains (allowed, value);
}

/* A request string fit to repeat in an error message: short printable ASCII only, so
 * an error reply never carries page text nor half a UTF-8 sequence. */
static const char *
echo_safe (const char *s)
{
  gsize n = 0;
  for (; s[n] != '\0'; n++)
    if (n >= 40 || !g_ascii_isgraph (s[n]) || s[n] == '"' || s[n] == '\\')
      return "(not shown)";
  return n > 0 ? s : "(empty)";
}

/* ---- verdict replies ---- */

static cJSON *
reason_json (const Finding *finding)
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
policy_reason (const char *rule, guint count)
{
  cJSON *reason = cJSON_CreateObject ();
  cJSON_AddStringToObject (reason, "kind", "policy");
  cJSON_AddStringToObject (reason, "rule", rule);
  if (count > 0)
    cJSON_AddNumberToObject (reason, "count", count);
  return reason;
}

/* The user-facing sentence: a protected document by name when one matched, else the
 * deciding rule's message. Names come from packs and the policy, never from content. */
static char *
verdict_message (const PolicyDecision *decision, const GPtrArray *findings)
{
  if (decision->verdict == VERDICT_ALLOW)
    return NULL;
  for (guint i = 0; findings != NULL && i < findings->len; i++)
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

/* Builds the verdict reply and its audit record together, so both say the same. */
typedef struct {
  cJSON *reply;   /* the reply body */
  cJSON *record;  /* the audit record's fields */
} Outcome;

static void
outcome_init (Outcome *o, const PolicyDecision *decision, cJSON *reasons, const GPtrArray *findings)
{
  g_autofree char *message = verdict_message (decision, findings);
  o->reply = cJSON_CreateObject ();
  o->record = cJSON_CreateObject ();
  cJSON_AddStringToObject (o->reply, "type", "verdict");
  cJSON_AddStringToObject (o->reply, "verdict", verdict_name (decision->verdict));
  cJSON_AddItemToObject (o->reply, "reasons", reasons);
  cJSON_AddItemToObject (o->record, "reasons", cJSON_Duplicate (reasons, TRUE));
  cJSON_AddStringToObject (o->record, "verdict", verdict_name (decision->verdict));
  if (message != NULL)
    cJSON_AddStringToObject (o->reply, "message", message);
  if (decision->rule_id != NULL)
    {
      cJSON_AddStringToObject (o->reply, "rule", decision->rule_id);
      cJSON_AddStringToObject (o->record, "rule", decision->rule_id);
    }
  if (decision->learn_more != NULL && decision->learn_more[0] != '\0')
    cJSON_AddStringToObject (o->reply, "learn_more", decision->learn_more);
  if (decision->verdict == VERDICT_WARN)
    cJSON_AddBoolToObject (o->reply, "justification", decision->justification);
}

static void
gap_note (Proto *proto, const GError *error)
{
  if (proto->unrecorded++ > 0)
    return;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  proto->unrecorded_since = g_date_time_format_iso8601 (now);
  proto->unrecorded_why = g_strdup (error->message);
  if (proto->ctx->audit != NULL)
    {
      /* The store is open but refuses writes: the user hears of it like a store that
       * would not open (the host tells each problem once). */
      g_autofree char *problem = g_strdup_printf ("The audit log cannot be written, so every "
                                                  "check fails safe: %s", error->message);
      context_add_problem (proto->ctx, problem);
    }
}

/* Before the first record after a gap: how many verdicts went unrecorded, since when,
 * and why. Kept for the next try when the log still refuses. */
static void
gap_record (Proto *proto)
{
  if (proto->unrecorded == 0 || proto->ctx->audit == NULL)
    return;
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddNumberToObject (fields, "count", proto->unrecorded);
  cJSON_AddStringToObject (fields, "since", proto->unrecorded_since);
  cJSON_AddStringToObject (fields, "detail", proto->unrecorded_why);
  g_autofree char *id = audit_append (proto->ctx->audit, "audit-gap", fields, NULL);
  if (id == NULL)
    return;
  proto->unrecorded = 0;
  g_clear_pointer (&proto->unrecorded_since, g_free);
  g_clear_pointer (&proto->unrecorded_why, g_free);
}

/* Writes the record; on success adds "audit" to the reply and remembers a warn. When
 * the audit log cannot be written the verdict becomes the fail verdict: a decision
 * that leaves no record is not one the organisation can stand behind. */
static cJSON *
outcome_finish (Proto *proto, Outcome *o, const char *event, Verdict verdict, gboolean justification)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  gap_record (proto);
  if (proto->ctx->audit == NULL)
    g_set_error (&error, WEIR_ERROR, WEIR_ERROR_STORE, "the store is unavailable");
  else
    id = audit_append (proto->ctx->audit, event, o->record, &error);
  cJSON_Delete (o->record);
  if (id == NULL)
    {
      PolicyDecision failure;
      policy_decide_failure (proto->ctx->policy, &failure);
      gap_note (proto, error);
      cJSON_ReplaceItemInObjectCaseSensitive (o->reply, "verdict",
                                              cJSON_CreateString (verdict_name (failure.verdict)));
      /* The user sees why (the extension shows the message), not the scan's own text. */
      cJSON_DeleteItemFromObjectCaseSensitive (o->reply, "message");
      cJSON_AddStringToObject (o->reply, "message", FAIL_UNRECORDED_MESSAGE);
      cJSON_DeleteItemFromObjectCaseSensitive (o->reply, "rule");
      cJSON_AddStringToObject (o->reply, "rule", failure.rule_id);
      cJSON_DeleteItemFromObjectCaseSensitive (o->reply, "justification");
      cJSON *err = cJSON_AddObjectToObject (o->reply, "error");
      cJSON_AddStringToObject (err, "code", weir_error_code_name (error->code));
      cJSON_AddStringToObject (err, "message", "Weir could not record this decision, so it fails safe.");
      g_warning ("audit: %s", error->message);
      return o->reply;
    }
  cJSON_AddStringToObject (o->reply, "audit", id);
  if (verdict == VERDICT_WARN)
    pending_add (proto, id, justification);
  return o->reply;
}

/* ---- scan ---- */

static const char *const scan_events[] = { "paste", "drop", "upload", "clipboard-read", NULL };

typedef struct {
  const char *event, *origin, *url, *text, *html;
  const cJSON *files;
} ScanRequest;

/* Standard base64 (what the extension's btoa writes), padding only at the end. */
static gboolean
base64_valid (const char *s)
{
  gsize n = strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  gsize pad = strspn (s + n, "=");
  return s[n + pad] == '\0' && pad <= 2 && (n + pad) % 4 == 0;
}

static gboolean
parse_file (const cJSON *file, GError **error)
{
  const char *name, *mime, *data;
  const cJSON *size = cJSON_GetObjectItemCaseSensitive (file, "size");
  if (!cJSON_IsObject (file))
    return bad_field (error, "files", "must hold objects");
  if (!string_field (file, "name", TRUE, &name, error) || !string_field (file, "mime", FALSE, &mime, error)
      || !string_field (file, "data", FALSE, &data, error))
    return FALSE;
  if (size != NULL && !cJSON_IsNull (size) && (!cJSON_IsNumber (size) || size->valuedouble < 0))
    return bad_field (error, "size", "must be a number of bytes");
  if (data != NULL && !base64_valid (data))
    return bad_field (error, "data", "must be base64");
  return TRUE;
}

static gboolean
parse_scan (const cJSON *req, ScanRequest *scan, GError **error)
{
  if (!string_field (req, "event", TRUE, &scan->event, error)
      || !string_field (req, "origin", TRUE, &scan->origin, error)
      || !string_field (req, "url", FALSE, &scan->url, error)
      || !string_field (req, "text", FALSE, &scan->text, error)
      || !string_field (req, "html", FALSE, &scan->html, error))
    return FALSE;
  if (!one_of (scan->event, scan_events))
    return bad_field (error, "event", "must be paste, drop, upload or clipboard-read");
  scan->files = cJSON_GetObjectItemCaseSensitive (req, "files");
  if (scan->files == NULL || cJSON_IsNull (scan->files))
    return TRUE;
  if (!cJSON_IsArray (scan->files) || cJSON_GetArraySize (scan->files) > MAX_FILES)
    return bad_field (error, "files", "must be a list of at most 256 files");
  const cJSON *file;
  cJSON_ArrayForEach (file, scan->files)
    if (!parse_file (file, error))
      return g_prefix_error_literal (error, "files: "), FALSE;
  return TRUE;
}

/* Bytes the request asks Weir to read, counting base64 as what it decodes to. */
static gsize
scan_size (const ScanRequest *scan)
{
  gsize total = (scan->text ? strlen (scan->text) : 0) + (scan->html ? strlen (scan->html) : 0);
  const cJSON *file;
  cJSON_ArrayForEach (file, scan->files)
    {
      const cJSON *data = cJSON_GetObjectItemCaseSensitive (file, "data");
      const cJSON *size = cJSON_GetObjectItemCaseSensitive (file, "size");
      gsize part = 0;
      if (cJSON_IsString (data))
        part = strlen (data->valuestring) / 4 * 3;
      else if (cJSON_IsNumber (size) && size->valuedouble > 0)
        part = (gsize) MIN (size->valuedouble, (double) NM_MAX_REQUEST * 4);
      /* A declared size the host never saw still counts, but saturates rather than
       * wrapping round to a small total. */
      total = part > G_MAXSIZE - total ? G_MAXSIZE : total + part;
    }
  return total;
}

/* Keeps one finding per (kind, rule, name, label), with the largest count and score:
 * the same card in the text and the HTML of one paste is one card. */
static void
merge_findings (GPtrArray *into, GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    {
      Finding *f = from->pdata[i];
      gboolean merged = FALSE;
      for (guint j = 0; j < into->len && !merged; j++)
        {
          Finding *g = into->pdata[j];
          if (g->kind == f->kind && !g_strcmp0 (g->rule, f->rule) && !g_strcmp0 (g->name, f->name)
              && !g_strcmp0 (g->label, f->label))
            {
              g->count = MAX (g->count, f->count);
              g->longest = MAX (g->longest, f->longest);
              g->words = MAX (g->words, f->words);
              g->score = MAX (g->score, f->score);
              merged = TRUE;
            }
        }
      if (!merged)
        g_ptr_array_add (into, g_ptr_array_steal_index (from, i--));
    }
}

static void
score_part (Proto *proto, const char *data, gsize len, GPtrArray *findings)
{
  g_autoptr (GPtrArray) part = findings_new ();
  engine_score (proto->ctx->index, data, len, part);
  merge_findings (findings, part);
}

/* digest is NULL when there is no audit log (the store failed to open). */
static void
digest_update (AuditDigest *digest, const void *data, gsize len)
{
  if (digest != NULL)
    audit_digest_update (digest, data, len);
}

/* A file is read as text when it says so or when its first 4 KiB are valid UTF-8
 * without NUL bytes; anything else (images, archives, office files) is unreadable. */
static gboolean
looks_textual (const char *mime, const guchar *data, gsize len)
{
  if (mime != NULL && (g_str_has_prefix (mime, "text/") || strstr (mime, "json") || strstr (mime, "xml")
                       || strstr (mime, "csv") || strstr (mime, "javascript")))
    return TRUE;
  gsize head = MIN (len, 4096);
  if (memchr (data, '\0', head) != NULL)
    return FALSE;
  const char *end = NULL;
  /* A multi-byte sequence cut at the 4 KiB boundary is still text. */
  return g_utf8_validate ((const char *) data, (gssize) head, &end) || (head - (gsize) (end - (const char *) data)) < 4;
}

typedef struct {
  guint unreadable;
  gint64 deadline;   /* monotonic microseconds */
  gboolean overrun;  /* a part was skipped: the budget ran out */
} ScanTotals;

/* Whether s holds at least min characters, counting only as far as min: a full
 * g_utf8_strlen() of a large paste cost a third of the host's time. Any bytes are
 * safe here; a character is a byte that does not continue a UTF-8 sequence. */
static gboolean
reaches_chars (const char *s, gsize len, gsize min)
{
  gsize chars = 0;
  for (gsize i = 0; i < len && chars < min; i++)
    chars += ((guchar) s[i] & 0xC0) != 0x80;
  return chars >= min;
}

/* Checked before each part, so a part that started in time always finishes: the
 * verdict is then complete even if it arrives a little late. */
static gboolean
scan_in_time (ScanTotals *totals)
{
  if (!totals->overrun && g_get_monotonic_time () > totals->deadline)
    totals->overrun = TRUE;
  return !totals->overrun;
}

static void
scan_files (Proto *proto, const ScanRequest *scan, AuditDigest *digest, GPtrArray *findings,
            ScanTotals *totals)
{
  const cJSON *file;
  cJSON_ArrayForEach (file, scan->files)
    {
      const cJSON *data = cJSON_GetObjectItemCaseSensitive (file, "data");
      const cJSON *mime = cJSON_GetObjectItemCaseSensitive (file, "mime");
      gsize len = 0;
      if (!scan_in_time (totals))
        return;
      g_autofree guchar *bytes = NULL;
      if (cJSON_IsString (data) && data->valuestring[0] == '\0')
        continue;  /* an empty file: nothing to read, nothing hidden */
      if (cJSON_IsString (data))
        bytes = g_base64_decode (data->valuestring, &len);
      if (bytes == NULL || !looks_textual (cJSON_IsString (mime) ? mime->valuestring : NULL, bytes, len))
        {
          totals->unreadable++;
          if (bytes != NULL)
            digest_update (digest, bytes, len);
          continue;
        }
      digest_update (digest, bytes, len);
      score_part (proto, (const char *) bytes, len, findings);
    }
}

static void
scan_content (Proto *proto, const ScanRequest *scan, AuditDigest *digest, GPtrArray *findings,
              ScanTotals *totals)
{
  gsize min_chars = policy_min_scan_chars (proto->ctx->policy);
  gsize text_len = scan->text ? strlen (scan->text) : 0;
  g_autofree char *html_text = NULL, *hidden = NULL;
  gsize html_len = 0, hidden_len = 0;
  if (scan->text != NULL)
    digest_update (digest, scan->text, text_len);
  if (scan->html != NULL)
    {
      digest_update (digest, scan->html, strlen (scan->html));
      html_text = engine_html_to_text (scan->html, strlen (scan->html), &html_len);
      /* The page also receives what the HTML does not show: attributes, comments,
       * scripts, styles, hidden fields. */
      hidden = engine_html_hidden_text (scan->html, strlen (scan->html), &hidden_len);
    }
  if (reaches_chars (scan->text, text_len, min_chars) || reaches_chars (html_text, html_len, min_chars)
      || reaches_chars (hidden, hidden_len, min_chars))
    {
      if (text_len > 0 && scan_in_time (totals))
        score_part (proto, scan->text, text_len, findings);
      /* The HTML a rich editor inserts can differ from the plain text: scan both. */
      if (html_len > 0 && (text_len != html_len || memcmp (scan->text, html_text, text_len) != 0)
          && scan_in_time (totals))
        score_part (proto, html_text, html_len, findings);
      if (hidden_len > 0 && scan_in_time (totals))
        score_part (proto, hidden, hidden_len, findings);
    }
  scan_files (proto, scan, digest, findings, totals);
}

static cJSON *
findings_reasons (const GPtrArray *findings)
{
  cJSON *reasons = cJSON_CreateArray ();
  for (guint i = 0; i < findings->len && i < MAX_REASONS; i++)
    cJSON_AddItemToArray (reasons, reason_json (findings->pdata[i]));
  return reasons;
}

/* The budget ran out with parts unread: the fail verdict, unless what was read
 * already decides something stricter. The digest would cover only part of the
 * content, so it is left out. */
static void
scan_fail_late (Proto *proto, PolicyDecision *decision, cJSON *reasons, char *digest_hex)
{
  PolicyDecision failure;
  policy_decide_failure (proto->ctx->policy, &failure);
  if (failure.verdict >= decision->verdict)
    *decision = failure;
  cJSON_AddItemToArray (reasons, policy_reason ("timeout", 0));
  digest_hex[0] = '\0';
  g_message ("a scan ran over its time budget; the fail verdict applies");
}

static cJSON *
handle_scan (Proto *proto, const cJSON *req, GError **error)
{
  ScanRequest scan = { 0 };
  if (!parse_scan (req, &scan, error))
    return NULL;
  const Policy *policy = proto->ctx->policy;
  g_autoptr (GPtrArray) findings = findings_new ();
  PolicyDecision decision;
  cJSON *reasons;
  ScanTotals totals = { .deadline = scan_deadline (proto) };
  AuditDigest digest;
  char digest_hex[65] = "";
  gsize size = scan_size (&scan);
  if (size > policy_max_scan_bytes (policy))
    {
      policy_decide_oversize (policy, &decision);
      reasons = cJSON_CreateArray ();
      cJSON_AddItemToArray (reasons, policy_reason ("oversize", 0));
    }
  else
    {
      if (proto->ctx->audit != NULL)
        audit_digest_init (proto->ctx->audit, &digest);
      scan_content (proto, &scan, proto->ctx->audit != NULL ? &digest : NULL, findings, &totals);
      if (proto->ctx->audit != NULL)
        audit_digest_finish (&digest, digest_hex);
      policy_decide (policy, scan.origin, findings, &decision);
      reasons = findings_reasons (findings);
      if (totals.overrun)
        scan_fail_late (proto, &decision, reasons, digest_hex);
      PolicyDecision unreadable;
      policy_decide_unreadable (policy, &unreadable);
      if (totals.unreadable > 0)
        cJSON_AddItemToArray (reasons, policy_reason ("unreadable", totals.unreadable));
      if (totals.unreadable > 0 && unreadable.verdict > decision.verdict)
        decision = unreadable;
    }
  Outcome o;
  outcome_init (&o, &decision, reasons, findings);
  cJSON_AddStringToObject (o.record, "origin", scan.origin);
  if (scan.url != NULL && policy_record_url (policy, scan.origin))
    {
      g_autofree char *url = utf8_prefix (scan.url, 2048);
      cJSON_AddStringToObject (o.record, "url", url);
    }
  cJSON_AddStringToObject (o.record, "scan_event", scan.event);
  cJSON_AddNumberToObject (o.record, "bytes", (double) size);
  if (digest_hex[0] != '\0')
    cJSON_AddStringToObject (o.record, "content_digest", digest_hex);
  cJSON_AddStringToObject (o.record, "policy", policy_digest (policy));
  if (proto->source != NULL)
    cJSON_AddStringToObject (o.record, "source", proto->source);
  return outcome_finish (proto, &o, "verdict", decision.verdict, decision.justification);
}

/* ---- gpu, decision, report, hello ---- */

static cJSON *
handle_gpu (Proto *proto, const cJSON *req, GError **error)
{
  const char *origin, *url, *api;
  if (!string_field (req, "origin", TRUE, &origin, error) || !string_field (req, "url", FALSE, &url, error)
      || !string_field (req, "api", FALSE, &api, error))
    return NULL;
  PolicyDecision decision;
  policy_decide_gpu (proto->ctx->policy, origin, &decision);
  cJSON *reasons = cJSON_CreateArray ();
  cJSON_AddItemToArray (reasons, policy_reason ("gpu", 0));
  Outcome o;
  outcome_init (&o, &decision, reasons, NULL);
  cJSON_AddStringToObject (o.record, "origin", origin);
  cJSON_AddStringToObject (o.record, "api", api ? api : "requestAdapter");
  return outcome_finish (proto, &o, "gpu", decision.verdict, decision.justification);
}

static gboolean
blank (const char *s)
{
  for (; s != NULL && *s != '\0'; s++)
    if (!g_ascii_isspace (*s))
      return FALSE;
  return TRUE;
}

static cJSON *
handle_decision (Proto *proto, const cJSON *req, GError **error)
{
  static const char *const actions[] = { "proceed", "cancel", NULL };
  const char *audit, *action, *justification;
  if (!string_field (req, "audit", TRUE, &audit, error) || !string_field (req, "action", TRUE, &action, error)
      || !string_field (req, "justification", FALSE, &justification, error))
    return NULL;
  if (!one_of (action, actions))
    return bad_field (error, "action", "must be proceed or cancel"), NULL;
  const Pending *pending = g_hash_table_lookup (proto->pending, audit);
  if (pending == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
                   "no open warn verdict has audit id \"%s\"", echo_safe (audit));
      return NULL;
    }
  if (strcmp (action, "proceed") == 0 && pending->justification && blank (justification))
    return bad_field (error, "justification", "is required to proceed"), NULL;
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "ref", audit);
  cJSON_AddStringToObject (record, "action", action);
  if (!blank (justification))
    {
      g_autofree char *cut = utf8_prefix (justification, MAX_JUSTIFICATION);
      cJSON_AddStringToObject (record, "justification", g_utf8_validate (cut, -1, NULL) ? cut : "");
    }
  if (proto->ctx->audit == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the store is unavailable");
      return NULL;
    }
  g_autofree char *id = audit_append (proto->ctx->audit, "decision", record, error);
  if (id == NULL)
    return NULL;
  pending_remove (proto, audit);
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "ack");
  return reply;
}

/* Events the extension saw that the host could not: the host was unreachable and the
 * fail mode applied, a timeout, a model download. */
static cJSON *
handle_report (Proto *proto, const cJSON *req, GError **error)
{
  static const char *const events[] = { "fail-mode", "timeout", "model-download", "unguarded", NULL };
  const char *event, *origin, *verdict, *detail;
  if (!string_field (req, "event", TRUE, &event, error) || !string_field (req, "origin", FALSE, &origin, error)
      || !string_field (req, "verdict", FALSE, &verdict, error)
      || !string_field (req, "detail", FALSE, &detail, error))
    return NULL;
  if (!one_of (event, events))
    return bad_field (error, "event", "is not an event the host records"), NULL;
  Verdict reported;
  if (verdict != NULL && !verdict_parse (verdict, &reported))
    return bad_field (error, "verdict", "must be allow, warn or block"), NULL;
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "reported", event);
  if (origin)
    cJSON_AddStringToObject (record, "origin", origin);
  if (verdict)
    cJSON_AddStringToObject (record, "verdict", verdict);
  if (detail)
    {
      g_autofree char *cut = utf8_prefix (detail, 200);
      cJSON_AddStringToObject (record, "detail", cut);
    }
  if (proto->ctx->audit == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the store is unavailable");
      return NULL;
    }
  g_autofree char *id = audit_append (proto->ctx->audit, "report", record, error);
  if (id == NULL)
    return NULL;
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "ack");
  cJSON_AddStringToObject (reply, "audit", id);
  return reply;
}

static cJSON *
handle_hello (Proto *proto, const cJSON *req, GError **error)
{
  const char *version;
  if (!string_field (req, "extension_version", FALSE, &version, error))
    return NULL;
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "hello");
  cJSON_AddStringToObject (reply, "host_version", WEIR_VERSION);
  cJSON_AddNumberToObject (reply, "protocol", PROTO_VERSION);
  cJSON_AddItemToObject (reply, "policy", policy_to_hello_json (proto->ctx->policy));
  cJSON *problems = cJSON_AddArrayToObject (reply, "problems");
  for (guint i = 0; i < proto->ctx->problems->len; i++)
    cJSON_AddItemToArray (problems, cJSON_CreateString (proto->ctx->problems->pdata[i]));
  return reply;
}

/* ---- dispatch ---- */

typedef cJSON *(*Handler) (Proto *proto, const cJSON *req, GError **error);

static const struct {
  const char *type;
  Handler handler;
} handlers[] = {
  { "hello", handle_hello },
  { "scan", handle_scan },
  { "gpu", handle_gpu },
  { "decision", handle_decision },
  { "report", handle_report },
};

static cJSON *
error_reply (const cJSON *id, const GError *error)
{
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddItemToObject (reply, "id", id ? cJSON_Duplicate (id, TRUE) : cJSON_CreateNull ());
  cJSON_AddStringToObject (reply, "type", "error");
  cJSON *err = cJSON_AddObjectToObject (reply, "error");
  cJSON_AddStringToObject (err, "code", weir_error_code_name (error->code));
  cJSON_AddStringToObject (err, "message", error->message);
  return reply;
}

cJSON *
proto_handle_request (Proto *proto, const cJSON *request)
{
  g_autoptr (GError) error = NULL;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive (request, "id");
  if (!(cJSON_IsString (id) && strlen (id->valuestring) <= MAX_ID_BYTES) && !cJSON_IsNumber (id))
    id = NULL;
  const char *type = NULL;
  if (!cJSON_IsObject (request))
    g_set_error (&error, WEIR_ERROR, WEIR_ERROR_BAD_REQUEST, "a request must be a JSON object");
  else if (id == NULL)
    bad_field (&error, "id", "must be a number or a string of at most 256 bytes");
  else if (string_field (request, "type", TRUE, &type, &error))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (handlers); i++)
        if (strcmp (type, handlers[i].type) == 0)
          {
            cJSON *reply = handlers[i].handler (proto, request, &error);
            if (reply == NULL)
              break;
            cJSON_AddItemToObject (reply, "id", cJSON_Duplicate (id, TRUE));
            return reply;
          }
      if (error == NULL)
        g_set_error (&error, WEIR_ERROR, WEIR_ERROR_UNKNOWN_TYPE, "unknown request type \"%s\"",
                     echo_safe (type));
    }
  return error_reply (id, error);
}

/* cJSON turns the escape "\u0000" into a NUL inside a C string, which would end the
 * text early and hide whatever follows from the detectors. Returns a copy of buf with
 * each such escape made a space ("\u0020"), or NULL when there is none. */
static char *
defuse_nul_escapes (const char *buf, gsize len)
{
  char *copy = NULL;
  const char *p = buf, *end = buf + len;
  while ((p = memmem (p, (gsize) (end - p), "\\u0000", 6)) != NULL)
    {
      gsize slashes = 0;
      while (p - (gssize) slashes > buf && p[-1 - (gssize) slashes] == '\\')
        slashes++;
      /* An even run of backslashes before this one escapes itself: literal text. */
      if (slashes % 2 == 0)
        {
          if (copy == NULL)
            {
              copy = g_malloc (len + 1);  /* buf need not be NUL-terminated */
              memcpy (copy, buf, len);
              copy[len] = '\0';
            }
          memcpy (copy + (p - buf) + 4, "20", 2);
        }
      p += 6;
    }
  return copy;
}

/* Parses exactly one JSON value filling buf[0..len), or returns NULL. */
static cJSON *
parse_request (const char *buf, gsize len)
{
  g_autofree char *defused = defuse_nul_escapes (buf, len);
  const char *text = defused ? defused : buf;
  const char *end = NULL;
  /* cJSON caps nesting (CJSON_NESTING_LIMIT, 1000): deeper input fails to parse
   * instead of exhausting the stack. */
  cJSON *request = cJSON_ParseWithLengthOpts (text, len, &end, FALSE);
  if (request == NULL)
    return NULL;
  for (; end < text + len; end++)
    if (!g_ascii_isspace (*end))
      {
        cJSON_Delete (request);  /* trailing bytes after the value: not one JSON text */
        return NULL;
      }
  return request;
}

/* The reply as text; one that would break Chrome's 1 MiB cap becomes an error reply. */
static char *
reply_text (cJSON *reply)
{
  char *text = cJSON_PrintUnformatted (reply);
  if (text != NULL && strlen (text) <= NM_MAX_REPLY)
    return text;
  free (text);
  g_autoptr (GError) error = g_error_new (WEIR_ERROR, WEIR_ERROR_TOO_LARGE, "the reply would be over 1 MiB");
  g_autoptr (cJSON) small = error_reply (cJSON_GetObjectItemCaseSensitive (reply, "id"), error);
  return cJSON_PrintUnformatted (small);
}

char *
proto_handle_frame (Proto *proto, const char *buf, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (cJSON) reply = NULL;
  if (len == 0)
    g_set_error (&error, WEIR_ERROR, WEIR_ERROR_BAD_JSON, "empty message");
  else if (!g_utf8_validate_len (buf, len, NULL))
    g_set_error (&error, WEIR_ERROR, WEIR_ERROR_BAD_JSON, "the message is not valid UTF-8");
  if (error == NULL)
    {
      /* cJSON returns NULL for a failed allocation too: a request past the host's
       * memory cap (docs/hardening.md) is not bad JSON. malloc sets ENOMEM. */
      errno = 0;
      g_autoptr (cJSON) request = parse_request (buf, len);
      if (request == NULL && errno == ENOMEM)
        g_set_error (&error, WEIR_ERROR, WEIR_ERROR_INTERNAL,
                     "the host is out of memory for this message (its memory cap)");
      else if (request == NULL)
        g_set_error (&error, WEIR_ERROR, WEIR_ERROR_BAD_JSON,
                     "the message is not one valid JSON value (or nests over 1000 deep)");
      else
        reply = proto_handle_request (proto, request);
    }
  if (reply == NULL)
    reply = error_reply (NULL, error);
  return reply_text (reply);
}

void
proto_record_event (Proto *proto, const char *event, const char *detail)
{
  if (proto->ctx->audit == NULL)
    return;
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  if (detail != NULL)
    cJSON_AddStringToObject (record, "detail", detail);
  cJSON_AddStringToObject (record, "policy", policy_digest (proto->ctx->policy));
  g_autoptr (GError) error = NULL;
  g_autofree char *id = audit_append (proto->ctx->audit, event, record, &error);
  if (id == NULL)
    g_warning ("audit: %s", error->message);
}
