/* Several processes at once: four weir-host processes (one per browser profile, as in
 * use) score and append for a while (WEIR_CONCURRENCY_SECONDS, default 10), one thread
 * each sending scan requests and reading verdicts, while `weir store check` runs again
 * and again beside them. Then every audit id a verdict named must be in the store,
 * once, and nothing else but the hosts' start and stop records. */
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/concurrency/four-writers", test_four_writers);
  return g_test_run ();
}
