#include "audit.h"

#include <string.h>

#include "audit-record.h"
#include "audit-ship.h"
#include "json.h"
#include "store/store-audit.h"
#include "weir-error.h"

#define DIGEST_KEY_BYTES crypto_generichash_KEYBYTES
#define DEVICE_ID_BYTES 16
#define EPOCH_MAX_SECONDS (7 * 24 * 3600)
/* A clock behind the chain's last record by more than this stepped back (or an earlier
 * one ran ahead): the chain records the step and follows the clock again. Smaller
 * steps (NTP slewing, a second's adjustment) are absorbed: the record keeps the
 * chain's time. */
#define CLOCK_STEP_US (60 * G_USEC_PER_SEC)

/* Settings (docs/audit.md). The root public key, base64 of "Ed" | id | pk, and the
 * current epoch: number (8 bytes, little-endian) | start in µs (8, LE) | the secret
 * key blob of sign.h. Only the current epoch's secret is ever stored. */
#define SETTING_ROOT "audit.root_key"
#define SETTING_EPOCH "audit.epoch_key"
#define EPOCH_STATE_BYTES (16 + SIGN_SECRET_BLOB_BYTES)

/* The epoch key in hand; its secret is wiped by epoch_clear. */
typedef struct {
  guint64 number;
  gint64 since_us;
  SignSecretKey *sk;
} Epoch;

/* The chain's head while the write lock is held, and the lines written under it. */
typedef struct {
  gint64 seq;
  gint64 time_us;
  char prev[AUDIT_HASH_HEX];
  GPtrArray *lines;
} Head;

struct Audit {
  Store *store;
  AuditShip *ship;
  char *device_id;
  char *root_key_id;  /* hex, for the chain marker */
  char *user;
  gint64 epoch_us;
  unsigned char *digest_key;  /* sodium_malloc'd */
  /* The current epoch's key stays in hand while the stored epoch is the one it came
   * from: a key read from the store costs guarded allocations (mmap, mprotect) that
   * would double the price of a record. epoch_blob is the stored state it came from,
   * epoch_read scratch to compare with; both sodium_malloc'd. */
  Epoch epoch;
  guint8 *epoch_blob;
  guint8 *epoch_read;
  /* The head after this process's last commit (seq 0: none). While the stored head
   * is still that record, its hash and time need not be read and recomputed. The
   * table is append-only, so a sequence number names one record for good. */
  Head last;
  AuditClock clock;  /* g_get_real_time, or a test's */
  gpointer clock_data;
};

static const char *const reserved_fields[] = { "v", "seq", "id", "time", "device", "user", "event",
                                               "epoch", "key", "prev", "sig", NULL };

void
audit_free (Audit *audit)
{
  if (audit == NULL)
    return;
  audit_ship_free (audit->ship);
  g_free (audit->device_id);
  g_free (audit->root_key_id);
  g_free (audit->user);
  if (audit->digest_key != NULL)
    sodium_free (audit->digest_key);
  g_clear_pointer (&audit->epoch.sk, sign_secret_key_free);
  if (audit->epoch_blob != NULL)
    sodium_free (audit->epoch_blob);
  if (audit->epoch_read != NULL)
    sodium_free (audit->epoch_read);
  g_free (audit);
}

static void
epoch_clear (Epoch *e)
{
  g_clear_pointer (&e->sk, sign_secret_key_free);
}

/* Makes the key in epoch_blob the one in hand, wiping the one before. */
static gboolean
epoch_adopt (Audit *audit, GError **error)
{
  guint64 number, since;
  memcpy (&number, audit->epoch_blob, 8);
  memcpy (&since, audit->epoch_blob + 8, 8);
  epoch_clear (&audit->epoch);
  audit->epoch.number = GUINT64_FROM_LE (number);
  audit->epoch.since_us = (gint64) GUINT64_FROM_LE (since);
  audit->epoch.sk = sign_secret_key_from_bytes (audit->epoch_blob + 16, SIGN_SECRET_BLOB_BYTES, error);
  return audit->epoch.sk != NULL;
}

