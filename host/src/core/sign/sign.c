#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "weir-error.h"

#define PUBLIC_BLOB_BYTES (2 + SIGN_KEY_ID_BYTES + crypto_sign_PUBLICKEYBYTES)
#define KEY_FILE_MAX 4096

struct SignSecretKey {
  guint8 id[SIGN_KEY_ID_BYTES];
  guint8 sk[crypto_sign_SECRETKEYBYTES];
};

gboolean
sign_init (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "libsodium failed to start");
      return FALSE;
    }
  return TRUE;
}

static SignSecretKey *
secret_alloc (void)
{
  SignSecretKey *sk = sodium_malloc (sizeof *sk);
  g_assert (sk != NULL);
  return sk;
}

void
sign_secret_key_free (SignSecretKey *sk)
{
  if (sk != NULL)
    sodium_free (sk);  /* sodium_free wipes before freeing */
}

SignSecretKey *
sign_secret_key_generate (SignPublicKey *pk_out)
{
  SignSecretKey *sk = secret_alloc ();
  randombytes_buf (sk->id, sizeof sk->id);
  crypto_sign_keypair (pk_out->pk, sk->sk);
  memcpy (pk_out->id, sk->id, sizeof sk->id);
  return sk;
}

char *
sign_key_id_hex (const guint8 id[SIGN_KEY_ID_BYTES])
{
  char hex[SIGN_KEY_ID_BYTES * 2 + 1];
  sodium_bin2hex (hex, sizeof hex, id, SIGN_KEY_ID_BYTES);
  return g_strdup (hex);
}

const guint8 *
sign_secret_key_id (const SignSecretKey *sk)
{
  return sk->id;
}

void
sign_secret_key_public (const SignSecretKey *sk, SignPublicKey *out)
{
  memcpy (out->id, sk->id, sizeof sk->id);
  crypto_sign_ed25519_sk_to_pk (out->pk, sk->sk);
}

/* Writes "untrusted comment: ...\n<base64>\n" to a new file of the given mode. */
static gboolean
write_key_file (const char *path, int mode, const char *comment, const guint8 *blob, gsize len,
                GError **error)
{
  char b64[256];
  sodium_bin2base64 (b64, sizeof b64, blob, len, sodium_base64_VARIANT_ORIGINAL);
  g_autofree char *text = g_strdup_printf ("untrusted comment: %s\n%s\n", comment, b64);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s%s", path, g_strerror (saved),
                   saved == EEXIST ? " (remove it first; keys are never overwritten)" : "");
      return FALSE;
    }
  gsize n = strlen (text);
  gboolean ok = write (fd, text, n) == (gssize) n && fsync (fd) == 0;
  sodium_memzero (text, n);
  ok = close (fd) == 0 && ok;
  if (!ok)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot write %s", path);
  return ok;
}

/* Decodes the second line of a key file into blob (exactly len bytes). */
static gboolean
parse_key_text (const char *text, gsize text_len, guint8 *blob, gsize len, GError **error)
{
  g_autofree char *copy = g_strndup (text, MIN (text_len, KEY_FILE_MAX));
  char *nl = strchr (copy, '\n');
  const char *line = nl && g_str_has_prefix (copy, "untrusted comment:") ? nl + 1 : copy;
  g_autofree char *b64 = g_strstrip (g_strndup (line, strcspn (line, "\r\n")));
  gsize got = 0;
  if (sodium_base642bin (blob, len, b64, strlen (b64), NULL, &got, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0 || got != len
      || memcmp (blob, SIGN_ALG, 2) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "not a Weir Ed25519 key");
      return FALSE;
    }
  return TRUE;
}

