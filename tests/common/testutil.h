/* testutil.h: what the GTest executables share: temporary folders and whole-file reads. */
#pragma once

#include <glib.h>

/* Makes a fresh folder under the system temporary folder. Caller frees the path and
 * removes the folder with testutil_rmtree(). */
char *testutil_tmpdir_new (const char *prefix);

/* Removes path and everything below it; fine when it does not exist. */
void testutil_rmtree (const char *path);

/* Calls fn on every regular file below dir. */
void testutil_foreach_file (const char *dir, void (*fn) (const char *path, gpointer data), gpointer data);

/* TRUE when any regular file below dir holds needle (bytes, not only text). */
gboolean testutil_tree_contains (const char *dir, const char *needle);

/* Writes text to dir/name; aborts the test on failure. */
void testutil_write_file (const char *dir, const char *name, const char *text);
