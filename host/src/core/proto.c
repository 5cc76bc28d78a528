#include "proto.h"

#include <errno.h>
#include <string.h>

#include "json.h"
#include "nm.h"
#include "text.h"
#include "upload.h"
#include "verdict/verdict.h"
#include "weir-config.h"
#include "weir-error.h"

/* Bounds on what one request may ask for; the frame cap bounds the bytes. */
#define MAX_FILES 256
#define MAX_PENDING 1024
/* The id is echoed in the reply: a bounded one keeps every reply under NM_MAX_REPLY. */
#define MAX_ID_BYTES 256

/* A verdict the user may still answer with a decision: a warn (proceed or cancel), or
 * one that offers the paste masked (redact; issue 24). */
typedef struct {
  char *audit;
  gboolean justification;
  gboolean proceed;       /* a warn: proceed is an answer */
  cJSON *redacted;        /* the offer's summary (counts and kinds), or NULL: no offer */
} Pending;

struct Proto {
  WeirContext *ctx;
  Decider *decider;
  GHashTable *pending;   /* audit id -> Pending* */
  GQueue pending_order;  /* audit ids, oldest first, borrowed from pending */
  Uploads *uploads;      /* files coming in chunks (upload.h) */
};

static void
pending_free (Pending *pending)
{
  g_free (pending->audit);
  cJSON_Delete (pending->redacted);
  g_free (pending);
}

Proto *
proto_new (WeirContext *ctx)
{
  Proto *proto = g_new0 (Proto, 1);
  proto->ctx = ctx;
  proto->decider = decider_new (ctx);
  proto->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) pending_free);
  g_queue_init (&proto->pending_order);
  proto->uploads = uploads_new ();
  return proto;
}

void
proto_flush_reports (Proto *proto)
{
  decider_flush_reports (proto->decider);
}

void
proto_free (Proto *proto)
{
  if (proto == NULL)
    return;
  g_queue_clear (&proto->pending_order);
  g_hash_table_unref (proto->pending);
  uploads_free (proto->uploads);
  decider_free (proto->decider);
  g_free (proto);
}

static Pending *
pending_add (Proto *proto, const char *audit, gboolean justification)
{
  while (g_queue_get_length (&proto->pending_order) >= MAX_PENDING)
    g_hash_table_remove (proto->pending, g_queue_pop_head (&proto->pending_order));
  Pending *pending = g_new0 (Pending, 1);
  pending->audit = g_strdup (audit);
  pending->justification = justification;
  g_hash_table_insert (proto->pending, pending->audit, pending);
  g_queue_push_tail (&proto->pending_order, pending->audit);
  return pending;
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
  decider_set_source (proto->decider, source);
}

void
proto_set_scan_budget (Proto *proto, gint64 usec)
{
  decider_set_scan_budget (proto->decider, usec);
}

void
proto_set_upload_idle (Proto *proto, gint64 usec)
{
  uploads_set_idle (proto->uploads, usec);
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

/* The reply to a scan or gpu request, from its verdict. The wire order of the fields
 * is protocol 1's: a verdict with a record ends with "audit"; one without (the audit
 * log refused it) carries the fail verdict, why, and an "error". */
static cJSON *
verdict_reply (const Verdict *verdict)
{
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "verdict");
  cJSON_AddStringToObject (reply, "verdict", verdict_name (verdict->verdict));
  cJSON_AddItemToObject (reply, "reasons", verdict_reasons_json (verdict));
  if (verdict->overrides & VERDICT_OVERRIDE_UNRECORDED)
    {
      if (verdict->learn_more != NULL)
        cJSON_AddStringToObject (reply, "learn_more", verdict->learn_more);
      cJSON_AddStringToObject (reply, "message", verdict->message);
      cJSON_AddStringToObject (reply, "rule", verdict->rule);
      cJSON *err = cJSON_AddObjectToObject (reply, "error");
      cJSON_AddStringToObject (err, "code", weir_error_code_name (verdict->unrecorded->code));
      cJSON_AddStringToObject (err, "message", VERDICT_UNRECORDED_ERROR);
      return reply;
    }
  if (verdict->message != NULL)
    cJSON_AddStringToObject (reply, "message", verdict->message);
  if (verdict->rule != NULL)
    cJSON_AddStringToObject (reply, "rule", verdict->rule);
  if (verdict->learn_more != NULL)
    cJSON_AddStringToObject (reply, "learn_more", verdict->learn_more);
  if (verdict->verdict == VERDICT_WARN)
    cJSON_AddBoolToObject (reply, "justification", verdict->justification);
  cJSON_AddStringToObject (reply, "audit", verdict->audit);
  return reply;
}

