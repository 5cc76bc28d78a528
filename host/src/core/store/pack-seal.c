#include "pack-seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "file.h"
#include "weir-error.h"

/* The file: MAGIC, the pack's length (8 bytes, little-endian), the secretstream header,
 * then each chunk of CHUNK bytes (the last shorter, possibly empty, and tagged final)
 * followed by its 17 bytes of overhead. Every chunk's associated data is the magic and
 * the length, so the header is authenticated with the first chunk. */
#define MAGIC "weir-sealed-pack"
#define MAGIC_BYTES 16
#define HEAD_BYTES (MAGIC_BYTES + 8 + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define CHUNK ((gsize) 1 << 20)
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define NAME_HEX 32

G_STATIC_ASSERT (sizeof MAGIC == MAGIC_BYTES + 1);
G_STATIC_ASSERT (PACK_SEAL_KEY_BYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES);

static gsize
chunks_of (guint64 len)
{
  return len == 0 ? 1 : (gsize) ((len + CHUNK - 1) / CHUNK);
}

static void
head_ad (guint64 len, guint8 ad[MAGIC_BYTES + 8])
{
  memcpy (ad, MAGIC, MAGIC_BYTES);
  for (int i = 0; i < 8; i++)
    ad[MAGIC_BYTES + i] = (guint8) (len >> (8 * i));
}

gboolean
pack_seal_name_valid (const char *name)
{
  if (name == NULL || strlen (name) != NAME_HEX + strlen (PACK_SEAL_SUFFIX)
      || !g_str_has_suffix (name, PACK_SEAL_SUFFIX))
    return FALSE;
  for (int i = 0; i < NAME_HEX; i++)
    if (!g_ascii_isxdigit (name[i]) || g_ascii_isupper (name[i]))
      return FALSE;
  return TRUE;
}

static gboolean
write_sealed (int fd, const guint8 *data, guint64 len, const guint8 key[PACK_SEAL_KEY_BYTES])
{
  crypto_secretstream_xchacha20poly1305_state st;
  guint8 head[HEAD_BYTES];
  head_ad (len, head);
  crypto_secretstream_xchacha20poly1305_init_push (&st, head + MAGIC_BYTES + 8, key);
  gboolean ok = file_write_all (fd, head, sizeof head);
  g_autofree guint8 *out = g_malloc (CHUNK + ABYTES);
  gsize n = chunks_of (len);
  for (gsize i = 0; ok && i < n; i++)
    {
      gsize part = (gsize) MIN ((guint64) CHUNK, len - (guint64) i * CHUNK);
      guint8 tag = i + 1 == n ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
      crypto_secretstream_xchacha20poly1305_push (&st, out, NULL, data + (guint64) i * CHUNK, part, head,
                                                  MAGIC_BYTES + 8, tag);
      ok = file_write_all (fd, out, part + ABYTES);
    }
  sodium_memzero (&st, sizeof st);
  return ok && fsync (fd) == 0;
}

gboolean
pack_seal_write (const char *dir, const void *data, gsize len, char **name, guint8 key[PACK_SEAL_KEY_BYTES],
                 GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  guint8 id[NAME_HEX / 2];
  randombytes_buf (id, sizeof id);
  char hex[NAME_HEX + 1];
  sodium_bin2hex (hex, sizeof hex, id, sizeof id);
  g_autofree char *base = g_strconcat (hex, PACK_SEAL_SUFFIX, NULL);
  g_autofree char *path = g_build_filename (dir, base, NULL);
  g_autofree char *tmp = g_strconcat (path, ".part", NULL);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", tmp, g_strerror (saved));
      return FALSE;
    }
  crypto_secretstream_xchacha20poly1305_keygen (key);
  gboolean ok = write_sealed (fd, data, len, key);
  int saved = errno;
  if (close (fd) != 0 && ok)
    ok = FALSE, saved = errno;
  if (ok && g_rename (tmp, path) != 0)
    ok = FALSE, saved = errno;
  if (!ok)
    {
      g_unlink (tmp);
      sodium_memzero (key, PACK_SEAL_KEY_BYTES);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  *name = g_steal_pointer (&base);
  return TRUE;
}

static GBytes *
tampered (const char *path, const char *why, GError **error)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "the sealed pack file %s %s", path, why);
  return NULL;
}

static gboolean
read_chunks (int fd, guint64 len, guint8 *out, const guint8 *head, const guint8 key[PACK_SEAL_KEY_BYTES])
{
  crypto_secretstream_xchacha20poly1305_state st;
  if (crypto_secretstream_xchacha20poly1305_init_pull (&st, head + MAGIC_BYTES + 8, key) != 0)
    return FALSE;
  g_autofree guint8 *in = g_malloc (CHUNK + ABYTES);
  gsize n = chunks_of (len);
  gboolean ok = TRUE;
  for (gsize i = 0; ok && i < n; i++)
    {
      gsize part = (gsize) MIN ((guint64) CHUNK, len - (guint64) i * CHUNK);
      guint8 tag = 0;
      ok = file_read_exact (fd, in, part + ABYTES)
           && crypto_secretstream_xchacha20poly1305_pull (&st, out + (guint64) i * CHUNK, NULL, &tag, in,
                                                          part + ABYTES, head, MAGIC_BYTES + 8) == 0
           && (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) == (i + 1 == n);
    }
  sodium_memzero (&st, sizeof st);
  return ok;
}

GBytes *
pack_seal_read (const char *path, const guint8 key[PACK_SEAL_KEY_BYTES], GError **error)
{
  struct stat st;
  g_autoptr (GError) local = NULL;
  int fd = file_open_regular (path, HEAD_BYTES + PACK_SEAL_MAX_BYTES + (PACK_SEAL_MAX_BYTES / CHUNK + 1) * ABYTES, &st,
                              &local);
  if (fd < 0)
    {
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "the sealed pack file %s is missing", path);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  guint8 head[HEAD_BYTES];
  guint64 len = 0;
  gboolean ok = file_read_exact (fd, head, sizeof head) && memcmp (head, MAGIC, MAGIC_BYTES) == 0;
  for (int i = 0; ok && i < 8; i++)
    len |= (guint64) head[MAGIC_BYTES + i] << (8 * i);
  /* The length is checked against the file's size before anything is allocated. */
  if (!ok || len > PACK_SEAL_MAX_BYTES || (guint64) st.st_size != HEAD_BYTES + len + chunks_of (len) * ABYTES)
    {
      close (fd);
      return tampered (path, "is not one Weir wrote, or was cut short", error);
    }
  guint8 *out = g_malloc (MAX (len, 1));
  ok = read_chunks (fd, len, out, head, key);
  close (fd);
  if (!ok)
    {
      g_free (out);
      return tampered (path, "does not authenticate (changed, or another store's)", error);
    }
  return g_bytes_new_take (out, len);
}
