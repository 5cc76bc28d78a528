/* replay.c: runs a fuzz target over files and folders of inputs without libFuzzer,
 * so the seed corpora and the regression inputs run in every build (gcc, ASan). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static int
replay_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return 1;
    }
  /* An exact-size copy, so ASan sees a read one past the input. */
  g_autofree guint8 *copy = g_memdup2 (data, len);
  LLVMFuzzerTestOneInput (copy, len);
  return 0;
}

static int
replay_path (const char *path, guint *count)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return (*count)++, replay_file (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return 1;
    }
  int failed = 0;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      failed |= replay_path (child, count);
    }
  return failed;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE|DIR...\n", argv[0]);
      return 1;
    }
  LLVMFuzzerInitialize (&argc, &argv);
  int failed = 0;
  guint count = 0;
  for (int i = 1; i < argc; i++)
    failed |= replay_path (argv[i], &count);
  printf ("replayed %u inputs\n", count);
  return failed || count == 0;
}
