/* weir scan: the host's engine and policy, on a file or stdin, for admins trying a
 * policy on sample data before pushing it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "nm.h"
#include "proto.h"

static void
print_human (const cJSON *reply)
{
  const cJSON *verdict = cJSON_GetObjectItemCaseSensitive (reply, "verdict");
  const cJSON *message = cJSON_GetObjectItemCaseSensitive (reply, "message");
  const cJSON *reasons = cJSON_GetObjectItemCaseSensitive (reply, "reasons");
  const cJSON *audit = cJSON_GetObjectItemCaseSensitive (reply, "audit");
  printf ("%s", cJSON_IsString (verdict) ? verdict->valuestring : "error");
  if (cJSON_IsString (message))
    printf (": %s", message->valuestring);
  printf ("\n");
  const cJSON *reason;
  cJSON_ArrayForEach (reason, reasons)
    {
      const cJSON *kind = cJSON_GetObjectItemCaseSensitive (reason, "kind");
      const cJSON *rule = cJSON_GetObjectItemCaseSensitive (reason, "rule");
      const cJSON *name = cJSON_GetObjectItemCaseSensitive (reason, "name");
      const cJSON *label = cJSON_GetObjectItemCaseSensitive (reason, "label");
      const cJSON *count = cJSON_GetObjectItemCaseSensitive (reason, "count");
      const cJSON *score = cJSON_GetObjectItemCaseSensitive (reason, "score");
      printf ("  %-8s %s", kind->valuestring,
              cJSON_IsString (rule) ? rule->valuestring : cJSON_IsString (name) ? name->valuestring : "");
      if (cJSON_IsString (label))
        printf (" [%s]", label->valuestring);
      if (cJSON_IsNumber (count))
        printf (" x%d", count->valueint);
      if (cJSON_IsNumber (score))
        printf (" score %.2f", score->valuedouble);
      printf ("\n");
    }
  if (cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (reply, "justification")))
    printf ("  the user must give a reason to proceed\n");
  if (cJSON_IsString (audit))
    printf ("  audit    %s\n", audit->valuestring);
}

/* One request object a line in, one reply a line out; a bad line gets an error reply. */
static int
scan_batch (Proto *proto)
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
      printf ("%s\n", reply);
    }
  free (line);
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

static cJSON *
build_request (const char *data, gsize len, const char *path, const char *origin, const char *event)
{
  cJSON *req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "event", event);
  cJSON_AddStringToObject (req, "origin", origin);
  if (g_utf8_validate_len (data, len, NULL) && memchr (data, '\0', len) == NULL)
    {
      cJSON_AddStringToObject (req, "text", data);
      return req;
    }
  /* Bytes that are not text go in as a file, as a dropped file would. */
  g_autofree char *b64 = g_base64_encode ((const guchar *) data, len);
  g_autofree char *base = path && strcmp (path, "-") ? g_path_get_basename (path) : g_strdup ("stdin");
  cJSON *file = cJSON_CreateObject ();
  cJSON_AddStringToObject (file, "name", base);
  cJSON_AddNumberToObject (file, "size", (double) len);
  cJSON_AddStringToObject (file, "data", b64);
  cJSON_AddItemToArray (cJSON_AddArrayToObject (req, "files"), file);
  return req;
}

int
cmd_scan (int argc, char **argv)
{
  gboolean json = FALSE, batch = FALSE;
  g_autofree char *origin = NULL, *event = NULL;
  const GOptionEntry entries[] = {
    { "origin", 0, 0, G_OPTION_ARG_STRING, &origin, "Destination origin (default https://example.com)", "URL" },
    { "event", 0, 0, G_OPTION_ARG_STRING, &event, "paste, drop, upload or clipboard-read (default paste)", "EVENT" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the verdict object the host would send", NULL },
    { "batch", 0, 0, G_OPTION_ARG_NONE, &batch, "Scan requests from stdin, one JSON object a line", NULL },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("scan", "[FILE|-]", "Checks content against the policy and store, as the host would.",
                  entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 2 || (batch && argc > 1))
    return cli_fail ("scan", CLI_USAGE, "give one FILE or - for stdin (see weir scan --help)");
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
  g_autoptr (Proto) proto = proto_new (ctx);
  proto_set_source (proto, "cli");
  if (batch)
    return scan_batch (proto);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!cli_read_input (argc > 1 ? argv[1] : "-", NM_MAX_REQUEST, &data, &len, &error))
    return cli_fail ("scan", CLI_FAILURE, "%s", error->message);
  g_autoptr (cJSON) req = build_request (data, len, argc > 1 ? argv[1] : NULL,
                                         origin ? origin : "https://example.com", event ? event : "paste");
  g_autoptr (cJSON) reply = proto_handle_request (proto, req);
  const cJSON *err = cJSON_GetObjectItemCaseSensitive (reply, "error");
  if (json)
    {
      g_autofree char *text = cJSON_PrintUnformatted (reply);
      printf ("%s\n", text);
    }
  else if (!cJSON_IsObject (err))
    print_human (reply);
  if (cJSON_IsObject (err))
    {
      const cJSON *message = cJSON_GetObjectItemCaseSensitive (err, "message");
      return cli_fail ("scan", CLI_FAILURE, "%s", cJSON_IsString (message) ? message->valuestring : "failed");
    }
  return CLI_OK;
}
