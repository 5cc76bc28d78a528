#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/keyring.h"
#include "file.h"
#include "weir-error.h"

#define MAGIC "WEIRSK01"
#define OFF_SALT 8
#define OFF_KIND 24
#define OFF_KEK 32
#define OFF_NONCE 64
#define OFF_WRAPPED 88
#define OFF_TAG 120
#define AD_BYTES 32

G_STATIC_ASSERT (OFF_TAG + crypto_aead_xchacha20poly1305_ietf_ABYTES == STORE_KEY_FILE_BYTES);
G_STATIC_ASSERT (STORE_KEYRING_KEK_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

void
store_key_free (StoreKey *key)
{
  if (key == NULL)
    return;
  if (key->key != NULL)
    sodium_free (key->key);
  g_free (key);
}

static StoreKey *
store_key_alloc (GError **error)
{
  g_autoptr (StoreKey) key = g_new0 (StoreKey, 1);
  if (sodium_init () < 0 || (key->key = sodium_malloc (STORE_KEY_BYTES)) == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store key: out of guarded memory");
      return NULL;
    }
  return g_steal_pointer (&key);
}


/* Opens the key file, refusing one that is not a plain file of ours, unreadable by others. */
static int
key_file_open (const char *path, GError **error)
{
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read the store key %s: %s", path,
                   g_strerror (saved));
      return -1;
    }
  const char *problem = !S_ISREG (st.st_mode) ? "is not a regular file"
                        : st.st_uid != geteuid () ? "belongs to another user"
                        : (st.st_mode & 077) != 0 ? "is readable by other users (run chmod 600 on it)"
                        : st.st_size != STORE_KEY_FILE_BYTES ? "is damaged (wrong size)"
                        : NULL;
  if (problem != NULL)
    {
      close (fd);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "the store key %s %s", path, problem);
      return -1;
    }
  return fd;
}

/* The key-encryption key of a "secret service" wrap, from the keyring. */
static gboolean
key_file_kek_from_keyring (const unsigned char *file, unsigned char *kek, const char *path,
                           GError **error)
{
  const char *why = NULL;
  g_autoptr (GError) local = NULL;
  if (!store_keyring_wanted (&why) && g_str_has_prefix (why, "WEIR_KEYRING"))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE,
                   "the store key %s is wrapped by the desktop keyring, and %s forbids asking "
                   "it (unset WEIR_KEYRING)", path, why);
      return FALSE;
    }
  if (why != NULL || !store_keyring_lookup (file + OFF_SALT, kek, &local))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE,
                   "the store key %s is wrapped by the desktop keyring, which is locked or not "
                   "running: %s (unlock it, or run Weir in the desktop session that made the "
                   "store, then try again)", path, why != NULL ? why : local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
key_file_unwrap (const unsigned char *file, StoreKey *key, const char *path, GError **error)
{
  int kind = file[OFF_KIND];
  if (memcmp (file, MAGIC, 8) != 0 || (kind != STORE_KEY_WRAP_FILE && kind != STORE_KEY_WRAP_KEYRING))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "%s is not a Weir store key this version can use", path);
      return FALSE;
    }
  unsigned char *kek = sodium_malloc (STORE_KEYRING_KEK_BYTES);
  if (kek == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store key: out of guarded memory");
      return FALSE;
    }
  gboolean ok = TRUE;
  if (kind == STORE_KEY_WRAP_FILE)
    memcpy (kek, file + OFF_KEK, STORE_KEYRING_KEK_BYTES);
  else
    ok = key_file_kek_from_keyring (file, kek, path, error);
  if (ok && crypto_aead_xchacha20poly1305_ietf_decrypt_detached (
              key->key, NULL, file + OFF_WRAPPED, STORE_KEY_BYTES, file + OFF_TAG, file, AD_BYTES,
              file + OFF_NONCE, kek) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED,
                   "the store key %s is damaged or was tampered with", path);
      ok = FALSE;
    }
  sodium_free (kek);
  memcpy (key->salt, file + OFF_SALT, STORE_SALT_BYTES);
  key->wrap = kind;
  return ok;
}

