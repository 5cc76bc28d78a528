/* The real weir-host binary over pipes, as Chromium runs it: a normal session, every
 * kind of malformed request, broken streams, and a 20 MB paste. The binary's path
 * comes from meson in WEIR_HOST_BINARY. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "memcap.h"
#include "nm.h"
#include "store/store.h"
#include "testproto.h"
#include "testutil.h"

#define CARD "4666 1760 3137 2159"  /* Luhn-valid Visa range, not a well-known test number */
#define CARD_PART "1760 3137"  /* a space: no hex id or digest can hold it */
#define CANARY "weir-canary-5d1e08b2"
#define REPLY_TIMEOUT_MS 120000  /* generous: the 20 MB paste under ASan on a busy machine */

typedef struct {
  char *home;     /* WEIR_HOME */
  char *logdir;   /* the host's stderr, outside WEIR_HOME */
  GPid pid;
  int to_host;    /* the host's stdin */
  int from_host;  /* the host's stdout */
  gboolean reaped;
  rlim_t data_limit;  /* when not 0, the RLIMIT_DATA (soft and hard) the host starts with */
} Host;

/* As an admin's ulimit -d would: a limit the host must keep to. */
static void
limit_data (gpointer data)
{
  const Host *h = data;
  struct rlimit limit = { h->data_limit, h->data_limit };
  if (h->data_limit != 0)
    setrlimit (RLIMIT_DATA, &limit);
}

static void
host_start (Host *h, gconstpointer policy)
{
  g_autoptr (GError) error = NULL;
  const char *binary = g_getenv ("WEIR_HOST_BINARY");
  g_assert_nonnull (binary);
  if (h->home == NULL)
    h->home = testutil_tmpdir_new ("weir-host-home");
  h->logdir = testutil_tmpdir_new ("weir-host-log");
  if (policy != NULL)
    testutil_write_file (h->home, "policy.json", policy);
  g_autofree char *log = g_build_filename (h->logdir, "stderr.log", NULL);
  int err_fd = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (err_fd, >=, 0);
  char **envp = g_environ_setenv (g_get_environ (), "WEIR_HOME", h->home, TRUE);
  const char *argv[] = { binary, "chrome-extension://weirtestextension/", NULL };
  g_spawn_async_with_pipes_and_fds (NULL, argv, (const char *const *) envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                    limit_data, h, -1, -1, err_fd, NULL, NULL, 0, &h->pid,
                                    &h->to_host, &h->from_host, NULL, &error);
  g_strfreev (envp);
  close (err_fd);
  g_assert_no_error (error);
}

/* Waits for the host to end; asserts it exited with status 0 and no signal. */
static void
host_wait_exit (Host *h)
{
  int status = 0;
  for (int waited = 0; waited < REPLY_TIMEOUT_MS; waited += 10)
    {
      pid_t r = waitpid (h->pid, &status, WNOHANG);
      g_assert_cmpint (r, >=, 0);
      if (r == h->pid)
        {
          h->reaped = TRUE;
          if (WIFSIGNALED (status))
            g_error ("weir-host died of signal %d", WTERMSIG (status));
          g_assert_true (WIFEXITED (status));
          g_assert_cmpint (WEXITSTATUS (status), ==, 0);
          return;
        }
      g_usleep (10000);
    }
  g_error ("weir-host did not end");
}

static void
host_stop (Host *h, gconstpointer data)
{
  if (!h->reaped)
    {
      kill (h->pid, SIGKILL);
      waitpid (h->pid, NULL, 0);
    }
  g_spawn_close_pid (h->pid);
  if (h->to_host >= 0)
    close (h->to_host);
  close (h->from_host);
  testutil_rmtree (h->home);
  testutil_rmtree (h->logdir);
  g_free (h->home);
  g_free (h->logdir);
}

static void
close_input (Host *h)
{
  close (h->to_host);
  h->to_host = -1;
}

static void
send_json (Host *h, const char *json)
{
  testproto_send_frame (h->to_host, json, strlen (json));
}

/* One reply frame, within the timeout, checked as the extension takes it. */
static cJSON *
receive (Host *h, char **text_out)
{
  return testproto_receive (h->from_host, REPLY_TIMEOUT_MS, text_out);
}