/* Reads the stored epoch; keeps the key in hand while the stored state is unchanged
 * (another process may have moved to a new epoch since). Lock held. */
static gboolean
epoch_load (Audit *audit, GError **error)
{
  gsize len = 0;
  gboolean ok = store_setting_read (audit->store, SETTING_EPOCH, audit->epoch_read, EPOCH_STATE_BYTES, &len, error);
  if (ok && len != EPOCH_STATE_BYTES)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the audit signing key is missing from the store");
      ok = FALSE;
    }
  gboolean same = ok && audit->epoch.sk != NULL
                  && sodium_memcmp (audit->epoch_read, audit->epoch_blob, EPOCH_STATE_BYTES) == 0;
  if (ok && !same)
    memcpy (audit->epoch_blob, audit->epoch_read, EPOCH_STATE_BYTES);
  sodium_memzero (audit->epoch_read, EPOCH_STATE_BYTES);
  return ok && (same || epoch_adopt (audit, error));
}

/* Stores e as the current epoch, overwriting the previous secret in place, and takes
 * its key in hand (e->sk moves into the Audit). Lock held. */
static gboolean
epoch_store (Audit *audit, Epoch *e, GError **error)
{
  guint8 *blob = audit->epoch_read;
  guint64 number = GUINT64_TO_LE (e->number), since = GUINT64_TO_LE ((guint64) e->since_us);
  memcpy (blob, &number, 8);
  memcpy (blob + 8, &since, 8);
  guint8 *secret = sign_secret_key_to_bytes (e->sk);
  memcpy (blob + 16, secret, SIGN_SECRET_BLOB_BYTES);
  sodium_free (secret);
  gboolean ok = store_setting_write (audit->store, SETTING_EPOCH, blob, EPOCH_STATE_BYTES, error);
  if (ok)
    {
      memcpy (audit->epoch_blob, blob, EPOCH_STATE_BYTES);
      epoch_clear (&audit->epoch);
      audit->epoch = *e;
      e->sk = NULL;
    }
  sodium_memzero (blob, EPOCH_STATE_BYTES);
  return ok;
}

static void
head_clear (Head *head)
{
  g_clear_pointer (&head->lines, g_ptr_array_unref);
}

static gboolean
head_read (Store *store, Head *head, GError **error)
{
  g_autofree char *text = NULL;
  if (!store_audit_head (store, &head->seq, &text, error))
    return FALSE;
  if (text == NULL)
    {
      memcpy (head->prev, AUDIT_GENESIS_PREV, AUDIT_HASH_HEX);
      return TRUE;
    }
  audit_record_hash (text, strlen (text), head->prev);
  g_autoptr (cJSON) record = cJSON_Parse (text);
  const cJSON *time = cJSON_GetObjectItemCaseSensitive (record, "time");
  if (!cJSON_IsString (time) || !audit_time_parse (time->valuestring, &head->time_us))
    head->time_us = 0;
  return TRUE;
}

/* The head, from what this process last committed when nobody wrote since. Lock held. */
static gboolean
head_load (Audit *audit, Head *head, GError **error)
{
  gint64 seq = 0;
  head->lines = g_ptr_array_new_with_free_func (g_free);
  head->time_us = 0;
  if (!store_audit_head_seq (audit->store, &seq, error))
    return FALSE;
  if (seq == 0 || seq != audit->last.seq)
    return head_read (audit->store, head, error);
  head->seq = seq;
  head->time_us = audit->last.time_us;
  memcpy (head->prev, audit->last.prev, AUDIT_HASH_HEX);
  return TRUE;
}

/* After a commit: remember the head. After a failure: forget it. */
static void
head_remember (Audit *audit, const Head *head, gboolean committed)
{
  audit->last.seq = committed ? head->seq : 0;
  audit->last.time_us = head->time_us;
  memcpy (audit->last.prev, head->prev, AUDIT_HASH_HEX);
}

