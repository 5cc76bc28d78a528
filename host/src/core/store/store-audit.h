/* store-audit.h: what the audit log (audit/audit.c) needs of the store beyond
 * store.h: the chain's transaction, its head, explicit inserts, and settings read and
 * written without a heap copy (secrets). Implemented in store-audit.c. */
#pragma once

#include <glib.h>

#include "store.h"

/* Appending to a hash chain from several processes: store_audit_begin takes SQLite's
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
/* Inserts a record at an explicit sequence number (the chain's own, head + 1); event
 * is its "event" field, kept in a column of its own. */
gboolean store_audit_insert (Store *store, gint64 seq, const char *id, const char *event, const char *record,
                             GError **error);
/* The record at seq (*record NULL when there is none). Caller frees. */
gboolean store_audit_record (Store *store, gint64 seq, char **record, GError **error);
/* The last record of an event kept for good ("key-epoch" or "checkpoint"); 0: none. */
gboolean store_audit_last_event (Store *store, const char *event, gint64 *seq, GError **error);

/* Retention (audit.c decides; docs/audit.md). The last seq past after that may go: by
 * age (the oldest records dated before older_than, an audit time string; NULL: no age
 * limit) or by size (the store's used pages over max_bytes; 0: no size limit, else the
 * oldest go until 90 % of it is left). *seq 0: nothing. */
gboolean store_audit_prune_bound (Store *store, gint64 after, const char *older_than, gint64 max_bytes,
                                  gint64 *seq, GError **error);
/* Deletes the records after < seq <= through, except key-epoch and checkpoint records.
 * The database refuses it unless the setting audit.pruned_to, written in the same
 * transaction, is at least through. */
gboolean store_audit_prune (Store *store, gint64 after, gint64 through, gint64 *removed, GError **error);
/* The records from seq from on, and the key-epoch and checkpoint records before it, in
 * chain order: what verifying from a checkpoint reads. */
gboolean store_audit_lines_from (Store *store, gint64 from, StoreAuditFunc fn, gpointer data, GError **error);
/* Reads a setting into out (cap bytes) without a heap copy, for secrets: *len is the
 * stored size (0 when absent). Fails when the value is larger than cap. */
gboolean store_setting_read (Store *store, const char *key, guint8 *out, gsize cap, gsize *len,
                             GError **error);
gboolean store_setting_write (Store *store, const char *key, const guint8 *value, gsize len,
                              GError **error);
/* Best effort: checkpoints the WAL and truncates it to zero bytes, so old page images
 * (an erased secret) leave the WAL file. Never waits for other connections. */
void store_wal_truncate (Store *store);