char *
sign_public_key_to_text (const SignPublicKey *pk)
{
  guint8 blob[PUBLIC_BLOB_BYTES];
  char b64[128];
  memcpy (blob, SIGN_ALG, 2);
  memcpy (blob + 2, pk->id, SIGN_KEY_ID_BYTES);
  memcpy (blob + 2 + SIGN_KEY_ID_BYTES, pk->pk, sizeof pk->pk);
  sodium_bin2base64 (b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
  g_autofree char *id = sign_key_id_hex (pk->id);
  return g_strdup_printf ("untrusted comment: weir public key %s\n%s\n", id, b64);
}

gboolean
sign_public_key_save (const SignPublicKey *pk, const char *path, GError **error)
{
  guint8 blob[PUBLIC_BLOB_BYTES];
  memcpy (blob, SIGN_ALG, 2);
  memcpy (blob + 2, pk->id, SIGN_KEY_ID_BYTES);
  memcpy (blob + 2 + SIGN_KEY_ID_BYTES, pk->pk, sizeof pk->pk);
  g_autofree char *id = sign_key_id_hex (pk->id);
  g_autofree char *comment = g_strdup_printf ("weir public key %s", id);
  return write_key_file (path, 0644, comment, blob, sizeof blob, error);
}

gboolean
sign_public_key_parse (const char *text, gsize len, SignPublicKey *out, GError **error)
{
  guint8 blob[PUBLIC_BLOB_BYTES];
  if (!parse_key_text (text, len, blob, sizeof blob, error))
    return FALSE;
  memcpy (out->id, blob + 2, SIGN_KEY_ID_BYTES);
  memcpy (out->pk, blob + 2 + SIGN_KEY_ID_BYTES, sizeof out->pk);
  return TRUE;
}

gboolean
sign_public_key_load (const char *path, SignPublicKey *out, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!file_read (path, KEY_FILE_MAX, &text, &len, error))
    return FALSE;
  if (!sign_public_key_parse (text, len, out, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

guint8 *
sign_secret_key_to_bytes (const SignSecretKey *sk)
{
  guint8 *blob = sodium_malloc (SIGN_SECRET_BLOB_BYTES);
  g_assert (blob != NULL);
  memcpy (blob, SIGN_ALG, 2);
  memcpy (blob + 2, sk->id, SIGN_KEY_ID_BYTES);
  memcpy (blob + 2 + SIGN_KEY_ID_BYTES, sk->sk, sizeof sk->sk);
  return blob;
}

SignSecretKey *
sign_secret_key_from_bytes (const guint8 *data, gsize len, GError **error)
{
  if (len != SIGN_SECRET_BLOB_BYTES || memcmp (data, SIGN_ALG, 2) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "not a Weir Ed25519 secret key");
      return NULL;
    }
  SignSecretKey *sk = secret_alloc ();
  memcpy (sk->id, data + 2, SIGN_KEY_ID_BYTES);
  memcpy (sk->sk, data + 2 + SIGN_KEY_ID_BYTES, sizeof sk->sk);
  return sk;
}

gboolean
sign_secret_key_save (const SignSecretKey *sk, const char *path, GError **error)
{
  guint8 *blob = sign_secret_key_to_bytes (sk);
  g_autofree char *id = sign_key_id_hex (sk->id);
  g_autofree char *comment = g_strdup_printf ("weir secret key %s", id);
  gboolean ok = write_key_file (path, 0600, comment, blob, SIGN_SECRET_BLOB_BYTES, error);
  sodium_free (blob);
  return ok;
}

SignSecretKey *
sign_secret_key_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!file_read (path, KEY_FILE_MAX, &text, &len, error))
    return NULL;
  guint8 *blob = sodium_malloc (SIGN_SECRET_BLOB_BYTES);
  g_assert (blob != NULL);
  SignSecretKey *sk = NULL;
  if (parse_key_text (text, len, blob, SIGN_SECRET_BLOB_BYTES, error))
    sk = sign_secret_key_from_bytes (blob, SIGN_SECRET_BLOB_BYTES, error);
  else
    g_prefix_error (error, "%s: ", path);
  sodium_free (blob);
  sodium_memzero (text, len);
  return sk;
}

void
sign_detached (const SignSecretKey *sk, const guint8 *msg, gsize len, guint8 sig[SIGN_BYTES])
{
  crypto_sign_detached (sig, NULL, msg, len, sk->sk);
}

gboolean
sign_verify (const SignPublicKey *pk, const guint8 *msg, gsize len, const guint8 sig[SIGN_BYTES])
{
  return crypto_sign_verify_detached (sig, msg, len, pk->pk) == 0;
}