/* After the host ends, its stdout must hold nothing but the frames already read. */
static void
assert_output_ends (Host *h)
{
  g_autofree char *extra = NULL;
  gsize len = 0;
  g_assert_cmpint (nm_read_frame (h->from_host, NM_MAX_REPLY, &extra, &len, NULL), ==, NM_FRAME_EOF);
}

static void
assert_hello_served (Host *h, int id)
{
  g_autofree char *req = g_strdup_printf ("{\"type\":\"hello\",\"id\":%d,\"extension_version\":\"1.0.0\"}", id);
  send_json (h, req);
  g_autoptr (cJSON) reply = receive (h, NULL);
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "hello");
  g_assert_cmpint (testproto_num (reply, "id"), ==, id);
  g_assert_cmpint (testproto_num (reply, "protocol"), ==, 1);
}

static void
assert_no_canary_anywhere (Host *h)
{
  g_assert_false (testutil_tree_contains (h->home, CANARY));
  g_assert_false (testutil_tree_contains (h->logdir, CANARY));
}

static void
assert_private (const char *path, gpointer data)
{
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  if (g_str_has_suffix (path, "policy.json"))
    return;  /* written by the test, not the host */
  g_test_message ("%s mode %o", path, (unsigned) (st.st_mode & 0777));
  g_assert_cmpint (st.st_mode & 0077, ==, 0);
}

/* Every audit record of the store under home, one a line. */
static char *
audit_log_text (const char *home)
{
  g_autofree char *path = g_build_filename (home, "weir.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (path, &error);
  g_assert_no_error (error);
  return testproto_audit_text (store);
}

/* ---- a normal session ---- */

static void
test_session (Host *h, gconstpointer data)
{
  assert_hello_served (h, 1);
  send_json (h, "{\"type\":\"scan\",\"id\":2,\"event\":\"paste\",\"origin\":\"https://chat.example\","
                "\"url\":\"https://chat.example/c/1\",\"text\":\"see you at lunch " CANARY "\"}");
  g_autofree char *allow_text = NULL;
  g_autoptr (cJSON) allow = receive (h, &allow_text);
  g_assert_cmpstr (testproto_str (allow, "type"), ==, "verdict");
  g_assert_cmpstr (testproto_str (allow, "verdict"), ==, "allow");
  g_assert_cmpint (testproto_num (allow, "id"), ==, 2);
  g_assert_nonnull (testproto_str (allow, "audit"));
  g_assert_null (strstr (allow_text, CANARY));

  send_json (h, "{\"type\":\"scan\",\"id\":\"s3\",\"event\":\"paste\",\"origin\":\"https://chat.example\","
                "\"text\":\"" CANARY " card " CARD "\",\"html\":\"<p>" CANARY " card " CARD "</p>\"}");
  g_autofree char *warn_text = NULL;
  g_autoptr (cJSON) warn = receive (h, &warn_text);
  g_assert_cmpstr (testproto_str (warn, "verdict"), ==, "warn");
  g_assert_cmpstr (testproto_str (warn, "id"), ==, "s3");
  g_assert_null (strstr (warn_text, CANARY));
  g_assert_null (strstr (warn_text, CARD_PART));
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (warn, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "kind"), ==, "pattern");
  g_assert_cmpstr (testproto_str (reason, "rule"), ==, "credit-card");
  g_assert_cmpint (testproto_num (reason, "count"), ==, 1);  /* the text and its HTML are one paste */

  g_autofree char *decision = g_strdup_printf (
    "{\"type\":\"decision\",\"id\":4,\"audit\":\"%s\",\"action\":\"proceed\",\"justification\":\"refund\"}",
    testproto_str (warn, "audit"));
  send_json (h, decision);
  g_autoptr (cJSON) ack = receive (h, NULL);
  g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
  g_assert_cmpint (testproto_num (ack, "id"), ==, 4);

  send_json (h, "{\"type\":\"gpu\",\"id\":5,\"origin\":\"https://chat.example\",\"url\":\"https://chat.example/\","
                "\"api\":\"requestAdapter\"}");
  g_autoptr (cJSON) gpu = receive (h, NULL);
  g_assert_cmpstr (testproto_str (gpu, "type"), ==, "verdict");
  g_assert_cmpstr (testproto_str (gpu, "verdict"), ==, "warn");

  close_input (h);
  host_wait_exit (h);
  assert_output_ends (h);
  assert_no_canary_anywhere (h);
  /* The store holds the session: start, three verdicts, the decision, the stop. It is
   * sealed, so read it through the store, as weir audit export does. */
  g_autofree char *log = audit_log_text (h->home);
  g_assert_nonnull (strstr (log, "\"host-start\""));
  g_assert_nonnull (strstr (log, "\"host-stop\""));
  g_assert_nonnull (strstr (log, testproto_str (warn, "audit")));
  g_assert_nonnull (strstr (log, "\"decision\""));
  /* The store (digest key, audit log) and its WAL are readable by their owner only. */
  testutil_foreach_file (h->home, assert_private, NULL);
}

