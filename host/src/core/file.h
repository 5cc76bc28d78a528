/* file.h: whole-file reads and writes whose errors read the same everywhere:
 * "cannot read PATH: No such file or directory", never GLib's own wording. */
#pragma once

#include <glib.h>
#include <sys/stat.h>

/* Opens path for reading if it is a regular file of at most max bytes, without ever
 * blocking: a FIFO, a socket, a device (a symlink to /dev/zero) or a folder is refused
 * at once, with the reason. Returns the descriptor (caller closes) with its fstat in
 * *st, or -1. */
int file_open_regular (const char *path, gsize max, struct stat *st, GError **error);

/* Reads the whole regular file at path (file_open_regular), refusing one over max bytes. *out is NUL-terminated
 * (the NUL is not counted in *len); caller frees it. */
gboolean file_read (const char *path, gsize max, char **out, gsize *len, GError **error);

/* Writes data to path through a temporary file in the same folder and a rename, so a
 * reader sees the old file or the new one, never a part. */
gboolean file_write (const char *path, const void *data, gsize len, int mode, GError **error);

/* write(2) until all of buf is written, and read(2) until n bytes are read, retrying
 * on EINTR; FALSE on an error or an early end, errno as the call left it. */
gboolean file_write_all (int fd, const void *buf, gsize n);
gboolean file_read_exact (int fd, void *buf, gsize n);

/* Takes an exclusive flock on fd, waiting up to timeout_ms for another process to let
 * go (it does when it closes the file or exits); FALSE when it cannot be had by then. */
gboolean file_lock_wait (int fd, guint timeout_ms);

/* Whether only this user (the effective uid) or root could have written path: the file
 * (a symlink's target) and every folder above it must belong to one of them and be
 * writable by no one else, as sshd's StrictModes asks of ~/.ssh. Group write is
 * allowed for the user's private group, and a sticky folder (/tmp) is allowed since it
 * lets no one replace another's file. Refuses with the reason otherwise. */
gboolean file_check_trusted (const char *path, GError **error);
/* The same for a folder (Weir's state or configuration folder) and every one above it. */
gboolean file_check_trusted_folder (const char *path, GError **error);
