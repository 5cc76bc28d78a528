#include "nm.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "weir-error.h"

/* Reads up to len bytes; returns how many arrived before end of input, or -1 on error. */
static gssize
read_full (int fd, char *buf, gsize len)
{
  gsize got = 0;
  while (got < len)
    {
      gssize n = read (fd, buf + got, len - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += (gsize) n;
    }
  return (gssize) got;
}

/* Reads the body in chunks, growing the buffer only as bytes arrive, so a declared
 * length that is never delivered costs nothing. */
static gboolean
read_body (int fd, guint32 len, char **out, GError **error)
{
  const gsize chunk = 1024 * 1024;
  gsize cap = MIN ((gsize) len, chunk);
  g_autofree char *buf = g_malloc (cap + 1);
  gsize got = 0;
  while (got < len)
    {
      if (got == cap)
        {
          /* g_realloc() aborts when memory runs out; a host short of memory for a
           * 64 MiB frame must end like any broken stream, with status 0. */
          cap = MIN ((gsize) len, cap * 2);
          char *grown = g_try_realloc (buf, cap + 1);
          if (grown == NULL)
            {
              g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE, "no memory for a frame of %u bytes", len);
              return FALSE;
            }
          buf = grown;
        }
      gssize n = read_full (fd, buf + got, cap - got);
      if (n < 0)
        {
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "reading a frame: %s", g_strerror (errno));
          return FALSE;
        }
      got += (gsize) n;
      if (got < cap)
        {
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO,
                       "end of input inside a frame (%zu of %u bytes)", got, len);
          return FALSE;
        }
    }
  buf[len] = '\0';
  *out = g_steal_pointer (&buf);
  return TRUE;
}

NmStatus
nm_read_frame (int fd, gsize cap, char **out, gsize *len, GError **error)
{
  g_return_val_if_fail (out != NULL && len != NULL, NM_FRAME_BROKEN);
  guint32 declared;
  gssize n = read_full (fd, (char *) &declared, sizeof declared);
  if (n == 0)
    return NM_FRAME_EOF;
  if (n < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "reading a frame length: %s", g_strerror (errno));
      return NM_FRAME_BROKEN;
    }
  if (n < (gssize) sizeof declared)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "end of input inside a frame length");
      return NM_FRAME_BROKEN;
    }
  if ((gsize) declared > cap)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                   "declared frame length %u is over the cap of %zu", declared, cap);
      return NM_FRAME_BROKEN;
    }
  if (!read_body (fd, declared, out, error))
    return NM_FRAME_BROKEN;
  *len = declared;
  return NM_FRAME_OK;
}

static gboolean
write_full (int fd, const char *buf, gsize len, GError **error)
{
  while (len > 0)
    {
      gssize n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          /* write() returning 0 for a non-empty buffer would loop forever; treat it as EIO. */
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "writing a frame: %s",
                       g_strerror (n < 0 ? errno : EIO));
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
nm_write_frame (int fd, const char *buf, gsize len, GError **error)
{
  if (len > NM_MAX_REPLY)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE, "reply of %zu bytes is over 1 MiB", len);
      return FALSE;
    }
  guint32 declared = (guint32) len;
  /* One buffer, one write in the common case: the browser never sees half a frame
   * interleaved with anything else. */
  g_autofree char *frame = g_malloc (sizeof declared + len);
  memcpy (frame, &declared, sizeof declared);
  memcpy (frame + sizeof declared, buf, len);
  return write_full (fd, frame, sizeof declared + len, error);
}
