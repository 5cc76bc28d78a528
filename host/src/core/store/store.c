#include "store-private.h"

#include "weir-error.h"


gboolean
store_sql_fail (sqlite3 *db, const char *what, GError **error)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "store: %s: %s", what,
               db ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

/* The short name this file always used; store-packs.c calls store_sql_fail. */
#define sql_fail store_sql_fail

static gboolean
exec (Store *store, const char *sql, GError **error)
{
  if (sqlite3_exec (store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_fail (store->db, sql, error);
  return TRUE;
}

/* Each migration moves the schema from version i to i + 1, inside one transaction. */
static const char *const migrations[] = {
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
  "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
  "                    record TEXT NOT NULL);"
  /* Append-only: the database itself refuses edits and deletions. */
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
  /* Imported fingerprint packs (store-packs.c): the signed pack bytes as imported. */
  "CREATE TABLE packs (name TEXT PRIMARY KEY, version INTEGER NOT NULL, label TEXT NOT NULL,"
  "                    key_id TEXT NOT NULL, created INTEGER NOT NULL, imported INTEGER NOT NULL,"
  "                    documents INTEGER NOT NULL, fingerprints INTEGER NOT NULL,"
  "                    records INTEGER NOT NULL, pack BLOB NOT NULL);",
};

/* The schema version is the number of migrations applied. */
#define STORE_SCHEMA_VERSION ((int) G_N_ELEMENTS (migrations))

static int
user_version (Store *store)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;
  if (sqlite3_prepare_v2 (store->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
migrate (Store *store, GError **error)
{
  if (!exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  int version = user_version (store);
  if (version < 0 || version > STORE_SCHEMA_VERSION)
    {
      exec (store, "ROLLBACK", NULL);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE,
                   "store: schema version %d is newer than this Weir (%d); upgrade Weir",
                   version, STORE_SCHEMA_VERSION);
      return FALSE;
    }
  for (int v = version; v < STORE_SCHEMA_VERSION; v++)
    if (!exec (store, migrations[v], error))
      {
        exec (store, "ROLLBACK", NULL);
        return FALSE;
      }
  g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
  if (!exec (store, set, error) || !exec (store, "COMMIT", error))
    {
      exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

void
store_close (Store *store)
{
  if (store == NULL)
    return;
  sqlite3_finalize (store->audit_insert);
  store_audit_finalize (store);
  sqlite3_close_v2 (store->db);
  g_free (store);
}

Store *
store_open (const char *path, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2 (path, &store->db, flags, NULL) != SQLITE_OK)
    {
      sql_fail (store->db, path, error);
      return NULL;
    }
  sqlite3_busy_timeout (store->db, STORE_BUSY_TIMEOUT_MS);
  /* Temporary tables and sort spills stay in memory: nothing derived from content
   * lands in a temporary file. synchronous=NORMAL in WAL mode: a committed record
   * survives a crash of the process (and the browser); only power loss can lose the
   * last commits. */
  if (!exec (store, "PRAGMA temp_store = MEMORY", error)
      || !exec (store, "PRAGMA journal_mode = WAL", error)
      || !exec (store, "PRAGMA synchronous = NORMAL", error)
      || !migrate (store, error))
    return NULL;
  if (sqlite3_prepare_v3 (store->db, "INSERT INTO audit (id, record) VALUES (?, ?)", -1,
                          SQLITE_PREPARE_PERSISTENT, &store->audit_insert, NULL) != SQLITE_OK)
    {
      sql_fail (store->db, "preparing", error);
      return NULL;
    }
  return g_steal_pointer (&store);
}

gboolean
store_setting_get (Store *store, const char *key, GBytes **out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *out = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT value FROM settings WHERE key = ?", -1, &stmt, NULL)
      != SQLITE_OK)
    return sql_fail (store->db, "reading a setting", error);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail (store->db, "reading a setting", error);
  return TRUE;
}

gboolean
store_setting_set (Store *store, const char *key, GBytes *value, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                          -1, &stmt, NULL) != SQLITE_OK)
    return sql_fail (store->db, "writing a setting", error);
  gsize len = 0;
  const void *data = g_bytes_get_data (value, &len);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob64 (stmt, 2, data ? data : "", len, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return sql_fail (store->db, "writing a setting", error);
  return TRUE;
}

gboolean
store_audit_append (Store *store, const char *id, const char *record, gint64 *seq, GError **error)
{
  sqlite3_stmt *stmt = store->audit_insert;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, record, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return sql_fail (store->db, "appending to the audit log", error);
  if (seq != NULL)
    *seq = sqlite3_last_insert_rowid (store->db);
  return TRUE;
}

gboolean
store_audit_foreach (Store *store, StoreAuditFunc fn, gpointer data, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT seq, id, record FROM audit ORDER BY seq", -1, &stmt,
                          NULL) != SQLITE_OK)
    return sql_fail (store->db, "reading the audit log", error);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (!fn (sqlite3_column_int64 (stmt, 0), (const char *) sqlite3_column_text (stmt, 1),
             (const char *) sqlite3_column_text (stmt, 2), data))
      {
        rc = SQLITE_DONE;
        break;
      }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return sql_fail (store->db, "reading the audit log", error);
  return TRUE;
}

gint64
store_audit_count (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gint64 count = -1;
  if (sqlite3_prepare_v2 (store->db, "SELECT count(*) FROM audit", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    sql_fail (store->db, "counting the audit log", error);
  sqlite3_finalize (stmt);
  return count;
}