/* The reply to a verdict; a recorded warn is one the user may still answer with a
 * decision. */
static cJSON *
verdict_answer (Proto *proto, const Verdict *verdict)
{
  if (verdict->audit != NULL && (verdict->verdict == VERDICT_WARN || verdict->redact_offer))
    {
      Pending *pending = pending_add (proto, verdict->audit, verdict->justification);
      pending->proceed = verdict->verdict == VERDICT_WARN;
      if (verdict->redact_offer)
        pending->redacted = verdict_redaction_summary (verdict);
    }
  return verdict_reply (verdict);
}

/* The spans (issue 24) go before "audit", which ends a recorded verdict's reply. */
static void
reply_add_redaction (cJSON *reply, const Verdict *verdict, const ScanRequest *request)
{
  cJSON *redaction = verdict_redaction_json (verdict, request);
  if (redaction == NULL)
    return;
  cJSON *audit = cJSON_DetachItemFromObjectCaseSensitive (reply, "audit");
  cJSON_AddItemToObject (reply, "redaction", redaction);
  if (audit != NULL)
    cJSON_AddItemToObject (reply, "audit", audit);
}

/* ---- scan ---- */

static const char *const scan_events[] = { "paste", "drop", "upload", "clipboard-read", NULL };

/* Standard base64 (what the extension's btoa writes), padding only at the end. */
static gboolean
base64_valid (const char *s)
{
  gsize n = strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  gsize pad = strspn (s + n, "=");
  return s[n + pad] == '\0' && pad <= 2 && (n + pad) % 4 == 0;
}

/* A file entry that names an upload takes its bytes out of the pending uploads into
 * taken (which then owns them), whatever happens to the rest of the request: an upload
 * is scanned once at most. */
static gboolean
parse_file_upload (Proto *proto, const char *upload, ScanFile *file, GPtrArray *taken, GError **error)
{
  guchar *bytes = NULL;
  gsize len = 0;
  if (file->data != NULL)
    return bad_field (error, "upload", "and \"data\" cannot both be given");
  if (!upload_id_valid (upload))
    return bad_field (error, "upload", "must be 1 to 64 letters, digits, '-' or '_'");
  if (!uploads_take (proto->uploads, upload, &bytes, &len, error))
    return FALSE;
  g_ptr_array_add (taken, bytes);
  file->bytes = bytes ? bytes : (const guchar *) "";
  file->bytes_len = len;
  if (file->size >= 0 && file->size != (double) len)
    return bad_field (error, "size", "differs from the upload's size");
  file->size = (double) len;
  return TRUE;
}

static gboolean
parse_file (Proto *proto, const cJSON *item, ScanFile *file, GPtrArray *taken, GError **error)
{
  const cJSON *size = cJSON_GetObjectItemCaseSensitive (item, "size");
  const char *upload = NULL;
  if (!cJSON_IsObject (item))
    return bad_field (error, "files", "must hold objects");
  if (!string_field (item, "name", TRUE, &file->name, error)
      || !string_field (item, "mime", FALSE, &file->mime, error)
      || !string_field (item, "data", FALSE, &file->data, error)
      || !string_field (item, "upload", FALSE, &upload, error))
    return FALSE;
  if (size != NULL && !cJSON_IsNull (size) && (!cJSON_IsNumber (size) || size->valuedouble < 0))
    return bad_field (error, "size", "must be a number of bytes");
  if (file->data != NULL && !base64_valid (file->data))
    return bad_field (error, "data", "must be base64");
  file->size = cJSON_IsNumber (size) ? size->valuedouble : -1;
  return upload == NULL || parse_file_upload (proto, upload, file, taken, error);
}

/* Fills scan with strings borrowed from req; *files (caller frees) holds its files, and
 * taken (caller frees) the bytes of the uploads they name. */
