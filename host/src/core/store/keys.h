/* keys.h: the store key and where it is kept.
 *
 * Each store has a random 256-bit store key and a random 16-byte salt (the store's
 * id, also written at the start of the store file). The store key is kept wrapped
 * (XChaCha20-Poly1305) by a key-encryption key; the key file holds the salt, the
 * wrapped store key and, for the "file" wrap, the key-encryption key itself. The key
 * file sits next to the store but is never part of it: a copy of the store alone is
 * unreadable. docs/security.md says what this protects and what it cannot.
 *
 * Key file layout, STORE_KEY_FILE_BYTES bytes, mode 0600:
 *   0  magic "WEIRSK01"   8  salt (16)   24  wrap kind (StoreKeyWrap)
 *   25 zero (7)   32  key-encryption key (32; zeros for the keyring wrap)   64  nonce (24)
 *   88 wrapped store key (32)   120  tag (16)
 * The wrap's associated data is bytes 0..31, so salt and kind cannot be swapped. The
 * kind is the format's version: files of kind 1 predate the keyring and read unchanged.
 *
 * A new key goes to the desktop's secret service (keyring.h) when the session has one
 * unlocked, else to the file; WEIR_KEYRING=off forces the file. */
#pragma once

#include <glib.h>

#include "store/vfs.h"

#define STORE_KEY_FILE_BYTES 136

/* Where the key-encryption key lives; the values are the key file's kind byte. */
typedef enum {
  STORE_KEY_WRAP_FILE = 1,      /* in the key file itself: its permissions protect it */
  STORE_KEY_WRAP_KEYRING = 2,   /* in the desktop's secret service (libsecret) */
} StoreKeyWrap;

typedef struct {
  unsigned char *key;                      /* sodium_malloc'd, STORE_KEY_BYTES */
  unsigned char salt[STORE_SALT_BYTES];
  StoreKeyWrap wrap;
} StoreKey;

/* Loads the key from key_path; when it is absent and store_path holds no store yet,
 * creates one (atomically: two processes starting at once end up with the same key).
 * A missing key for an existing store, a key file others can read, or a damaged key
 * file is an error that says what to do, and so is a keyring-wrapped key whose
 * keyring is absent, locked or silent (never a prompt; bounded by keyring.h's timeout). */
StoreKey *store_key_load (const char *key_path, const char *store_path, GError **error);
/* Moves the key-encryption key to the keyring or to the file, with a new one: reads
 * the key file (which must open), stores the new key-encryption key, then replaces the
 * key file atomically, then deletes the old keyring item. TRUE at once when the key is
 * already wrapped that way. */
gboolean store_key_rewrap (const char *key_path, const char *store_path, StoreKeyWrap to,
                           GError **error);
void store_key_free (StoreKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreKey, store_key_free)