static StoreKey *
key_file_read (const char *path, GError **error)
{
  int fd = key_file_open (path, error);
  if (fd < 0)
    return NULL;
  g_autoptr (StoreKey) key = store_key_alloc (error);
  unsigned char *file = sodium_malloc (STORE_KEY_FILE_BYTES);
  gboolean ok = key != NULL && file != NULL;
  if (ok && !file_read_exact (fd, file, STORE_KEY_FILE_BYTES))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read the store key %s", path);
      ok = FALSE;
    }
  ok = ok && key_file_unwrap (file, key, path, error);
  close (fd);
  if (file != NULL)
    sodium_free (file);
  return ok ? g_steal_pointer (&key) : NULL;
}

/* Fills file with the store key wrapped under kek; the "file" wrap keeps kek in it. */
static void
key_file_build (unsigned char *file, const StoreKey *key, const unsigned char *kek)
{
  memset (file, 0, STORE_KEY_FILE_BYTES);
  memcpy (file, MAGIC, 8);
  memcpy (file + OFF_SALT, key->salt, STORE_SALT_BYTES);
  file[OFF_KIND] = (unsigned char) key->wrap;
  if (key->wrap == STORE_KEY_WRAP_FILE)
    memcpy (file + OFF_KEK, kek, STORE_KEYRING_KEK_BYTES);
  randombytes_buf (file + OFF_NONCE, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached (
    file + OFF_WRAPPED, file + OFF_TAG, NULL, key->key, STORE_KEY_BYTES, file, AD_BYTES, NULL,
    file + OFF_NONCE, kek);
}

/* The keyring where the session has an unlocked one, else the file. */
static StoreKeyWrap
key_wrap_choose (const StoreKey *key, const unsigned char *kek, const char *store_path)
{
  const char *why = NULL;
  g_autoptr (GError) error = NULL;
  if (!store_keyring_wanted (&why))
    {
      g_debug ("store key: kept in the key file: %s", why);
      return STORE_KEY_WRAP_FILE;
    }
  if (!store_keyring_store (key->salt, kek, store_path, &error))
    {
      g_debug ("store key: kept in the key file: %s", error->message);
      return STORE_KEY_WRAP_FILE;
    }
  return STORE_KEY_WRAP_KEYRING;
}


/* Writes a temporary file, then links it into place: the key file appears whole or not
 * at all, and link() fails if another process got there first. replace (a rewrap):
 * rename() over the old file instead, as atomically. */
static gboolean
key_file_publish (const char *path, const unsigned char *file, gboolean replace,
                  gboolean *lost_race, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  gboolean ok = fd >= 0 && file_write_all (fd, file, STORE_KEY_FILE_BYTES) && fsync (fd) == 0;
  int saved = errno;
  if (fd >= 0)
    close (fd);
  if (ok && (replace ? rename (tmp, path) : link (tmp, path)) != 0)
    {
      saved = errno;
      ok = FALSE;
      *lost_race = saved == EEXIST;
    }
  if (fd >= 0)
    unlink (tmp);
  if (!ok && !*lost_race)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot write the store key %s: %s", path,
                 g_strerror (saved));
  if (ok)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0)
        {
          fsync (dfd);
          close (dfd);
        }
    }
  return ok;
}

/* Writes key, wrapped as key->wrap says, to path. A keyring item of a key that did not
 * become the store's (another process published its own first) is removed again. */
static gboolean
key_file_write (const char *path, const StoreKey *key, const unsigned char *kek,
                gboolean replace, gboolean *lost_race, GError **error)
{
  unsigned char *file = sodium_malloc (STORE_KEY_FILE_BYTES);
  if (file == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store key: out of guarded memory");
      return FALSE;
    }
  key_file_build (file, key, kek);
  gboolean ok = key_file_publish (path, file, replace, lost_race, error);
  sodium_free (file);
  if (!ok && key->wrap == STORE_KEY_WRAP_KEYRING)
    store_keyring_forget (key->salt, NULL);
  return ok;
}

