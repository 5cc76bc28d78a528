/* nm.h: Chrome native-messaging frames on a file descriptor.
 *
 * A frame is a 4-byte length in native byte order, then that many bytes. This module
 * knows nothing of JSON: it moves bytes and guards the length. */
#pragma once

#include <glib.h>

/* Chrome's caps: 64 MiB from the browser to the host, 1 MiB from the host back. */
#define NM_MAX_REQUEST ((gsize) 64 * 1024 * 1024)
#define NM_MAX_REPLY ((gsize) 1024 * 1024)

typedef enum {
  NM_FRAME_OK,      /* *out holds the frame */
  NM_FRAME_EOF,     /* clean end of input between frames */
  NM_FRAME_BROKEN,  /* the stream cannot go on: length over cap, end inside a frame, read error */
} NmStatus;

/* Reads one frame whose declared length is at most cap. On NM_FRAME_OK, *out is a
 * g_malloc'd buffer of *len bytes followed by a NUL the length does not count; the
 * caller frees it. Memory grows with the bytes that really arrive, never with the
 * declared length alone. On NM_FRAME_BROKEN, error says why. */
NmStatus nm_read_frame (int fd, gsize cap, char **out, gsize *len, GError **error);

/* Writes one frame, looping on short writes and EINTR. Refuses len over NM_MAX_REPLY. */
gboolean nm_write_frame (int fd, const char *buf, gsize len, GError **error);