/* ---- malformed requests: each gets an error reply, then the next is served ---- */

typedef struct {
  const char *what;
  const char *bytes;
  gssize len;          /* -1: strlen */
  const char *code;
} Malformed;

static const Malformed malformed[] = {
  { "bad JSON", "{\"type\":\"hello\",\"id\":1", -1, "bad_json" },
  { "not an object", "[\"hello\"]", -1, "bad_request" },
  { "id of wrong type", "{\"type\":\"hello\",\"id\":[1]}", -1, "bad_request" },
  { "type of wrong type", "{\"type\":{},\"id\":1}", -1, "bad_request" },
  { "text of wrong type", "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":[]}", -1, "bad_request" },
  { "files of wrong type", "{\"type\":\"scan\",\"id\":1,\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":\"a.csv\"}", -1, "bad_request" },
  { "unknown type", "{\"type\":\"exfiltrate\",\"id\":1}", -1, "unknown_type" },
  { "missing id", "{\"type\":\"hello\"}", -1, "bad_request" },
  { "missing type", "{\"id\":1}", -1, "bad_request" },
  { "scan missing origin", "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"text\":\"x\"}", -1, "bad_request" },
  { "gpu missing origin", "{\"type\":\"gpu\",\"id\":1}", -1, "bad_request" },
  { "decision missing action", "{\"type\":\"decision\",\"id\":1,\"audit\":\"x\"}", -1, "bad_request" },
  { "decision unknown audit id", "{\"type\":\"decision\",\"id\":1,\"audit\":\"feed\",\"action\":\"cancel\"}", -1, "not_found" },
  { "invalid UTF-8", "{\"type\":\"hello\",\"id\":1,\"extension_version\":\"\xed\xa0\x80\"}", -1, "bad_json" },
  { "lone surrogate escape", "{\"type\":\"hello\",\"id\":1,\"extension_version\":\"\\ud800\"}", -1, "bad_json" },
  { "a NUL byte", "{\"type\":\"hello\",\"id\":1}\0", 25, "bad_json" },
  { "zero-length frame", "", 0, "bad_json" },
};

static void
test_malformed (Host *h, gconstpointer data)
{
  assert_hello_served (h, 100);
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      const Malformed *m = &malformed[i];
      g_test_message ("%s", m->what);
      testproto_send_frame (h->to_host, m->bytes, m->len < 0 ? strlen (m->bytes) : (gsize) m->len);
      g_autoptr (cJSON) reply = receive (h, NULL);
      g_assert_cmpstr (testproto_str (reply, "type"), ==, "error");
      g_assert_cmpstr (testproto_str (cJSON_GetObjectItemCaseSensitive (reply, "error"), "code"), ==, m->code);
      g_assert_true (cJSON_HasObjectItem (reply, "id"));
      assert_hello_served (h, (int) i);
    }
  close_input (h);
  host_wait_exit (h);
  assert_output_ends (h);
}

/* 100,000 nested arrays: an error reply, no stack overflow, and the host reads on. */
static void
test_deep_nesting (Host *h, gconstpointer data)
{
  GString *req = testproto_nested_request (
    "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":", 100000);
  testproto_send_frame (h->to_host, req->str, req->len);
  g_string_free (req, TRUE);
  g_autoptr (cJSON) reply = receive (h, NULL);
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "error");
  g_assert_cmpstr (testproto_str (cJSON_GetObjectItemCaseSensitive (reply, "error"), "code"), ==, "bad_json");
  assert_hello_served (h, 2);
  close_input (h);
  host_wait_exit (h);
}

