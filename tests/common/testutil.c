#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

char *
testutil_tmpdir_new (const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *template = g_strdup_printf ("%s-XXXXXX", prefix);
  char *dir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
  return dir;
}

void
testutil_foreach_file (const char *dir, void (*fn) (const char *path, gpointer data), gpointer data)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        testutil_foreach_file (path, fn, data);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        fn (path, data);
    }
}

static void
remove_dirs (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_dirs (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

void
testutil_rmtree (const char *path)
{
  if (path == NULL)
    return;
  remove_dirs (path);
}

typedef struct {
  const char *needle;
  gboolean found;
} Search;

static void
search_file (const char *path, gpointer data)
{
  Search *search = data;
  g_autofree char *bytes = NULL;
  gsize len = 0;
  if (g_file_get_contents (path, &bytes, &len, NULL)
      && memmem (bytes, len, search->needle, strlen (search->needle)) != NULL)
    {
      g_test_message ("%s holds \"%s\"", path, search->needle);
      search->found = TRUE;
    }
}

gboolean
testutil_tree_contains (const char *dir, const char *needle)
{
  Search search = { needle, FALSE };
  testutil_foreach_file (dir, search_file, &search);
  return search.found;
}

void
testutil_write_file (const char *dir, const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}
