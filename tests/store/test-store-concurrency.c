/* Several processes at once: four weir-host processes (one per browser profile, as in
 * use) score and append for a while (WEIR_CONCURRENCY_SECONDS, default 10), one thread
 * each sending scan requests and reading verdicts, while `weir store check` runs again
 * and again beside them. Then every audit id a verdict named must be in the store,
 * once, and nothing else but the hosts' start and stop records.
 *
 * And processes that start together: eight hosts and four CLI commands at the same
 * instant on a fresh WEIR_HOME (two browser profiles at login, a restored session), with
 * CPU burners beside them so that their opens interleave; every host answers its first
 * scan with a verdict, never an error, and every command succeeds. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "store/store.h"

#define WRITERS 4

typedef struct {
  const char *home;
  int index;
  gint64 deadline;
  GPtrArray *ids;      /* char*: audit ids from the verdicts */
  int errors;
} Writer;

static gpointer
writer_run (gpointer data)
{
  Writer *w = data;
  TestHost host;
  test_host_start (&host, w->home);
  for (int n = 0; g_get_monotonic_time () < w->deadline; n++)
    {
      g_autofree char *request = g_strdup_printf (
        "{\"type\":\"scan\",\"id\":%d,\"event\":\"paste\",\"origin\":\"https://chat.example\","
        "\"text\":\"host %d request %d: nothing confidential here\"}", n, w->index, n);
      cJSON *reply = test_host_ask (&host, request);
      const cJSON *audit = cJSON_GetObjectItemCaseSensitive (reply, "audit");
      if (cJSON_IsString (audit))
        g_ptr_array_add (w->ids, g_strdup (audit->valuestring));
      else
        w->errors++;
      cJSON_Delete (reply);
    }
  if (test_host_stop (&host) != 0)
    w->errors++;
  return NULL;
}

static gboolean
count_id (gint64 seq, const char *id, const char *record, gpointer data)
{
  GHashTable *seen = data;
  /* Only verdicts: hosts also record their start, policy load and stop, and the chain
   * its epoch keys. */
  if (strstr (record, "\"event\":\"verdict\"") == NULL)
    return TRUE;
  g_hash_table_insert (seen, g_strdup (id), GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (seen, id)) + 1));
  return TRUE;
}

static void
test_four_writers (void)
{
  const char *env = g_getenv ("WEIR_CONCURRENCY_SECONDS");
  int seconds = env ? atoi (env) : 10;
  g_autofree char *home = g_dir_make_tmp ("weir-conc-XXXXXX", NULL);
  Writer writers[WRITERS];
  GThread *threads[WRITERS];
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  for (int i = 0; i < WRITERS; i++)
    {
      writers[i] = (Writer) { .home = home, .index = i, .deadline = deadline,
                              .ids = g_ptr_array_new_with_free_func (g_free) };
      threads[i] = g_thread_new ("writer", writer_run, &writers[i]);
    }
  int checks = 0;
  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *out = NULL, *err = NULL;
      int rc = test_run_weir (home, &out, &err, "store", "check", NULL);
      if (rc != 0)
        g_error ("weir store check failed (%d) beside the writers in %s: %s", rc, home, err);
      checks++;
      g_usleep (200000);
    }
  for (int i = 0; i < WRITERS; i++)
    g_thread_join (threads[i]);

  g_autofree char *path = g_build_filename (home, "weir.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_assert_true (store_audit_foreach (store, count_id, seen, &error));
  guint total = 0;
  for (int i = 0; i < WRITERS; i++)
    {
      g_assert_cmpint (writers[i].errors, ==, 0);
      g_assert_cmpuint (writers[i].ids->len, >, 0);
      for (guint j = 0; j < writers[i].ids->len; j++)
        g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (seen, writers[i].ids->pdata[j])), ==, 1);
      total += writers[i].ids->len;
      g_ptr_array_unref (writers[i].ids);
    }
  /* Every verdict record is one a writer saw answered: none lost, none extra. */
  g_assert_cmpuint (g_hash_table_size (seen), ==, total);
  g_test_message ("%u records from %d processes in %d s, %d store checks beside them", total,
                  WRITERS, seconds, checks);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (test_run_weir (home, &out, &err, "store", "check", NULL), ==, 0);
  test_remove_tree (home);
}