static char *
new_record_id (void)
{
  unsigned char raw[12];
  char hex[sizeof raw * 2 + 1];
  randombytes_buf (raw, sizeof raw);
  sodium_bin2hex (hex, sizeof hex, raw, sizeof raw);
  return g_strdup (hex);
}

/* The fixed field order of audit-record.h, then the event's own fields. */
static cJSON *
record_build (Audit *audit, const Head *head, const Epoch *e, const char *event, const cJSON *fields,
              const char *id, gint64 now_us)
{
  g_autofree char *time = audit_time_format (now_us);
  g_autofree char *key = sign_key_id_hex (sign_secret_key_id (e->sk));
  cJSON *record = cJSON_CreateObject ();
  cJSON_AddNumberToObject (record, "v", AUDIT_FORMAT_VERSION);
  cJSON_AddNumberToObject (record, "seq", (double) (head->seq + 1));
  cJSON_AddStringToObject (record, "id", id);
  cJSON_AddStringToObject (record, "time", time);
  cJSON_AddStringToObject (record, "device", audit->device_id);
  cJSON_AddStringToObject (record, "user", audit->user);
  cJSON_AddStringToObject (record, "event", event);
  const cJSON *field;
  cJSON_ArrayForEach (field, fields)
    if (field->string != NULL && !g_strv_contains (reserved_fields, field->string))
      cJSON_AddItemToObject (record, field->string, cJSON_Duplicate (field, TRUE));
  cJSON_AddNumberToObject (record, "epoch", (double) e->number);
  cJSON_AddStringToObject (record, "key", key);
  cJSON_AddStringToObject (record, "prev", head->prev);
  return record;
}

/* Signs and inserts one record at head + 1 and moves the head. Lock held. */
static gboolean
record_write (Audit *audit, Head *head, const Epoch *e, const char *event, const cJSON *fields,
              gint64 now_us, char **id_out, GError **error)
{
  g_autofree char *id = new_record_id ();
  g_autoptr (cJSON) record = record_build (audit, head, e, event, fields, id, now_us);
  g_autofree char *text = cJSON_PrintUnformatted (record);
  g_assert (text != NULL);
  char *line = audit_record_seal (e->sk, text);
  if (!store_audit_insert (audit->store, head->seq + 1, id, event, line, error))
    {
      g_free (line);
      return FALSE;
    }
  head->seq++;
  head->time_us = now_us;
  audit_record_hash (line, strlen (line), head->prev);
  g_ptr_array_add (head->lines, line);
  if (id_out != NULL)
    *id_out = g_steal_pointer (&id);
  return TRUE;
}

static cJSON *
key_epoch_fields (guint64 number, const SignPublicKey *pk)
{
  g_autofree char *text = audit_public_key_encode (pk);
  cJSON *fields = cJSON_CreateObject ();
  cJSON_AddNumberToObject (fields, "next_epoch", (double) number);
  cJSON_AddStringToObject (fields, "next_key", text);
  return fields;
}

/* The old key certifies the new one in the chain, then the new epoch overwrites the
 * old secret in the store and the old key leaves memory. Lock held. */
static gboolean
epoch_rotate (Audit *audit, Head *head, gint64 now_us, GError **error)
{
  SignPublicKey pk;
  Epoch next = { audit->epoch.number + 1, now_us, sign_secret_key_generate (&pk) };
  g_autoptr (cJSON) fields = key_epoch_fields (next.number, &pk);
  if (now_us < head->time_us)
    {
      /* The clock is behind the chain: this record says so, and a new epoch starts at
       * the clock's time, so later records follow the clock and rotate on schedule. */
      g_autofree char *from = audit_time_format (head->time_us);
      cJSON_AddStringToObject (fields, "clock_back_from", from);
    }
  gboolean ok = record_write (audit, head, &audit->epoch, "key-epoch", fields, now_us, NULL, error)
                && epoch_store (audit, &next, error);
  epoch_clear (&next);
  return ok;
}

