/* pack-seal.h: an imported pack's bytes in a file of their own, sealed, beside the store.
 *
 * The store keeps, per pack, the file's name and a random key that no other file
 * shares; the file is libsodium's secretstream (XChaCha20-Poly1305) over the pack in
 * 1 MiB chunks, so every byte is authenticated when it is read, a file cut short or
 * put together from two files is refused, and a file of another pack, version or store
 * does not open. Opening the store reads none of it (docs/security.md). */
#pragma once

#include <glib.h>

#define PACK_SEAL_KEY_BYTES 32
#define PACK_SEAL_SUFFIX ".sealed"
/* Above any pack Weir builds: only a bound on what a damaged file can make it allocate. */
#define PACK_SEAL_MAX_BYTES ((guint64) 16 << 30)

/* Writes data into a new file in dir (made 0700 when missing) under a fresh random name
 * and key: *name receives the file's base name (caller frees), key the key. The file
 * is complete (fsynced) when this returns TRUE, and absent when it returns FALSE. */
gboolean pack_seal_write (const char *dir, const void *data, gsize len, char **name,
                          guint8 key[PACK_SEAL_KEY_BYTES], GError **error);

/* The pack bytes of the sealed file at path under key: WEIR_ERROR_TAMPERED when the file
 * does not authenticate, WEIR_ERROR_NOT_FOUND when it is missing. */
GBytes *pack_seal_read (const char *path, const guint8 key[PACK_SEAL_KEY_BYTES], GError **error);

/* Whether name could be a file pack_seal_write made (and nothing else: no path). */
gboolean pack_seal_name_valid (const char *name);
