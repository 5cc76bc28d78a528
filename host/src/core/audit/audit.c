#include "audit.h"

#include <string.h>

#include "weir-error.h"

#define DIGEST_KEY_BYTES crypto_generichash_KEYBYTES

struct Audit {
  Store *store;
  char *device_id;
  char *user;
  unsigned char *digest_key;  /* sodium_malloc'd */
};

void
audit_free (Audit *audit)
{
  if (audit == NULL)
    return;
  g_free (audit->device_id);
  g_free (audit->user);
  if (audit->digest_key != NULL)
    sodium_free (audit->digest_key);
  g_free (audit);
}

/* Reads a random setting of n bytes, creating it on first use. Into out (n bytes). */
static gboolean
random_setting (Store *store, const char *key, unsigned char *out, gsize n, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  if (!store_setting_get (store, key, &bytes, error))
    return FALSE;
  if (bytes != NULL && g_bytes_get_size (bytes) == n)
    {
      memcpy (out, g_bytes_get_data (bytes, NULL), n);
      return TRUE;
    }
  randombytes_buf (out, n);
  g_autoptr (GBytes) fresh = g_bytes_new (out, n);
  return store_setting_set (store, key, fresh, error);
}

Audit *
audit_new (Store *store, GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "libsodium failed to start");
      return NULL;
    }
  g_autoptr (Audit) audit = g_new0 (Audit, 1);
  audit->store = store;
  audit->user = g_strdup (g_get_user_name ());
  audit->digest_key = sodium_malloc (DIGEST_KEY_BYTES);
  unsigned char device[16];
  if (audit->digest_key == NULL
      || !random_setting (store, "audit.digest_key", audit->digest_key, DIGEST_KEY_BYTES, error)
      || !random_setting (store, "device.id", device, sizeof device, error))
    return NULL;
  audit->device_id = g_malloc (sizeof device * 2 + 1);
  sodium_bin2hex (audit->device_id, sizeof device * 2 + 1, device, sizeof device);
  return g_steal_pointer (&audit);
}

const char *
audit_device_id (const Audit *audit)
{
  return audit->device_id;
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

char *
audit_append (Audit *audit, const char *event, const cJSON *fields, GError **error)
{
  g_autofree char *id = new_record_id ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format_iso8601 (now);
  cJSON *record = fields ? cJSON_Duplicate (fields, TRUE) : cJSON_CreateObject ();
  cJSON_AddStringToObject (record, "id", id);
  cJSON_AddStringToObject (record, "time", time);
  cJSON_AddStringToObject (record, "device", audit->device_id);
  cJSON_AddStringToObject (record, "user", audit->user);
  cJSON_AddStringToObject (record, "event", event);
  g_autofree char *text = cJSON_PrintUnformatted (record);
  cJSON_Delete (record);
  if (!store_audit_append (audit->store, id, text, NULL, error))
    return NULL;
  return g_steal_pointer (&id);
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