/* The first record says whether a chain was expected here: the store's marker
 * (store_marker_read) names the chain that was there before, so a store deleted or
 * lost with its key kept does not start a new chain silently. */
static void
chain_origin_fields (Audit *audit, cJSON *fields)
{
  g_autofree char *text = store_marker_read (audit->store);
  g_autoptr (cJSON) marker = text ? cJSON_Parse (text) : NULL;
  const cJSON *device = cJSON_GetObjectItemCaseSensitive (marker, "device");
  const cJSON *key = cJSON_GetObjectItemCaseSensitive (marker, "root_key");
  if (text == NULL)
    {
      cJSON_AddStringToObject (fields, "chain", "new");
      return;
    }
  cJSON_AddStringToObject (fields, "chain", "restart");
  if (cJSON_IsString (device) && strlen (device->valuestring) <= 64)
    cJSON_AddStringToObject (fields, "previous_device", device->valuestring);
  if (cJSON_IsString (key) && strlen (key->valuestring) <= 64)
    cJSON_AddStringToObject (fields, "previous_key", key->valuestring);
  cJSON_AddStringToObject (fields, "detail", "a previous audit chain was expected here (its marker is "
                                             "beside the store): the store was deleted, replaced or lost");
}

/* The marker names this store's chain and its head after the last commit: records
 * that vanish from the end of the store (a damaged last WAL frame reads as a torn
 * write; a power loss drops commits not yet synced) leave the marker ahead of the
 * store. Best effort: a read-only folder has no marker. Written after the commit, so
 * a crash never makes it claim a record that was not committed; two writers racing
 * may leave it one behind, which only weakens the check until the next record. */
static void
chain_mark (Audit *audit, gint64 seq, const char *head_hash)
{
  char text[STORE_MARKER_MAX];
  g_snprintf (text, sizeof text, "{\"device\":\"%s\",\"root_key\":\"%s\",\"head_seq\":%" G_GINT64_FORMAT
              ",\"head\":\"%s\"}", audit->device_id, audit->root_key_id, seq, head_hash);
  g_autoptr (GError) error = NULL;
  if (!store_marker_write (audit->store, text, &error))
    g_debug ("audit: %s", error->message);
}

/* After a start: the marker ahead of the store means committed records are gone. One
 * audit-gap record says which, then the marker follows the store again. */
static void
chain_check_marker (Audit *audit)
{
  g_autofree char *text = store_marker_read (audit->store);
  g_autoptr (cJSON) marker = text ? cJSON_Parse (text) : NULL;
  const cJSON *device = cJSON_GetObjectItemCaseSensitive (marker, "device");
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive (marker, "head_seq");
  Head head = { 0 };
  gboolean ok = store_audit_begin (audit->store, NULL) && head_read (audit->store, &head, NULL);
  store_audit_rollback (audit->store);
  if (!ok)
    return;
  if (!cJSON_IsString (device) || strcmp (device->valuestring, audit->device_id) != 0 || !cJSON_IsNumber (seq)
      || seq->valuedouble <= (double) head.seq || seq->valuedouble > 9007199254740992.0)
    {
      chain_mark (audit, head.seq, head.prev);
      return;
    }
  gint64 lost_to = (gint64) seq->valuedouble;
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddNumberToObject (fields, "count", (double) (lost_to - head.seq));
  cJSON_AddNumberToObject (fields, "lost_from", (double) (head.seq + 1));
  cJSON_AddNumberToObject (fields, "lost_to", (double) lost_to);
  cJSON_AddStringToObject (fields, "detail", "records committed to the store are missing from its end (the "
                                             "marker beside it had reached them): the end of its log was "
                                             "damaged, or lost to a power failure; the numbers are used again");
  g_autoptr (GError) error = NULL;
  g_autofree char *id = audit_append (audit, "audit-gap", fields, &error);
  if (id == NULL)
    g_warning ("audit: records %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " are missing from the store, and "
               "recording it failed: %s", head.seq + 1, lost_to, error->message);
}

