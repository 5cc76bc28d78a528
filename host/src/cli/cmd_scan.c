/* weir scan: the host's engine and policy, on a file or stdin, for admins trying a
 * policy on sample data before pushing it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "engine/findings.h"
#include "json.h"
#include "nm.h"
#include "proto.h"
#include "verdict/verdict.h"

static void
print_reason (const char *kind, const char *what, const char *label)
{
  printf ("  %-8s %s", kind, what != NULL ? what : "");
  if (label != NULL)
    printf (" [%s]", label);
}

/* "  in a.zip › q3.xlsx › sheet Q3": which file, and where inside it. */
static void
print_place (const char *file, const char *where)
{
  if (file != NULL)
    printf ("  in %s%s%s", file, where ? " \xe2\x80\xba " : "", where ? where : "");
}

/* The verdict for a person: the verdict and its message, one line per reason, whether a
 * reason is needed to proceed, and the audit record's id. */
static void
print_verdict (const Verdict *verdict)
{
  printf ("%s", verdict_name (verdict->verdict));
  if (verdict->message != NULL)
    printf (": %s", verdict->message);
  printf ("\n");
  for (guint i = 0; i < verdict->findings->len && i < VERDICT_MAX_FINDINGS; i++)
    {
      const Finding *f = verdict->findings->pdata[i];
      print_reason (finding_kind_name (f->kind), f->rule != NULL ? f->rule : f->name, f->label);
      /* The score as the reply tells it, to two decimals. */
      if (f->kind == FINDING_DOCUMENT)
        printf (" score %.2f", (double) (gint) (f->score * 100 + 0.5) / 100);
      else if (f->kind == FINDING_COPIED)
        printf (" %u words", f->words);  /* issue 25: words shared with a copy */
      else
        printf (" x%u", f->count);
      print_place (f->file, f->where);
      printf ("\n");
    }
  for (guint i = 0; i < verdict->n_policy_reasons; i++)
    {
      const VerdictPolicyReason *r = &verdict->policy_reasons[i];
      print_reason ("policy", r->rule, NULL);
      if (r->count > 0)
        printf (" x%u", r->count);
      if (r->detail != NULL)
        printf (" (%s)", r->detail);
      print_place (r->file, r->where);
      printf ("\n");
    }
  if (verdict->justification)
    printf ("  the user must give a reason to proceed\n");
  if (verdict->audit != NULL)
    printf ("  audit    %s\n", verdict->audit);
}

/* One request object a line in, one reply a line out; a bad line gets an error reply.
 * Each reply is flushed, so that a program can drive the batch a request at a time.
 * After each reply what a host does after one (context_maintain): without it a batch's
 * records stayed in the WAL, 20 000 of them 1.7 GB. */
static int
scan_batch (WeirContext *ctx, Proto *proto)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline (&line, &cap, stdin)) > 0)
    {
      while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
      if (n == 0)
        continue;
      g_autofree char *reply = proto_handle_frame (proto, line, (gsize) n);
      if (printf ("%s\n", reply) < 0 || fflush (stdout) != 0)
        break;
      context_maintain (ctx);
    }
  free (line);
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

/* The request weir scan makes of its input: text, or bytes that are not text as one
 * file, as a dropped file would come. Strings point into data, b64 and name. */
typedef struct {
  ScanRequest request;
  ScanFile file;
  char *b64;
  char *name;
} CliScan;

static void
cli_scan_init (CliScan *scan, const char *data, gsize len, const char *path, const char *origin,
               const char *event)
{
  *scan = (CliScan) { .request = { .event = event, .origin = origin } };
  if (g_utf8_validate_len (data, len, NULL) && memchr (data, '\0', len) == NULL)
    {
      scan->request.text = data;
      return;
    }
  scan->b64 = g_base64_encode ((const guchar *) data, len);
  scan->name = path && strcmp (path, "-") ? g_path_get_basename (path) : g_strdup ("stdin");
  scan->file = (ScanFile) { .name = scan->name, .data = scan->b64, .size = (double) len };
  scan->request.files = &scan->file;
  scan->request.n_files = 1;
}

static void
cli_scan_clear (CliScan *scan)
{
  g_free (scan->b64);
  g_free (scan->name);
}

/* The protocol's scan request for the same input: what --json sends through proto, so
 * it prints exactly what the host would. */
static cJSON *
request_json (const ScanRequest *scan)
{
  cJSON *req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "event", scan->event);
  cJSON_AddStringToObject (req, "origin", scan->origin);
  if (scan->text != NULL)
    cJSON_AddStringToObject (req, "text", scan->text);
  cJSON *files = scan->n_files > 0 ? cJSON_AddArrayToObject (req, "files") : NULL;
  for (guint i = 0; i < scan->n_files; i++)
    {
      cJSON *file = cJSON_CreateObject ();
      cJSON_AddStringToObject (file, "name", scan->files[i].name);
      cJSON_AddNumberToObject (file, "size", scan->files[i].size);
      cJSON_AddStringToObject (file, "data", scan->files[i].data);
      cJSON_AddItemToArray (files, file);
    }
  return req;
}

