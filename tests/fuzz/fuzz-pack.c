/* libFuzzer: the pack parser (structure after the signature) and the inbox's header peek.
 * Signatures would stop a fuzzer at the first byte, so this signs every input with a
 * fixed key: the parser behind the signature is what an attacker with a trusted key, or
 * a bug, would reach. */
#include <string.h>

#include "pack/pack-file.h"

static SignSecretKey *sk;
static GArray *keys;

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
init (void)
{
  SignPublicKey pk;
  g_assert (sign_init (NULL));
  sk = sign_secret_key_generate (&pk);
  keys = g_array_new (FALSE, FALSE, sizeof (SignPublicKey));
  g_array_append_val (keys, pk);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  if (sk == NULL)
    init ();
  PackMeta meta = { 0 };
  pack_file_peek (data, size, size, &meta, NULL);
  pack_meta_clear (&meta);
  /* The input as a body: wrap it in a header and sign it. */
  GByteArray *file = g_byte_array_new ();
  guint8 header[PACK_HEADER_BYTES] = { 0 };
  guint32 format = GUINT32_TO_LE (PACK_FORMAT);
  guint64 body = GUINT64_TO_LE ((guint64) size);
  memcpy (header, PACK_MAGIC, 8);
  memcpy (header + 8, &format, 4);
  memcpy (header + 12, SIGN_ALG, 2);
  memcpy (header + 14, sign_secret_key_id (sk), SIGN_KEY_ID_BYTES);
  memcpy (header + 86, &body, 8);
  g_byte_array_append (file, header, sizeof header);
  g_byte_array_append (file, data, (guint) size);
  GBytes *bytes = g_byte_array_free_to_bytes (file);
  /* Unsigned: exercises the stored-pack path, which parses without hashing. */
  IndexPack *pack = pack_file_open_stored (bytes, keys, &meta, NULL);
  index_pack_free (pack);
  pack_meta_clear (&meta);
  g_bytes_unref (bytes);
  return 0;
}