static gboolean
parse_scan (Proto *proto, const cJSON *req, ScanRequest *scan, ScanFile **files, GPtrArray *taken,
            GError **error)
{
  if (!string_field (req, "event", TRUE, &scan->event, error)
      || !string_field (req, "origin", TRUE, &scan->origin, error)
      || !string_field (req, "url", FALSE, &scan->url, error)
      || !string_field (req, "text", FALSE, &scan->text, error)
      || !string_field (req, "html", FALSE, &scan->html, error))
    return FALSE;
  if (!one_of (scan->event, scan_events))
    return bad_field (error, "event", "must be paste, drop, upload or clipboard-read");
  const cJSON *spans = cJSON_GetObjectItemCaseSensitive (req, "spans");
  if (spans != NULL && !cJSON_IsBool (spans) && !cJSON_IsNull (spans))
    return bad_field (error, "spans", "must be true or false");
  scan->spans = cJSON_IsTrue (spans);
  const cJSON *list = cJSON_GetObjectItemCaseSensitive (req, "files");
  if (list == NULL || cJSON_IsNull (list))
    return TRUE;
  if (!cJSON_IsArray (list) || cJSON_GetArraySize (list) > MAX_FILES)
    return bad_field (error, "files", "must be a list of at most 256 files");
  *files = g_new0 (ScanFile, MAX (cJSON_GetArraySize (list), 1));
  const cJSON *item;
  cJSON_ArrayForEach (item, list)
    if (!parse_file (proto, item, &(*files)[scan->n_files++], taken, error))
      return g_prefix_error_literal (error, "files: "), FALSE;
  scan->files = *files;
  return TRUE;
}

static cJSON *
handle_scan (Proto *proto, const cJSON *req, GError **error)
{
  ScanRequest scan = { 0 };
  g_autofree ScanFile *files = NULL;
  g_autoptr (GPtrArray) taken = g_ptr_array_new_with_free_func (g_free);
  if (!parse_scan (proto, req, &scan, &files, taken, error))
    return NULL;
  g_autoptr (Verdict) verdict = decider_scan (proto->decider, &scan);
  cJSON *reply = verdict_answer (proto, verdict);
  reply_add_redaction (reply, verdict, &scan);
  return reply;
}

/* ---- file-chunk, file-abort (upload.h, docs/protocol.md) ---- */

/* A whole number of bytes in 0..2^53 (what a JSON number holds exactly). */
static gboolean
bytes_field (const cJSON *req, const char *field, guint64 *out, GError **error)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (req, field);
  if (item == NULL)
    return bad_field (error, field, "is missing");
  if (!cJSON_IsNumber (item) || item->valuedouble < 0 || item->valuedouble > 9007199254740992.0
      || item->valuedouble != (double) (guint64) item->valuedouble)
    return bad_field (error, field, "must be a whole number of bytes");
  *out = (guint64) item->valuedouble;
  return TRUE;
}

static const char *
upload_field (const cJSON *req, GError **error)
{
  const char *upload;
  if (!string_field (req, "upload", TRUE, &upload, error))
    return NULL;
  if (!upload_id_valid (upload))
    return bad_field (error, "upload", "must be 1 to 64 letters, digits, '-' or '_'"), NULL;
  return upload;
}

/* {"type":"file-chunk","upload":ID,"size":N,"offset":O,"data":BASE64}: bytes O.. of the
 * upload ID of N bytes. Answered {"type":"ack","upload":ID,"received":BYTES}. A chunk
 * that breaks a rule drops its upload (upload.h). */
static cJSON *
handle_file_chunk (Proto *proto, const cJSON *req, GError **error)
{
  const char *upload, *data;
  guint64 size, offset, received = 0;
  if ((upload = upload_field (req, error)) == NULL || !bytes_field (req, "size", &size, error)
      || !bytes_field (req, "offset", &offset, error) || !string_field (req, "data", TRUE, &data, error))
    return NULL;
  gsize data_len = strlen (data);
  if (!base64_valid (data))
    return uploads_abort (proto->uploads, upload), bad_field (error, "data", "must be base64"), NULL;
  /* Checked before decoding: the decoded bytes of a chunk are at most 3/4 of its text. */
  if (data_len / 4 * 3 > UPLOAD_CHUNK_BYTES + 2)
    {
      uploads_abort (proto->uploads, upload);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE, "a chunk holds at most %" G_GSIZE_FORMAT
                   " bytes; upload \"%s\" is dropped", UPLOAD_CHUNK_BYTES, upload);
      return NULL;
    }
  gsize len = 0;
  g_autofree guchar *bytes = data_len > 0 ? g_base64_decode (data, &len) : NULL;
  if (!uploads_add_chunk (proto->uploads, upload, size, offset, bytes, len,
                          policy_max_scan_bytes (context_policy (proto->ctx)), g_get_monotonic_time (),
                          &received, error))
    return NULL;
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "ack");
  cJSON_AddStringToObject (reply, "upload", upload);
  cJSON_AddNumberToObject (reply, "received", (double) received);
  return reply;
}