/* ---- streams that cannot go on: exit 0, never a signal, after an audit record ---- */

/* The length says more than 64 MiB: the host must stop at once, without waiting for a
 * body (stdin stays open) and without allocating it. */
static void
test_impossible_length (Host *h, gconstpointer data)
{
  assert_hello_served (h, 1);
  guint32 declared = (guint32) NM_MAX_REQUEST + 1;
  testproto_write_all (h->to_host, &declared, sizeof declared);
  host_wait_exit (h);
  assert_output_ends (h);
  g_autofree char *log = audit_log_text (h->home);
  g_assert_nonnull (strstr (log, "over the cap"));
}

static void
test_max_length (Host *h, gconstpointer data)
{
  guint32 declared = G_MAXUINT32;
  testproto_write_all (h->to_host, &declared, sizeof declared);
  host_wait_exit (h);
  assert_output_ends (h);
}

static void
test_eof_inside_frame (Host *h, gconstpointer data)
{
  assert_hello_served (h, 1);
  guint32 declared = 1000;
  testproto_write_all (h->to_host, &declared, sizeof declared);
  testproto_write_all (h->to_host, "{\"type\":\"hello\",", 16);
  close_input (h);
  host_wait_exit (h);
  assert_output_ends (h);
  g_autofree char *log = audit_log_text (h->home);
  g_assert_nonnull (strstr (log, "end of input inside a frame"));
}

static void
test_eof_inside_length (Host *h, gconstpointer data)
{
  assert_hello_served (h, 1);
  testproto_write_all (h->to_host, "\x10\x00", 2);
  close_input (h);
  host_wait_exit (h);
  assert_output_ends (h);
}

/* The browser going away while the host answers: EPIPE, not SIGPIPE. */
static void
test_reader_gone (Host *h, gconstpointer data)
{
  close (h->from_host);
  h->from_host = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  send_json (h, "{\"type\":\"hello\",\"id\":1}");
  send_json (h, "{\"type\":\"hello\",\"id\":2}");
  host_wait_exit (h);
}

/* ---- a 20 MB paste: a verdict, and the content nowhere ---- */

static char *
big_paste (gsize size)
{
  GString *text = g_string_sized_new (size + 64);
  g_string_append (text, CANARY " ");
  static const char filler[] = "The quarterly figures are in the usual place; nothing unusual to report. ";
  while (text->len + sizeof filler < size)
    g_string_append (text, filler);
  g_string_append (text, "card " CARD " " CANARY);
  return g_string_free (text, FALSE);
}

static void
test_large_paste (Host *h, gconstpointer data)
{
  g_autofree char *text = big_paste (20 * 1000 * 1000);
  g_autofree char *json = testproto_scan_request (20, "paste", "https://chat.example", text);
  send_json (h, json);
  g_autofree char *reply_text = NULL;
  g_autoptr (cJSON) reply = receive (h, &reply_text);
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "verdict");
  g_assert_cmpstr (testproto_str (reply, "verdict"), ==, "warn");  /* the card at the very end was seen */
  g_assert_cmpint (testproto_num (reply, "id"), ==, 20);
  g_assert_null (strstr (reply_text, CANARY));
  g_assert_cmpuint (strlen (reply_text), <, 4096);
  assert_hello_served (h, 21);
  close_input (h);
  host_wait_exit (h);
  assert_no_canary_anywhere (h);
}

/* Over the policy's max_scan_bytes: the oversize verdict, unscanned, and still nothing
 * of the content on disk. */
static void
test_oversize_paste (Host *h, gconstpointer data)
{
  g_autofree char *text = big_paste (3 * 1000 * 1000);
  g_autofree char *json = testproto_scan_request (1, "paste", "https://chat.example", text);
  send_json (h, json);
  g_autoptr (cJSON) reply = receive (h, NULL);
  g_assert_cmpstr (testproto_str (reply, "verdict"), ==, "block");
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (reply, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "rule"), ==, "oversize");
  close_input (h);
  host_wait_exit (h);
  assert_no_canary_anywhere (h);
}

