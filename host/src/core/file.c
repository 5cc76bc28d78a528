#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weir-error.h"

static gboolean
fail_errno (GError **error, const char *verb, const char *path, int saved)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot %s %s: %s", verb, path, g_strerror (saved));
  return FALSE;
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

/* Why st is no regular file, or NULL. */
static const char *
not_regular (const struct stat *st)
{
  if (S_ISREG (st->st_mode))
    return NULL;
  if (S_ISDIR (st->st_mode))
    return "it is a folder";
  if (S_ISFIFO (st->st_mode) || S_ISSOCK (st->st_mode))
    return "it is a pipe or a socket, not a regular file";
  return "it is a device, not a regular file";
}

int
file_open_regular (const char *path, gsize max, struct stat *st, GError **error)
{
  /* O_NONBLOCK: a FIFO in the file's place would block open(2) until a writer came; a
   * device or FIFO is then refused by the fstat below, before any read. */
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return fail_errno (error, "read", path, errno), -1;
  if (fstat (fd, st) != 0)
    {
      int saved = errno;
      close (fd);
      return fail_errno (error, "read", path, saved), -1;
    }
  const char *problem = not_regular (st);
  if (problem != NULL)
    {
      close (fd);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "cannot read %s: %s", path, problem);
      return -1;
    }
  if ((guint64) st->st_size > max)
    {
      close (fd);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                   "cannot read %s: over the limit of %" G_GSIZE_FORMAT " bytes", path, max);
      return -1;
    }
  /* Reads block again: a regular file never waits, and the flag is not for them. */
  int flags = fcntl (fd, F_GETFL);
  if (flags >= 0)
    (void) fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

gboolean
file_read (const char *path, gsize max, char **out, gsize *len, GError **error)
{
  struct stat st;
  int fd = file_open_regular (path, max, &st, error);
  if (fd < 0)
    return FALSE;
  /* At most the size fstat gave: a file that grows meanwhile is read as it was. */
  g_autoptr (GString) buf = g_string_sized_new ((gsize) st.st_size + 1);
  gboolean ok = read_regular (fd, path, (gsize) st.st_size, buf, error);
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

/* ---- who could have written a file ---- */

/* A group of the user's own (a user-private group, as Debian's adduser makes them):
 * its name is the user's and it lists no other member, so group write is the user's.
 * Looked up once: the host's first check runs before its sandbox, which refuses it. */
static gboolean
private_group (gid_t gid)
{
  static gsize once = 0;
  static gid_t own = (gid_t) -1;
  if (g_once_init_enter (&once))
    {
      struct group *gr = getgrgid (getegid ());
      if (gr != NULL && g_strcmp0 (gr->gr_name, g_get_user_name ()) == 0
          && (gr->gr_mem == NULL || gr->gr_mem[0] == NULL))
        own = gr->gr_gid;
      g_once_init_leave (&once, 1);
    }
  return own != (gid_t) -1 && gid == own;
}

/* Why someone other than this user or root could change what st describes, or NULL.
 * A world- or group-writable folder with the sticky bit (/tmp) lets others add names
 * but not replace ours, and what it holds is checked by its own owner. */
static const char *
writable_by_others (const struct stat *st)
{
  gboolean sticky_dir = S_ISDIR (st->st_mode) && (st->st_mode & S_ISVTX);
  if (st->st_uid != geteuid () && st->st_uid != 0)
    return "belongs to another user";
  if ((st->st_mode & S_IWOTH) && !sticky_dir)
    return "is writable by every user";
  if ((st->st_mode & S_IWGRP) && !sticky_dir && !private_group (st->st_gid))
    return "is writable by its group";
  return NULL;
}

static gboolean
untrusted (GError **error, const char *path, const char *folder, const struct stat *st, const char *why)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
               "%s is not trusted: %s%s %s (owner uid %u, mode %04o), and only you or root may be "
               "able to change Weir's configuration (chown it, or chmod go-w)", path,
               folder != NULL ? "its folder " : "it", folder != NULL ? folder : "", why,
               (unsigned) st->st_uid, (unsigned) (st->st_mode & 07777));
  return FALSE;
}

/* dir (a real path) and every folder above it, to the root: whoever can write one can
 * swap what is below. path names what is judged in the message. */
static gboolean
folders_trusted (const char *path, const char *start, GError **error)
{
  g_autofree char *dir = g_strdup (start);
  for (;;)
    {
      struct stat st;
      if (stat (dir, &st) != 0)
        return fail_errno (error, "read", dir, errno);
      const char *why = writable_by_others (&st);
      if (why != NULL)
        return untrusted (error, path, dir, &st, why);
      if (strcmp (dir, "/") == 0 || strcmp (dir, ".") == 0)
        return TRUE;
      char *up = g_path_get_dirname (dir);
      g_free (dir);
      dir = up;
    }
}

gboolean
file_check_trusted (const char *path, GError **error)
{
  g_autofree char *real = realpath (path, NULL);
  if (real == NULL)
    return fail_errno (error, "read", path, errno);
  struct stat st;
  if (stat (real, &st) != 0)
    return fail_errno (error, "read", path, errno);
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "cannot read %s: %s", path, not_regular (&st));
      return FALSE;
    }
  const char *why = writable_by_others (&st);
  if (why != NULL)
    return untrusted (error, path, NULL, &st, why);
  g_autofree char *dir = g_path_get_dirname (real);
  return folders_trusted (path, dir, error);
}

gboolean
file_check_trusted_folder (const char *path, GError **error)
{
  g_autofree char *real = realpath (path, NULL);
  if (real == NULL)
    return fail_errno (error, "read", path, errno);
  return folders_trusted (path, real, error);
}

gboolean
file_lock_wait (int fd, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if ((errno != EWOULDBLOCK && errno != EINTR) || g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (2000);
    }
  return TRUE;
}
