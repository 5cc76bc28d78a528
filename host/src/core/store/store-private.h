/* store-private.h: the Store's insides, shared by the files of store/ only.
 *
 * store.c owns opening, migrating and closing; store-audit.c adds the audit chain's
 * transactional helpers and store-packs.c the packs' tables, on the same connection.
 * Nothing outside store/ includes this. */
#pragma once

#include <sqlite3.h>
#include <sys/types.h>

#include "store.h"
#include "store/vfs.h"

#define STORE_BUSY_TIMEOUT_MS 10000

/* The statements store-audit.c prepares once per connection: an audit record is
 * written on every verdict, and parsing its SQL each time costs as much as signing. */
#define STORE_AUDIT_STATEMENTS 8

struct Store {
  sqlite3 *db;
  sqlite3_stmt *audit_insert;
  sqlite3_stmt *audit_stmts[STORE_AUDIT_STATEMENTS];
  StoreVfs *vfs;      /* NULL only when opened unsealed for the bench */
  char *path;
  char *key_path;
  int key_wrap;       /* StoreKeyWrap (store/keys.h) of the key it was opened with */
  int wal_pages;      /* pages in the WAL after the last commit (the WAL hook) */
  int marker_fd;      /* PATH.chain, written in place; -1 when it cannot be opened */
  dev_t dev;          /* the store file opened: deleted or replaced, it no longer is path */
  ino_t ino;
  StoreVfsWalk *walk; /* STORE_OPEN_DEFER_CHECK: the file's pages still to authenticate */
};

/* SQLite's own automatic checkpoint threshold, kept. */
#define STORE_CHECKPOINT_PAGES 1000

/* Finalizes store-audit.c's statements; store_close calls it. */
void store_audit_finalize (Store *store);

/* Sets error from the connection's last error ("store: WHAT: message"); returns FALSE. */
gboolean store_sql_fail (sqlite3 *db, const char *what, GError **error);