/* {"type":"file-abort","upload":ID}: the extension gives an upload up (the user went
 * away, a file could not be read). Answered with an ack, or not_found. */
static cJSON *
handle_file_abort (Proto *proto, const cJSON *req, GError **error)
{
  const char *upload = upload_field (req, error);
  if (upload == NULL)
    return NULL;
  if (!uploads_abort (proto->uploads, upload))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "no upload \"%s\" is held", upload);
      return NULL;
    }
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "ack");
  cJSON_AddStringToObject (reply, "upload", upload);
  return reply;
}

/* What hello tells of chunked files: the version, the bytes per chunk, and the bounds. */
static cJSON *
uploads_hello (Proto *proto)
{
  cJSON *uploads = cJSON_CreateObject ();
  cJSON_AddNumberToObject (uploads, "version", UPLOAD_VERSION);
  cJSON_AddNumberToObject (uploads, "chunk_bytes", (double) UPLOAD_CHUNK_BYTES);
  cJSON_AddNumberToObject (uploads, "max_pending", UPLOAD_MAX_PENDING);
  cJSON_AddNumberToObject (uploads, "max_bytes", (double) policy_max_scan_bytes (context_policy (proto->ctx)));
  cJSON_AddNumberToObject (uploads, "idle_ms", (double) (uploads_idle (proto->uploads) / 1000));
  return uploads;
}

/* ---- copy (issue 25) ---- */

static const char *const copy_events[] = { "copy", "cut", "drag", "page-copy", NULL };

/* Text a page of origin copied: remembered (as fingerprints) when origin is in a source
 * group. The origin is the browser's (the extension takes it from the sender), and the
 * host checks it against the policy again. The reply says whether it was kept, never
 * anything of the text. */
static cJSON *
handle_copy (Proto *proto, const cJSON *req, GError **error)
{
  const char *event, *origin, *url, *text;
  if (!string_field (req, "event", TRUE, &event, error) || !string_field (req, "origin", TRUE, &origin, error)
      || !string_field (req, "url", FALSE, &url, error) || !string_field (req, "text", TRUE, &text, error))
    return NULL;
  if (!one_of (event, copy_events))
    return bad_field (error, "event", "must be copy, cut, drag or page-copy"), NULL;
  DeciderCopy copy;
  if (!decider_copy (proto->decider, event, origin, text, strlen (text), &copy, error))
    return NULL;
  g_autofree char *audit = copy.audit;
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "ack");
  cJSON_AddBoolToObject (reply, "kept", copy.kept);
  if (copy.source != NULL)
    cJSON_AddStringToObject (reply, "source", copy.source);
  if (copy.why != NULL)
    cJSON_AddStringToObject (reply, "why", copy.why);
  if (copy.kept)
    cJSON_AddNumberToObject (reply, "words", copy.words);
  if (audit != NULL)
    cJSON_AddStringToObject (reply, "audit", audit);
  return reply;
}

/* ---- gpu, decision, report, hello ---- */