/* On a store without a chain: the root key (epoch 0) and the chain's first record, a
 * key-epoch record by which the root key introduces itself. Lock held. */
static gboolean
chain_start (Audit *audit, Head *head, GError **error)
{
  char root[128];
  gsize len = 0;
  if (!store_setting_read (audit->store, SETTING_ROOT, (guint8 *) root, sizeof root, &len, error)
      || !head_load (audit, head, error))
    return FALSE;
  if (len > 0)
    return TRUE;
  SignPublicKey pk;
  gint64 now = MAX (audit->clock (audit->clock_data), head->time_us);
  Epoch e = { 0, now, sign_secret_key_generate (&pk) };
  g_autofree char *text = audit_public_key_encode (&pk);
  g_autoptr (cJSON) fields = key_epoch_fields (0, &pk);
  chain_origin_fields (audit, fields);
  gboolean ok = store_setting_write (audit->store, SETTING_ROOT, (const guint8 *) text, strlen (text), error)
                && epoch_store (audit, &e, error)
                && record_write (audit, head, &audit->epoch, "key-epoch", fields, now, NULL, error);
  epoch_clear (&e);
  return ok;
}

static void
ship_lines (Audit *audit, const Head *head)
{
  for (guint i = 0; head->lines != NULL && i < head->lines->len; i++)
    audit_ship_send (audit->ship, head->lines->pdata[i]);
}

char *
audit_append (Audit *audit, const char *event, const cJSON *fields, GError **error)
{
  Head head = { 0 };
  g_autofree char *id = NULL;
  gboolean rotated = FALSE;
  gboolean ok = store_audit_begin (audit->store, error) && head_load (audit, &head, error)
                && epoch_load (audit, error);
  /* Time never runs backwards along the chain for a small step of the clock. A large
   * one (a clock that ran ahead, then was put right) is recorded, with a new epoch
   * from the clock's time: else every later record would keep the future time, and
   * the key would not evolve until the clock caught up. */
  gint64 clock = audit->clock (audit->clock_data);
  gboolean stepped = ok && head.time_us - clock > CLOCK_STEP_US;
  gint64 now = stepped ? clock : MAX (clock, head.time_us);
  if (ok && (stepped || now - audit->epoch.since_us >= audit->epoch_us))
    ok = rotated = epoch_rotate (audit, &head, now, error);
  ok = ok && record_write (audit, &head, &audit->epoch, event, fields, now, &id, error)
       && store_audit_commit (audit->store, error);
  head_remember (audit, &head, ok);
  if (!ok)
    {
      store_audit_rollback (audit->store);
      head_clear (&head);
      return NULL;
    }
  chain_mark (audit, head.seq, head.prev);
  if (rotated)
    store_wal_truncate (audit->store);
  ship_lines (audit, &head);
  head_clear (&head);
  return g_steal_pointer (&id);
}

/* ---- retention ---- */

#define SETTING_PRUNED_TO "audit.pruned_to"
#define SETTING_EXPORTED "audit.exported_seq"

/* An integer setting, stored as decimal text (the delete trigger reads it with CAST). */
static gboolean
int_setting_read (Store *store, const char *key, gint64 *out, GError **error)
{
  char text[24];
  gsize len = 0;
  *out = 0;
  if (!store_setting_read (store, key, (guint8 *) text, sizeof text - 1, &len, error))
    return FALSE;
  text[len] = '\0';
  *out = g_ascii_strtoll (text, NULL, 10);
  return TRUE;
}

static gboolean
int_setting_write (Store *store, const char *key, gint64 value, GError **error)
{
  char text[24];
  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, value);
  return store_setting_write (store, key, (const guint8 *) text, strlen (text), error);
}

