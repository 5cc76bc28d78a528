/* audit.h: the audit log: one signed, chained record per verdict and per event worth
 * knowing (docs/audit.md has the format and the reasoning).
 *
 * Records never hold content or matched values. Content is linked across records by
 * a keyed digest (BLAKE2b under a per-device key), which cannot be reversed or
 * checked against a guess without that key. audit_append is the one small interface
 * through which everything is recorded; the helpers below it only build its fields.
 *
 * Every record is signed with Ed25519 by the key of the current epoch and carries the
 * SHA-256 of the record before it. Epoch keys evolve (daily by default): the old key
 * certifies the new one in a "key-epoch" record, then its secret is erased, so a key
 * taken from the device today cannot sign yesterday's records. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>
#include <sodium.h>

#include "sign/sign.h"
#include "store/store.h"

#define AUDIT_FORMAT_VERSION 1
#define AUDIT_EPOCH_DEFAULT_SECONDS (24 * 3600)

typedef struct Audit Audit;

/* store is borrowed and must outlive the Audit. Creates the device id, the digest key
 * and the root signing key (whose public half `weir audit key` exports) on first use,
 * together with the chain's first record. The epoch length is
 * WEIR_AUDIT_EPOCH_SECONDS when set (1 s to 7 days; tests use short epochs), else a day. */
Audit *audit_new (Store *store, GError **error);
void audit_free (Audit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Audit, audit_free)

/* Appends a record built from fields (borrowed; copied after the fields the chain
 * owns: v, seq, id, time, device, user, event; fields of those names are dropped).
 * Commits before returning, so the record survives the process crashing right after.
 * Then ships it to the journal or syslog (audit-ship.h). Returns the record's id;
 * caller frees. */
char *audit_append (Audit *audit, const char *event, const cJSON *fields, GError **error);

/* Pack imports and refusals, for the pack loader: action is "import" or "refuse";
 * source is how the pack came ("cli" for weir pack import, "inbox" for a host's inbox);
 * version, key_id and reason may be NULL. Returns the record id; caller frees. */
char *audit_record_pack (Audit *audit, const char *source, const char *action, const char *pack,
                         const char *version, const char *key_id, const char *reason, GError **error);
/* A policy load: source is the file (or "default"), digest the policy's digest,
 * problem why it fell back to the default (NULL when it did not). */
char *audit_record_policy (Audit *audit, const char *source, const char *digest, const char *problem,
                           GError **error);

/* The device's root public key (epoch 0): what admins pin. */
gboolean audit_root_key (Audit *audit, SignPublicKey *out, GError **error);
const char *audit_device_id (const Audit *audit);
/* For tests: the epoch length in seconds (at least 1). */
void audit_set_epoch_seconds (Audit *audit, gint64 seconds);
/* For tests: the wall clock, in µs since 1970 (NULL: the real one). */
typedef gint64 (*AuditClock) (gpointer data);
void audit_set_clock (Audit *audit, AuditClock clock, gpointer data);

/* Retention (docs/audit.md): what the policy's audit_retention says. */
typedef struct {
  guint max_age_days;       /* records older than this may go; 0: no age limit */
  guint max_mb;             /* the log may hold this much; 0: no size limit */
  gboolean require_export;  /* only records an export has taken (audit_note_export) */
} AuditRetention;

typedef struct {
  gint64 checkpoint;  /* seq of the checkpoint written, 0: none */
  gint64 pruned_to;   /* every record up to it has gone, but key-epoch and checkpoint records */
  gint64 removed;     /* records removed now */
} AuditPruneResult;

/* A checkpoint is written at least every this many records, so verifying from the
 * last one does not slow down with history. */
#define AUDIT_CHECKPOINT_EVERY 10000

/* Applies retention in one transaction: the records the policy lets go are sealed by a
 * signed "checkpoint" record (pruned_to, pruned_head: the SHA-256 of the last removed
 * record, to which the next kept one links) and deleted; key-epoch and checkpoint
 * records stay, so the epoch keys still lead from the root key to the kept records.
 * A checkpoint is also written when AUDIT_CHECKPOINT_EVERY records passed since the
 * last one, or when force_checkpoint. */
gboolean audit_prune (Audit *audit, const AuditRetention *retention, gboolean force_checkpoint,
                      AuditPruneResult *result, GError **error);
/* Records that an export took every record up to seq (retention's "taken"). */
gboolean audit_note_export (Audit *audit, gint64 seq, GError **error);

/* Every stored record, in chain order, as its exact signed line. Caller unrefs. */
GPtrArray *audit_store_lines (Store *store, GError **error);
/* What verifying reads: full, every kept record; else the records from the last
 * checkpoint on, and the key-epoch and checkpoint records before it. */
GPtrArray *audit_store_lines_to_verify (Store *store, gboolean full, GError **error);

/* The keyed content digest, incrementally over several parts (text, HTML, files). */
typedef struct {
  crypto_generichash_state state;
} AuditDigest;

/* audit may be NULL (no store): the digest is then unkeyed and must not be recorded. */
void audit_digest_init (Audit *audit, AuditDigest *digest);
void audit_digest_update (AuditDigest *digest, const void *data, gsize len);
/* Writes 64 hex digits and a NUL into out. */
void audit_digest_finish (AuditDigest *digest, char out[65]);
