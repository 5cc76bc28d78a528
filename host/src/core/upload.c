#include "upload.h"

#include <string.h>

#include "weir-error.h"

/* One upload in progress. */
typedef struct {
  char *id;
  guchar *bytes;      /* size bytes, allocated when the first chunk came; never on disk */
  guint64 size;       /* declared by the first chunk */
  guint64 received;   /* bytes[0..received) hold what came, in order */
  gint64 touched;     /* monotonic microseconds of the last chunk */
} Upload;

struct Uploads {
  GHashTable *table;  /* id -> Upload*, owned */
  guint64 declared;   /* sum of the sizes of the uploads in table */
  gint64 idle;        /* microseconds */
};

static void
upload_free (Upload *upload)
{
  g_free (upload->id);
  g_free (upload->bytes);
  g_free (upload);
}

Uploads *
uploads_new (void)
{
  Uploads *uploads = g_new0 (Uploads, 1);
  uploads->table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) upload_free);
  uploads->idle = UPLOAD_IDLE_USEC;
  return uploads;
}

void
uploads_free (Uploads *uploads)
{
  if (uploads == NULL)
    return;
  g_hash_table_unref (uploads->table);
  g_free (uploads);
}

void
uploads_set_idle (Uploads *uploads, gint64 usec)
{
  uploads->idle = usec > 0 ? MIN (usec, UPLOAD_IDLE_USEC) : UPLOAD_IDLE_USEC;
}

gint64
uploads_idle (const Uploads *uploads)
{
  return uploads->idle;
}

gboolean
upload_id_valid (const char *id)
{
  gsize n = strspn (id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
  return n > 0 && n <= UPLOAD_MAX_ID && id[n] == '\0';
}

/* Drops the upload id (if any), keeping the declared total in step. */
static gboolean
upload_drop (Uploads *uploads, const char *id)
{
  Upload *upload = g_hash_table_lookup (uploads->table, id);
  if (upload == NULL)
    return FALSE;
  uploads->declared -= upload->size;
  g_hash_table_remove (uploads->table, id);
  return TRUE;
}

/* The first chunk of an upload: every bound before any allocation. */
static Upload *
upload_start (Uploads *uploads, const char *id, guint64 size, gsize max_bytes, GError **error)
{
  if (g_hash_table_contains (uploads->table, id))
    {
      /* Two transfers under one id cannot be told apart: both go. */
      upload_drop (uploads, id);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_BAD_REQUEST,
                   "upload \"%s\" was already in progress; both transfers are dropped", id);
      return NULL;
    }
  if (size > max_bytes)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                   "an upload of %" G_GUINT64_FORMAT " bytes is over the policy's max_scan_bytes (%" G_GSIZE_FORMAT ")",
                   size, max_bytes);
      return NULL;
    }
  if (g_hash_table_size (uploads->table) >= UPLOAD_MAX_PENDING)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "%d uploads are already pending; finish or abort one first", UPLOAD_MAX_PENDING);
      return NULL;
    }
  if (size > max_bytes - MIN (uploads->declared, max_bytes))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "pending uploads already hold %" G_GUINT64_FORMAT " bytes; with this one they would be over "
                   "the policy's max_scan_bytes (%" G_GSIZE_FORMAT ")", uploads->declared, max_bytes);
      return NULL;
    }
  /* size <= max_bytes, a gsize: the cast cannot truncate. */
  guchar *bytes = g_try_malloc (MAX ((gsize) size, 1));
  if (bytes == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL,
                   "the host is out of memory for an upload of %" G_GUINT64_FORMAT " bytes (its memory cap)", size);
      return NULL;
    }
  Upload *upload = g_new0 (Upload, 1);
  upload->id = g_strdup (id);
  upload->bytes = bytes;
  upload->size = size;
  g_hash_table_insert (uploads->table, upload->id, upload);
  uploads->declared += size;
  return upload;
}

/* Where a chunk must go for upload: its end so far, with the same size; else an error
 * and the upload dropped. */
static gboolean
upload_check_next (Uploads *uploads, Upload *upload, guint64 size, guint64 offset, gsize len,
                   GError **error)
{
  const char *why = NULL;
  if (size != upload->size)
    why = "its size changed";
  else if (offset != upload->received)
    why = offset < upload->received ? "a chunk came twice or went back" : "a chunk is missing";
  else if (len > upload->size - upload->received)
    why = "a chunk runs past its size";
  else if (len == 0)
    why = "a chunk is empty";
  if (why == NULL)
    return TRUE;
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_BAD_REQUEST,
               "upload \"%s\" is dropped: %s (offset %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " of %"
               G_GUINT64_FORMAT " bytes received)", upload->id, why, offset, upload->received, upload->size);
  upload_drop (uploads, upload->id);
  return FALSE;
}

gboolean
uploads_add_chunk (Uploads *uploads, const char *id, guint64 size, guint64 offset, const guchar *bytes,
                   gsize len, gsize max_bytes, gint64 now, guint64 *received, GError **error)
{
  g_return_val_if_fail (upload_id_valid (id), FALSE);
  Upload *upload = NULL;
  if (len > UPLOAD_CHUNK_BYTES)
    {
      upload_drop (uploads, id);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                   "a chunk holds at most %" G_GSIZE_FORMAT " bytes; upload \"%s\" is dropped", UPLOAD_CHUNK_BYTES, id);
      return FALSE;
    }
  if (offset == 0)
    upload = upload_start (uploads, id, size, max_bytes, error);
  else if ((upload = g_hash_table_lookup (uploads->table, id)) == NULL)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
                 "no upload \"%s\" is in progress (it was dropped, taken or never started)", id);
  if (upload == NULL)
    return FALSE;
  /* An empty file is whole with its first, empty, chunk. */
  if (!(size == 0 && len == 0 && offset == 0) && !upload_check_next (uploads, upload, size, offset, len, error))
    return FALSE;
  if (len > 0)  /* bytes is NULL for an empty chunk, which memcpy may not take */
    memcpy (upload->bytes + upload->received, bytes, len);
  upload->received += len;
  upload->touched = now;
  *received = upload->received;
  return TRUE;
}

gboolean
uploads_take (Uploads *uploads, const char *id, guchar **bytes, gsize *len, GError **error)
{
  Upload *upload = g_hash_table_lookup (uploads->table, id);
  *bytes = NULL;
  *len = 0;
  if (upload == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
                   "no upload \"%s\" is held (it was dropped, taken or never started)", id);
      return FALSE;
    }
  if (upload->received != upload->size)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_BAD_REQUEST,
                   "upload \"%s\" is incomplete (%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   " bytes) and is dropped", id, upload->received, upload->size);
      upload_drop (uploads, id);
      return FALSE;
    }
  *bytes = g_steal_pointer (&upload->bytes);
  *len = (gsize) upload->size;
  upload_drop (uploads, id);
  return TRUE;
}

gboolean
uploads_abort (Uploads *uploads, const char *id)
{
  return upload_drop (uploads, id);
}

guint
uploads_expire (Uploads *uploads, gint64 now)
{
  GHashTableIter iter;
  Upload *upload;
  guint dropped = 0;
  g_hash_table_iter_init (&iter, uploads->table);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &upload))
    if (now - upload->touched > uploads->idle)
      {
        uploads->declared -= upload->size;
        g_hash_table_iter_remove (&iter);
        dropped++;
      }
  return dropped;
}

guint
uploads_count (const Uploads *uploads)
{
  return g_hash_table_size (uploads->table);
}

guint64
uploads_declared (const Uploads *uploads)
{
  return uploads->declared;
}