static cJSON *
handle_gpu (Proto *proto, const cJSON *req, GError **error)
{
  const char *origin, *url, *api;
  if (!string_field (req, "origin", TRUE, &origin, error) || !string_field (req, "url", FALSE, &url, error)
      || !string_field (req, "api", FALSE, &api, error))
    return NULL;
  g_autoptr (Verdict) verdict = decider_gpu (proto->decider, origin, api);
  return verdict_answer (proto, verdict);
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
  static const char *const actions[] = { "proceed", "cancel", "redact", NULL };
  const char *audit, *action, *justification;
  if (!string_field (req, "audit", TRUE, &audit, error) || !string_field (req, "action", TRUE, &action, error)
      || !string_field (req, "justification", FALSE, &justification, error))
    return NULL;
  if (!one_of (action, actions))
    return bad_field (error, "action", "must be proceed, cancel or redact"), NULL;
  /* A warn verdict of this process, else one an earlier host gave that no decision
   * answers yet: the store knows (one decision per verdict). */
  const Pending *pending = g_hash_table_lookup (proto->pending, audit);
  gboolean needs_justification = pending != NULL && pending->justification;
  g_autoptr (GError) local = NULL;
  if (pending == NULL && !decider_open_warn (proto->decider, audit, &needs_justification, &local))
    {
      if (!g_error_matches (local, WEIR_ERROR, WEIR_ERROR_NOT_FOUND))
        return g_propagate_error (error, g_steal_pointer (&local)), NULL;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
                   "no open warn verdict has audit id \"%s\"", echo_safe (audit));
      return NULL;
    }
  if (strcmp (action, "redact") == 0 && (pending == NULL || pending->redacted == NULL))
    return bad_field (error, "action", "redact is not offered for this verdict"), NULL;
  if (strcmp (action, "proceed") == 0 && pending != NULL && !pending->proceed)
    return bad_field (error, "action", "proceed is not an answer to this verdict"), NULL;
  if (strcmp (action, "proceed") == 0 && needs_justification && blank (justification))
    return bad_field (error, "justification", "is required to proceed"), NULL;
  g_autofree char *id = strcmp (action, "redact") == 0
                        ? decider_record_redaction (proto->decider, audit, pending->redacted, error)
                        : decider_record_decision (proto->decider, audit, action,
                                                   blank (justification) ? NULL : justification, error);
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
  VerdictLevel reported;
  if (verdict != NULL && !verdict_parse (verdict, &reported))
    return bad_field (error, "verdict", "must be allow, warn or block"), NULL;
  gboolean held = FALSE;
  g_autofree char *id = decider_record_report (proto->decider, event, origin, verdict, detail, &held, error);
  if (id == NULL && !held)
    return NULL;
  cJSON *reply = cJSON_CreateObject ();
  cJSON_AddStringToObject (reply, "type", "ack");
  /* A held report has no record of its own yet: the minute's summary will count it. */
  if (id != NULL)
    cJSON_AddStringToObject (reply, "audit", id);
  else
    cJSON_AddBoolToObject (reply, "held", TRUE);
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
  cJSON_AddItemToObject (reply, "policy", policy_to_hello_json (context_policy (proto->ctx)));
  cJSON_AddItemToObject (reply, "uploads", uploads_hello (proto));
  /* The request types this host serves, so an extension knows it may send "copy"
   * (issue 25) to this host and not to an older one. */
  static const char *const served[] = { "hello", "scan", "gpu", "decision", "report", "file-chunk",
                                        "file-abort", "copy" };
  cJSON_AddItemToObject (reply, "requests", cJSON_CreateStringArray (served, G_N_ELEMENTS (served)));
  /* Additions to protocol 1 an extension may use: "redaction" (issue 24) means a scan
   * with "spans": true gets where its findings are, the redact verdict and the redact
   * decision. An extension that does not ask never sees either. */
  cJSON *features = cJSON_AddArrayToObject (reply, "features");
  cJSON_AddItemToArray (features, cJSON_CreateString ("redaction"));
  cJSON *problems = cJSON_AddArrayToObject (reply, "problems");
  const GPtrArray *told = context_problems (proto->ctx);
  for (guint i = 0; i < told->len; i++)
    cJSON_AddItemToArray (problems, cJSON_CreateString (((const ContextProblem *) told->pdata[i])->text));
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
  { "file-chunk", handle_file_chunk },
  { "file-abort", handle_file_abort },
  { "copy", handle_copy },
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
  /* An upload abandoned midway (the tab closed, the extension restarted) is dropped
   * once it has been idle long enough: checked at every request. */
  guint expired = uploads_expire (proto->uploads, g_get_monotonic_time ());
  if (expired > 0)
    g_message ("dropped %u upload(s) idle for over %" G_GINT64_FORMAT " ms", expired,
               uploads_idle (proto->uploads) / 1000);
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
