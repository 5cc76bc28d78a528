/* libFuzzer: the pack parser (structure after the signature) and the inbox's header peek.
 *
 * Input: a pack's body, the bytes after the 94-byte header (pack/pack-file.h); the
 * seeds are bodies of real packs built by `weir pack build` (make-seeds.py). The
 * target wraps the body in a header naming a fixed trusted key and opens it as a
 * stored pack, which parses every structure without hashing the signature:
 * signatures would stop a fuzzer at the first byte, and the parser behind them is what
 * an attacker with a trusted key, or a bug, would reach. */
#include <string.h>

#include "fuzz.h"
#include "pack/pack-file.h"

static GArray *keys;
static guint8 key_id[SIGN_KEY_ID_BYTES];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_assert (sign_init (NULL));
  SignPublicKey pk = { 0 };
  memset (pk.id, 0x5a, sizeof pk.id);   /* any fixed id: the signature is never checked */
  memcpy (key_id, pk.id, sizeof key_id);
  keys = g_array_new (FALSE, FALSE, sizeof (SignPublicKey));
  g_array_append_val (keys, pk);
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

/* header | body, with a body length that matches. */
static GBytes *
wrap (const guint8 *data, size_t size)
{
  GByteArray *file = g_byte_array_sized_new ((guint) size + PACK_HEADER_BYTES);
  guint8 header[PACK_HEADER_BYTES] = { 0 };
  guint32 format = GUINT32_TO_LE (PACK_FORMAT);
  guint64 body = GUINT64_TO_LE ((guint64) size);
  memcpy (header, PACK_MAGIC, 8);
  memcpy (header + 8, &format, 4);
  memcpy (header + 12, SIGN_ALG, 2);
  memcpy (header + 14, key_id, SIGN_KEY_ID_BYTES);
  memcpy (header + 86, &body, 8);
  g_byte_array_append (file, header, sizeof header);
  g_byte_array_append (file, data, (guint) size);
  return g_byte_array_free_to_bytes (file);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) bytes = wrap (data, size);
  gsize len = 0;
  const guint8 *file = g_bytes_get_data (bytes, &len);
  /* The inbox peeks at a file's first bytes only, and at the whole of it. */
  PackMeta meta = { 0 };
  pack_file_peek (file, MIN (len, PACK_PEEK_BYTES), len, &meta, NULL);
  pack_meta_clear (&meta);
  pack_file_peek (data, size, size, &meta, NULL);
  pack_meta_clear (&meta);
  GError *error = NULL;
  IndexPack *pack = pack_file_open_stored (bytes, keys, &meta, &error);
  /* Accepted with its counts, or refused with a reason: never both, never neither. */
  FUZZ_CHECK ((pack != NULL) == (error == NULL));
  if (pack != NULL)
    FUZZ_CHECK (meta.name != NULL && meta.fingerprints == pack->n_entries
                && meta.documents == pack->documents->len);
  g_clear_error (&error);
  index_pack_free (pack);
  pack_meta_clear (&meta);
  return 0;
}
