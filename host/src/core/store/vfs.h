/* vfs.h: the sealing VFS: an SQLite VFS shim over the default one that seals every
 * page of the store and of its WAL with XChaCha20-Poly1305 (IETF, libsodium).
 *
 * On-disk layout (docs/security.md has the why):
 * - Pages are STORE_PAGE_SIZE bytes and SQLite leaves STORE_RESERVE bytes at the end
 *   of each (header offset 20): there the VFS keeps the 24-byte random nonce and the
 *   16-byte tag. Everything before them is ciphertext, except the first 16 bytes of
 *   page 1, which hold the store's salt in place of "SQLite format 3\0".
 * - Associated data binds each page to its store and position: for a page of the
 *   main file "weir-db1" || salt || page number; for a WAL frame "weir-wal" || salt ||
 *   the frame header's page number, commit size and WAL salts.
 * - WAL frame headers stay readable (SQLite needs them to recover), but their running
 *   checksum, computed over plaintext, is masked with a keyed pad.
 * - Temporary files are refused: the store keeps temporary data in memory.
 *
 * A page that fails authentication is never handed to SQLite: the read fails with
 * SQLITE_IOERR_DATA and the VFS remembers the page for the error message. */
#pragma once

#include <glib.h>

#define STORE_PAGE_SIZE 4096
#define STORE_RESERVE 40      /* nonce (24) + tag (16) */
#define STORE_SALT_BYTES 16
#define STORE_KEY_BYTES 32

typedef struct StoreVfs StoreVfs;

/* Registers a VFS under a unique name that seals with key (copied into guarded
 * memory) and salt. Free it only after every connection using it is closed. */
StoreVfs *store_vfs_new (const unsigned char *key, const unsigned char salt[STORE_SALT_BYTES],
                         GError **error);
void store_vfs_free (StoreVfs *vfs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreVfs, store_vfs_free)

/* The StoreVfs behind an sqlite3_vfs (SQLITE_FCNTL_VFS_POINTER), or NULL if it is
 * not one. */
StoreVfs *store_vfs_from_sqlite (void *sqlite_vfs);

/* The name to hand to sqlite3_open_v2. */
const char *store_vfs_name (const StoreVfs *vfs);

/* TRUE once a main file was opened whose salt is not this VFS's: another store. */
gboolean store_vfs_saw_foreign (const StoreVfs *vfs);

/* The last page that failed authentication (0 if none) and whether it was a WAL frame. */
guint32 store_vfs_last_bad_page (const StoreVfs *vfs, gboolean *in_wal);

/* Tests: fn is called (with the page's number) before each pause when a page of a main
 * file failed authentication and is to be read again (vfs.c, settle_pause); NULL: none. */
typedef void (*StoreVfsSettleFunc) (guint32 pgno, gpointer data);
void store_vfs_on_settle (StoreVfsSettleFunc fn, gpointer data);

/* Reads and authenticates every page of the main file at path, outside SQLite.
 * *pages receives the page count and *bad the first page that fails (0: none). A
 * page read while another process writes it is read again before it counts as bad. */
gboolean store_vfs_verify_file (StoreVfs *vfs, const char *path, guint32 *pages, guint32 *bad,
                                GError **error);

/* The same walk in steps, for a host that authenticates its store's file while it
 * waits for requests (store_check_step). NULL with no error: the file does not exist. */
typedef struct StoreVfsWalk StoreVfsWalk;
StoreVfsWalk *store_vfs_walk_new (StoreVfs *vfs, const char *path, GError **error);
/* Authenticates up to max_pages more pages; TRUE when the walk is over, *bad then the
 * first page that failed (0: none). */
gboolean store_vfs_walk_step (StoreVfsWalk *walk, guint32 max_pages, guint32 *bad);
guint32 store_vfs_walk_pages (const StoreVfsWalk *walk);
void store_vfs_walk_free (StoreVfsWalk *walk);

/* Authenticates the frames of the current WAL generation in path (absent: none).
 * A frame that fails but is followed by one that authenticates is tampering (*bad
 * names its page); a failing last frame is a write cut short by a crash. */
gboolean store_vfs_verify_wal (StoreVfs *vfs, const char *path, guint32 *frames, guint32 *bad,
                               GError **error);
