#include "store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "store/keys.h"
#include "store/pack-seal.h"
#include "store/store-packs.h"
#include "store/vfs.h"
#include "file.h"
#include "weir-error.h"


static gboolean
tampered (const char *path, guint32 page, gboolean in_wal, GError **error)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED,
               "store: page %u of %s%s failed authentication: the store was tampered with "
               "or damaged, so Weir refuses to use it", page, path,
               in_wal ? " (its copy in the WAL)" : "");
  return FALSE;
}

/* The WAL's size after each commit, for store_maintain(). */
static int
note_wal_pages (void *data, sqlite3 *db, const char *name, int pages)
{
  ((Store *) data)->wal_pages = pages;
  return SQLITE_OK;
}

/* A read that failed authentication names its page; SQLite only knows "I/O error". */
gboolean
store_sql_fail (sqlite3 *db, const char *what, GError **error)
{
  sqlite3_vfs *base = NULL;
  StoreVfs *vfs = NULL;
  if (db != NULL && sqlite3_extended_errcode (db) == SQLITE_IOERR_DATA
      && sqlite3_file_control (db, "main", SQLITE_FCNTL_VFS_POINTER, &base) == SQLITE_OK
      && (vfs = store_vfs_from_sqlite (base)) != NULL)
    {
      gboolean in_wal = FALSE;
      guint32 page = store_vfs_last_bad_page (vfs, &in_wal);
      return tampered (sqlite3_db_filename (db, "main"), page, in_wal, error);
    }
  /* Pages that authenticate yet do not fit together: pages rolled back or dropped. */
  int code = db != NULL && (sqlite3_errcode (db) == SQLITE_CORRUPT || sqlite3_errcode (db) == SQLITE_NOTADB)
               ? WEIR_ERROR_TAMPERED : WEIR_ERROR_STORE;
  g_set_error (error, WEIR_ERROR, code, "store: %s: %s", what, db ? sqlite3_errmsg (db) : "out of memory");
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
  /* Retention (docs/audit.md): each record's event in a column, so the records that
   * verifying needs (key-epoch, checkpoint) are found without reading all; deletes
   * only of records a checkpoint in the chain sealed (seq up to audit.pruned_to), and
   * never of key-epoch or checkpoint records. */
  "ALTER TABLE audit ADD COLUMN event TEXT;"
  "DROP TRIGGER audit_no_update;"
  "UPDATE audit SET event = json_extract(record, '$.event');"
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
  "DROP TRIGGER audit_no_delete;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
  "  WHEN OLD.seq > COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'audit.pruned_to'), 0)"
  "       OR OLD.event IN ('key-epoch', 'checkpoint')"
  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: only records a checkpoint sealed may be pruned'); END;"
  "CREATE INDEX audit_events ON audit (event, seq) WHERE event IN ('key-epoch', 'checkpoint');",
  /* Fingerprints of text copied out of source origin groups (store-copies.c): keyed
   * k-gram hashes, never the text. */
  "CREATE TABLE copies (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,"
  "                     copied_at INTEGER NOT NULL, words INTEGER NOT NULL, picks BLOB NOT NULL);",
  /* A pack's bytes move to a sealed file of their own (store-packs.c, pack-seal.c): the
   * row keeps the file's name and key, and pack stays empty. Rows stored before keep
   * their bytes (file NULL). */
  "ALTER TABLE packs ADD COLUMN file TEXT;"
  "ALTER TABLE packs ADD COLUMN file_key BLOB;",
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
  /* Before the connection: SQLite's unix VFS keeps a descriptor closed while it holds
   * locks on the file, and closes it with the connection. */
  store_vfs_walk_free (store->walk);
  /* sqlite3_close, not _v2: the VFS below must not outlive the connection. */
  if (sqlite3_close (store->db) != SQLITE_OK)
    g_warning ("store: closing: %s", sqlite3_errmsg (store->db));
  store_vfs_free (store->vfs);
  if (store->marker_fd >= 0)
    close (store->marker_fd);
  g_free (store->path);
  g_free (store->key_path);
  g_free (store);
}

static gboolean
open_sealed (Store *store, GError **error)
{
  g_autoptr (StoreKey) key = store_key_load (store->key_path, store->path, error);
  if (key == NULL)
    return FALSE;
  store->key_wrap = key->wrap;
  store->vfs = store_vfs_new (key->key, key->salt, error);
  return store->vfs != NULL;
}

