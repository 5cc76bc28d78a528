#include "audit-record.h"

#include <string.h>

#define PUBLIC_BLOB_BYTES (2 + SIGN_KEY_ID_BYTES + crypto_sign_PUBLICKEYBYTES)

char *
audit_record_seal (const SignSecretKey *sk, const char *unsigned_text)
{
  gsize len = strlen (unsigned_text);
  g_assert (len >= 2 && unsigned_text[len - 1] == '}');
  guint8 sig[SIGN_BYTES];
  char b64[AUDIT_SIG_B64_CHARS + 1];
  sign_detached (sk, (const guint8 *) unsigned_text, len, sig);
  sodium_bin2base64 (b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
  return g_strdup_printf ("%.*s%s%s\"}", (int) (len - 1), unsigned_text, AUDIT_SIG_FIELD, b64);
}

gboolean
audit_record_open (const char *line, gsize len, char **msg, gsize *msg_len, guint8 sig[SIGN_BYTES])
{
  const gsize field = strlen (AUDIT_SIG_FIELD);
  const gsize tail = field + AUDIT_SIG_B64_CHARS + 2;  /* ,"sig":"…"} */
  *msg = NULL;
  if (len < tail + 2 || line[0] != '{' || memcmp (line + len - 2, "\"}", 2) != 0
      || memcmp (line + len - tail, AUDIT_SIG_FIELD, field) != 0)
    return FALSE;
  gsize got = 0;
  const char *b64 = line + len - tail + field;
  if (sodium_base642bin (sig, SIGN_BYTES, b64, AUDIT_SIG_B64_CHARS, NULL, &got, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0 || got != SIGN_BYTES)
    return FALSE;
  *msg_len = len - tail + 1;
  *msg = g_malloc (*msg_len + 1);
  memcpy (*msg, line, *msg_len - 1);
  (*msg)[*msg_len - 1] = '}';
  (*msg)[*msg_len] = '\0';
  return TRUE;
}

void
audit_record_hash (const char *line, gsize len, char out[AUDIT_HASH_HEX])
{
  guint8 hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256 (hash, (const guint8 *) line, len);
  sodium_bin2hex (out, AUDIT_HASH_HEX, hash, sizeof hash);
}

char *
audit_time_format (gint64 unix_us)
{
  g_autoptr (GDateTime) secs = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) t = g_date_time_add (secs, unix_us % G_USEC_PER_SEC);
  return g_date_time_format (t, "%Y-%m-%dT%H:%M:%S.%fZ");
}

gboolean
audit_time_parse (const char *text, gint64 *unix_us)
{
  /* Only the writer's own form: fixed length, UTC. */
  if (text == NULL || strlen (text) != 27 || text[26] != 'Z')
    return FALSE;
  g_autoptr (GDateTime) t = g_date_time_new_from_iso8601 (text, NULL);
  if (t == NULL)
    return FALSE;
  *unix_us = g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
  return TRUE;
}

char *
audit_public_key_encode (const SignPublicKey *pk)
{
  guint8 blob[PUBLIC_BLOB_BYTES];
  char b64[sodium_base64_ENCODED_LEN (PUBLIC_BLOB_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  memcpy (blob, SIGN_ALG, 2);
  memcpy (blob + 2, pk->id, SIGN_KEY_ID_BYTES);
  memcpy (blob + 2 + SIGN_KEY_ID_BYTES, pk->pk, sizeof pk->pk);
  sodium_bin2base64 (b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
  return g_strdup (b64);
}

gboolean
audit_public_key_decode (const char *text, SignPublicKey *out)
{
  guint8 blob[PUBLIC_BLOB_BYTES];
  gsize got = 0;
  if (text == NULL
      || sodium_base642bin (blob, sizeof blob, text, strlen (text), NULL, &got, NULL,
                            sodium_base64_VARIANT_ORIGINAL) != 0
      || got != sizeof blob || memcmp (blob, SIGN_ALG, 2) != 0)
    return FALSE;
  memcpy (out->id, blob + 2, SIGN_KEY_ID_BYTES);
  memcpy (out->pk, blob + 2 + SIGN_KEY_ID_BYTES, sizeof out->pk);
  return TRUE;
}
