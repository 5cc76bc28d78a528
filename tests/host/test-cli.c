/* The real `weir` binary: `weir scan` in its modes, its exit statuses, and the promise
 * that `scan --json` prints exactly what weir-host would send for the same request.
 * Paths come from meson in WEIR_BINARY and WEIR_HOST_BINARY. */
#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#include "json.h"
#include "nm.h"
#include "testproto.h"
#include "testutil.h"

#define CARD "4666 1760 3137 2159"
#define CANARY "weir-canary-c1e2a7"

typedef struct {
  char *home;
  int status;
  char *out, *err;
  gsize out_len;  /* out may hold NUL bytes (frames) */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->home = testutil_tmpdir_new ("weir-cli");
  if (data != NULL)
    testutil_write_file (f->home, "policy.json", data);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  testutil_rmtree (f->home);
  g_free (f->home);
  g_free (f->out);
  g_free (f->err);
}

/* A NUL-terminated copy that keeps any NUL bytes inside (frames have them). */
static char *
bytes_text (GBytes *bytes)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  char *text = g_malloc (len + 1);
  if (len > 0)
    memcpy (text, data, len);
  text[len] = '\0';
  return text;
}

/* Runs binary with argv (NULL-terminated, after the program) and input on stdin. */
static void
run_binary (Fixture *f, const char *env, const char *input, gsize input_len, const char *const *args)
{
  g_autoptr (GError) error = NULL;
  /* No input: stdin is /dev/null. A pipe with an empty buffer made glib write to a
   * command that never reads stdin (`scan FILE`) and may have exited already: EPIPE,
   * about one run in three on a busy machine. */
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE) | G_SUBPROCESS_FLAGS_STDOUT_PIPE
    | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (input == NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_setenv (launcher, "WEIR_HOME", f->home, TRUE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) g_getenv (env));
  g_assert_nonnull (argv->pdata[0]);
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) in = input ? g_bytes_new (input, input_len) : NULL;
  g_autoptr (GBytes) out = NULL, err = NULL;
  g_subprocess_communicate (proc, in, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));  /* never a signal */
  f->status = g_subprocess_get_exit_status (proc);
  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
  f->out = bytes_text (out);
  f->out_len = g_bytes_get_size (out);
  f->err = bytes_text (err);
}

static void
run_weir (Fixture *f, const char *input, const char *const *args)
{
  run_binary (f, "WEIR_BINARY", input, input != NULL ? strlen (input) : 0, args);
}

#define WEIR(f, input, ...) run_weir (f, input, (const char *const[]) { __VA_ARGS__, NULL })

static void
test_scan_human (Fixture *f, gconstpointer data)
{
  WEIR (f, "refund to card " CARD " please " CANARY, "scan");
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "warn: "));
  g_assert_nonnull (strstr (f->out, "credit-card x1"));
  g_assert_nonnull (strstr (f->out, "audit "));
  g_assert_null (strstr (f->out, "3137"));
  testutil_write_file (f->home, "note.txt", "lunch at noon");
  g_autofree char *note = g_build_filename (f->home, "note.txt", NULL);
  WEIR (f, NULL, "scan", note);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "allow\n"));
  g_assert_false (testutil_tree_contains (f->home, CANARY));
}

/* Bytes that are not text go in as a dropped file would, and are unreadable. */
static void
test_scan_binary (Fixture *f, gconstpointer data)
{
  static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
  run_binary (f, "WEIR_BINARY", png, sizeof png - 1, (const char *const[]) { "scan", "--json", NULL });
  g_assert_cmpint (f->status, ==, 0);
  g_autoptr (cJSON) reply = cJSON_Parse (f->out);
  g_assert_nonnull (strstr (f->out, "\"rule\":\"unreadable\""));
  g_assert_cmpstr (testproto_str (reply, "verdict"), ==, "allow");
}

/* `scan --json` is the host's verdict object for the same request, byte for byte,
 * but for the audit id. */
