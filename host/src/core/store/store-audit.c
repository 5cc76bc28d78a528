/* store-audit.c: the transactional helpers the audit chain needs (see store.h). */
#include "store-audit.h"
#include "store-private.h"

#include <string.h>

#include "weir-error.h"

enum { ST_BEGIN, ST_COMMIT, ST_HEAD, ST_HEAD_SEQ, ST_INSERT, ST_SETTING_READ, ST_SETTING_WRITE };

static const char *const statements[STORE_AUDIT_STATEMENTS] = {
  [ST_BEGIN] = "BEGIN IMMEDIATE",
  [ST_COMMIT] = "COMMIT",
  [ST_HEAD] = "SELECT seq, record FROM audit ORDER BY seq DESC LIMIT 1",
  [ST_HEAD_SEQ] = "SELECT seq FROM audit ORDER BY seq DESC LIMIT 1",
  [ST_INSERT] = "INSERT INTO audit (seq, id, record) VALUES (?, ?, ?)",
  [ST_SETTING_READ] = "SELECT value FROM settings WHERE key = ?",
  [ST_SETTING_WRITE] = "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
};

static gboolean
fail (Store *store, const char *what, GError **error)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "store: %s: %s", what, sqlite3_errmsg (store->db));
  return FALSE;
}

/* The prepared statement, ready to bind; NULL with error when it cannot be prepared. */
static sqlite3_stmt *
statement (Store *store, int which, GError **error)
{
  sqlite3_stmt **stmt = &store->audit_stmts[which];
  if (*stmt == NULL && sqlite3_prepare_v3 (store->db, statements[which], -1, SQLITE_PREPARE_PERSISTENT, stmt,
                                           NULL) != SQLITE_OK)
    {
      fail (store, statements[which], error);
      return NULL;
    }
  return *stmt;
}

/* Resets a statement after use, so it holds no lock and no bound pointers. */
static void
done (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

void
store_audit_finalize (Store *store)
{
  for (int i = 0; i < STORE_AUDIT_STATEMENTS; i++)
    g_clear_pointer (&store->audit_stmts[i], sqlite3_finalize);
}

/* Runs a statement without results. */
static gboolean
run (Store *store, int which, GError **error)
{
  sqlite3_stmt *stmt = statement (store, which, error);
  if (stmt == NULL)
    return FALSE;
  int rc = sqlite3_step (stmt);
  done (stmt);
  return rc == SQLITE_DONE || fail (store, statements[which], error);
}

gboolean
store_audit_prepare (Store *store, GError **error)
{
  if (sqlite3_exec (store->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
    return fail (store, "turning on secure_delete", error);
  return TRUE;
}

gboolean
store_audit_begin (Store *store, GError **error)
{
  return run (store, ST_BEGIN, error);
}

gboolean
store_audit_commit (Store *store, GError **error)
{
  if (run (store, ST_COMMIT, error))
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
  sqlite3_stmt *stmt = statement (store, ST_HEAD, error);
  *seq = 0;
  *record = NULL;
  if (stmt == NULL)
    return FALSE;
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *seq = sqlite3_column_int64 (stmt, 0);
      *record = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  done (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "reading the audit head", error);
}

gboolean
store_audit_head_seq (Store *store, gint64 *seq, GError **error)
{
  sqlite3_stmt *stmt = statement (store, ST_HEAD_SEQ, error);
  *seq = 0;
  if (stmt == NULL)
    return FALSE;
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *seq = sqlite3_column_int64 (stmt, 0);
  done (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "reading the audit head", error);
}

gboolean
store_audit_insert (Store *store, gint64 seq, const char *id, const char *record, GError **error)
{
  sqlite3_stmt *stmt = statement (store, ST_INSERT, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, record, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  done (stmt);
  return rc == SQLITE_DONE || fail (store, "appending to the audit log", error);
}

gboolean
store_setting_read (Store *store, const char *key, guint8 *out, gsize cap, gsize *len, GError **error)
{
  sqlite3_stmt *stmt = statement (store, ST_SETTING_READ, error);
  *len = 0;
  if (stmt == NULL)
    return FALSE;
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
  done (stmt);
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
  sqlite3_stmt *stmt = statement (store, ST_SETTING_WRITE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob64 (stmt, 2, len > 0 ? (const void *) value : "", len, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  done (stmt);
  return rc == SQLITE_DONE || fail (store, "writing a setting", error);
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

/* ---- finding records (a decision for an earlier host's verdict) ---- */

gboolean
store_audit_find (Store *store, const char *id, char **record, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *record = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT record FROM audit WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK)
    return fail (store, "finding an audit record", error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *record = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "finding an audit record", error);
}

gboolean
store_audit_find_ref (Store *store, const char *event, const char *ref, gboolean *found, GError **error)
{
  /* instr() on the record's text first: json_extract only runs on the few records that
   * name the id at all. */
  static const char sql[] =
    "SELECT 1 FROM audit WHERE instr(record, ?1) > 0 AND json_extract(record, '$.event') = ?2"
    " AND json_extract(record, '$.ref') = ?3 LIMIT 1";
  sqlite3_stmt *stmt = NULL;
  *found = FALSE;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return fail (store, "finding an audit record", error);
  sqlite3_bind_text (stmt, 1, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, event, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, ref, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  *found = rc == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "finding an audit record", error);
}
