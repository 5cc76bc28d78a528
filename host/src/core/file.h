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
