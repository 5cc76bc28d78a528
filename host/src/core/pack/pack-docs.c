#include "pack-docs.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "weir-error.h"

#define NAME_MAX_BYTES 4000

static const char *const doc_extensions[] = { ".txt", ".md", ".csv", ".json", ".html", ".htm", NULL };
/* Read through weir-extract (extract.h), like a dropped file. */
static const char *const extracted_extensions[] = { ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm",
                                                    ".odt", ".ods", ".odp", ".pdf", ".rtf", ".eml", NULL };

gboolean
pack_docs_needs_extract (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (guint i = 0; extracted_extensions[i] != NULL; i++)
    if (g_str_has_suffix (lower, extracted_extensions[i]))
      return TRUE;
  return FALSE;
}

gboolean
pack_docs_is_document (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (guint i = 0; doc_extensions[i] != NULL; i++)
    if (g_str_has_suffix (lower, doc_extensions[i]))
      return TRUE;
  return pack_docs_needs_extract (name);
}

gboolean
pack_docs_is_html (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  return g_str_has_suffix (lower, ".html") || g_str_has_suffix (lower, ".htm");
}

static gboolean collect (const char *dir, GPtrArray *files, GError **error);

/* One folder entry: a document is kept, a folder walked (not a symlinked one). */
static gboolean
collect_entry (const char *dir, const char *name, GPtrArray *files, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  struct stat st;
  if (name[0] == '.' || lstat (path, &st) != 0)
    return TRUE;
  if (S_ISDIR (st.st_mode))
    return collect (path, files, error);
  if ((S_ISREG (st.st_mode) || (S_ISLNK (st.st_mode) && g_file_test (path, G_FILE_TEST_IS_REGULAR)))
      && pack_docs_is_document (name))
    g_ptr_array_add (files, g_steal_pointer (&path));
  return TRUE;
}

static gboolean
collect (const char *dir, GPtrArray *files, GError **error)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  gboolean ok = TRUE;
  const struct dirent *entry;
  while (ok && (entry = readdir (d)) != NULL)
    ok = collect_entry (dir, entry->d_name, files, error);
  closedir (d);
  return ok;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
pack_docs_collect (const char *dir, GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  if (!collect (dir, files, error))
    return NULL;
  g_ptr_array_sort (files, compare_paths);
  return g_steal_pointer (&files);
}

char *
pack_docs_name (const char *root, const char *path)
{
  gsize n = strlen (root);
  while (n > 1 && root[n - 1] == '/')
    n--;
  g_autofree char *raw = strncmp (path, root, n) == 0 && path[n] == '/' ? g_strdup (path + n + 1)
                                                                        : g_path_get_basename (path);
  char *name = g_utf8_make_valid (raw, -1);
  for (char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 0x20 || c == 0x7f)
        *p = '?';
      else if (c >= 0x80 && c < 0xa0)  /* C1 controls: two bytes */
        p[0] = '?', p[1] = '?';
    }
  if (strlen (name) > NAME_MAX_BYTES)
    name[NAME_MAX_BYTES] = '\0';
  return name;
}