static void
test_scan_json_matches_host (Fixture *f, gconstpointer data)
{
  static const char text[] = "key below\n-----BEGIN PRIVATE KEY-----\n"
                             "MC4CAQAwBQYDK2VwBCIEINUekbkRu72mkXEjtM6FWY9lePij7OuPZTkqYcunsZta\n"
                             "-----END PRIVATE KEY-----\nand card " CARD "\n";
  WEIR (f, text, "scan", "--json", "--origin", "https://chat.example", "--event", "drop");
  g_assert_cmpint (f->status, ==, 0);
  g_autoptr (cJSON) cli = cJSON_Parse (f->out);
  g_assert_nonnull (cli);

  g_autofree char *json = testproto_scan_request (1, "drop", "https://chat.example", text);
  GString *frame = testproto_frame (json, strlen (json));
  run_binary (f, "WEIR_HOST_BINARY", frame->str, frame->len, (const char *const[]) { "chrome-extension://x/", NULL });
  g_string_free (frame, TRUE);
  g_assert_cmpint (f->status, ==, 0);
  g_autoptr (cJSON) host = testproto_first_reply (f->out, f->out_len);

  g_assert_cmpstr (testproto_str (cli, "verdict"), ==, "block");
  g_assert_cmpstr (testproto_str (cli, "audit"), !=, testproto_str (host, "audit"));
  cJSON_DeleteItemFromObject (cli, "audit");
  cJSON_DeleteItemFromObject (host, "audit");
  g_autofree char *a = cJSON_PrintUnformatted (cli);
  g_autofree char *b = cJSON_PrintUnformatted (host);
  g_assert_cmpstr (a, ==, b);
}

/* One request a line in, one reply a line out, a bad line an error reply. */
static void
test_scan_batch (Fixture *f, gconstpointer data)
{
  WEIR (f,
        "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":\"card " CARD "\"}\n"
        "{\"type\":\"scan\",\"id\":2,\n"
        "\n"
        "{\"type\":\"scan\",\"id\":3,\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":\"nothing here at all\"}\n",
        "scan", "--batch");
  g_assert_cmpint (f->status, ==, 0);
  g_auto (GStrv) lines = g_strsplit (f->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);  /* three replies and the final "" */
  g_autoptr (cJSON) one = cJSON_Parse (lines[0]);
  g_autoptr (cJSON) two = cJSON_Parse (lines[1]);
  g_autoptr (cJSON) three = cJSON_Parse (lines[2]);
  g_assert_cmpstr (testproto_str (one, "verdict"), ==, "warn");
  g_assert_cmpstr (testproto_str (two, "type"), ==, "error");
  g_assert_cmpstr (testproto_str (three, "verdict"), ==, "allow");
  g_assert_cmpint (cJSON_GetObjectItem (three, "id")->valueint, ==, 3);
}

/* A file in two chunks, then the scan naming it (docs/protocol.md), as the host takes
 * them: the card is found and the reason names the file. */
static void
test_scan_batch_upload (Fixture *f, gconstpointer data)
{
  static const char text[] = "order notes: card " CARD " thanks";
  gsize half = sizeof text / 2;
  g_autofree char *one = testproto_chunk_request (1, "u-1", sizeof text - 1, 0, text, half);
  g_autofree char *two = testproto_chunk_request (2, "u-1", sizeof text - 1, half, text + half, sizeof text - 1 - half);
  g_autofree char *scan = testproto_upload_scan_request (3, "https://a.b", "orders.txt", "u-1", sizeof text - 1);
  g_autofree char *input = g_strjoin ("\n", one, two, scan, "", NULL);
  WEIR (f, input, "scan", "--batch");
  g_assert_cmpint (f->status, ==, 0);
  g_auto (GStrv) lines = g_strsplit (f->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_autoptr (cJSON) ack = cJSON_Parse (lines[1]);
  g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
  g_assert_cmpint (testproto_num (ack, "received"), ==, sizeof text - 1);
  g_autoptr (cJSON) verdict = cJSON_Parse (lines[2]);
  g_assert_cmpstr (testproto_str (verdict, "verdict"), ==, "warn");
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (verdict, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "rule"), ==, "credit-card");
  g_assert_cmpstr (testproto_str (reason, "file"), ==, "orders.txt");
}