gboolean
audit_note_export (Audit *audit, gint64 seq, GError **error)
{
  gint64 was = 0;
  gboolean ok = store_audit_begin (audit->store, error) && int_setting_read (audit->store, SETTING_EXPORTED, &was, error)
                && (seq <= was || int_setting_write (audit->store, SETTING_EXPORTED, seq, error))
                && store_audit_commit (audit->store, error);
  if (!ok)
    store_audit_rollback (audit->store);
  return ok;
}

/* Which records may go: by age and size, up to what was exported unless the policy
 * prunes regardless, and never the head. Lock held. */
static gboolean
prune_bound (Audit *audit, const AuditRetention *r, const Head *head, gint64 pruned_to, gint64 now,
             gint64 *through, GError **error)
{
  gint64 exported = 0;
  g_autofree char *cutoff = r->max_age_days > 0 ? audit_time_format (now - (gint64) r->max_age_days * 86400
                                                                                * G_USEC_PER_SEC) : NULL;
  if (!store_audit_prune_bound (audit->store, pruned_to, cutoff, (gint64) r->max_mb * 1024 * 1024, through, error)
      || !int_setting_read (audit->store, SETTING_EXPORTED, &exported, error))
    return FALSE;
  if (r->require_export)
    *through = MIN (*through, exported);
  *through = MIN (*through, head->seq - 1);
  return TRUE;
}

/* The SHA-256 of record through, to which the first kept record after it links: from
 * the record while it is there, else (pruned before) from the last checkpoint. Lock held. */
static gboolean
pruned_head (Audit *audit, gint64 through, gint64 last_cp, char hash[AUDIT_HASH_HEX], GError **error)
{
  g_autofree char *line = NULL, *cp = NULL;
  memcpy (hash, AUDIT_GENESIS_PREV, AUDIT_HASH_HEX);
  if (through == 0)
    return TRUE;
  if (!store_audit_record (audit->store, through, &line, error))
    return FALSE;
  if (line != NULL)
    {
      audit_record_hash (line, strlen (line), hash);
      return TRUE;
    }
  if (!store_audit_record (audit->store, last_cp, &cp, error))
    return FALSE;
  g_autoptr (cJSON) json = cp ? cJSON_Parse (cp) : NULL;
  const cJSON *was = cJSON_GetObjectItemCaseSensitive (json, "pruned_head");
  if (!cJSON_IsString (was) || strlen (was->valuestring) != AUDIT_HASH_HEX - 1)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "audit: record %" G_GINT64_FORMAT " was pruned, and no "
                   "checkpoint says what it was", through);
      return FALSE;
    }
  memcpy (hash, was->valuestring, AUDIT_HASH_HEX);
  return TRUE;
}

/* One transaction: the checkpoint record, and the records it seals deleted (the
 * database allows it only up to audit.pruned_to, written here). Lock held. */
static gboolean
prune_locked (Audit *audit, const AuditRetention *r, gboolean force_checkpoint, Head *head,
              AuditPruneResult *result, GError **error)
{
  gint64 pruned_to = 0, through = 0, last_cp = 0, removed = 0;
  gint64 now = MAX (audit->clock (audit->clock_data), head->time_us);
  char hash[AUDIT_HASH_HEX];
  if (!int_setting_read (audit->store, SETTING_PRUNED_TO, &pruned_to, error)
      || !store_audit_last_event (audit->store, "checkpoint", &last_cp, error)
      || !prune_bound (audit, r, head, pruned_to, now, &through, error))
    return FALSE;
  gboolean prune = through > pruned_to;
  if (!prune && !force_checkpoint && head->seq - last_cp < AUDIT_CHECKPOINT_EVERY)
    return TRUE;
  through = MAX (through, pruned_to);
  if (!pruned_head (audit, through, last_cp, hash, error)
      || (now - audit->epoch.since_us >= audit->epoch_us && !epoch_rotate (audit, head, now, error))
      || !int_setting_write (audit->store, SETTING_PRUNED_TO, through, error)
      || (prune && !store_audit_prune (audit->store, pruned_to, through, &removed, error)))
    return FALSE;
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddNumberToObject (fields, "pruned_to", (double) through);
  cJSON_AddStringToObject (fields, "pruned_head", hash);
  cJSON_AddNumberToObject (fields, "pruned", (double) removed);
  result->checkpoint = head->seq + 1;
  result->pruned_to = through;
  result->removed = removed;
  return record_write (audit, head, &audit->epoch, "checkpoint", fields, now, NULL, error);
}

