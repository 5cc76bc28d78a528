/* state.h: the store, opened in one place for every front end: the host's context,
 * weir audit, weir store. The file's name is paths.h's (paths_store_file); the state
 * folder is made 0700 here and the store file 0600 by store.c, which also serialises
 * opens between Weir processes. */
#pragma once

#include <glib.h>

#include "audit/audit.h"
#include "store/store.h"

/* The store of the state folder, created when absent. */
Store *state_open_store (GError **error);

/* The store with damaged pages allowed, for weir audit export --salvage: nothing is
 * created or written. */
Store *state_open_store_salvage (GError **error);
/* The state folder's store, read-only when it exists: nothing is written to it (no
 * migration, no record, no checkpoint), so it works on a full disk
 * (STORE_OPEN_READ_ONLY). Without a store yet, a new one is made (state_open_store). */
Store *state_open_read_only (GError **error);

/* The same for reading the audit log (weir audit export, verify): a store whose audit
 * log has not started yet gets it started, as before. */
Store *state_open_audit_read_only (GError **error);

/* The store and its audit log, both or neither. Free the audit log before the store.
 * flags: STORE_OPEN_DEFAULT, or STORE_OPEN_DEFER_CHECK for the host. */
gboolean state_open_audit (Store **store, Audit **audit, StoreOpenFlags flags, GError **error);

/* Rewraps the store key of the state folder's store (store_rewrap_key). */
gboolean state_rewrap_store_key (gboolean to_keyring, GError **error);

/* What the state folder's store holds (weir store info), read-only; clear info with
 * store_info_clear. */
gboolean state_store_info (StoreInfo *info, GError **error);

/* Reads (read-only) and authenticates every page of the state folder's store and its WAL, then
 * checks its structure (weir store check); WEIR_ERROR_TAMPERED names the first bad page. */
gboolean state_store_check (StoreCheck *check, GError **error);
