/* audit.h: the audit log: one record per verdict and per event worth knowing.
 *
 * Records never hold content or matched values. Content is linked across records by
 * a keyed digest (BLAKE2b under a per-device key), which cannot be reversed or
 * checked against a guess without that key. This is the one small interface through
 * which everything is recorded. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>
#include <sodium.h>

#include "store/store.h"

typedef struct Audit Audit;

/* store is borrowed and must outlive the Audit. Creates the device id and digest key
 * on first use. */
Audit *audit_new (Store *store, GError **error);
void audit_free (Audit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Audit, audit_free)

/* Appends a record built from fields (borrowed; copied, with "id", "time", "device"
 * and "user" added). Returns the record's id; caller frees. */
char *audit_append (Audit *audit, const char *event, const cJSON *fields, GError **error);

/* The keyed content digest, incrementally over several parts (text, HTML, files). */
typedef struct {
  crypto_generichash_state state;
} AuditDigest;

/* audit may be NULL (no store): an unkeyed digest, for callers that feed it anyway. */
void audit_digest_init (Audit *audit, AuditDigest *digest);
void audit_digest_update (AuditDigest *digest, const void *data, gsize len);
/* Writes 64 hex digits and a NUL into out. */
void audit_digest_finish (AuditDigest *digest, char out[65]);

const char *audit_device_id (const Audit *audit);
