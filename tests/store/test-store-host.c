/* The store through the real weir-host and weir binaries: a flipped byte or another
 * device's key makes `weir store check` exit 2 with one line naming the problem, and
 * the host answer with the policy's fail verdict and an error without crashing; and
 * while the host runs and after, no file under WEIR_HOME holds an origin or any
 * pasted text in clear. */
#include <fcntl.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "store/vfs.h"

#define HELLO "{\"type\":\"hello\",\"id\":1,\"extension_version\":\"1.0.0\"}"

static char *
scan_request (const char *origin, const char *text)
{
  return g_strdup_printf ("{\"type\":\"scan\",\"id\":2,\"event\":\"paste\",\"origin\":\"%s\","
                          "\"url\":\"%s/c/1\",\"text\":\"%s\"}", origin, origin, text);
}

/* Starts a host, says hello, sends one scan; returns its verdict reply. */
static cJSON *
host_scan (const char *home, const char *origin, const char *text)
{
  TestHost host;
  test_host_start (&host, home);
  cJSON *hello = test_host_ask (&host, HELLO);
  g_assert_nonnull (hello);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (hello, "type")), ==, "hello");
  cJSON_Delete (hello);
  g_autofree char *request = scan_request (origin, text);
  cJSON *reply = test_host_ask (&host, request);
  g_assert_nonnull (reply);
  g_assert_cmpint (test_host_stop (&host), ==, 0);  /* not a signal, not a failure */
  return reply;
}

static void
assert_fails_safe (cJSON *reply)
{
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (reply, "type")), ==, "verdict");
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (reply, "verdict")), ==, "block");
  cJSON *error = cJSON_GetObjectItem (reply, "error");
  g_assert_true (cJSON_IsObject (error));
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (error, "code")), ==, "store");
  g_assert_null (cJSON_GetObjectItem (reply, "audit"));
  cJSON_Delete (reply);
}

static void
assert_check_fails (const char *home, const char *fragment)
{
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (test_run_weir (home, &out, &err, "store", "check", NULL), ==, 2);
  if (strstr (err, fragment) == NULL)
    g_error ("weir store check said \"%s\", not \"%s\"", err, fragment);
  g_assert_true (g_str_has_suffix (err, "\n"));
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);  /* one line */
}