static gboolean
open_db (Store *store, gboolean read_only, GError **error)
{
  /* Read-only opens without CREATE but not with SQLITE_OPEN_READONLY: the exclusive lock
   * of set_up_read_only needs a descriptor open for writing; query_only keeps it unused. */
  int sqlite_flags = SQLITE_OPEN_READWRITE | (read_only ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  const char *vfs_name = store->vfs ? store_vfs_name (store->vfs) : NULL;
  if (sqlite3_open_v2 (store->path, &store->db, sqlite_flags, vfs_name) == SQLITE_OK)
    return TRUE;
  if (store->vfs != NULL && store_vfs_saw_foreign (store->vfs))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "store: %s was not made with this device's store key %s (page 1 names "
                   "another store): it was copied from elsewhere, its key was replaced, or it "
                   "was tampered with; Weir refuses it", store->path, store->key_path);
      return FALSE;
    }
  gboolean in_wal = FALSE;
  guint32 bad = store->vfs ? store_vfs_last_bad_page (store->vfs, &in_wal) : 0;
  if (bad != 0)  /* the header read failed: SQLite has no connection to ask */
    return tampered (store->path, bad, in_wal, error);
  return sql_fail (store->db, store->path, error);
}

/* Page geometry, before the first write creates the file: the VFS keeps each page's
 * nonce and tag in its reserved bytes (header offset 20), which SQLite never touches.
 * For an existing store both are read from its header and these are no-ops. */
