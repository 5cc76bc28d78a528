/* store.h: the endpoint's one SQLite store. The only module that includes sqlite3.h.
 *
 * Every page of the store and of its WAL is sealed by the VFS in vfs.c under a store
 * key kept as keys.h says; a page that fails authentication is an error, never data.
 * Several processes (one host per browser profile, the CLI) share one store: WAL
 * journal and a busy timeout, so writers wait instead of failing. */
#pragma once

#include <glib.h>

typedef struct Store Store;

typedef enum {
  STORE_OPEN_DEFAULT = 0,
  /* No encryption at all: for bench/ only, to measure what the sealing costs. */
  STORE_OPEN_UNSEALED_FOR_BENCH = 1 << 0,
  /* synchronous=FULL (an fsync of the WAL at every commit) instead of NORMAL: for
   * bench/ only, to measure what making every record durable on its own would cost. */
  STORE_OPEN_SYNC_FULL_FOR_BENCH = 1 << 1,
  /* weir audit export --salvage: a store with damaged pages opens (pages are not all
   * authenticated first); a read of a damaged page still fails, never returns data. */
  STORE_OPEN_SALVAGE = 1 << 2,
  /* Reads an existing store and writes nothing (weir store info/check, audit export and
   * verify, pack list): works on a full disk; a missing store, or one of an older
   * schema that a writing open would migrate, is WEIR_ERROR_NOT_FOUND. */
  STORE_OPEN_READ_ONLY = 1 << 3,
  /* The host: the WAL is authenticated at open, the file's pages afterwards, a slice at
   * a time while it waits for requests (store_check_step), so that its start does not
   * grow with the audit log (1 ms per MB). A page a query reads is authenticated as it
   * is read either way. */
  STORE_OPEN_DEFER_CHECK = 1 << 4,
} StoreOpenFlags;

/* Opens (creating and migrating as needed) the store at path, sealed with the key in
 * store.key next to it (created with a new store). Authenticates every page of the
 * file first: a tampered store is refused with WEIR_ERROR_TAMPERED naming the page. */
Store *store_open (const char *path, GError **error);
/* key_path NULL: store.key in path's folder. */
Store *store_open_full (const char *path, const char *key_path, StoreOpenFlags flags,
                        GError **error);
void store_close (Store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_close)

/* Opened with STORE_OPEN_DEFER_CHECK: whether pages are still to be authenticated, and
 * the next max_pages of them authenticated; FALSE with WEIR_ERROR_TAMPERED naming the
 * page when one fails (the walk is then over), as store_open would have said. */
gboolean store_check_pending (const Store *store);
gboolean store_check_step (Store *store, guint32 max_pages, GError **error);

/* Rewraps the key of the store at path (opened first, so only a key that opens it is
 * touched): into the desktop keyring when to_keyring, else into the key file. Stores
 * already open keep working; docs/security.md. */
gboolean store_rewrap_key (const char *path, gboolean to_keyring, GError **error);

/* Settings: small named blobs. *out is NULL when key is absent. */
gboolean store_setting_get (Store *store, const char *key, GBytes **out, GError **error);
gboolean store_setting_set (Store *store, const char *key, GBytes *value, GError **error);

/* The append-only audit table. record is one JSON object; *seq receives its row number. */
gboolean store_audit_append (Store *store, const char *id, const char *record, gint64 *seq,
                             GError **error);

typedef gboolean (*StoreAuditFunc) (gint64 seq, const char *id, const char *record, gpointer data);
/* Calls fn for each record from the first; stops early when fn returns FALSE. */
gboolean store_audit_foreach (Store *store, StoreAuditFunc fn, gpointer data, GError **error);
gint64 store_audit_count (Store *store, GError **error);

/* Salvage: every record that can still be read, by seq from 1 to the highest the
 * store knows of (its sequence counter, or the highest readable). fn gets each record,
 * or NULL and the reason for a seq that cannot be read (a damaged page) or is not
 * there (pruned, lost). Stops early when fn returns FALSE. */
typedef gboolean (*StoreSalvageFunc) (gint64 seq, const char *record, const char *why, gpointer data);
gboolean store_audit_salvage (Store *store, StoreSalvageFunc fn, gpointer data, GError **error);

/* FALSE with WEIR_ERROR_STORE when the store's file was deleted or replaced since it
 * was opened: a process would write into a file nobody can read again. */
gboolean store_check_file (Store *store, GError **error);

/* A small file beside the store (PATH.chain) that names the store's audit chain and
 * its head after the last commit, so a new chain in a store that went missing knows one
 * was expected, and records lost from the end of the store are noticed. Not secret,
 * and not proof: deleting it with the store leaves no trace on the device (the
 * collector still sees a new device id). Read: NULL when absent, empty or unreadable;
 * caller frees. Written in place (pwrite of one slot), without fsync. */
#define STORE_MARKER_MAX 512
char *store_marker_read (Store *store);
gboolean store_marker_write (Store *store, const char *text, GError **error);

/* Work that must not delay a verdict: a checkpoint once the WAL has grown past 1000
 * pages. Call it after a reply has been sent. TRUE when it ran one. NULL is allowed. */
gboolean store_maintain (Store *store);

/* What `weir store info` shows. */
typedef struct {
  char *name;
  gint64 rows;
} StoreTable;

typedef struct {
  char *path, *key_path;         /* owned: the info outlives the open store */
  const char *cipher;            /* "xchacha20poly1305-ietf" or "none" */
  const char *key_wrap;          /* "key-file", "secret-service" or "none" */
  const char *key_protection;    /* one line for people: what guards the store key */
  int schema_version;
  gint64 page_size, page_count, freelist_count, reserve_bytes;
  gint64 file_bytes, wal_bytes;
  gint64 audit_records;
  gint64 packs;                  /* rows of the packs table; -1 when there is none */
  GPtrArray *tables;             /* StoreTable*, owned */
  /* Files beside the store that grow with the packs: their sealed files (packdata/,
   * which a backup needs) and index files (index/, derived again when missing). */
  gint64 pack_files, pack_file_bytes;
  gint64 index_files, index_file_bytes;
} StoreInfo;

gboolean store_info_get (Store *store, StoreInfo *info, GError **error);  /* clear with store_info_clear */
void store_info_clear (StoreInfo *info);

/* Reads and authenticates every page of the store file and every frame of its WAL,
 * runs SQLite's integrity check, then reads every pack's sealed file (store-packs.h).
 * Tampering: FALSE with WEIR_ERROR_TAMPERED and a message naming the first bad page or
 * file. */
typedef struct {
  guint32 pages;       /* pages of the store file, all authenticated */
  guint32 wal_frames;  /* frames of the current WAL, all authenticated */
  guint32 pack_files;  /* packs' sealed files, all authenticated */
} StoreCheck;

gboolean store_check (Store *store, StoreCheck *out, GError **error);