static void
assert_one_line_error (Fixture *f, int status, const char *fragment)
{
  g_assert_cmpint (f->status, ==, status);
  g_assert_cmpstr (f->out, ==, "");
  g_assert_true (g_str_has_suffix (f->err, "\n"));
  g_assert_true (strchr (f->err, '\n') == f->err + strlen (f->err) - 1);  /* one line */
  g_assert_nonnull (strstr (f->err, fragment));
}

static void
test_exit_status (Fixture *f, gconstpointer data)
{
  WEIR (f, NULL, "scan", "--help");
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "--origin"));
  WEIR (f, NULL, "scan", "a", "b");
  assert_one_line_error (f, 1, "weir scan:");
  WEIR (f, NULL, "scan", "--no-such-option");
  assert_one_line_error (f, 1, "weir scan:");
  /* Commands that fail before reading stdin get their content from a file: a pipe
   * written after the command exited would be an EPIPE, not what is under test. */
  testutil_write_file (f->home, "x.txt", "x");
  g_autofree char *x = g_build_filename (f->home, "x.txt", NULL);
  WEIR (f, NULL, "scan", "--event", "print", x);
  assert_one_line_error (f, 1, "--event");
  WEIR (f, NULL, "no-such-command");
  assert_one_line_error (f, 1, "unknown command");
  g_autofree char *missing = g_build_filename (f->home, "missing.txt", NULL);
  WEIR (f, NULL, "scan", missing);
  assert_one_line_error (f, 2, "missing.txt");
}

/* A word that is no subcommand is named, before the usage; every command has --help. */
static void
test_subcommands (Fixture *f, gconstpointer data)
{
  static const char *const groups[] = { "pack", "trust", "audit", "store" };
  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      WEIR (f, NULL, groups[i], "bogus");
      g_assert_cmpint (f->status, ==, 1);
      g_assert_cmpstr (f->out, ==, "");
      g_autofree char *want = g_strdup_printf ("weir %s: unknown command \"bogus\"\nUsage: weir %s ",
                                               groups[i], groups[i]);
      if (!g_str_has_prefix (f->err, want))
        g_error ("weir %s bogus: %s", groups[i], f->err);
      WEIR (f, NULL, groups[i]);
      g_assert_cmpint (f->status, ==, 1);
      g_autofree char *none = g_strdup_printf ("weir %s: a command is needed\nUsage: ", groups[i]);
      g_assert_true (g_str_has_prefix (f->err, none));
    }
  static const char *const commands[][2] = {
    { "scan" }, { "keygen" }, { "audit" }, { "audit", "key" }, { "audit", "export" },
    { "audit", "verify" }, { "trust" }, { "trust", "add" }, { "trust", "list" },
    { "trust", "remove" }, { "pack" }, { "pack", "build" }, { "pack", "verify" },
    { "pack", "import" }, { "pack", "list" }, { "pack", "remove" }, { "store" },
    { "store", "info" }, { "store", "check" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const char *args[] = { commands[i][0], commands[i][1] ? commands[i][1] : "--help",
                             commands[i][1] ? "--help" : NULL, NULL };
      run_weir (f, NULL, args);
      if (f->status != 0 || strstr (f->out, "Usage") == NULL || f->err[0] != '\0')
        g_error ("weir %s %s --help: status %d, %s%s", commands[i][0], commands[i][1] ? commands[i][1] : "",
                 f->status, f->out, f->err);
    }
}