/* Exactly Chrome's 64 MiB cap is a legal frame: it is read whole and answered with
 * the default policy's oversize verdict (over 32 MiB), not treated as broken. */
static void
test_frame_at_cap (Host *h, gconstpointer data)
{
  static const char head[] = "{\"type\":\"scan\",\"id\":64,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":\"";
  static const char tail[] = "\"}";
  g_autofree char *frame = g_malloc (NM_MAX_REQUEST);
  memset (frame, 'a', NM_MAX_REQUEST);
  memcpy (frame, head, sizeof head - 1);
  memcpy (frame + NM_MAX_REQUEST - (sizeof tail - 1), tail, sizeof tail - 1);
  testproto_send_frame (h->to_host, frame, NM_MAX_REQUEST);
  g_autoptr (cJSON) reply = receive (h, NULL);
  g_assert_cmpstr (testproto_str (reply, "verdict"), ==, "warn");
  g_assert_cmpint (testproto_num (reply, "id"), ==, 64);
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (reply, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "rule"), ==, "oversize");
  assert_hello_served (h, 65);
  close_input (h);
  host_wait_exit (h);
}

/* The one problem that hello lists, on the default policy (whose fail mode is block). */
static char *
hello_problem (Host *h)
{
  send_json (h, "{\"type\":\"hello\",\"id\":1}");
  g_autoptr (cJSON) hello = receive (h, NULL);
  const cJSON *problems = cJSON_GetObjectItemCaseSensitive (hello, "problems");
  g_assert_cmpint (cJSON_GetArraySize (problems), ==, 1);
  g_assert_cmpstr (testproto_str (cJSON_GetObjectItemCaseSensitive (hello, "policy"), "fail_mode"), ==, "block");
  return g_strdup (cJSON_GetArrayItem (problems, 0)->valuestring);
}

/* An invalid policy: the host still serves, on the default policy, and says so. */
static void
test_invalid_policy (Host *h, gconstpointer data)
{
  g_autofree char *problem = hello_problem (h);
  g_assert_nonnull (strstr (problem, "fail_mode"));
  send_json (h, "{\"type\":\"scan\",\"id\":2,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":\"card " CARD "\"}");
  g_autoptr (cJSON) verdict = receive (h, NULL);
  g_assert_cmpstr (testproto_str (verdict, "verdict"), ==, "warn");
  close_input (h);
  host_wait_exit (h);
}

/* A policy with a syntax error: the problem names the file, the line and the column. */
static void
test_policy_syntax (Host *h, gconstpointer data)
{
  g_autofree char *problem = hello_problem (h);
  g_autofree char *policy = g_build_filename (h->home, "policy.json", NULL);
  g_autofree char *want = g_strdup_printf ("policy %s: line 2, column 11: a comma before '}'", policy);
  g_assert_nonnull (strstr (problem, want));
  close_input (h);
  host_wait_exit (h);
}

/* A store that cannot open (weir.db is a folder): every verdict is the fail-mode
 * verdict with an error, the host keeps serving and still ends with status 0. */
static void
test_store_unavailable (Host *h, gconstpointer data)
{
  send_json (h, "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":\"hello there " CANARY "\"}");
  g_autoptr (cJSON) verdict = receive (h, NULL);
  g_assert_cmpstr (testproto_str (verdict, "verdict"), ==, "block");
  g_assert_cmpstr (testproto_str (cJSON_GetObjectItemCaseSensitive (verdict, "error"), "code"), ==, "store");
  g_assert_null (testproto_str (verdict, "audit"));
  assert_hello_served (h, 2);
  close_input (h);
  host_wait_exit (h);
  assert_no_canary_anywhere (h);
}

static void
host_start_broken_store (Host *h, gconstpointer data)
{
  /* Made before the host starts: the fixture's WEIR_HOME with a folder named weir.db. */
  g_autofree char *home = testutil_tmpdir_new ("weir-host-home");
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_assert_cmpint (g_mkdir (db, 0700), ==, 0);
  h->home = g_steal_pointer (&home);
  host_start (h, data);
}

/* The memory cap (host/src/host/memcap.h): a 64 MiB frame of each worst shape. Units
 * repeat to fill the frame exactly; spaces after the opening brace take up the rest. */
