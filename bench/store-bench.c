/* store-bench: what sealing the store costs. Prints figures; asserts nothing.
 *
 *   store-bench [RECORDS] [WEIR_HOST]
 *
 * For the sealed store and for the same store without the VFS (bench-only switch):
 * - write: RECORDS audit appends of ~400 bytes, one transaction each, as the host does;
 * - open: store_open on the full store (sealed: every page authenticated first);
 * - read: every record read back through a fresh connection;
 * open and read are the best of five.
 * With WEIR_HOST, the host's cold start on the sealed store: process start to the
 * reply to hello (the host always seals; the open figures above are the difference). */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"

typedef struct {
  double write_s, open_s, read_s;
  gint64 bytes, file_bytes;
} Figures;

static double
now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

static Store *
open_or_die (const char *path, StoreOpenFlags flags)
{
  g_autoptr (GError) error = NULL;
  Store *store = store_open_full (path, NULL, flags, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  return store;
}

static gboolean
sum_bytes (gint64 seq, const char *id, const char *record, gpointer data)
{
  *(gint64 *) data += (gint64) strlen (record);
  return TRUE;
}

static void
run (const char *dir, StoreOpenFlags flags, int records, Figures *out)
{
  g_autofree char *path = g_build_filename (dir, "weir.db", NULL);
  g_autofree char *filler = g_strnfill (330, 'r');
  Store *store = open_or_die (path, flags);
  double t = now ();
  for (int i = 0; i < records; i++)
    {
      g_autofree char *id = g_strdup_printf ("%024x", i);
      g_autofree char *record = g_strdup_printf ("{\"n\":%d,\"origin\":\"https://chat.example\",\"x\":\"%s\"}", i, filler);
      if (!store_audit_append (store, id, record, NULL, NULL))
        g_error ("append failed");
      out->bytes += (gint64) strlen (record);
    }
  out->write_s = now () - t;
  store_close (store);
  /* Open and read: best of five, the machine is shared. */
  out->open_s = out->read_s = 1e9;
  for (int round = 0; round < 5; round++)
    {
      t = now ();
      store = open_or_die (path, flags);
      out->open_s = MIN (out->open_s, now () - t);
      gint64 read_bytes = 0;
      t = now ();
      store_audit_foreach (store, sum_bytes, &read_bytes, NULL);
      out->read_s = MIN (out->read_s, now () - t);
      if (round < 4)
        store_close (store);
    }
  StoreInfo info;
  if (store_info_get (store, &info, NULL))
    {
      out->file_bytes = info.file_bytes;
      store_info_clear (&info);
    }
  store_close (store);
}

static double
host_cold_start (const char *host, const char *home)
{
  static const char hello[] = "{\"type\":\"hello\",\"id\":1,\"extension_version\":\"1.0.0\"}";
  const char *argv[] = { host, NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "WEIR_HOME", home, TRUE);
  GPid pid;
  int to, from;
  double t = now ();
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                 NULL, NULL, &pid, &to, &from, NULL, NULL))
    g_error ("cannot start %s", host);
  uint32_t len = sizeof hello - 1;
  char buf[65536];
  if (write (to, &len, 4) != 4 || write (to, hello, len) != (ssize_t) len || read (from, &len, 4) != 4)
    g_error ("no reply from the host");
  for (uint32_t got = 0; got < len;)
    {
      ssize_t n = read (from, buf, MIN (sizeof buf, len - got));
      if (n <= 0)
        g_error ("short reply from the host");
      got += (uint32_t) n;
    }
  double spent = now () - t;
  close (to);
  close (from);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
  return spent;
}

static void
print_row (const char *name, const Figures *f, int records)
{
  printf ("%-9s write %8.0f records/s %6.2f MB/s | open %7.2f ms | read %7.1f MB/s | file %6.2f MB\n",
          name, records / f->write_s, f->bytes / f->write_s / 1e6, f->open_s * 1e3,
          f->bytes / f->read_s / 1e6, f->file_bytes / 1e6);
}

int
main (int argc, char **argv)
{
  int records = argc > 1 ? atoi (argv[1]) : 20000;
  g_autofree char *sealed_dir = g_dir_make_tmp ("weir-bench-XXXXXX", NULL);
  g_autofree char *plain_dir = g_dir_make_tmp ("weir-bench-XXXXXX", NULL);
  Figures sealed = { 0 }, plain = { 0 };
  run (plain_dir, STORE_OPEN_UNSEALED_FOR_BENCH, records, &plain);
  run (sealed_dir, STORE_OPEN_DEFAULT, records, &sealed);
  printf ("%d audit records of ~400 bytes, one transaction each (WAL, synchronous=NORMAL)\n", records);
  print_row ("plain", &plain, records);
  print_row ("sealed", &sealed, records);
  printf ("sealed/plain: write x%.2f time, open +%.2f ms, read x%.2f time\n",
          sealed.write_s / plain.write_s, (sealed.open_s - plain.open_s) * 1e3, sealed.read_s / plain.read_s);
  if (argc > 2)
    {
      double best = 1e9;
      for (int i = 0; i < 5; i++)
        best = MIN (best, host_cold_start (argv[2], sealed_dir));
      printf ("weir-host cold start to hello reply, sealed store of %.2f MB: %.1f ms (best of 5)\n",
              sealed.file_bytes / 1e6, best * 1e3);
    }
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s' '%s'", sealed_dir, plain_dir);
  return system (cmd) == 0 ? 0 : 1;
}
