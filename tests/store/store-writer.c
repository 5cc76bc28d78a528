/* store-writer: appends audit records (and now and then a setting) to the store in
 * DIR, as fast as it can, for the crash and concurrency tests. Prints each record's
 * number on stdout once it is committed, so a test knows what was acknowledged before
 * it killed the writer.
 *
 *   store-writer DIR NAME COUNT [churn]
 * Records are NAME-00000000, NAME-00000001, ... in order. With churn, the writer also
 * closes and reopens the store and rewrites a large setting at random moments, so a
 * kill can land in opening, recovery, checkpoints and overflow pages too. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static Store *
open_or_die (const char *path)
{
  g_autoptr (GError) error = NULL;
  Store *store = store_open (path, &error);
  if (store == NULL)
    {
      fprintf (stderr, "store-writer: %s\n", error->message);
      exit (2);
    }
  return store;
}

static void
churn (Store **store, const char *path, guint i)
{
  if (g_random_int_range (0, 32) == 0)
    {
      store_close (*store);
      *store = open_or_die (path);
    }
  if (g_random_int_range (0, 16) == 0)
    {
      gsize len = (gsize) g_random_int_range (100, 20000);
      g_autofree char *value = g_malloc (len);
      memset (value, 'a' + (int) (i % 26), len);
      g_autoptr (GBytes) bytes = g_bytes_new (value, len);
      g_autoptr (GError) error = NULL;
      if (!store_setting_set (*store, "writer.blob", bytes, &error))
        {
          fprintf (stderr, "store-writer: %s\n", error->message);
          exit (2);
        }
    }
}

int
main (int argc, char **argv)
{
  if (argc < 4)
    {
      fprintf (stderr, "usage: store-writer DIR NAME COUNT [churn]\n");
      return 1;
    }
  g_autofree char *path = g_build_filename (argv[1], "weir.db", NULL);
  const char *name = argv[2];
  guint count = (guint) strtoul (argv[3], NULL, 10);
  gboolean churning = argc > 4 && strcmp (argv[4], "churn") == 0;
  Store *store = open_or_die (path);
  for (guint i = 0; i < count; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("%s-%08u", name, i);
      g_autofree char *record = g_strdup_printf ("{\"writer\":\"%s\",\"n\":%u}", name, i);
      if (!store_audit_append (store, id, record, NULL, &error))
        {
          fprintf (stderr, "store-writer: %s\n", error->message);
          return 2;
        }
      char line[16];
      int n = g_snprintf (line, sizeof line, "%u\n", i);
      if (write (STDOUT_FILENO, line, (size_t) n) != n)
        return 2;
      if (churning)
        churn (&store, path, i);
    }
  store_close (store);
  return 0;
}