static char *
frame_at_cap (const char *head, const char *unit, const char *tail)
{
  gsize body = NM_MAX_REQUEST - strlen (head) - strlen (tail);
  gsize units = body / strlen (unit);
  GString *frame = g_string_sized_new (NM_MAX_REQUEST);
  g_string_append_c (frame, '{');
  for (gsize i = 0; i < body - units * strlen (unit); i++)
    g_string_append_c (frame, ' ');
  g_string_append (frame, head + 1);
  for (gsize i = 0; i < units; i++)
    g_string_append (frame, unit);
  g_string_append (frame, tail);
  g_assert_cmpuint (frame->len, ==, NM_MAX_REQUEST);
  return g_string_free (frame, FALSE);
}

/* The largest legal requests, each with what it costs most (memcap.h): text, HTML, and
 * a base64 file that decodes to 48 MiB ("a a a " repeated). */
static char *
largest_request (guint which, int id)
{
  g_autofree char *head = NULL;
  switch (which)
    {
    case 0:
      head = g_strdup_printf ("{\"type\":\"scan\",\"id\":%d,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":\"", id);
      return frame_at_cap (head, "a ", "\"}");
    case 1:
      head = g_strdup_printf ("{\"type\":\"scan\",\"id\":%d,\"event\":\"paste\",\"origin\":\"https://a.b\",\"html\":\"", id);
      return frame_at_cap (head, "<b>a</b> ", "\"}");
    default:
      head = g_strdup_printf ("{\"type\":\"scan\",\"id\":%d,\"event\":\"upload\",\"origin\":\"https://a.b\","
                              "\"files\":[{\"name\":\"a.txt\",\"mime\":\"text/plain\",\"data\":\"", id);
      return frame_at_cap (head, "YSBhIGEg", "\"}]}");
    }
}

/* A field of /proc/PID/FILE: the first number after prefix. */
static guint64
proc_number (GPid pid, const char *file, const char *prefix)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/%s", (int) pid, file);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  const char *line = strstr (text, prefix);
  g_assert_nonnull (line);
  line += strlen (prefix);
  while (*line == ' ' || *line == '\t')
    line++;
  if (g_str_has_prefix (line, "unlimited"))
    return G_MAXUINT64;
  return g_ascii_strtoull (line, NULL, 10);
}

/* The host caps its data memory at what it uses once started plus the headroom of one
 * request, and the largest legal requests still get their verdict under that cap. */
static void
test_memory_cap (Host *h, gconstpointer data)
{
  assert_hello_served (h, 1);
  guint64 cap = proc_number (h->pid, "limits", "Max data size");
  if (MEMCAP_SANITIZER)
    {
      struct rlimit own;
      g_assert_cmpint (getrlimit (RLIMIT_DATA, &own), ==, 0);
      g_assert_cmpuint (cap, ==, own.rlim_cur == RLIM_INFINITY ? G_MAXUINT64 : own.rlim_cur);
      g_test_skip ("the memory cap is off in sanitizer builds");
      close_input (h);
      host_wait_exit (h);
      return;
    }
  guint64 in_use = proc_number (h->pid, "status", "VmData:") * 1024;
  g_test_message ("memory cap %" G_GUINT64_FORMAT " MiB, data in use %" G_GUINT64_FORMAT " KiB", cap >> 20,
                  in_use >> 10);
  g_assert_cmpuint (cap, >=, MEMCAP_HEADROOM);
  g_assert_cmpuint (cap, <=, in_use + MEMCAP_HEADROOM);
  for (guint which = 0; which < 3; which++)
    {
      g_autofree char *frame = largest_request (which, 10 + (int) which);
      testproto_send_frame (h->to_host, frame, NM_MAX_REQUEST);
      g_clear_pointer (&frame, g_free);
      g_autoptr (cJSON) reply = receive (h, NULL);
      g_assert_cmpstr (testproto_str (reply, "type"), ==, "verdict");
      g_assert_cmpint (testproto_num (reply, "id"), ==, 10 + (int) which);
      g_test_message ("request %u: peak resident %" G_GUINT64_FORMAT " MiB", which,
                      proc_number (h->pid, "status", "VmHWM:") >> 10);
    }
  assert_hello_served (h, 20);
  close_input (h);
  host_wait_exit (h);
}

