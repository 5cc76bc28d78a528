/* Crash consistency: a writer (store-writer, linking the real store) is killed with
 * SIGKILL at random moments while it appends records, rewrites a large setting, and
 * closes and reopens the store; after each kill `weir store check` must pass and the
 * writer's records must be a prefix of what it wrote that holds everything it saw
 * committed. Some kills land while the store is being created. A few hundred kills.
 *
 * WEIR_CRASH_ITERATIONS overrides the count (default 200). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "store/store.h"

#define ROUNDS 5

typedef struct {
  const char *name;
  gint64 next;     /* the next record number expected from this writer */
  gint64 total;    /* all records in the store */
  gboolean order_ok;
} Scan;

/* Reads from fd into acks until it holds a whole line (the writer acknowledged a record),
 * for at most 120 s. */
static void
wait_first_ack (int fd, GString *acks)
{
  gint64 until = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  char buf[4096];
  while (strchr (acks->str, '\n') == NULL && g_get_monotonic_time () < until)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll (&p, 1, 1000) <= 0)
        continue;
      ssize_t n = read (fd, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (acks, buf, n);
    }
  g_assert_nonnull (strchr (acks->str, '\n'));
}

/* Starts the writer, kills it after delay_us (counted from its first acknowledged record
 * when after_ack), returns the last record it acknowledged (-1: none). */
static gint64
write_until_killed (const char *dir, const char *name, gulong delay_us, gboolean after_ack)
{
  const char *argv[] = { test_program ("WEIR_TEST_WRITER"), dir, name, "1000000000", "churn", NULL };
  GPid pid;
  int out = -1;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                 &pid, NULL, &out, NULL, &error))
    g_error ("cannot start the writer: %s", error->message);
  g_autoptr (GString) acks = g_string_new (NULL);
  if (after_ack)
    wait_first_ack (out, acks);
  g_usleep (delay_us);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_spawn_close_pid (pid);
  /* A writer that exited by itself failed: a store error is a defect here. */
  g_assert_true (WIFSIGNALED (status));
  char buf[4096];
  ssize_t n;
  while ((n = read (out, buf, sizeof buf)) > 0)
    g_string_append_len (acks, buf, n);
  close (out);
  gint64 last = -1;
  char *end = strrchr (acks->str, '\n');
  if (end != NULL)
    {
      *end = '\0';
      char *line = strrchr (acks->str, '\n');
      last = g_ascii_strtoll (line ? line + 1 : acks->str, NULL, 10);
    }
  return last;
}

static gboolean
scan_record (gint64 seq, const char *id, const char *record, gpointer data)
{
  Scan *scan = data;
  scan->total++;
  gsize len = strlen (scan->name);
  if (strncmp (id, scan->name, len) == 0 && id[len] == '-')
    {
      if (g_ascii_strtoll (id + len + 1, NULL, 10) != scan->next)
        scan->order_ok = FALSE;
      scan->next++;
    }
  return TRUE;
}

/* Returns how many records the writer left; asserts they are its first ones, in order. */
static gint64
verify_store (const char *dir, const char *name, gint64 acked, gint64 before, gboolean with_cli)
{
  g_autofree char *out = NULL, *err = NULL;
  int rc = with_cli ? test_run_weir (dir, &out, &err, "store", "check", NULL) : 0;
  if (rc != 0)
    g_error ("weir store check failed (%d) after killing %s: %s", rc, name, err);
  g_autofree char *path = g_build_filename (dir, "weir.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (path, &error);
  g_assert_no_error (error);
  StoreCheck check;  /* what `weir store check` runs, without starting a process */
  g_assert_true (store_check (store, &check, &error));
  g_assert_no_error (error);
  Scan scan = { .name = name, .order_ok = TRUE };
  g_assert_true (store_audit_foreach (store, scan_record, &scan, &error));
  g_assert_true (scan.order_ok);
  g_assert_cmpint (scan.next, >, acked);  /* every acknowledged record survived */
  g_assert_cmpint (scan.total, ==, before + scan.next);  /* and nothing earlier was lost */
  return scan.next;
}

static void
run_writer (const char *dir, const char *name, const char *count)
{
  const char *argv[] = { test_program ("WEIR_TEST_WRITER"), dir, name, count, NULL };
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, NULL));
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* How long the writer takes to open an existing store and commit a few records, so
 * that kills spread over its start, its store opening and its writing. Capped to keep
 * the suite quick; the first kills of each round also land in the store's creation. */
static gulong
calibrate (void)
{
  g_autofree char *dir = g_dir_make_tmp ("weir-crash-XXXXXX", NULL);
  run_writer (dir, "create", "1");
  gint64 start = g_get_monotonic_time ();
  run_writer (dir, "calibrate", "10");
  gint64 spent = g_get_monotonic_time () - start;
  test_remove_tree (dir);
  return (gulong) CLAMP (spent, 2000, 25000);
}

static void
test_kill_loop (void)
{
  const char *env = g_getenv ("WEIR_CRASH_ITERATIONS");
  int iterations = env ? atoi (env) : 200;
  gulong window = 2 * calibrate ();
  int per_round = MAX (iterations / ROUNDS, 1), kills = 0;
  gint64 survived = 0;
  for (int round = 0; kills < iterations; round++)
    {
      g_autofree char *dir = g_dir_make_tmp ("weir-crash-XXXXXX", NULL);
      gint64 total = 0;
      for (int i = 0; i < per_round && kills < iterations; i++, kills++)
        {
          g_autofree char *name = g_strdup_printf ("w%d", i);
          /* The last kill of each round comes after a record was acknowledged, whatever
           * the machine's speed, so records surviving is not left to timing (under ASan on
           * a busy machine the window can end before any writer commits). */
          gboolean last = i == per_round - 1;
          gint64 acked = write_until_killed (dir, name, (gulong) g_random_int_range (0, (gint32) window), last);
          gint64 kept = verify_store (dir, name, acked, total, i % 10 == 0);
          total += kept;
          survived += kept;
        }
      test_remove_tree (dir);
    }
  g_test_message ("%d kills within %lu us of start; %" G_GINT64_FORMAT " records survived",
                  kills, window, survived);
  g_assert_cmpint (survived, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/crash/kill-loop", test_kill_loop);
  return g_test_run ();
}