static int
scan_json (WeirContext *ctx, const ScanRequest *scan)
{
  g_autoptr (Proto) proto = proto_new (ctx);
  proto_set_source (proto, "cli");
  g_autoptr (cJSON) req = request_json (scan);
  g_autoptr (cJSON) reply = proto_handle_request (proto, req);
  g_autofree char *text = cJSON_PrintUnformatted (reply);
  printf ("%s\n", text);
  const cJSON *err = cJSON_GetObjectItemCaseSensitive (reply, "error");
  if (cJSON_IsObject (err))
    {
      const cJSON *message = cJSON_GetObjectItemCaseSensitive (err, "message");
      return cli_fail ("scan", CLI_FAILURE, "%s", cJSON_IsString (message) ? message->valuestring : "failed");
    }
  return CLI_OK;
}

static int
scan_human (WeirContext *ctx, const ScanRequest *scan)
{
  g_autoptr (Decider) decider = decider_new (ctx);
  decider_set_source (decider, "cli");
  g_autoptr (Verdict) verdict = decider_scan (decider, scan);
  if (verdict->overrides & VERDICT_OVERRIDE_UNRECORDED)
    return cli_fail ("scan", CLI_FAILURE, "%s", VERDICT_UNRECORDED_ERROR);
  print_verdict (verdict);
  return CLI_OK;
}

/* --redact: the input as a paste of it would be inserted with its findings masked,
 * every pattern and exact-data match replaced by the policy's placeholder. Nothing is
 * recorded: this is a filter, not a decision. */
static int
scan_redact (WeirContext *ctx, const char *data, gsize len, const char *origin)
{
  if (memchr (data, '\0', len) != NULL)
    return cli_fail ("scan", CLI_FAILURE, "the input holds NUL bytes: --redact masks text, not binary files");
  ScanRequest request = { .event = "paste", .origin = origin, .text = data, .spans = TRUE };
  ScanResult found;
  scan_run (&request, context_index (ctx), 0, G_MAXINT64, NULL, NULL, &found);
  g_autoptr (Redaction) r = redaction_new (&request, context_index (ctx));
  g_auto (GStrv) placeholders = verdict_placeholders (context_policy (ctx), r, found.findings);
  scan_result_clear (&found);
  g_autofree char *masked = redaction_mask (data, len, r->text, (const char *const *) placeholders, FALSE);
  fputs (masked, stdout);
  if (r->incomplete)
    return cli_fail ("scan", CLI_FAILURE, "masking kept revealing new matches; the output may hold some");
  return fflush (stdout) == 0 ? CLI_OK : cli_fail ("scan", CLI_FAILURE, "cannot write the output");
}

int
cmd_scan (int argc, char **argv)
{
  gboolean json = FALSE, batch = FALSE, redact = FALSE;
  g_autofree char *origin = NULL, *event = NULL;
  const GOptionEntry entries[] = {
    { "origin", 0, 0, G_OPTION_ARG_STRING, &origin, "Destination origin (default https://example.com)", "URL" },
    { "event", 0, 0, G_OPTION_ARG_STRING, &event, "paste, drop, upload or clipboard-read (default paste)", "EVENT" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the verdict object the host would send", NULL },
    { "batch", 0, 0, G_OPTION_ARG_NONE, &batch, "Scan requests from stdin, one JSON object a line", NULL },
    { "redact", 0, 0, G_OPTION_ARG_NONE, &redact,
      "Print the input with every finding masked, as a paste of it would be inserted", NULL },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("scan", "[FILE|-]", "Checks content against the policy and store, as the host would.",
                  entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 2 || (batch && argc > 1))
    return cli_fail ("scan", CLI_USAGE, "give one FILE or - for stdin (see weir scan --help)");
  if (redact && (json || batch))
    return cli_fail ("scan", CLI_USAGE, "--redact prints text: it does not go with --json or --batch");
  static const char *const events[] = { "paste", "drop", "upload", "clipboard-read", NULL };
  if (event != NULL && !g_strv_contains (events, event))
    return cli_fail ("scan", CLI_USAGE, "--event must be paste, drop, upload or clipboard-read");
  /* An origin is scheme://host[:port], as a browser sends it; anything else would be
   * scored against no origin group and recorded as given. */
  if (origin != NULL && !policy_origin_wellformed (origin))
    return cli_fail ("scan", CLI_USAGE, "--origin must be scheme://host, e.g. https://chatgpt.com");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT, &error);
  if (ctx == NULL)
    return cli_fail ("scan", CLI_FAILURE, "%s", error->message);
  if (batch)
    {
      g_autoptr (Proto) proto = proto_new (ctx);
      proto_set_source (proto, "cli");
      return scan_batch (ctx, proto);
    }
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!cli_read_input (argc > 1 ? argv[1] : "-", NM_MAX_REQUEST, &data, &len, &error))
    return cli_fail ("scan", CLI_FAILURE, "%s", error->message);
  if (redact)
    return scan_redact (ctx, data, len, origin ? origin : "https://example.com");
  CliScan scan;
  cli_scan_init (&scan, data, len, argc > 1 ? argv[1] : NULL, origin ? origin : "https://example.com",
                 event ? event : "paste");
  int status = json ? scan_json (ctx, &scan.request) : scan_human (ctx, &scan.request);
  cli_scan_clear (&scan);
  return status;
}