static void
flip_byte (const char *path, gint64 offset)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpint (offset, <, (gint64) len);
  data[offset] ^= 0x01;
  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));
}

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  g_assert_true (g_file_set_contents_full (to, data, (gssize) len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static void
test_tampered_store (void)
{
  g_autofree char *home = g_dir_make_tmp ("weir-host-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_autofree char *pristine = g_build_filename (home, "pristine", NULL);
  cJSON *ok = host_scan (home, "https://chat.example", "nothing to see");
  g_assert_nonnull (cJSON_GetObjectItem (ok, "audit"));
  cJSON_Delete (ok);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (test_run_weir (home, &out, &err, "store", "check", NULL), ==, 0);
  copy_file (db, pristine);

  /* One bit, in the middle of page 2. */
  flip_byte (db, STORE_PAGE_SIZE + 1234);
  assert_check_fails (home, "page 2 ");
  assert_fails_safe (host_scan (home, "https://chat.example", "nothing to see"));

  /* A store from another device: another home's key. */
  copy_file (pristine, db);
  g_autofree char *other = g_dir_make_tmp ("weir-host-XXXXXX", NULL);
  cJSON_Delete (host_scan (other, "https://chat.example", "another device"));
  g_autofree char *other_db = g_build_filename (other, "weir.db", NULL);
  copy_file (other_db, db);
  assert_check_fails (home, "not made with this device's store key");
  assert_fails_safe (host_scan (home, "https://chat.example", "nothing to see"));
  test_remove_tree (other);
  test_remove_tree (home);
}

/* Bytes flipped at random places of a store of a few dozen pages: `weir store check`
 * exits 2 naming the page that holds the byte, every time. */
static void
test_random_flips (void)
{
  g_autofree char *home = g_dir_make_tmp ("weir-host-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_autofree char *pristine = g_build_filename (home, "pristine", NULL);
  TestHost host;
  test_host_start (&host, home);
  for (int i = 0; i < 300; i++)
    cJSON_Delete (test_host_ask (&host, i == 0 ? HELLO : "{\"type\":\"scan\",\"id\":3,\"event\":\"paste\","
                                 "\"origin\":\"https://chat.example\",\"text\":\"a record of some length\"}"));
  g_assert_cmpint (test_host_stop (&host), ==, 0);
  copy_file (db, pristine);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (db, &data, &len, NULL));
  g_assert_cmpuint (len / STORE_PAGE_SIZE, >=, 10);
  for (int i = 0; i < 40; i++)
    {
      gint64 offset = g_random_int_range (STORE_SALT_BYTES, (gint32) len);
      copy_file (pristine, db);
      flip_byte (db, offset);
      g_autofree char *page = g_strdup_printf ("page %" G_GINT64_FORMAT " ", offset / STORE_PAGE_SIZE + 1);
      assert_check_fails (home, page);
    }
  copy_file (pristine, db);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (test_run_weir (home, &out, &err, "store", "check", NULL), ==, 0);
  test_remove_tree (home);
}

/* test_host_start with the host's debug log in log_path. */
static void
start_logged (TestHost *host, const char *home, const char *log_path)
{
  const char *argv[] = { test_program ("WEIR_HOST"), "chrome-extension://test/", NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "WEIR_HOME", home, TRUE);
  env = g_environ_setenv (env, "G_MESSAGES_DEBUG", "weir", TRUE);
  int log = open (log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (log, >=, 0);
  g_autoptr (GError) error = NULL;
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const char *const *) env, G_SPAWN_DO_NOT_REAP_CHILD,
                                         NULL, NULL, -1, -1, log, NULL, NULL, 0, &host->pid, &host->to,
                                         &host->from, NULL, &error))
    g_error ("cannot start weir-host: %s", error->message);
  close (log);
}

/* A host starts without authenticating its store's file first (its start would grow with
 * the audit log, 1 ms per MB), then authenticates it a slice at a time, at least one
 * slice after each reply: a damaged page no request reads is found by the reply after
 * the slice that holds it, and from then on every scan fails safe, the host alive. */
static void
test_tamper_found_after_start (void)
{
  g_autofree char *home = g_dir_make_tmp ("weir-host-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_autofree char *filler = g_strnfill (1500, 'w');
  g_autofree char *fill = scan_request ("https://chat.example", filler);
  TestHost host;
  test_host_start (&host, home);
  for (int i = 0; i < 1500; i++)
    cJSON_Delete (test_host_ask (&host, fill));
  g_assert_cmpint (test_host_stop (&host), ==, 0);
  gint64 pages = 0;
  {
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true (g_file_get_contents (db, &data, &len, NULL));
    pages = (gint64) (len / STORE_PAGE_SIZE);
  }
  g_assert_cmpint (pages, >, 256);  /* more than one slice */
  g_autofree char *pristine = g_build_filename (home, "pristine", NULL);
  copy_file (db, pristine);
  flip_byte (db, (pages / 2 - 1) * STORE_PAGE_SIZE + 2048);
  g_autofree char *page = g_strdup_printf ("page %" G_GINT64_FORMAT " ", pages / 2);
  assert_check_fails (home, page);

  /* The pristine store: the host logs (debug) that it authenticated the whole file
   * after it opened it, not before; after reply k at least k slices are done. */
  copy_file (pristine, db);
  g_autofree char *log = g_build_filename (home, "host.log", NULL);
  start_logged (&host, home, log);
  int limit = (int) (pages / 256) + 2;
  for (int i = 0; i < limit; i++)
    cJSON_Delete (test_host_ask (&host, fill));
  g_assert_cmpint (test_host_stop (&host), ==, 0);
  g_autofree char *said = NULL;
  g_assert_true (g_file_get_contents (log, &said, NULL, NULL));
  g_autofree char *walked = g_strdup_printf ("store: %" G_GINT64_FORMAT " pages of %s authenticated after the open",
                                             pages, db);
  if (strstr (said, walked) == NULL)
    g_error ("the host did not say \"%s\": %s", walked, said);

  /* After reply k at least k slices are authenticated, the last page's by reply
   * pages / 256 + 1; every scan after the first that fails safe fails safe too. */
  flip_byte (db, (pages / 2 - 1) * STORE_PAGE_SIZE + 2048);
  test_host_start (&host, home);
  int failed_at = -1;
  for (int i = 0; i < limit + 3; i++)
    {
      g_autofree char *request = scan_request ("https://chat.example", "nothing to see");
      cJSON *reply = test_host_ask (&host, request);
      g_assert_nonnull (reply);
      if (failed_at < 0 && cJSON_GetObjectItem (reply, "error") == NULL)
        {
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (reply, "verdict")), ==, "allow");
          cJSON_Delete (reply);
          continue;
        }
      if (failed_at < 0)
        failed_at = i;
      assert_fails_safe (reply);
    }
  g_assert_cmpint (test_host_stop (&host), ==, 0);
  g_test_message ("%" G_GINT64_FORMAT " pages, page %" G_GINT64_FORMAT " damaged: scan %d failed safe first",
                  pages, pages / 2, failed_at + 1);
  g_assert_cmpint (failed_at, >=, 0);
  g_assert_cmpint (failed_at, <, limit);
  test_remove_tree (home);
}