static StoreKey *
key_file_create (const char *path, const char *store_path, GError **error)
{
  g_autoptr (StoreKey) key = store_key_alloc (error);
  unsigned char *kek = key != NULL ? sodium_malloc (STORE_KEYRING_KEK_BYTES) : NULL;
  if (kek == NULL)
    {
      if (key != NULL)
        g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store key: out of guarded memory");
      return NULL;
    }
  randombytes_buf (key->key, STORE_KEY_BYTES);
  randombytes_buf (key->salt, STORE_SALT_BYTES);
  crypto_aead_xchacha20poly1305_ietf_keygen (kek);
  key->wrap = key_wrap_choose (key, kek, store_path);
  gboolean lost_race = FALSE;
  gboolean ok = key_file_write (path, key, kek, FALSE, &lost_race, error);
  sodium_free (kek);
  if (lost_race)
    return key_file_read (path, error);
  return ok ? g_steal_pointer (&key) : NULL;
}

static gboolean
store_exists (const char *store_path)
{
  struct stat st;
  return stat (store_path, &st) == 0 && st.st_size > 0;
}

/* A store from before the encryption starts with SQLite's own magic string. Only
 * looked at when there is no key, hence no connection whose locks a close could drop. */
static gboolean
store_is_plaintext (const char *store_path)
{
  unsigned char head[16];
  int fd = open (store_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  gboolean plain = fd >= 0 && file_read_exact (fd, head, sizeof head)
                   && memcmp (head, "SQLite format 3", sizeof head) == 0;
  if (fd >= 0)
    close (fd);
  return plain;
}

/* The store is looked at before the key: a process creating both publishes the key
 * before the store gets its first byte, so a store seen first and a key missing after
 * is a key really lost, never a start that raced another process's. */
StoreKey *
store_key_load (const char *key_path, const char *store_path, GError **error)
{
  gboolean had_store = store_exists (store_path);
  if (g_file_test (key_path, G_FILE_TEST_EXISTS) || g_file_test (key_path, G_FILE_TEST_IS_SYMLINK))
    return key_file_read (key_path, error);
  if (had_store && store_is_plaintext (store_path))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "the store %s is not encrypted (an earlier Weir made it): move it aside and "
                   "Weir starts a new, sealed store", store_path);
      return NULL;
    }
  if (had_store)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "the store %s cannot be read: its key %s is missing (restore it, or move "
                   "the store aside to start an empty one)", store_path, key_path);
      return NULL;
    }
  return key_file_create (key_path, store_path, error);
}

/* A fresh key-encryption key in the new place, then the key file replaced: until the
 * rename the old file and its old wrap still open the store. */
static gboolean
key_rewrap_to (StoreKey *key, StoreKeyWrap to, const char *key_path, const char *store_path,
               GError **error)
{
  unsigned char *kek = sodium_malloc (STORE_KEYRING_KEK_BYTES);
  if (kek == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store key: out of guarded memory");
      return FALSE;
    }
  crypto_aead_xchacha20poly1305_ietf_keygen (kek);
  const char *why = NULL;
  g_autoptr (GError) local = NULL;
  gboolean ok = TRUE;
  if (to == STORE_KEY_WRAP_KEYRING
      && (!store_keyring_wanted (&why) || !store_keyring_store (key->salt, kek, store_path, &local)))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "cannot put the store key in the desktop keyring: %s",
                   why != NULL ? why : local->message);
      ok = FALSE;
    }
  key->wrap = to;
  gboolean lost_race = FALSE;
  ok = ok && key_file_write (key_path, key, kek, TRUE, &lost_race, error);
  sodium_free (kek);
  return ok;
}

gboolean
store_key_rewrap (const char *key_path, const char *store_path, StoreKeyWrap to, GError **error)
{
  g_autoptr (StoreKey) key = key_file_read (key_path, error);
  if (key == NULL)
    return FALSE;
  StoreKeyWrap from = key->wrap;
  if (from == to)
    return TRUE;
  if (!key_rewrap_to (key, to, key_path, store_path, error))
    return FALSE;
  /* The old item opens nothing now; a failure to delete it leaves only a stale item. */
  if (from == STORE_KEY_WRAP_KEYRING)
    store_keyring_forget (key->salt, NULL);
  return TRUE;
}