#define TOGETHER_HOSTS 8
/* Races are what the rounds are for, and the plain build runs them all; a sanitizer
 * build (for memory errors) runs fewer, each four times slower there. */
#if defined(__SANITIZE_ADDRESS__)
#define TOGETHER_ROUNDS 20
#else
#define TOGETHER_ROUNDS 50
#endif

static gpointer
burn (gpointer data)
{
  volatile guint64 spin = 0;
  while (!g_atomic_int_get ((int *) data))
    spin++;
  return NULL;
}

/* The four commands: read-only ones and a scan, which records its verdict. */
static GPid
spawn_weir (const char *home, int which, int *err_fd)
{
  g_autofree char *text = g_build_filename (home, "..", "together.txt", NULL);
  const char *commands[][4] = {
    { "store", "info", NULL }, { "store", "check", NULL },
    { "audit", "verify", NULL }, { "scan", "--json", text, NULL },
  };
  const char *argv[6] = { test_program ("WEIR_CLI") };
  for (int i = 0; commands[which][i] != NULL; i++)
    argv[i + 1] = commands[which][i];
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "WEIR_HOME", home, TRUE);
  g_autoptr (GError) error = NULL;
  GPid pid = 0;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, env,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 &pid, NULL, NULL, err_fd, &error))
    g_error ("cannot run weir: %s", error->message);
  return pid;
}

static int
wait_weir (GPid pid, int err_fd, char **err)
{
  g_autoptr (GIOChannel) channel = g_io_channel_unix_new (err_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_to_end (channel, err, NULL, NULL);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_spawn_close_pid (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
start_together_round (const char *base, int round)
{
  g_autofree char *home = g_strdup_printf ("%s/home-%d", base, round);
  g_assert_cmpint (g_mkdir (home, 0700), ==, 0);
  TestHost hosts[TOGETHER_HOSTS];
  GPid cli[4];
  int cli_err[4];
  for (int i = 0; i < TOGETHER_HOSTS; i++)
    {
      test_host_start (&hosts[i], home);
      if (i % 2 == 1)
        cli[i / 2] = spawn_weir (home, i / 2, &cli_err[i / 2]);
    }
  for (int i = 0; i < TOGETHER_HOSTS; i++)
    {
      g_autofree char *request = g_strdup_printf (
        "{\"type\":\"scan\",\"id\":%d,\"event\":\"paste\",\"origin\":\"https://chat.example\","
        "\"text\":\"round %d: nothing confidential here\"}", i, round);
      cJSON *reply = test_host_ask (&hosts[i], request);
      g_assert_nonnull (reply);
      g_autofree char *printed = cJSON_PrintUnformatted (reply);
      const cJSON *type = cJSON_GetObjectItemCaseSensitive (reply, "type");
      const cJSON *audit = cJSON_GetObjectItemCaseSensitive (reply, "audit");
      if (!cJSON_IsString (type) || strcmp (type->valuestring, "verdict") != 0 || !cJSON_IsString (audit))
        g_error ("round %d, host %d answered %s", round, i, printed);
      cJSON_Delete (reply);
    }
  for (int i = 0; i < TOGETHER_HOSTS; i++)
    g_assert_cmpint (test_host_stop (&hosts[i]), ==, 0);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *err = NULL;
      int rc = wait_weir (cli[i], cli_err[i], &err);
      if (rc != 0)
        g_error ("round %d, command %d exited %d: %s", round, i, rc, err);
    }
  test_remove_tree (home);
}

static void
test_start_together (void)
{
  g_autofree char *base = g_dir_make_tmp ("weir-together-XXXXXX", NULL);
  g_autofree char *text = g_build_filename (base, "together.txt", NULL);
  g_assert_true (g_file_set_contents (text, "a harmless line\n", -1, NULL));
  int stop = 0;
  GThread *burners[2] = { g_thread_new ("burn", burn, &stop), g_thread_new ("burn", burn, &stop) };
  for (int round = 0; round < TOGETHER_ROUNDS; round++)
    start_together_round (base, round);
  g_atomic_int_set (&stop, 1);
  for (guint i = 0; i < G_N_ELEMENTS (burners); i++)
    g_thread_join (burners[i]);
  g_unlink (text);
  g_rmdir (base);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/concurrency/four-writers", test_four_writers);
  g_test_add_func ("/store/concurrency/start-together", test_start_together);
  return g_test_run ();
}
