/* store-audit.c: the transactional helpers the audit chain needs (see store.h). */
#include "store-audit.h"
#include "store-private.h"

#include <string.h>

#include "weir-error.h"

enum { ST_BEGIN, ST_COMMIT, ST_HEAD, ST_HEAD_SEQ, ST_INSERT, ST_SETTING_READ, ST_SETTING_WRITE, ST_RECORD };

static const char *const statements[STORE_AUDIT_STATEMENTS] = {
  [ST_BEGIN] = "BEGIN IMMEDIATE",
  [ST_COMMIT] = "COMMIT",
  [ST_HEAD] = "SELECT seq, record FROM audit ORDER BY seq DESC LIMIT 1",
  [ST_HEAD_SEQ] = "SELECT seq FROM audit ORDER BY seq DESC LIMIT 1",
  [ST_INSERT] = "INSERT INTO audit (seq, id, record, event) VALUES (?, ?, ?, ?)",
  [ST_SETTING_READ] = "SELECT value FROM settings WHERE key = ?",
  [ST_SETTING_WRITE] = "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
  [ST_RECORD] = "SELECT record FROM audit WHERE seq = ?",
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
  /* A record written into a store file that was deleted meanwhile would be lost with
   * it: checked on every record (one stat). */
  return store_check_file (store, error) && run (store, ST_BEGIN, error);
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
store_audit_insert (Store *store, gint64 seq, const char *id, const char *event, const char *record,
                    GError **error)
{
  sqlite3_stmt *stmt = statement (store, ST_INSERT, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, record, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, event, -1, SQLITE_STATIC);
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

gboolean
store_audit_record (Store *store, gint64 seq, char **record, GError **error)
{
  sqlite3_stmt *stmt = statement (store, ST_RECORD, error);
  *record = NULL;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *record = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  done (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "reading an audit record", error);
}

/* One integer from a query with one bound integer (or none: bind < 0); 0 when no row. */
static gboolean
query_int (Store *store, const char *sql, gint64 bind, const char *text, gint64 *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *out = 0;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return fail (store, sql, error);
  if (bind >= 0)
    sqlite3_bind_int64 (stmt, 1, bind);
  if (text != NULL)
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, sql, error);
}

gboolean
store_audit_last_event (Store *store, const char *event, gint64 *seq, GError **error)
{
  return query_int (store, "SELECT MAX(seq) FROM audit WHERE event IN ('key-epoch', 'checkpoint') AND seq >= ?1 "
                    "AND event = ?2", 0, event, seq, error);
}

/* The bytes the store's pages hold (free pages are reused, so they do not count). */
static gboolean
store_used_bytes (Store *store, gint64 *out, GError **error)
{
  gint64 pages = 0, free_pages = 0, page_size = 0;
  if (!query_int (store, "PRAGMA page_count", -1, NULL, &pages, error)
      || !query_int (store, "PRAGMA freelist_count", -1, NULL, &free_pages, error)
      || !query_int (store, "PRAGMA page_size", -1, NULL, &page_size, error))
    return FALSE;
  *out = (pages - free_pages) * page_size;
  return TRUE;
}

/* Walks the oldest records after `after` in order, and stops as soon as neither limit
 * needs more: the common case (nothing due) reads one record, not the log. */
gboolean
store_audit_prune_bound (Store *store, gint64 after, const char *older_than, gint64 max_bytes, gint64 *seq,
                         GError **error)
{
  gint64 used = 0, need = 0;
  *seq = 0;
  if (max_bytes > 0 && !store_used_bytes (store, &used, error))
    return FALSE;
  /* Over the size: the oldest go until 90 % of the limit is left, so pruning does not
   * run again at every record. A record costs its text and about 64 bytes of b-tree. */
  if (max_bytes > 0 && used > max_bytes)
    need = used - max_bytes / 10 * 9;
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT seq, length(record), json_extract(record, '$.time') FROM audit "
                          "WHERE seq > ? ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK)
    return fail (store, "reading the audit log's oldest records", error);
  sqlite3_bind_int64 (stmt, 1, after);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *time = (const char *) sqlite3_column_text (stmt, 2);
      gboolean old = older_than != NULL && time != NULL && strcmp (time, older_than) < 0;
      if (!old && need <= 0)
        break;
      *seq = sqlite3_column_int64 (stmt, 0);
      need -= sqlite3_column_int64 (stmt, 1) + 64;
    }
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "reading the audit log's oldest records", error);
}

gboolean
store_audit_prune (Store *store, gint64 after, gint64 through, gint64 *removed, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "DELETE FROM audit WHERE seq > ? AND seq <= ? AND (event IS NULL OR event "
                          "NOT IN ('key-epoch', 'checkpoint'))", -1, &stmt, NULL) != SQLITE_OK)
    return fail (store, "pruning the audit log", error);
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, through);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  *removed = sqlite3_changes64 (store->db);
  return rc == SQLITE_DONE || fail (store, "pruning the audit log", error);
}

gboolean
store_audit_lines_from (Store *store, gint64 from, StoreAuditFunc fn, gpointer data, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT seq, id, record FROM audit WHERE seq >= ?1 UNION "
                          "SELECT seq, id, record FROM audit WHERE event IN ('key-epoch', 'checkpoint') "
                          "AND seq < ?1 ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK)
    return fail (store, "reading the audit log", error);
  sqlite3_bind_int64 (stmt, 1, from);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (!fn (sqlite3_column_int64 (stmt, 0), (const char *) sqlite3_column_text (stmt, 1),
             (const char *) sqlite3_column_text (stmt, 2), data))
      break;
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || fail (store, "reading the audit log", error);
}
