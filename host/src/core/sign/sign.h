/* sign.h: Ed25519 keys and signatures (libsodium), in minisign's spirit.
 *
 * Every key and signature carries an algorithm id ("Ed") and an 8-byte key id, so a
 * verifier compares key ids before it verifies and says "signed by another key"
 * instead of "bad signature". Key files are two lines of text:
 *
 *   untrusted comment: <free text>
 *   <base64 of: "Ed" | key id (8) | public key (32)>        (public)
 *   <base64 of: "Ed" | key id (8) | secret key (64)>        (secret, file mode 0600)
 *
 * Secret keys live in sodium_malloc memory and are wiped when freed. */
#pragma once

#include <glib.h>
#include <sodium.h>

#define SIGN_KEY_ID_BYTES 8
#define SIGN_ALG "Ed"
#define SIGN_BYTES crypto_sign_BYTES  /* 64 */

typedef struct {
  guint8 id[SIGN_KEY_ID_BYTES];
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
} SignPublicKey;

typedef struct SignSecretKey SignSecretKey;

/* A fresh key pair with a random key id. Cannot fail once sodium_init() succeeded. */
SignSecretKey *sign_secret_key_generate (SignPublicKey *pk_out);
void sign_secret_key_free (SignSecretKey *sk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignSecretKey, sign_secret_key_free)

/* The key id as 16 hex digits; caller frees. */
char *sign_key_id_hex (const guint8 id[SIGN_KEY_ID_BYTES]);
const guint8 *sign_secret_key_id (const SignSecretKey *sk);
void sign_secret_key_public (const SignSecretKey *sk, SignPublicKey *out);

/* Key files. Saving refuses to overwrite an existing file. */
gboolean sign_public_key_save (const SignPublicKey *pk, const char *path, GError **error);
gboolean sign_public_key_load (const char *path, SignPublicKey *out, GError **error);
gboolean sign_public_key_parse (const char *text, gsize len, SignPublicKey *out, GError **error);
char *sign_public_key_to_text (const SignPublicKey *pk);
gboolean sign_secret_key_save (const SignSecretKey *sk, const char *path, GError **error);
SignSecretKey *sign_secret_key_load (const char *path, GError **error);
/* Raw secret bytes, e.g. for a store that keeps the key itself. */
SignSecretKey *sign_secret_key_from_bytes (const guint8 *data, gsize len, GError **error);
/* "Ed" | id | sk as one sodium_malloc'd buffer of SIGN_SECRET_BLOB_BYTES; free with sodium_free. */
#define SIGN_SECRET_BLOB_BYTES (2 + SIGN_KEY_ID_BYTES + crypto_sign_SECRETKEYBYTES)
guint8 *sign_secret_key_to_bytes (const SignSecretKey *sk);

/* Signs msg; writes SIGN_BYTES into sig. */
void sign_detached (const SignSecretKey *sk, const guint8 *msg, gsize len, guint8 sig[SIGN_BYTES]);
/* TRUE only when sig is pk's signature over msg. */
gboolean sign_verify (const SignPublicKey *pk, const guint8 *msg, gsize len, const guint8 sig[SIGN_BYTES]);

/* TRUE when libsodium is ready; call once before anything else here. */
gboolean sign_init (GError **error);