gboolean
audit_prune (Audit *audit, const AuditRetention *retention, gboolean force_checkpoint, AuditPruneResult *result,
             GError **error)
{
  Head head = { 0 };
  memset (result, 0, sizeof *result);
  gboolean ok = store_audit_begin (audit->store, error) && head_load (audit, &head, error)
                && epoch_load (audit, error)
                && prune_locked (audit, retention, force_checkpoint, &head, result, error)
                && store_audit_commit (audit->store, error);
  head_remember (audit, &head, ok);
  if (!ok)
    {
      store_audit_rollback (audit->store);
      head_clear (&head);
      memset (result, 0, sizeof *result);
      return FALSE;
    }
  if (result->checkpoint != 0)
    chain_mark (audit, head.seq, head.prev);
  ship_lines (audit, &head);
  head_clear (&head);
  return TRUE;
}

/* Reads a random setting of n bytes into out, creating it on first use. Lock held. */
static gboolean
random_setting (Store *store, const char *key, unsigned char *out, gsize n, GError **error)
{
  gsize len = 0;
  if (!store_setting_read (store, key, out, n, &len, error))
    return FALSE;
  if (len == n)
    return TRUE;
  randombytes_buf (out, n);
  return store_setting_write (store, key, out, n, error);
}

static gint64
epoch_seconds_from_env (void)
{
  const char *text = g_getenv ("WEIR_AUDIT_EPOCH_SECONDS");
  guint64 seconds = 0;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, EPOCH_MAX_SECONDS, &seconds, NULL))
    return AUDIT_EPOCH_DEFAULT_SECONDS;
  return (gint64) seconds;
}

/* Device id, digest key and chain start under one write lock: two processes starting
 * at once on a new store must not each create their own. */
static gboolean
audit_init_store (Audit *audit, Head *head, GError **error)
{
  unsigned char device[DEVICE_ID_BYTES];
  if (!store_audit_prepare (audit->store, error) || !store_audit_begin (audit->store, error))
    return FALSE;
  gboolean ok = random_setting (audit->store, "audit.digest_key", audit->digest_key, DIGEST_KEY_BYTES, error)
                && random_setting (audit->store, "device.id", device, sizeof device, error);
  if (ok)
    {
      audit->device_id = g_malloc (sizeof device * 2 + 1);
      sodium_bin2hex (audit->device_id, sizeof device * 2 + 1, device, sizeof device);
    }
  ok = ok && chain_start (audit, head, error) && store_audit_commit (audit->store, error);
  head_remember (audit, head, ok);
  if (!ok)
    store_audit_rollback (audit->store);
  return ok;
}

static gint64
real_clock (gpointer data)
{
  return g_get_real_time ();
}

void
audit_set_clock (Audit *audit, AuditClock clock, gpointer data)
{
  audit->clock = clock != NULL ? clock : real_clock;
  audit->clock_data = data;
}

Audit *
audit_new (Store *store, GError **error)
{
  if (!sign_init (error))
    return NULL;
  g_autoptr (Audit) audit = g_new0 (Audit, 1);
  audit->store = store;
  audit->clock = real_clock;
  audit->user = g_strdup (g_get_user_name ());
  audit->epoch_us = epoch_seconds_from_env () * G_USEC_PER_SEC;
  audit->ship = audit_ship_new ();
  audit->digest_key = sodium_malloc (DIGEST_KEY_BYTES);
  audit->epoch_blob = sodium_malloc (EPOCH_STATE_BYTES);
  audit->epoch_read = sodium_malloc (EPOCH_STATE_BYTES);
  g_assert (audit->digest_key != NULL && audit->epoch_blob != NULL && audit->epoch_read != NULL);
  Head head = { 0 };
  SignPublicKey root;
  gboolean ok = audit_init_store (audit, &head, error);
  if (ok)
    {
      ship_lines (audit, &head);
      ok = audit_root_key (audit, &root, error);
    }
  if (ok)
    {
      audit->root_key_id = sign_key_id_hex (root.id);
      chain_check_marker (audit);
    }
  head_clear (&head);
  return ok ? g_steal_pointer (&audit) : NULL;
}