static gboolean
tree_contains (const char *dir, const char *needle)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean found = FALSE;
  while (!found && d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        found = tree_contains (path, needle);
      else if (g_file_get_contents (path, &data, &len, NULL))
        found = memmem (data, len, needle, strlen (needle)) != NULL;
    }
  return found;
}

/* Canaries in an origin (which the audit record keeps) and in pasted text (which it
 * never keeps): in no file under WEIR_HOME while the host runs, nor after. */
static void
test_no_canary_on_disk (void)
{
  g_autofree char *home = g_dir_make_tmp ("weir-host-XXXXXX", NULL);
  g_autofree char *tag = g_strdup_printf ("%08x", g_random_int ());
  g_autofree char *origin = g_strdup_printf ("https://canary-%s.example", tag);
  g_autofree char *text = g_strdup_printf ("canarytext-%s card 4111 1111 1111 1111", tag);
  const char *needles[] = { origin + 8, "canarytext", tag };
  TestHost host;
  test_host_start (&host, home);
  cJSON_Delete (test_host_ask (&host, HELLO));
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *request = scan_request (origin, text);
      cJSON *reply = test_host_ask (&host, request);
      g_assert_nonnull (cJSON_GetObjectItem (reply, "audit"));
      cJSON_Delete (reply);
    }
  g_autofree char *wal = g_build_filename (home, "weir.db-wal", NULL);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  for (gsize i = 0; i < G_N_ELEMENTS (needles); i++)
    g_assert_false (tree_contains (home, needles[i]));
  g_assert_cmpint (test_host_stop (&host), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (needles); i++)
    g_assert_false (tree_contains (home, needles[i]));
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (test_run_weir (home, &out, &err, "store", "info", "--json", NULL), ==, 0);
  g_autoptr (cJSON) info = cJSON_Parse (out);
  g_assert_cmpint (cJSON_GetNumberValue (cJSON_GetObjectItem (info, "records")), >=, 20);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (info, "cipher")), ==, "xchacha20poly1305-ietf");
  g_assert_cmpint (cJSON_GetNumberValue (cJSON_GetObjectItem (info, "reserved_bytes")), ==, STORE_RESERVE);
  test_remove_tree (home);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/host/tampered-store", test_tampered_store);
  g_test_add_func ("/store/host/no-canary-on-disk", test_no_canary_on_disk);
  g_test_add_func ("/store/host/random-flips", test_random_flips);
  g_test_add_func ("/store/host/tamper-found-after-start", test_tamper_found_after_start);
  return g_test_run ();
}
