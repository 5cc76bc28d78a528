/* ex-archive.c: archives and compressed files through libarchive (zip, tar, cpio, 7z,
 * rar, iso; gzip, bzip2, xz, lzma, zstd, lz4 around any of them or around one file).
 * Every member is read into memory, counted against the bounds chunk by chunk, and
 * sniffed again one level deeper: a bomb stops at the first bound it passes, however
 * deep it nests. Why libarchive: one maintained library, in every distribution, for
 * every container format users send, with encryption flagged per entry. */
#include "ex.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

static gboolean
says_encrypted (const char *message)
{
  return message != NULL && (strstr (message, "ncrypt") != NULL || strstr (message, "assphrase") != NULL);
}

static void
archive_fault (Ex *ex, struct archive *a, const char *where)
{
  const char *why = archive_error_string (a) ?: "damaged archive";
  if (says_encrypted (why))
    ex_emit (ex, EXTRACT_ENCRYPTED, where, "", 0);
  else
    ex_emit (ex, EXTRACT_UNREADABLE, where, why, strlen (why));
}

/* The member's bytes; NULL when a bound or a fault stopped it (told here). */
static GByteArray *
member_read (Ex *ex, struct archive *a, gsize archive_len, const char *where)
{
  GByteArray *buf = g_byte_array_new ();
  guchar chunk[65536];
  for (;;)
    {
      la_ssize_t n = archive_read_data (a, chunk, sizeof chunk);
      if (n == 0)
        return buf;
      if (n < 0)
        archive_fault (ex, a, where);
      if (n < 0 || !ex_inflate (ex, (guint64) n, buf->len + (guint64) n, archive_len, where))
        {
          g_byte_array_unref (buf);
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) n);
    }
}

/* A single compressed file ("raw" to libarchive) is named after the file: a.csv.gz
 * holds a.csv. */
static char *
raw_name (const char *name)
{
  static const char *const suffixes[] = { ".gz", ".bz2", ".xz", ".zst", ".lzma", ".z", ".tgz", NULL };
  const char *base = name ? strrchr (name, '/') : NULL;
  base = base ? base + 1 : name;
  if (base == NULL || base[0] == '\0')
    return g_strdup ("(contents)");
  for (gsize i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (base, suffixes[i]) && strlen (base) > strlen (suffixes[i]))
      return g_strndup (base, strlen (base) - strlen (suffixes[i]));
  return g_strdup_printf ("%s (contents)", base);
}

static void
archive_member (Ex *ex, struct archive *a, gsize archive_len, struct archive_entry *entry,
                const char *where, const char *name, guint depth)
{
  const char *path = archive_entry_pathname_utf8 (entry) ?: archive_entry_pathname (entry) ?: "?";
  g_autofree char *inner = NULL;
  if (archive_format (a) == ARCHIVE_FORMAT_RAW)
    path = inner = raw_name (name);
  g_autofree char *at = ex_where (where, path);
  if (!ex_member (ex, at))
    return;
  if (archive_entry_filetype (entry) != AE_IFREG)
    return;  /* folders, links, devices: no content of their own */
  if (archive_entry_is_encrypted (entry))
    {
      ex_emit (ex, EXTRACT_ENCRYPTED, at, "", 0);
      return;
    }
  GByteArray *bytes = member_read (ex, a, archive_len, at);
  if (bytes == NULL)
    return;
  ex_file (ex, at, path, NULL, bytes->data, bytes->len, depth + 1);
  g_byte_array_unref (bytes);
}

void
ex_archive (Ex *ex, const char *where, const char *name, const guchar *data, gsize len, guint depth)
{
  struct archive *a = archive_read_new ();
  archive_read_support_filter_all (a);
  archive_read_support_format_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_memory (a, data, len) != ARCHIVE_OK)
    {
      archive_fault (ex, a, where);
      archive_read_free (a);
      return;
    }
  struct archive_entry *entry;
  int rc;
  while (!ex->stopped && (rc = archive_read_next_header (a, &entry)) != ARCHIVE_EOF)
    {
      if (rc == ARCHIVE_FATAL)
        {
          archive_fault (ex, a, where);
          break;
        }
      archive_member (ex, a, len, entry, where, name, depth);
    }
  archive_read_free (a);
}