/* A file that cannot be read reads the same in every command, in our words, not GLib's. */
static void
test_unreadable_files (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->home, "missing", NULL);
  g_autofree char *want = g_strdup_printf ("cannot read %s: No such file or directory\n", missing);
  const char *const commands[][10] = {
    { "scan", missing },
    { "trust", "add", missing },
    { "pack", "verify", missing },
    { "pack", "import", missing },
    { "audit", "verify", "--file", missing },
    { "pack", "build", "--name", "n", "--label", "l", "--docs", missing },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      /* pack build needs a key first; the --docs folder is what is missing. */
      const char *sign[] = { "--sign", NULL, "-o", NULL, NULL };
      g_autofree char *key = g_build_filename (f->home, "admin.key", NULL);
      g_autofree char *out = g_build_filename (f->home, "out.weirpack", NULL);
      g_autoptr (GPtrArray) args = g_ptr_array_new ();
      for (gsize j = 0; commands[i][j] != NULL; j++)
        g_ptr_array_add (args, (gpointer) commands[i][j]);
      if (g_strcmp0 (commands[i][1], "build") == 0)
        {
          g_autofree char *pub = g_build_filename (f->home, "admin.pub", NULL);
          if (!g_file_test (key, G_FILE_TEST_EXISTS))
            WEIR (f, NULL, "keygen", "-s", key, "-p", pub);
          sign[1] = key;
          sign[3] = out;
          for (gsize j = 0; sign[j] != NULL; j++)
            g_ptr_array_add (args, (gpointer) sign[j]);
        }
      g_ptr_array_add (args, NULL);
      run_weir (f, NULL, (const char *const *) args->pdata);
      g_autofree char *prefix = g_strdup_printf ("weir %s%s%s: ", commands[i][0],
                                                 commands[i][0][0] == 's' ? "" : " ",
                                                 commands[i][0][0] == 's' ? "" : commands[i][1]);
      assert_one_line_error (f, 2, want);
      g_assert_true (g_str_has_prefix (f->err, prefix));
      g_assert_true (g_str_has_suffix (f->err, want));
    }
}

/* The CLI is strict: an invalid policy is an error, not a silent default. */
static void
test_invalid_policy (Fixture *f, gconstpointer data)
{
  testutil_write_file (f->home, "text.txt", "some text to scan");
  g_autofree char *text = g_build_filename (f->home, "text.txt", NULL);
  WEIR (f, NULL, "scan", text);  /* a file: the command fails before it would read stdin */
  assert_one_line_error (f, 2, "rules[0]");
}

/* A syntax error names the file, the line and the column, and what was expected. */
static void
test_policy_syntax (Fixture *f, gconstpointer data)
{
  testutil_write_file (f->home, "text.txt", "some text to scan");
  g_autofree char *text = g_build_filename (f->home, "text.txt", NULL);
  WEIR (f, NULL, "scan", text);
  g_autofree char *policy = g_build_filename (f->home, "policy.json", NULL);
  g_autofree char *want = g_strdup_printf ("weir scan: policy %s: line 3, column 3: expected ',' or '}'\n", policy);
  assert_one_line_error (f, 2, want);
}

#define ADD(path, fn, policy) \
  g_test_add ("/cli/" path, Fixture, policy, fixture_set_up, fn, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A command that refuses its options exits before reading stdin; writing to it then
   * must be an EPIPE the test sees, not a signal that kills the test. */
  signal (SIGPIPE, SIG_IGN);
  ADD ("scan/human", test_scan_human, NULL);
  ADD ("scan/binary", test_scan_binary, NULL);
  ADD ("scan/json-matches-host", test_scan_json_matches_host, NULL);
  ADD ("scan/batch", test_scan_batch, NULL);
  ADD ("scan/batch-upload", test_scan_batch_upload, NULL);
  ADD ("exit-status", test_exit_status, NULL);
  ADD ("unreadable-files", test_unreadable_files, NULL);
  ADD ("subcommands", test_subcommands, NULL);
  ADD ("invalid-policy", test_invalid_policy, "{\"rules\":[{\"id\":\"x\",\"verdict\":\"nope\"}]}");
  ADD ("policy-syntax", test_policy_syntax, "{\n  \"fail_mode\": \"warn\"\n  \"timeout_ms\": 100\n}\n");
  return g_test_run ();
}
