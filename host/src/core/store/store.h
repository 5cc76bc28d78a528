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

/* ---- the audit chain (store-audit.c) ----
 * Appending to a hash chain from several processes: store_audit_begin takes SQLite's
 * write lock (BEGIN IMMEDIATE) before the head is read, so two appenders never link
 * to the same head. Every call between begin and commit/rollback runs inside it. */

/* Turns on secure_delete for this connection: freed pages (an erased epoch secret)
 * are overwritten with zeros instead of lingering in the file. */
gboolean store_audit_prepare (Store *store, GError **error);
gboolean store_audit_begin (Store *store, GError **error);
gboolean store_audit_commit (Store *store, GError **error);
/* Safe to call when no transaction is open. */
void store_audit_rollback (Store *store);
/* The last record: *seq 0 and *record NULL when the log is empty. Caller frees *record. */
gboolean store_audit_head (Store *store, gint64 *seq, char **record, GError **error);
/* Only the last record's sequence number (0 when the log is empty). */
gboolean store_audit_head_seq (Store *store, gint64 *seq, GError **error);
/* Inserts a record at an explicit sequence number (the chain's own, head + 1). */
gboolean store_audit_insert (Store *store, gint64 seq, const char *id, const char *record,
                             GError **error);
/* Reads a setting into out (cap bytes) without a heap copy, for secrets: *len is the
 * stored size (0 when absent). Fails when the value is larger than cap. */
gboolean store_setting_read (Store *store, const char *key, guint8 *out, gsize cap, gsize *len,
                             GError **error);
gboolean store_setting_write (Store *store, const char *key, const guint8 *value, gsize len,
                              GError **error);
/* Best effort: checkpoints the WAL and truncates it to zero bytes, so old page images
 * (an erased secret) leave the WAL file. Never waits for other connections. */
void store_wal_truncate (Store *store);
