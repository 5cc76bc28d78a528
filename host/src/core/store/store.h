/* store.h: the endpoint's one SQLite store. The only module that includes sqlite3.h.
 *
 * Several processes (one host per browser profile, the CLI) share one store: WAL
 * journal and a busy timeout, so writers wait instead of failing. */
#pragma once

#include <glib.h>

typedef struct Store Store;

/* Opens (creating and migrating as needed) the store at path. */
Store *store_open (const char *path, GError **error);
void store_close (Store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_close)

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
