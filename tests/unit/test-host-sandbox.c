/* The real weir-host over pipes, sandboxed: it still serves a whole session (hello,
 * scans that grow the store, a decision, a report, end of input, exit status 0),
 * the kernel shows its seccomp filter, and the audit log says what held.
 * WEIR_HOST names the binary (set by meson). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "json.h"
#include "store/store.h"
#include "weir-config.h"

typedef struct {
  char *home;
  GSubprocess *host;
  GOutputStream *in;
  GInputStream *out;
} Session;

static void
session_start (Session *s, gboolean sandbox)
{
  g_autoptr (GError) error = NULL;
  s->home = g_dir_make_tmp ("weir-host-sandbox-XXXXXX", &error);
  g_assert_no_error (error);
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "WEIR_HOME", s->home, TRUE);
  if (sandbox)
    g_subprocess_launcher_unsetenv (launcher, "WEIR_SANDBOX");
  else
    g_subprocess_launcher_setenv (launcher, "WEIR_SANDBOX", "0", TRUE);
  const char *host = g_getenv ("WEIR_HOST");
  g_assert_nonnull (host);
  s->host = g_subprocess_launcher_spawn (launcher, &error, host, "chrome-extension://test/", NULL);
  g_assert_no_error (error);
  s->in = g_subprocess_get_stdin_pipe (s->host);
  s->out = g_subprocess_get_stdout_pipe (s->host);
}

static cJSON *
session_ask (Session *s, const char *request)
{
  g_autoptr (GError) error = NULL;
  guint32 len = (guint32) strlen (request);
  g_output_stream_write_all (s->in, &len, sizeof len, NULL, NULL, &error);
  g_output_stream_write_all (s->in, request, len, NULL, NULL, &error);
  g_output_stream_flush (s->in, NULL, &error);
  g_assert_no_error (error);
  gsize got = 0;
  g_input_stream_read_all (s->out, &len, sizeof len, &got, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got, ==, sizeof len);
  g_autofree char *reply = g_malloc (len + 1);
  g_input_stream_read_all (s->out, reply, len, &got, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got, ==, len);
  reply[len] = '\0';
  cJSON *parsed = cJSON_Parse (reply);
  g_assert_nonnull (parsed);
  return parsed;
}

static const char *
str (const cJSON *obj, const char *field)
{
  return cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (obj, field));
}

/* The Seccomp line of /proc/PID/status: 0 none, 2 a filter. */
static int
seccomp_mode (GSubprocess *host)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (host));
  g_autofree char *status = NULL;
  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  const char *line = strstr (status, "\nSeccomp:");
  g_assert_nonnull (line);
  return atoi (line + strlen ("\nSeccomp:"));
}

/* A scan of each kind, a warn answered by a decision, a report, then enough scans
 * to push the store's WAL through checkpoints. */
static void
session_run (Session *s)
{
  g_autoptr (cJSON) hello = session_ask (s, "{\"type\":\"hello\",\"id\":1,\"extension_version\":\"1.0.0\"}");
  g_assert_cmpstr (str (hello, "type"), ==, "hello");
  g_autoptr (cJSON) warn = session_ask (s, "{\"type\":\"scan\",\"id\":2,\"event\":\"paste\","
                                           "\"origin\":\"https://chat.example\",\"text\":\"pay 4111 1111 1111 1111\","
                                           "\"html\":\"<p>pay 4111 1111 1111 1111</p>\","
                                           "\"files\":[{\"name\":\"a.txt\",\"mime\":\"text/plain\",\"data\":\"aGVsbG8gd29ybGQ=\"}]}");
  g_assert_cmpstr (str (warn, "verdict"), ==, "warn");
  g_assert_nonnull (str (warn, "audit"));
  g_autofree char *decision = g_strdup_printf ("{\"type\":\"decision\",\"id\":3,\"audit\":\"%s\","
                                               "\"action\":\"proceed\",\"justification\":\"test\"}",
                                               str (warn, "audit"));
  g_autoptr (cJSON) ack = session_ask (s, decision);
  g_assert_cmpstr (str (ack, "type"), ==, "ack");
  g_autoptr (cJSON) report = session_ask (s, "{\"type\":\"report\",\"id\":4,\"event\":\"timeout\",\"detail\":\"t\"}");
  g_assert_cmpstr (str (report, "type"), ==, "ack");
  for (int i = 0; i < 1500; i++)
    {
      g_autoptr (cJSON) verdict = session_ask (s, "{\"type\":\"scan\",\"id\":5,\"event\":\"paste\","
                                                  "\"origin\":\"https://chat.example\",\"text\":\"nothing to see here\"}");
      g_assert_cmpstr (str (verdict, "verdict"), ==, "allow");
    }
}

static void
session_finish (Session *s)
{
  g_autoptr (GError) error = NULL;
  g_output_stream_close (s->in, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait (s->host, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (s->host));
  g_assert_cmpint (g_subprocess_get_exit_status (s->host), ==, 0);
}

static gboolean
find_sandbox_record (gint64 seq, const char *id, const char *record, gpointer data)
{
  g_autoptr (cJSON) parsed = cJSON_Parse (record);
  if (g_strcmp0 (str (parsed, "event"), "sandbox") != 0)
    return TRUE;
  *(char **) data = g_strdup (str (parsed, "detail"));
  return FALSE;
}

/* The detail of the audit log's "sandbox" record; caller frees. */
static char *
session_sandbox_record (Session *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (s->home, "weir.db", NULL);
  g_autoptr (Store) store = store_open (path, &error);
  g_assert_no_error (error);
  char *detail = NULL;
  store_audit_foreach (store, find_sandbox_record, &detail, &error);
  g_assert_no_error (error);
  g_assert_nonnull (detail);
  return detail;
}

static void
session_clear (Session *s)
{
  const char *files[] = { "weir.db", "weir.db-wal", "weir.db-shm" };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (s->home, files[i], NULL);
      g_unlink (path);
    }
  g_rmdir (s->home);
  g_free (s->home);
  g_clear_object (&s->host);
}

static void
test_sandboxed_session (void)
{
  if (!WEIR_HAVE_SECCOMP)
    {
      g_test_skip ("built without libseccomp (-Dsandbox=disabled)");
      return;
    }
  Session s = { 0 };
  session_start (&s, TRUE);
  g_autoptr (cJSON) hello = session_ask (&s, "{\"type\":\"hello\",\"id\":0}");
  g_assert_cmpint (seccomp_mode (s.host), ==, 2);
  session_run (&s);
  session_finish (&s);
  g_autofree char *detail = session_sandbox_record (&s);
  g_test_message ("sandbox record: %s", detail);
  g_assert_true (g_str_has_prefix (detail, "seccomp on"));
  session_clear (&s);
}

static void
test_sandbox_off (void)
{
  Session s = { 0 };
  session_start (&s, FALSE);
  g_autoptr (cJSON) hello = session_ask (&s, "{\"type\":\"hello\",\"id\":0}");
  g_assert_cmpint (seccomp_mode (s.host), ==, 0);
  session_finish (&s);
  g_autofree char *detail = session_sandbox_record (&s);
  g_assert_cmpstr (detail, ==, "off: WEIR_SANDBOX=0");
  session_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/host-sandbox/session", test_sandboxed_session);
  g_test_add_func ("/host-sandbox/off", test_sandbox_off);
  return g_test_run ();
}
