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

/* The record whose id is id (*record NULL when there is none; caller frees). */
gboolean store_audit_find (Store *store, const char *id, char **record, GError **error);
/* Whether a record of event names ref in its "ref" field (a decision for a verdict). */
gboolean store_audit_find_ref (Store *store, const char *event, const char *ref, gboolean *found,
                               GError **error);
