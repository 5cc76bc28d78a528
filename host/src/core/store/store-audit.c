/* store-audit.c: the transactional helpers the audit chain needs (see store.h). */
#include "store-private.h"

#include <string.h>

#include "weir-error.h"

static gboolean
fail (Store *store, const char *what, GError **error)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "store: %s: %s", what, sqlite3_errmsg (store->db));
  return FALSE;
}

static gboolean
run (Store *store, const char *sql, GError **error)
{
  if (sqlite3_exec (store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return fail (store, sql, error);
  return TRUE;
}

gboolean
store_audit_prepare (Store *store, GError **error)
{
  return run (store, "PRAGMA secure_delete = ON", error);
}

gboolean
store_audit_begin (Store *store, GError **error)
{
  return run (store, "BEGIN IMMEDIATE", error);
}

gboolean
store_audit_commit (Store *store, GError **error)
{
  if (run (store, "COMMIT", error))
    return TRUE;
  store_audit_rollback (store);
  return FALSE;
}

void
store_audit_rollback (Store *store)
{
  if (!sqlite3_get_autocommit (store->db))
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
store_audit_head (Store *store, gint64 *seq, char **record, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *seq = 0;
  *record = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT seq, record FROM audit ORDER BY seq DESC LIMIT 1", -1,
                          &stmt, NULL) != SQLITE_OK)
    return fail (store, "reading the audit head", error);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *seq = sqlite3_column_int64 (stmt, 0);
      *record = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail (store, "reading the audit head", error);
  return TRUE;
}

gboolean
store_audit_insert (Store *store, gint64 seq, const char *id, const char *record, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "INSERT INTO audit (seq, id, record) VALUES (?, ?, ?)", -1, &stmt,
                          NULL) != SQLITE_OK)
    return fail (store, "appending to the audit log", error);
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, record, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return fail (store, "appending to the audit log", error);
  return TRUE;
}

gboolean
store_setting_read (Store *store, const char *key, guint8 *out, gsize cap, gsize *len, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *len = 0;
  if (sqlite3_prepare_v2 (store->db, "SELECT value FROM settings WHERE key = ?", -1, &stmt, NULL)
      != SQLITE_OK)
    return fail (store, "reading a setting", error);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  gboolean fits = TRUE;
  if (rc == SQLITE_ROW)
    {
      gsize n = (gsize) sqlite3_column_bytes (stmt, 0);
      fits = n <= cap;
      if (fits && n > 0)
        memcpy (out, sqlite3_column_blob (stmt, 0), n);
      *len = n;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail (store, "reading a setting", error);
  if (!fits)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "store: setting %s is larger than expected", key);
      return FALSE;
    }
  return TRUE;
}

gboolean
store_setting_write (Store *store, const char *key, const guint8 *value, gsize len, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", -1,
                          &stmt, NULL) != SQLITE_OK)
    return fail (store, "writing a setting", error);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob64 (stmt, 2, len > 0 ? (const void *) value : "", len, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return fail (store, "writing a setting", error);
  return TRUE;
}

void
store_wal_truncate (Store *store)
{
  /* Without a busy handler the checkpoint gives up at once when another process
   * reads; the next rotation or SQLite's automatic checkpoints then recycle the WAL. */
  sqlite3_busy_timeout (store->db, 0);
  sqlite3_wal_checkpoint_v2 (store->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  sqlite3_busy_timeout (store->db, STORE_BUSY_TIMEOUT_MS);
}
