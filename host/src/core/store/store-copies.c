#include "store-copies.h"

#include "store-private.h"

gboolean
store_copy_put (Store *store, const char *source, gint64 copied_at, guint32 words, GBytes *picks,
                gint64 *id, GError **error)
{
  static const char sql[] = "INSERT INTO copies (source, copied_at, words, picks) VALUES (?, ?, ?, ?)";
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "remembering a copy", error);
  gsize len = 0;
  const void *data = g_bytes_get_data (picks, &len);
  sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, copied_at);
  sqlite3_bind_int64 (stmt, 3, words);
  sqlite3_bind_blob64 (stmt, 4, data ? data : "", len, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "remembering a copy", error);
  *id = sqlite3_last_insert_rowid (store->db);
  return TRUE;
}

gboolean
store_copies_forget (Store *store, gint64 through, gint64 before, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "DELETE FROM copies WHERE id <= ? OR copied_at < ?", -1, &stmt, NULL)
      != SQLITE_OK)
    return store_sql_fail (store->db, "forgetting copies", error);
  sqlite3_bind_int64 (stmt, 1, through);
  sqlite3_bind_int64 (stmt, 2, before);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "forgetting copies", error);
  return TRUE;
}

gboolean
store_copies_foreach (Store *store, gint64 since, gint64 after_id, StoreCopyFunc fn, gpointer data,
                      GError **error)
{
  static const char sql[] =
    "SELECT id, source, copied_at, words, picks FROM copies WHERE id > ? AND copied_at >= ? ORDER BY id";
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading copies", error);
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, since);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *source = (const char *) sqlite3_column_text (stmt, 1);
      gint64 words = sqlite3_column_int64 (stmt, 3);
      g_autoptr (GBytes) picks = g_bytes_new_static (sqlite3_column_blob (stmt, 4),
                                                     (gsize) sqlite3_column_bytes (stmt, 4));
      StoreCopy copy = { sqlite3_column_int64 (stmt, 0), source ? source : "", sqlite3_column_int64 (stmt, 2),
                         (guint32) CLAMP (words, 0, G_MAXUINT32), picks };
      if (!fn (&copy, data))
        {
          rc = SQLITE_DONE;
          break;
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "reading copies", error);
  return TRUE;
}
