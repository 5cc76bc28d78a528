/* file.h: whole-file reads and writes whose errors read the same everywhere:
 * "cannot read PATH: No such file or directory", never GLib's own wording. */
#pragma once

#include <glib.h>

/* Reads the whole file at path, refusing one over max bytes. *out is NUL-terminated
 * (the NUL is not counted in *len); caller frees it. */
gboolean file_read (const char *path, gsize max, char **out, gsize *len, GError **error);

/* Writes data to path through a temporary file in the same folder and a rename, so a
 * reader sees the old file or the new one, never a part. */
gboolean file_write (const char *path, const void *data, gsize len, int mode, GError **error);

/* write(2) until all of buf is written, and read(2) until n bytes are read, retrying
 * on EINTR; FALSE on an error or an early end, errno as the call left it. */
gboolean file_write_all (int fd, const void *buf, gsize n);
gboolean file_read_exact (int fd, void *buf, gsize n);
