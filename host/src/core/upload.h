/* upload.h: files that come in chunks (protocol 1's uploads, docs/protocol.md).
 *
 * Chrome caps a message from the extension at 64 MiB, so a file whose base64 would not
 * fit comes as "file-chunk" requests naming an upload id, then a scan request whose file
 * entry names that id. The bytes are held here, in memory only, until that scan takes
 * them, the extension aborts the upload, or it sits idle too long. Every bound is
 * checked before memory is allocated: the declared sizes of all pending uploads together
 * stay within the policy's max_scan_bytes, at most UPLOAD_MAX_PENDING are pending, each
 * chunk is at most UPLOAD_CHUNK_BYTES. A chunk out of order, a size that changes, an id
 * that is already in use: the upload is dropped (its memory freed) and an error told. */
#pragma once

#include <glib.h>

/* The version of the chunked transfer, announced in hello ("uploads"). */
#define UPLOAD_VERSION 1
/* Decoded bytes per chunk: 8 MiB is about 11 MiB of base64, far below Chrome's 64 MiB
 * per message, and small enough that a chunk's temporary copy is cheap. */
#define UPLOAD_CHUNK_BYTES ((gsize) 8 * 1024 * 1024)
/* Uploads pending at once: one per file of a drop that is being sent, a few drops at a
 * time. Their bytes are bounded by max_scan_bytes together. */
#define UPLOAD_MAX_PENDING 8
/* An upload no chunk or scan has touched for this long is abandoned and dropped. */
#define UPLOAD_IDLE_USEC ((gint64) 60 * G_USEC_PER_SEC)
/* Upload ids: 1 to 64 of [A-Za-z0-9_-]. */
#define UPLOAD_MAX_ID 64

typedef struct Uploads Uploads;

Uploads *uploads_new (void);
void uploads_free (Uploads *uploads);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Uploads, uploads_free)

/* Lowers the idle time after which an upload is dropped (tests); usec <= 0 restores
 * UPLOAD_IDLE_USEC. */
void uploads_set_idle (Uploads *uploads, gint64 usec);
gint64 uploads_idle (const Uploads *uploads);

/* Whether id is a well-formed upload id. */
gboolean upload_id_valid (const char *id);

/* Adds one chunk: bytes[0..len) at offset of the upload id whose whole size is size.
 * Offset 0 starts an upload; any other offset must be where the upload's bytes end so
 * far, with the same size. max_bytes (the policy's max_scan_bytes) bounds the sizes of
 * all pending uploads together. now is the monotonic time in microseconds. On success
 * *received is the bytes held so far (== size: complete). On failure the upload named,
 * if any, is dropped, and error says why (WEIR_ERROR_BAD_REQUEST, _TOO_LARGE, _REFUSED,
 * _NOT_FOUND, _INTERNAL when the memory cannot be had). */
gboolean uploads_add_chunk (Uploads *uploads, const char *id, guint64 size, guint64 offset,
                            const guchar *bytes, gsize len, gsize max_bytes, gint64 now,
                            guint64 *received, GError **error);

/* Takes a complete upload out: its bytes (caller frees with g_free; NULL with *len 0 for
 * an empty file is not an error, see the return) in *bytes. Returns FALSE with error
 * (WEIR_ERROR_NOT_FOUND: no such upload; WEIR_ERROR_BAD_REQUEST: incomplete, and then
 * dropped). */
gboolean uploads_take (Uploads *uploads, const char *id, guchar **bytes, gsize *len, GError **error);

/* Drops an upload; FALSE when there was none. */
gboolean uploads_abort (Uploads *uploads, const char *id);

/* Drops every upload idle since before now - the idle time; returns how many. */
guint uploads_expire (Uploads *uploads, gint64 now);

/* Pending uploads and the bytes they have declared. */
guint uploads_count (const Uploads *uploads);
guint64 uploads_declared (const Uploads *uploads);
