/* store-private.h: the Store struct, shared by the files of store/ only (store.c and
 * store-packs.c), so each table's SQL can live in its own file. */
#pragma once

#include <sqlite3.h>

#include "store.h"

struct Store {
  sqlite3 *db;
  sqlite3_stmt *audit_insert;
};

/* Sets error from the connection's last error ("store: WHAT: message"); returns FALSE. */
gboolean store_sql_fail (sqlite3 *db, const char *what, GError **error);