/* Started under a lower limit (an admin's ulimit -d), the host keeps it; a request that
 * needs more fails, with an error reply or by ending the host (which the extension
 * meets with its fail mode and a new host), and never takes more memory. */
static void
host_start_data_limited (Host *h, gconstpointer policy)
{
  h->data_limit = 128 * 1024 * 1024;
  host_start (h, policy);
}

static void
test_memory_cap_exceeded (Host *h, gconstpointer data)
{
  if (MEMCAP_SANITIZER)
    {
      g_test_skip ("sanitizers reserve more than the limit");
      return;
    }
  assert_hello_served (h, 1);
  g_assert_cmpuint (proc_number (h->pid, "limits", "Max data size"), ==, h->data_limit);
  g_autofree char *frame = largest_request (1, 2);
  testproto_send_frame (h->to_host, frame, NM_MAX_REQUEST);
  struct pollfd pfd = { h->from_host, POLLIN, 0 };
  g_assert_cmpint (poll (&pfd, 1, REPLY_TIMEOUT_MS), ==, 1);
  g_autofree char *text = NULL;
  gsize len = 0;
  NmStatus status = nm_read_frame (h->from_host, NM_MAX_REPLY, &text, &len, NULL);
  if (status == NM_FRAME_OK)
    {
      g_autoptr (cJSON) reply = cJSON_ParseWithLength (text, len);
      g_test_message ("over the cap: %s", text);
      g_assert_cmpstr (testproto_str (reply, "type"), ==, "error");
      g_assert_cmpstr (testproto_str (cJSON_GetObjectItemCaseSensitive (reply, "error"), "code"), ==, "internal");
      assert_hello_served (h, 3);  /* the memory came back */
      close_input (h);
      host_wait_exit (h);
      return;
    }
  g_assert_cmpint (status, ==, NM_FRAME_EOF);
  int wstatus = 0;
  g_assert_cmpint (waitpid (h->pid, &wstatus, 0), ==, h->pid);
  h->reaped = TRUE;
  g_test_message ("over the cap: the host ended (status %d)", wstatus);
  /* The next host, as the extension starts it, serves. */
  g_spawn_close_pid (h->pid);
  close (h->to_host);
  close (h->from_host);
  testutil_rmtree (h->logdir);
  g_free (h->logdir);
  h->reaped = FALSE;
  host_start (h, NULL);
  assert_hello_served (h, 4);
  close_input (h);
  host_wait_exit (h);
}

static const char small_policy[] =
  "{\"version\":1,\"max_scan_bytes\":1048576,\"oversize\":{\"verdict\":\"block\",\"message\":\"Too large.\"}}";
/* The largest scans a policy allows: 64 MiB, and time enough to finish them. */
static const char large_policy[] = "{\"version\":1,\"max_scan_bytes\":67108864,\"timeout_ms\":600000}";

#define ADD(path, fn, policy) g_test_add ("/host/" path, Host, policy, host_start, fn, host_stop)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("session", test_session, NULL);
  ADD ("malformed", test_malformed, NULL);
  ADD ("deep-nesting", test_deep_nesting, NULL);
  ADD ("impossible-length", test_impossible_length, NULL);
  ADD ("max-length", test_max_length, NULL);
  ADD ("eof-inside-frame", test_eof_inside_frame, NULL);
  ADD ("eof-inside-length", test_eof_inside_length, NULL);
  ADD ("reader-gone", test_reader_gone, NULL);
  ADD ("large-paste", test_large_paste, NULL);
  ADD ("oversize-paste", test_oversize_paste, small_policy);
  ADD ("frame-at-cap", test_frame_at_cap, NULL);
  ADD ("memory-cap", test_memory_cap, large_policy);
  g_test_add ("/host/memory-cap-exceeded", Host, large_policy, host_start_data_limited, test_memory_cap_exceeded,
              host_stop);
  ADD ("invalid-policy", test_invalid_policy, "{\"fail_mode\":\"maybe\"}");
  ADD ("policy-syntax", test_policy_syntax, "{\n  \"min\": 1,\n}");
  g_test_add ("/host/store-unavailable", Host, NULL, host_start_broken_store, test_store_unavailable, host_stop);
  return g_test_run ();
}
