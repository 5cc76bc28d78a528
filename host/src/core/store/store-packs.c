#include "store-packs.h"

#include <sodium.h>
#include <string.h>

#include "store-private.h"
#include "weir-error.h"

#define SKELETON_PREFIX "pack-skeleton:"
#define INDEX_KEY_SETTING "pack-index-key"

void
store_pack_info_clear (StorePackInfo *info)
{
  g_clear_pointer (&info->name, g_free);
  g_clear_pointer (&info->label, g_free);
  g_clear_pointer (&info->key_id, g_free);
}

gboolean
store_pack_version (Store *store, const char *name, gint64 *version, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *version = -1;
  if (sqlite3_prepare_v2 (store->db, "SELECT version FROM packs WHERE name = ?", -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_sql_fail (store->db, "reading packs", error);
  return TRUE;
}

/* The upsert's WHERE makes "newer than what is stored" part of the one statement, so
 * two importers racing cannot both win and an older pack never replaces a newer one. */
gboolean
store_pack_put (Store *store, const StorePackInfo *info, GBytes *pack, GError **error)
{
  static const char sql[] =
    "INSERT INTO packs (name, version, label, key_id, created, imported, documents, fingerprints,"
    "                   records, pack) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT (name) DO UPDATE SET version = ?2, label = ?3, key_id = ?4, created = ?5,"
    "   imported = ?6, documents = ?7, fingerprints = ?8, records = ?9, pack = ?10"
    " WHERE ?2 > packs.version";
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "storing a pack", error);
  gsize len = 0;
  const void *data = g_bytes_get_data (pack, &len);
  sqlite3_bind_text (stmt, 1, info->name, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, info->version);
  sqlite3_bind_text (stmt, 3, info->label, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, info->key_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, info->created);
  sqlite3_bind_int64 (stmt, 6, g_get_real_time ());
  sqlite3_bind_int64 (stmt, 7, info->documents);
  sqlite3_bind_int64 (stmt, 8, info->fingerprints);
  sqlite3_bind_int64 (stmt, 9, info->records);
  sqlite3_bind_blob64 (stmt, 10, data ? data : "", len, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "storing a pack", error);
  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "pack \"%s\" version %" G_GINT64_FORMAT " is not newer than the imported one",
                   info->name, info->version);
      return FALSE;
    }
  return TRUE;
}

gboolean
store_pack_remove (Store *store, const char *name, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "DELETE FROM packs WHERE name = ?", -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "removing a pack", error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "removing a pack", error);
  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "no pack named \"%s\" is imported", name);
      return FALSE;
    }
  g_autofree char *key = g_strconcat (SKELETON_PREFIX, name, NULL);
  if (sqlite3_prepare_v2 (store->db, "DELETE FROM settings WHERE key = ?", -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "removing a pack", error);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "removing a pack", error);
  return TRUE;
}

static void
row_info (sqlite3_stmt *stmt, StorePackInfo *info)
{
  info->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  info->version = sqlite3_column_int64 (stmt, 1);
  info->label = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  info->key_id = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  info->created = sqlite3_column_int64 (stmt, 4);
  info->imported = sqlite3_column_int64 (stmt, 5);
  info->documents = sqlite3_column_int64 (stmt, 6);
  info->fingerprints = sqlite3_column_int64 (stmt, 7);
  info->records = sqlite3_column_int64 (stmt, 8);
}

gboolean
store_pack_foreach (Store *store, gboolean with_pack, StorePackFunc fn, gpointer data, GError **error)
{
  const char *sql = with_pack
    ? "SELECT name, version, label, key_id, created, imported, documents, fingerprints, records, pack"
      " FROM packs ORDER BY name"
    : "SELECT name, version, label, key_id, created, imported, documents, fingerprints, records"
      " FROM packs ORDER BY name";
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      StorePackInfo info = { 0 };
      row_info (stmt, &info);
      /* The row's own buffer, valid until the next step: a pack can be 100 MB, and the
       * callback only verifies and parses it. */
      g_autoptr (GBytes) pack = with_pack ? g_bytes_new_static (sqlite3_column_blob (stmt, 9),
                                                                (gsize) sqlite3_column_bytes (stmt, 9)) : NULL;
      gboolean go_on = fn (&info, pack, data);
      store_pack_info_clear (&info);
      if (!go_on)
        {
          rc = SQLITE_DONE;
          break;
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_sql_fail (store->db, "reading packs", error);
  return TRUE;
}

char *
store_pack_stamp (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *stamp = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT count(*), total(version), max(imported) FROM packs",
                          -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    stamp = g_strdup_printf ("%lld:%.0f:%lld", (long long) sqlite3_column_int64 (stmt, 0),
                             sqlite3_column_double (stmt, 1), (long long) sqlite3_column_int64 (stmt, 2));
  else
    store_sql_fail (store->db, "reading packs", error);
  sqlite3_finalize (stmt);
  return stamp;
}

gboolean
store_pack_get (Store *store, const char *name, GBytes **pack, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *pack = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT pack FROM packs WHERE name = ?", -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *pack = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_sql_fail (store->db, "reading packs", error);
  return TRUE;
}

char *
store_pack_index_dir (Store *store)
{
  g_autofree char *dir = g_path_get_dirname (store->path);
  return g_build_filename (dir, "index", NULL);
}

gboolean
store_pack_index_key (Store *store, guint8 key[STORE_PACK_INDEX_KEY_BYTES], GError **error)
{
  g_autoptr (GBytes) value = NULL;
  if (!store_setting_get (store, INDEX_KEY_SETTING, &value, error))
    return FALSE;
  if (value == NULL)
    {
      /* INSERT OR IGNORE: two processes making the key at once agree on the first. */
      guint8 fresh[STORE_PACK_INDEX_KEY_BYTES];
      randombytes_buf (fresh, sizeof fresh);
      sqlite3_stmt *stmt = NULL;
      if (sqlite3_prepare_v2 (store->db, "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", -1, &stmt,
                              NULL) != SQLITE_OK)
        return store_sql_fail (store->db, "making the index key", error);
      sqlite3_bind_text (stmt, 1, INDEX_KEY_SETTING, -1, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 2, fresh, sizeof fresh, SQLITE_STATIC);
      int rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      sodium_memzero (fresh, sizeof fresh);
      if (rc != SQLITE_DONE)
        return store_sql_fail (store->db, "making the index key", error);
      if (!store_setting_get (store, INDEX_KEY_SETTING, &value, error))
        return FALSE;
    }
  gsize len = 0;
  const guint8 *data = value != NULL ? g_bytes_get_data (value, &len) : NULL;
  if (len != STORE_PACK_INDEX_KEY_BYTES)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "the store's index key is malformed");
      return FALSE;
    }
  memcpy (key, data, STORE_PACK_INDEX_KEY_BYTES);
  return TRUE;
}

gboolean
store_pack_skeleton_get (Store *store, const char *name, GBytes **skeleton, GError **error)
{
  g_autofree char *key = g_strconcat (SKELETON_PREFIX, name, NULL);
  return store_setting_get (store, key, skeleton, error);
}

gboolean
store_pack_skeleton_set (Store *store, const char *name, GBytes *skeleton, GError **error)
{
  g_autofree char *key = g_strconcat (SKELETON_PREFIX, name, NULL);
  return store_setting_set (store, key, skeleton, error);
}
