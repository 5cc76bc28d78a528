/* lifecycle-bench: the audit log's lifecycle costs (issue 22).
 *
 *   lifecycle-bench [RECORDS] [DIR]
 *
 * Prints:
 *   - audit_append p50/p99 with the store's synchronous=NORMAL (as the host runs) and
 *     with synchronous=FULL (an fsync of the WAL at every commit): what making each
 *     verdict's record durable on its own before the reply would cost on this disk;
 *   - weir audit verify's work (read the store's records, check the chain) at RECORDS
 *     records (default 100,000): the whole chain (--full), and by default, from the last
 *     checkpoint (one written after the fill, then 1,000 records more).
 * DIR (default /var/tmp) should be on the disk the store lives on: tmpfs hides fsync. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "audit/audit-verify.h"
#include "json.h"
#include "store/store.h"

static int
cmp_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static void
report (const char *what, GArray *samples)
{
  g_array_sort (samples, cmp_gint64);
  gint64 p50 = g_array_index (samples, gint64, samples->len / 2);
  gint64 p99 = g_array_index (samples, gint64, samples->len * 99 / 100);
  printf ("%-52s p50 %8.1f us   p99 %8.1f us   (n=%u)\n", what, p50 / 1000.0, p99 / 1000.0, samples->len);
}

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static cJSON *
verdict_fields (void)
{
  cJSON *fields = cJSON_CreateObject ();
  cJSON_AddItemToObject (fields, "reasons", cJSON_CreateArray ());
  cJSON_AddStringToObject (fields, "verdict", "allow");
  cJSON_AddStringToObject (fields, "origin", "https://chat.example");
  cJSON_AddStringToObject (fields, "scan_event", "paste");
  cJSON_AddNumberToObject (fields, "bytes", 4096);
  cJSON_AddStringToObject (fields, "content_digest", "00df2a5b9a35b0a8d8a1b6c7e0f3b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4");
  return fields;
}

static Store *
open_in (const char *dir, const char *name, StoreOpenFlags flags, Audit **audit)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *key = g_strconcat (path, ".key", NULL);
  Store *store = store_open_full (path, key, flags, &error);
  if (store == NULL || (*audit = audit_new (store, &error)) == NULL)
    g_error ("%s", error->message);
  return store;
}

static void
bench_sync (const char *dir, const char *name, StoreOpenFlags flags, const char *what, guint n)
{
  Audit *audit = NULL;
  Store *store = open_in (dir, name, flags, &audit);
  g_autoptr (cJSON) fields = verdict_fields ();
  g_autoptr (GArray) samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  for (guint i = 0; i < n; i++)
    {
      gint64 start = now_ns ();
      g_autofree char *id = audit_append (audit, "verdict", fields, NULL);
      gint64 took = now_ns () - start;
      g_array_append_val (samples, took);
      store_maintain (store);
    }
  report (what, samples);
  fflush (stdout);
  audit_free (audit);
  store_close (store);
}

static void
verify_timed (Store *store, const SignPublicKey *root, gboolean full, const char *what)
{
  g_autoptr (GError) error = NULL;
  gint64 start = now_ns ();
  g_autoptr (GPtrArray) lines = audit_store_lines_to_verify (store, full, &error);
  if (lines == NULL)
    g_error ("%s", error->message);
  gint64 read = now_ns () - start;
  AuditReport result;
  gboolean ok = audit_verify_lines_from (root, lines, full ? AUDIT_VERIFY_FULL : AUDIT_VERIFY_FROM_CHECKPOINT, &result);
  gint64 total = now_ns () - start;
  printf ("%-52s %8.2f s (reading %.2f s), %s, %" G_GINT64_FORMAT " records checked of %u read\n", what,
          total / 1e9, read / 1e9, ok ? "ok" : result.message, result.records, lines->len);
  fflush (stdout);
  audit_report_clear (&result);
}

static void
bench_verify (const char *dir, guint records)
{
  Audit *audit = NULL;
  Store *store = open_in (dir, "verify.db", STORE_OPEN_DEFAULT, &audit);
  g_autoptr (cJSON) fields = verdict_fields ();
  gint64 start = now_ns ();
  for (guint i = 0; i < records; i++)
    {
      g_autofree char *id = audit_append (audit, "verdict", fields, NULL);
      store_maintain (store);
    }
  printf ("%-52s %8.1f s\n", "filling the store", (now_ns () - start) / 1e9);
  fflush (stdout);
  g_autoptr (GError) error = NULL;
  SignPublicKey root;
  if (!audit_root_key (audit, &root, &error))
    g_error ("%s", error->message);
  verify_timed (store, &root, TRUE, "verify --full, the whole chain");
  /* What the host does hourly (a checkpoint at least every 10,000 records), then a
   * thousand records more: verifying by default starts at that checkpoint. */
  AuditRetention keep_all = { 0, 0, TRUE };
  AuditPruneResult done;
  if (!audit_prune (audit, &keep_all, TRUE, &done, &error))
    g_error ("%s", error->message);
  for (guint i = 0; i < 1000; i++)
    g_free (audit_append (audit, "verdict", fields, NULL));
  verify_timed (store, &root, FALSE, "verify (default), from the last checkpoint");
  verify_timed (store, &root, TRUE, "verify --full, the whole chain");
  audit_free (audit);
  store_close (store);
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE);
  g_setenv ("WEIR_AUDIT_SHIP", "off", TRUE);
  guint records = argc > 1 ? (guint) atoi (argv[1]) : 100000;
  const char *base = argc > 2 ? argv[2] : "/var/tmp";
  g_autofree char *templ = g_build_filename (base, "weir-lifecycle-XXXXXX", NULL);
  char *dir = g_mkdtemp (templ);
  if (dir == NULL)
    g_error ("cannot make a folder in %s", base);
  bench_sync (dir, "normal.db", STORE_OPEN_DEFAULT, "audit_append, synchronous=NORMAL (as shipped)", 2000);
  bench_sync (dir, "full.db", STORE_OPEN_SYNC_FULL_FOR_BENCH, "audit_append, synchronous=FULL (fsync each commit)",
              2000);
  bench_verify (dir, MAX (records, 100));
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  return system (cmd) == 0 ? 0 : 1;
}
