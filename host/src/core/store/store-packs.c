#include "store-packs.h"

#include <sodium.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "pack-seal.h"
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

char *
store_pack_data_dir (Store *store)
{
  g_autofree char *dir = g_path_get_dirname (store->path);
  return g_build_filename (dir, "packdata", NULL);
}

static gboolean
begin (Store *store, const char *what, GError **error)
{
  return sqlite3_exec (store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
         || store_sql_fail (store->db, what, error);
}

static gboolean
commit (Store *store, const char *what, GError **error)
{
  if (sqlite3_exec (store->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  store_sql_fail (store->db, what, error);
  sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static void
rollback (Store *store)
{
  sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The sealed file name's row names (NULL when none, or a pack stored in the row). */
static gboolean
row_file (Store *store, const char *name, char **file, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *file = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT file FROM packs WHERE name = ?", -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    *file = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_sql_fail (store->db, "reading packs", error);
  return TRUE;
}

static void
unlink_data (Store *store, const char *file)
{
  if (!pack_seal_name_valid (file))
    return;
  g_autofree char *dir = store_pack_data_dir (store);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_unlink (path);
}

/* The pack's bytes go to a sealed file of their own (pack-seal.c) and the row holds its
 * name and key, so opening the store authenticates none of them. The upsert's WHERE
 * makes "newer than what is stored" part of the one statement, so two importers racing
 * cannot both win and an older pack never replaces a newer one; the transaction makes
 * the file the row named before this one's to remove. */
gboolean
store_pack_put (Store *store, const StorePackInfo *info, GBytes *pack, GError **error)
{
  static const char sql[] =
    "INSERT INTO packs (name, version, label, key_id, created, imported, documents, fingerprints,"
    "                   records, pack, file, file_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, x'', ?10, ?11)"
    " ON CONFLICT (name) DO UPDATE SET version = ?2, label = ?3, key_id = ?4, created = ?5,"
    "   imported = ?6, documents = ?7, fingerprints = ?8, records = ?9, pack = x'', file = ?10,"
    "   file_key = ?11"
    " WHERE ?2 > packs.version";
  gsize len = 0;
  const void *data = g_bytes_get_data (pack, &len);
  g_autofree char *dir = store_pack_data_dir (store);
  g_autofree char *file = NULL, *old = NULL;
  guint8 key[PACK_SEAL_KEY_BYTES];
  if (!pack_seal_write (dir, data ? data : "", len, &file, key, error))
    return FALSE;
  sqlite3_stmt *stmt = NULL;
  int rc = SQLITE_ERROR;
  if (begin (store, "storing a pack", error) && row_file (store, info->name, &old, error))
    {
      if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) == SQLITE_OK)
        {
          sqlite3_bind_text (stmt, 1, info->name, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 2, info->version);
          sqlite3_bind_text (stmt, 3, info->label, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 4, info->key_id, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 5, info->created);
          sqlite3_bind_int64 (stmt, 6, g_get_real_time ());
          sqlite3_bind_int64 (stmt, 7, info->documents);
          sqlite3_bind_int64 (stmt, 8, info->fingerprints);
          sqlite3_bind_int64 (stmt, 9, info->records);
          sqlite3_bind_text (stmt, 10, file, -1, SQLITE_STATIC);
          sqlite3_bind_blob (stmt, 11, key, sizeof key, SQLITE_STATIC);
          rc = sqlite3_step (stmt);
        }
      if (rc != SQLITE_DONE)
        store_sql_fail (store->db, "storing a pack", error);
      sqlite3_finalize (stmt);
    }
  sodium_memzero (key, sizeof key);
  gboolean stored = rc == SQLITE_DONE && sqlite3_changes (store->db) > 0;
  if (rc == SQLITE_DONE && !stored)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                 "pack \"%s\" version %" G_GINT64_FORMAT " is not newer than the imported one",
                 info->name, info->version);
  if (!stored || !commit (store, "storing a pack", error))
    {
      if (sqlite3_get_autocommit (store->db) == 0)
        rollback (store);
      unlink_data (store, file);
      return FALSE;
    }
  if (old != NULL)
    unlink_data (store, old);
  return TRUE;
}

gboolean
store_pack_remove (Store *store, const char *name, GError **error)
{
  g_autofree char *file = NULL;
  if (!begin (store, "removing a pack", error))
    return FALSE;
  if (!row_file (store, name, &file, error))
    {
      rollback (store);
      return FALSE;
    }
  sqlite3_stmt *stmt = NULL;
  g_autofree char *key = g_strconcat (SKELETON_PREFIX, name, NULL);
  int rc = SQLITE_ERROR, changes = 0;
  if (sqlite3_prepare_v2 (store->db, "DELETE FROM packs WHERE name = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      changes = sqlite3_changes (store->db);
    }
  sqlite3_finalize (stmt);
  if (rc == SQLITE_DONE && changes > 0
      && sqlite3_prepare_v2 (store->db, "DELETE FROM settings WHERE key = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      store_sql_fail (store->db, "removing a pack", error);
      rollback (store);
      return FALSE;
    }
  if (changes == 0)
    {
      rollback (store);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "no pack named \"%s\" is imported", name);
      return FALSE;
    }
  if (!commit (store, "removing a pack", error))
    return FALSE;
  if (file != NULL)
    unlink_data (store, file);
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
store_pack_foreach (Store *store, StorePackFunc fn, gpointer data, GError **error)
{
  static const char sql[] =
    "SELECT name, version, label, key_id, created, imported, documents, fingerprints, records"
    " FROM packs ORDER BY name";
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      StorePackInfo info = { 0 };
      row_info (stmt, &info);
      gboolean go_on = fn (&info, data);
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

/* A pack imported before the sealed files is read from its row, as it was stored. */
gboolean
store_pack_get (Store *store, const char *name, GBytes **pack, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *pack = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT pack, file, file_key FROM packs WHERE name = ?", -1, &stmt, NULL)
      != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  g_autofree char *file = NULL;
  guint8 key[PACK_SEAL_KEY_BYTES];
  gboolean key_ok = FALSE;
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 1) == SQLITE_NULL)
    *pack = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  else if (rc == SQLITE_ROW)
    {
      file = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      key_ok = sqlite3_column_bytes (stmt, 2) == PACK_SEAL_KEY_BYTES;
      if (key_ok)
        memcpy (key, sqlite3_column_blob (stmt, 2), sizeof key);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_sql_fail (store->db, "reading packs", error);
  if (file == NULL)
    return TRUE;
  if (!key_ok || !pack_seal_name_valid (file))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "the store's row of pack \"%s\" is malformed", name);
      return FALSE;
    }
  g_autofree char *dir = store_pack_data_dir (store);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  *pack = pack_seal_read (path, key, error);
  sodium_memzero (key, sizeof key);
  return *pack != NULL;
}

/* The first column of every row sql returns, as strings (NULLs skipped); NULL on error. */
static GPtrArray *
select_strings (Store *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error), NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (sqlite3_column_type (stmt, 0) != SQLITE_NULL)
      g_ptr_array_add (out, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_ptr_array_unref (out);
      return store_sql_fail (store->db, "reading packs", error), NULL;
    }
  return out;
}

/* One pack stored in its row (imported before the sealed files) moved into a file. */
static gboolean
move_out_one (Store *store, const char *name, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autoptr (GBytes) bytes = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT pack FROM packs WHERE name = ? AND file IS NULL", -1, &stmt, NULL)
      != SQLITE_OK)
    return store_sql_fail (store->db, "reading packs", error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    bytes = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE || store_sql_fail (store->db, "reading packs", error);
  g_autofree char *dir = store_pack_data_dir (store);
  g_autofree char *file = NULL;
  guint8 key[PACK_SEAL_KEY_BYTES];
  gsize len = 0;
  const void *data = g_bytes_get_data (bytes, &len);
  if (!pack_seal_write (dir, data ? data : "", len, &file, key, error))
    return FALSE;
  /* Only the row as it was read: another process that moved it first, or a newer import
   * meanwhile, wins, and this file goes. */
  rc = SQLITE_ERROR;
  if (sqlite3_prepare_v2 (store->db, "UPDATE packs SET pack = x'', file = ?2, file_key = ?3"
                                     " WHERE name = ?1 AND file IS NULL", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, file, -1, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 3, key, sizeof key, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  sodium_memzero (key, sizeof key);
  if (rc != SQLITE_DONE || sqlite3_changes (store->db) == 0)
    unlink_data (store, file);
  return rc == SQLITE_DONE || store_sql_fail (store->db, "moving a pack out of the store", error);
}

/* A file no row names: an import that stopped between writing its file and its row
 * (a crash, a full disk), or a half-written .part. Only files older than this are
 * removed, so that an import writing its file right now keeps it. */
#define ORPHAN_AGE_S (10 * 60)

static void
remove_orphans (Store *store)
{
  g_autofree char *dir = store_pack_data_dir (store);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  g_autoptr (GPtrArray) files = select_strings (store, "SELECT file FROM packs WHERE file IS NOT NULL", NULL);
  if (files == NULL)
    return;
  g_autoptr (GHashTable) named = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < files->len; i++)
    g_hash_table_add (named, files->pdata[i]);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *entry;
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *base = g_str_has_suffix (entry, ".part") ? g_strndup (entry, strlen (entry) - 5) : NULL;
      if (!pack_seal_name_valid (base != NULL ? base : entry) || g_hash_table_contains (named, entry))
        continue;
      g_autofree char *path = g_build_filename (dir, entry, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode) && now - (gint64) st.st_mtime > ORPHAN_AGE_S)
        g_unlink (path);
    }
}

gboolean
store_pack_move_out (Store *store, GError **error)
{
  remove_orphans (store);
  g_autoptr (GPtrArray) names = select_strings (store, "SELECT name FROM packs WHERE file IS NULL AND length(pack) > 0",
                                                error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    if (!move_out_one (store, names->pdata[i], error))
      return FALSE;
  /* The pages the packs held are given back, so that opening the store stops checking them. */
  return names->len == 0 || sqlite3_exec (store->db, "VACUUM", NULL, NULL, NULL) == SQLITE_OK
         || store_sql_fail (store->db, "VACUUM after moving packs out", error);
}

gboolean
store_pack_check_files (Store *store, guint32 *files, GError **error)
{
  *files = 0;
  g_autoptr (GPtrArray) names = select_strings (store, "SELECT name FROM packs WHERE file IS NOT NULL ORDER BY name",
                                                error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr (GBytes) pack = NULL;
      if (!store_pack_get (store, names->pdata[i], &pack, error))
        return FALSE;
      *files += pack != NULL;
    }
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
