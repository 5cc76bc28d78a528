/* store-private.h: the Store's insides, shared by the files of store/ only.
 *
 * store.c owns opening, migrating and closing; store-audit.c adds the audit chain's
 * transactional helpers on the same connection. Nothing outside store/ includes this. */
#pragma once

#include <sqlite3.h>

#include "store.h"

#define STORE_BUSY_TIMEOUT_MS 10000

struct Store {
  sqlite3 *db;
  sqlite3_stmt *audit_insert;
};
