#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weir-error.h"

static gboolean
fail_errno (GError **error, const char *verb, const char *path, int saved)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot %s %s: %s", verb, path, g_strerror (saved));
  return FALSE;
}

static gboolean
read_fd (int fd, const char *path, gsize max, GString *buf, GError **error)
{
  char chunk[65536];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_errno (error, "read", path, errno);
      if (n == 0)
        return TRUE;
      if (buf->len + (gsize) n > max)
        {
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                       "cannot read %s: over the limit of %" G_GSIZE_FORMAT " bytes", path, max);
          return FALSE;
        }
      g_string_append_len (buf, chunk, n);
    }
}

/* A regular file is read into one allocation of its size: a secret key file leaves
 * no copies behind in memory that a growing buffer freed. */
static gboolean
read_regular (int fd, const char *path, gsize size, GString *buf, GError **error)
{
  g_string_set_size (buf, size);
  gsize got = 0;
  while (got < size)
    {
      ssize_t n = read (fd, buf->str + got, size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_errno (error, "read", path, errno);
      if (n == 0)
        break;
      got += (gsize) n;
    }
  g_string_truncate (buf, got);
  return TRUE;
}

gboolean
file_read (const char *path, gsize max, char **out, gsize *len, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail_errno (error, "read", path, errno);
  struct stat st;
  gboolean ok = fstat (fd, &st) == 0 || fail_errno (error, "read", path, errno);
  if (ok && S_ISDIR (st.st_mode))
    ok = fail_errno (error, "read", path, EISDIR);
  if (ok && S_ISREG (st.st_mode) && (guint64) st.st_size > max)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                   "cannot read %s: over the limit of %" G_GSIZE_FORMAT " bytes", path, max);
      ok = FALSE;
    }
  g_autoptr (GString) buf = NULL;
  if (ok)
    {
      buf = g_string_sized_new (S_ISREG (st.st_mode) ? (gsize) st.st_size + 1 : 4096);
      ok = S_ISREG (st.st_mode) ? read_regular (fd, path, (gsize) st.st_size, buf, error)
                                : read_fd (fd, path, max, buf, error);
    }
  close (fd);
  if (!ok)
    return FALSE;
  *len = buf->len;
  *out = g_string_free (g_steal_pointer (&buf), FALSE);
  return TRUE;
}

gboolean
file_write_all (int fd, const void *buf, gsize n)
{
  const char *data = buf;
  while (n > 0)
    {
      ssize_t w = write (fd, data, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      data += w;
      n -= (gsize) w;
    }
  return TRUE;
}

gboolean
file_read_exact (int fd, void *buf, gsize n)
{
  char *data = buf;
  while (n > 0)
    {
      ssize_t r = read (fd, data, n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      data += r;
      n -= (gsize) r;
    }
  return TRUE;
}

gboolean
file_write (const char *path, const void *data, gsize len, int mode, GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0)
    return fail_errno (error, "write", path, errno);
  gboolean ok = file_write_all (fd, data, len) && fsync (fd) == 0;
  int saved = errno;
  ok = close (fd) == 0 && ok;
  if (ok && rename (tmp, path) != 0)
    {
      ok = FALSE;
      saved = errno;
    }
  if (!ok)
    {
      unlink (tmp);
      return fail_errno (error, "write", path, saved != 0 ? saved : EIO);
    }
  return TRUE;
}