static gboolean
set_geometry (Store *store, GError **error)
{
  if (store->vfs == NULL)
    return TRUE;
  int reserve = STORE_RESERVE;
  g_autofree char *page_size = g_strdup_printf ("PRAGMA page_size = %d", STORE_PAGE_SIZE);
  if (!exec (store, page_size, error))
    return FALSE;
  sqlite3_file_control (store->db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  return TRUE;
}

/* The store holds the device's digest key and the audit log: only its owner may read
 * it, whatever the umask or the mode of a WEIR_HOME made by someone else. SQLite gives
 * the -wal and -shm files the mode of the database file. An empty file is a new store.
 * O_NONBLOCK: a FIFO in its place must not hang the open (SQLite then refuses it). */
static gboolean
create_private (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "store: cannot create %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* Opening is one Weir process at a time: hosts of several browser profiles and the CLI
 * start together, and SQLite alone cannot make that safe. Switching a new store to WAL
 * takes an exclusive lock that another opener's shared lock makes fail at once (SQLite
 * skips the busy handler where waiting could deadlock), and the page check reads the
 * file while a creator may still be writing it. An flock on the key file (which SQLite
 * never opens, so closing this descriptor drops none of SQLite's POSIX locks) waits,
 * bounded by the busy timeout; -1 when it cannot be had, and the open goes on without
 * it, as before. Landlock and the seccomp filter both allow it. */
static int
setup_lock (const char *key_path)
{
  int fd = open (key_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return -1;
  if (!file_lock_wait (fd, STORE_BUSY_TIMEOUT_MS))
    {
      g_warning ("store: %s stayed locked by another Weir process; opening anyway", key_path);
      close (fd);
      return -1;
    }
  return fd;
}

static void
setup_unlock (int fd)
{
  if (fd >= 0)
    close (fd);  /* drops the flock */
}

/* WAL is chosen once, when the store is made, not on every open: setting it takes a
 * write lock, which a read-only command on a full disk or beside a busy writer must
 * not need. Reading the mode only takes a shared lock, which the busy handler waits for. */
static gboolean
ensure_wal (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean wal = FALSE;
  int rc = sqlite3_prepare_v2 (store->db, "PRAGMA journal_mode", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    wal = g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") == 0;
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return sql_fail (store->db, "PRAGMA journal_mode", error);
  return wal || exec (store, "PRAGMA journal_mode = WAL", error);
}

/* Authenticates every page of the store file, then the frames of its WAL. */
static gboolean
verify_sealed (Store *store, StoreCheck *out, GError **error)
{
  guint32 bad = 0;
  g_autofree char *wal = g_strconcat (store->path, "-wal", NULL);
  if (!store_vfs_verify_file (store->vfs, store->path, &out->pages, &bad, error))
    return FALSE;
  if (bad != 0)
    return tampered (store->path, bad, FALSE, error);
  if (!store_vfs_verify_wal (store->vfs, wal, &out->wal_frames, &bad, error))
    return FALSE;
  return bad == 0 || tampered (store->path, bad, TRUE, error);
}

/* Every page authenticates before anything is used: the store refuses to run on
 * tampered data, even on pages no query would read today. Deferred, the WAL is
 * authenticated now (SQLite reads it all to recover it, and a writer would overwrite
 * what it hides) and the file's pages by store_check_step. */
static gboolean
verify_pages (Store *store, StoreOpenFlags flags, GError **error)
{
  StoreCheck check;
  if (store->vfs == NULL || (flags & STORE_OPEN_SALVAGE))
    return TRUE;
  if ((flags & STORE_OPEN_DEFER_CHECK) == 0)
    return verify_sealed (store, &check, error);
  g_autofree char *wal = g_strconcat (store->path, "-wal", NULL);
  guint32 bad = 0;
  if (!store_vfs_verify_wal (store->vfs, wal, &check.wal_frames, &bad, error))
    return FALSE;
  if (bad != 0)
    return tampered (store->path, bad, TRUE, error);
  g_autoptr (GError) local = NULL;
  store->walk = store_vfs_walk_new (store->vfs, store->path, &local);
  if (local != NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return local == NULL;
}

gboolean
store_check_pending (const Store *store)
{
  return store != NULL && store->walk != NULL;
}

gboolean
store_check_step (Store *store, guint32 max_pages, GError **error)
{
  guint32 bad = 0;
  if (store->walk == NULL || !store_vfs_walk_step (store->walk, max_pages, &bad))
    return TRUE;
  guint32 pages = store_vfs_walk_pages (store->walk);
  g_clear_pointer (&store->walk, store_vfs_walk_free);
  if (bad != 0)
    return tampered (store->path, bad, FALSE, error);
  g_debug ("store: %u pages of %s authenticated after the open", pages, store->path);
  return TRUE;
}

/* Packs stored in their rows by an older Weir move to sealed files once; failing that
 * (a full disk, say) they are read from their rows as before. */
static gboolean
move_packs_out (Store *store, StoreOpenFlags flags)
{
  g_autoptr (GError) error = NULL;
  if ((flags & STORE_OPEN_SALVAGE) == 0 && !store_pack_move_out (store, &error))
    g_message ("%s: packs stay in the store: %s", store->path, error->message);
  return TRUE;
}

/* The connection's settings, the WAL and the schema. */
static gboolean
set_up (Store *store, StoreOpenFlags flags, GError **error)
{
  /* Temporary tables and sort spills stay in memory: nothing derived from content
   * lands in a temporary file (the VFS refuses them anyway). synchronous=NORMAL in
   * WAL mode: a committed record survives a crash of the process (and the browser);
   * only power loss can lose the last commits. */
  return verify_pages (store, flags, error)
         && exec (store, "PRAGMA temp_store = MEMORY", error)
         && exec (store, "PRAGMA mmap_size = 0", error)
         && set_geometry (store, error)
         && ensure_wal (store, error)
         && exec (store, (flags & STORE_OPEN_SYNC_FULL_FOR_BENCH) ? "PRAGMA synchronous = FULL"
                                                                  : "PRAGMA synchronous = NORMAL", error)
         && migrate (store, error) && move_packs_out (store, flags);
}

/* The marker beside the store (PATH.chain): one slot of STORE_MARKER_MAX bytes written
 * in place with pwrite, never replaced by a rename, so every process that has it open
 * writes the same file. */
static void
marker_open (Store *store)
{
  g_autofree char *path = g_strconcat (store->path, ".chain", NULL);
  struct stat st;
  store->marker_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (store->marker_fd < 0)
    store->marker_fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (store->marker_fd >= 0 && (fstat (store->marker_fd, &st) != 0 || !S_ISREG (st.st_mode)))
    {
      close (store->marker_fd);
      store->marker_fd = -1;
    }
}

char *
store_marker_read (Store *store)
{
  char buf[STORE_MARKER_MAX + 1];
  ssize_t n = store->marker_fd < 0 ? -1 : pread (store->marker_fd, buf, STORE_MARKER_MAX, 0);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  g_strchomp (buf);
  return buf[0] != '\0' ? g_strdup (buf) : NULL;
}

gboolean
store_marker_write (Store *store, const char *text, GError **error)
{
  char slot[STORE_MARKER_MAX];
  gsize len = strlen (text);
  if (store->marker_fd < 0 || len >= sizeof slot)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "store: the chain marker of %s cannot be written", store->path);
      return FALSE;
    }
  /* Padded to the whole slot: a shorter text leaves nothing of a longer one behind. */
  memset (slot, ' ', sizeof slot);
  memcpy (slot, text, len);
  slot[sizeof slot - 1] = '\n';
  if (pwrite (store->marker_fd, slot, sizeof slot, 0) != (ssize_t) sizeof slot)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "store: writing the chain marker of %s: %s", store->path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* A read-only connection writes nothing, so it works on a full disk or a read-only
 * file system: no migration, no journal-mode switch, no checkpoint when it closes, and
 * query_only refuses any write. SQLite's wal-index (-shm) is shared memory that a new
 * connection grows, which a full disk refuses: without a -shm of one region at least no
 * other process has the store open, so the connection takes the store for itself (locking_mode EXCLUSIVE
 * keeps the wal-index in its heap) for as long as the command runs; a host starting
 * meanwhile waits for it (the busy timeout). Beside a running host, its -shm is used. */
static gboolean
set_up_read_only (Store *store, GError **error)
{
  /* A process with the store open has mapped at least one 32 KiB region of -shm: a
   * missing or shorter one (what a failed open on a full disk leaves) has no user. */
  g_autofree char *shm = g_strconcat (store->path, "-shm", NULL);
  struct stat st;
  gboolean alone = stat (shm, &st) != 0 || st.st_size < 32768;
  sqlite3_db_config (store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  if (!verify_pages (store, 0, error) || !exec (store, "PRAGMA temp_store = MEMORY", error)
      || !exec (store, "PRAGMA mmap_size = 0", error)
      || (alone && !exec (store, "PRAGMA locking_mode = EXCLUSIVE", error))
      || !exec (store, "PRAGMA query_only = 1", error))
    return FALSE;
  int version = user_version (store);
  if (version == STORE_SCHEMA_VERSION)
    return TRUE;
  if (version < 0)
    return sql_fail (store->db, store->path, error);
  /* An older schema (0: a store whose making was cut short) is not yet a store this Weir
   * reads: NOT_FOUND, so that a caller can open it for writing, which migrates it. */
  g_set_error (error, WEIR_ERROR, version > STORE_SCHEMA_VERSION ? WEIR_ERROR_STORE : WEIR_ERROR_NOT_FOUND,
               "store: schema version %d, this Weir reads version %d%s", version, STORE_SCHEMA_VERSION,
               version > STORE_SCHEMA_VERSION ? ": upgrade Weir" : "");
  return FALSE;
}

/* A read-only open never makes a store: there must be one, with its key. */
static gboolean
exists_for_reading (const char *path, GError **error)
{
  struct stat st;
  if (stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    return TRUE;
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
               "store: there is no store at %s yet (Weir has recorded nothing here)", path);
  return FALSE;
}

Store *
store_open_full (const char *path, const char *key_path, StoreOpenFlags flags, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);
  store->marker_fd = -1;
  g_autofree char *dir = g_path_get_dirname (path);
  store->path = g_strdup (path);
  store->key_path = key_path ? g_strdup (key_path) : g_build_filename (dir, "store.key", NULL);
  gboolean read_only = (flags & STORE_OPEN_READ_ONLY) != 0;
  if (read_only && !exists_for_reading (path, error))
    return NULL;
  if (!(flags & STORE_OPEN_UNSEALED_FOR_BENCH) && !open_sealed (store, error))
    return NULL;
  int lock = setup_lock (store->key_path);
  gboolean ok = (read_only || create_private (store->path, error)) && open_db (store, read_only, error);
  if (ok)
    {
      /* Before the first statement: every lock it meets is waited for. */
      sqlite3_busy_timeout (store->db, STORE_BUSY_TIMEOUT_MS);
      ok = read_only ? set_up_read_only (store, error) : set_up (store, flags, error);
    }
  setup_unlock (lock);
  struct stat st;
  if (ok && stat (store->path, &st) == 0)
    {
      store->dev = st.st_dev;
      store->ino = st.st_ino;
    }
  if (ok)
    marker_open (store);
  if (!ok)
    return NULL;
  /* Checkpoints move off the commit path: this hook replaces SQLite's automatic
   * checkpoint, which ran inside whichever commit crossed 1000 WAL pages (8 to 17 ms
   * on a verdict's audit record, measured by bench/run). store_maintain() runs it
   * after the reply has gone; a connection closing last still checkpoints. */
  sqlite3_wal_hook (store->db, note_wal_pages, store);
  if (sqlite3_prepare_v3 (store->db, "INSERT INTO audit (id, record) VALUES (?, ?)", -1,
                          SQLITE_PREPARE_PERSISTENT, &store->audit_insert, NULL) != SQLITE_OK)
    {
      sql_fail (store->db, "preparing", error);
      return NULL;
    }
  return g_steal_pointer (&store);
}

gboolean
store_check_file (Store *store, GError **error)
{
  struct stat st;
  const char *what = NULL;
  if (stat (store->path, &st) != 0)
    what = errno == ENOENT ? "was deleted" : "cannot be found";
  else if (st.st_dev != store->dev || st.st_ino != store->ino)
    what = "was replaced by another file";
  if (what == NULL)
    return TRUE;
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE,
               "store: %s %s while it was open: what is written now would be lost with it", store->path, what);
  return FALSE;
}

gboolean
store_maintain (Store *store)
{
  if (store == NULL || store->wal_pages < STORE_CHECKPOINT_PAGES)
    return FALSE;
  /* PASSIVE: never waits for readers or writers of other processes; what it cannot
   * copy now, a later call will. */
  sqlite3_wal_checkpoint_v2 (store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  store->wal_pages = 0;
  return TRUE;
}

Store *
store_open (const char *path, GError **error)
{
  return store_open_full (path, NULL, STORE_OPEN_DEFAULT, error);
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

/* ---- info and check ---- */

/* One integer from a query; -1 when it fails. */
static gint64
query_int (Store *store, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static gint64
file_bytes (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

/* The regular files of folder whose names end with suffix: how many, and their bytes.
 * A folder that does not exist holds none. */
static void
folder_files (const char *folder, const char *suffix, gint64 *count, gint64 *bytes)
{
  *count = *bytes = 0;
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      struct stat st;
      g_autofree char *path = g_build_filename (folder, name, NULL);
      if (g_str_has_suffix (name, suffix) && lstat (path, &st) == 0 && S_ISREG (st.st_mode))
        {
          *count += 1;
          *bytes += st.st_size;
        }
    }
}

static void
store_table_free (StoreTable *table)
{
  g_free (table->name);
  g_free (table);
}

static gboolean
list_tables (Store *store, StoreInfo *info, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                          "name NOT LIKE 'sqlite_%' ORDER BY name", -1, &stmt, NULL) != SQLITE_OK)
    return sql_fail (store->db, "listing tables", error);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      StoreTable *table = g_new0 (StoreTable, 1);
      table->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      g_ptr_array_add (info->tables, table);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return sql_fail (store->db, "listing tables", error);
  for (guint i = 0; i < info->tables->len; i++)
    {
      StoreTable *table = info->tables->pdata[i];
      g_autofree char *quoted = g_strdup_printf ("SELECT count(*) FROM \"%s\"", table->name);
      if ((table->rows = query_int (store, quoted)) < 0)
        return sql_fail (store->db, "counting rows", error);
      if (g_strcmp0 (table->name, "packs") == 0)
        info->packs = table->rows;
    }
  return TRUE;
}

gboolean
store_info_get (Store *store, StoreInfo *info, GError **error)
{
  int reserve = -1;
  g_autofree char *wal = g_strconcat (store->path, "-wal", NULL);
  *info = (StoreInfo) {
    .path = g_strdup (store->path),
    .key_path = store->vfs ? g_strdup (store->key_path) : NULL,
    .cipher = store->vfs ? "xchacha20poly1305-ietf" : "none",
    .key_wrap = store->vfs == NULL ? "none"
                : store->key_wrap == STORE_KEY_WRAP_KEYRING ? "secret-service" : "key-file",
    .key_protection = store->vfs == NULL ? "none: the store is not sealed"
                      : store->key_wrap == STORE_KEY_WRAP_KEYRING
                        ? "desktop keyring (secret service); the key file alone cannot open the store"
                        : "key file, readable by the user only",
    .schema_version = user_version (store),
    .page_size = query_int (store, "PRAGMA page_size"),
    .page_count = query_int (store, "PRAGMA page_count"),
    .freelist_count = query_int (store, "PRAGMA freelist_count"),
    .file_bytes = file_bytes (store->path),
    .wal_bytes = file_bytes (wal),
    .packs = -1,
    .tables = g_ptr_array_new_with_free_func ((GDestroyNotify) store_table_free),
  };
  sqlite3_file_control (store->db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  info->reserve_bytes = reserve;
  if (info->page_count < 0)
    {
      store_info_clear (info);
      return sql_fail (store->db, "reading the header", error);
    }
  if (!list_tables (store, info, error))
    {
      store_info_clear (info);
      return FALSE;
    }
  g_autofree char *pack_dir = store_pack_data_dir (store), *index_dir = store_pack_index_dir (store);
  folder_files (pack_dir, PACK_SEAL_SUFFIX, &info->pack_files, &info->pack_file_bytes);
  folder_files (index_dir, STORE_PACK_INDEX_SUFFIX, &info->index_files, &info->index_file_bytes);
  info->audit_records = store_audit_count (store, error);
  return info->audit_records >= 0;
}

void
store_info_clear (StoreInfo *info)
{
  g_clear_pointer (&info->path, g_free);
  g_clear_pointer (&info->key_path, g_free);
  g_clear_pointer (&info->tables, g_ptr_array_unref);
}

/* SQLite's own check reads every live page through the VFS (WAL included), so it
 * also authenticates what the raw passes saw only on disk. */
static gboolean
integrity_check (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, "PRAGMA integrity_check(4)", -1, &stmt, NULL) != SQLITE_OK)
    return sql_fail (store->db, "integrity check", error);
  g_autoptr (GString) found = g_string_new (NULL);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);
      if (g_strcmp0 (line, "ok") != 0)
        g_string_append_printf (found, "%s%s", found->len ? "; " : "", line ? line : "?");
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return sql_fail (store->db, "integrity check", error);
  if (found->len > 0)
    {
      g_strdelimit (found->str, "\n", ' ');
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "store: %s is damaged: %s", store->path,
                   found->str);
      return FALSE;
    }
  return TRUE;
}

gboolean
store_check (Store *store, StoreCheck *out, GError **error)
{
  *out = (StoreCheck) { 0 };
  if (store->vfs != NULL && !verify_sealed (store, out, error))
    return FALSE;
  return integrity_check (store, error) && store_pack_check_files (store, &out->pack_files, error);
}

gboolean
store_rewrap_key (const char *path, gboolean to_keyring, GError **error)
{
  g_autoptr (Store) store = store_open (path, error);
  if (store == NULL)
    return FALSE;
  g_autofree char *key_path = g_strdup (store->key_path);
  g_clear_pointer (&store, store_close);
  return store_key_rewrap (key_path, path,
                           to_keyring ? STORE_KEY_WRAP_KEYRING : STORE_KEY_WRAP_FILE, error);
}

#define SALVAGE_MAX_SEQ ((gint64) 100000000)
#define SALVAGE_MAX_MISSES ((gint64) 1000000)

/* The highest seq the store knows of: its AUTOINCREMENT counter, else the highest
 * readable. 0 when neither can be read. */
static gint64
salvage_top (Store *store)
{
  static const char *const queries[] = { "SELECT seq FROM sqlite_sequence WHERE name = 'audit'",
                                         "SELECT MAX(seq) FROM audit" };
  for (gsize i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      sqlite3_stmt *stmt = NULL;
      gint64 top = 0;
      if (sqlite3_prepare_v2 (store->db, queries[i], -1, &stmt, NULL) == SQLITE_OK
          && sqlite3_step (stmt) == SQLITE_ROW)
        top = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      if (top > 0)
        return top;
    }
  return 0;
}

gboolean
store_audit_salvage (Store *store, StoreSalvageFunc fn, gpointer data, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gint64 top = salvage_top (store);
  if (top == 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "store: the audit log's extent cannot be read");
      return FALSE;
    }
  if (sqlite3_prepare_v2 (store->db, "SELECT record FROM audit WHERE seq = ?", -1, &stmt, NULL) != SQLITE_OK)
    return sql_fail (store->db, "reading the audit log", error);
  /* A damaged counter may claim any number: the walk stops after SALVAGE_MAX_MISSES
   * seqs in a row that give nothing, and never passes SALVAGE_MAX_SEQ. */
  gboolean go = TRUE;
  gint64 misses = 0;
  top = MIN (top, SALVAGE_MAX_SEQ);
  for (gint64 seq = 1; go && seq <= top && misses < SALVAGE_MAX_MISSES; seq++)
    {
      sqlite3_bind_int64 (stmt, 1, seq);
      int rc = sqlite3_step (stmt);
      misses = rc == SQLITE_ROW ? 0 : misses + 1;
      if (rc == SQLITE_ROW)
        go = fn (seq, (const char *) sqlite3_column_text (stmt, 0), NULL, data);
      else
        go = fn (seq, NULL, rc == SQLITE_DONE ? "not in the store" : "unreadable: a damaged page", data);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  return TRUE;
}