void
audit_set_epoch_seconds (Audit *audit, gint64 seconds)
{
  audit->epoch_us = MAX (seconds, 1) * G_USEC_PER_SEC;
}

const char *
audit_device_id (const Audit *audit)
{
  return audit->device_id;
}

gboolean
audit_root_key (Audit *audit, SignPublicKey *out, GError **error)
{
  char root[128];
  gsize len = 0;
  if (!store_setting_read (audit->store, SETTING_ROOT, (guint8 *) root, sizeof root - 1, &len, error))
    return FALSE;
  root[len] = '\0';
  if (!audit_public_key_decode (root, out))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the audit root key in the store is damaged");
      return FALSE;
    }
  return TRUE;
}

char *
audit_record_pack (Audit *audit, const char *source, const char *action, const char *pack,
                   const char *version, const char *key_id, const char *reason, GError **error)
{
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddStringToObject (fields, "source", source);
  cJSON_AddStringToObject (fields, "pack", pack);
  if (version != NULL)
    cJSON_AddStringToObject (fields, "pack_version", version);
  if (key_id != NULL)
    cJSON_AddStringToObject (fields, "signer", key_id);
  if (reason != NULL)
    cJSON_AddStringToObject (fields, "reason", reason);
  const char *event = g_strcmp0 (action, "import") == 0 ? "pack-import" : "pack-refuse";
  return audit_append (audit, event, fields, error);
}

char *
audit_record_policy (Audit *audit, const char *source, const char *digest, const char *problem,
                     GError **error)
{
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddStringToObject (fields, "source", source);
  cJSON_AddStringToObject (fields, "policy", digest);
  if (problem != NULL)
    cJSON_AddStringToObject (fields, "problem", problem);
  return audit_append (audit, "policy-load", fields, error);
}

static gboolean
collect_line (gint64 seq, const char *id, const char *record, gpointer data);

GPtrArray *
audit_store_lines_to_verify (Store *store, gboolean full, GError **error)
{
  gint64 from = 1;
  if (full)
    return audit_store_lines (store, error);  /* a plain scan: no sort of the whole log */
  if (!store_audit_last_event (store, "checkpoint", &from, error))
    return NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  if (!store_audit_lines_from (store, MAX (from, 1), collect_line, lines, error))
    return NULL;
  return g_steal_pointer (&lines);
}

static gboolean
collect_line (gint64 seq, const char *id, const char *record, gpointer data)
{
  g_ptr_array_add (data, g_strdup (record));
  return TRUE;
}

GPtrArray *
audit_store_lines (Store *store, GError **error)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  if (!store_audit_foreach (store, collect_line, lines, error))
    return NULL;
  return g_steal_pointer (&lines);
}

void
audit_digest_init (Audit *audit, AuditDigest *digest)
{
  /* Without an audit log (the store is unavailable) the digest is computed unkeyed
   * and never recorded. */
  crypto_generichash_init (&digest->state, audit ? audit->digest_key : NULL,
                           audit ? DIGEST_KEY_BYTES : 0, 32);
}

void
audit_digest_update (AuditDigest *digest, const void *data, gsize len)
{
  crypto_generichash_update (&digest->state, data, len);
}

void
audit_digest_finish (AuditDigest *digest, char out[65])
{
  unsigned char raw[32];
  crypto_generichash_final (&digest->state, raw, sizeof raw);
  sodium_bin2hex (out, 65, raw, sizeof raw);
}
