/* A pack's sealed file (store/pack-seal.c): what is written reads back, and a file
 * changed anywhere, cut short, put together from two files, or read under another key
 * is refused before any of it is used. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/pack-seal.h"
#include "weir-error.h"

#define CHUNK ((gsize) 1 << 20)
#define HEAD 48        /* magic, length, secretstream header */
#define ABYTES 17

typedef struct {
  char *dir;
  guint8 *data;
  gsize len;
  char *path;
  guint8 key[PACK_SEAL_KEY_BYTES];
} Fixture;

static void
seal (Fixture *f, gsize len)
{
  f->len = len;
  f->data = g_malloc (MAX (len, 1));
  randombytes_buf (f->data, len);
  char *name = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_seal_write (f->dir, f->data, len, &name, f->key, &error));
  g_assert_no_error (error);
  g_assert_true (pack_seal_name_valid (name));
  f->path = g_build_filename (f->dir, name, NULL);
  g_free (name);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  f->dir = g_dir_make_tmp ("weir-pack-seal-XXXXXX", NULL);
  seal (f, GPOINTER_TO_SIZE (data));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->path);
}

static GBytes *
contents (const char *path)
{
  gchar *raw = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  return g_bytes_new_take (raw, len);
}

static void
put (const char *path, const void *raw, gsize len)
{
  g_assert_true (g_file_set_contents (path, raw, (gssize) len, NULL));
}

static void
assert_refused (Fixture *f, const guint8 *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = pack_seal_read (f->path, key, &error);
  g_assert_null (got);
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = pack_seal_read (f->path, f->key, &error);
  g_assert_no_error (error);
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (got, &len);
  g_assert_cmpmem (p, len, f->data, f->len);
  /* None of the bytes is in the file as written (a 32-byte piece of each chunk). */
  g_autoptr (GBytes) raw = contents (f->path);
  for (gsize at = 0; at + 32 <= f->len; at += CHUNK)
    g_assert_null (memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), f->data + at, 32));
  /* Another key: refused. */
  guint8 other[PACK_SEAL_KEY_BYTES];
  memcpy (other, f->key, sizeof other);
  other[7] ^= 1;
  assert_refused (f, other);
}

/* One byte changed in the magic, the length, the stream header, each chunk and the
 * last byte: each refused. */
static void
test_changed_byte (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) good = contents (f->path);
  gsize size = g_bytes_get_size (good);
  g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize fixed[] = { 0, 15, 16, 23, 24, HEAD - 1, HEAD, size - 1 };
  g_array_append_vals (offsets, fixed, G_N_ELEMENTS (fixed));
  for (gsize o = HEAD + 1000; o < size; o += CHUNK + ABYTES)
    g_array_append_val (offsets, o);
  for (guint i = 0; i < offsets->len; i++)
    {
      gsize o = g_array_index (offsets, gsize, i);
      guint8 *raw = g_memdup2 (g_bytes_get_data (good, NULL), size);
      raw[o] ^= 0x20;
      put (f->path, raw, size);
      g_free (raw);
      assert_refused (f, f->key);
    }
  put (f->path, g_bytes_get_data (good, NULL), size);
  g_autoptr (GBytes) back = pack_seal_read (f->path, f->key, NULL);
  g_assert_nonnull (back);
}

/* Cut short at a chunk's end (its length field rewritten to match), chunks swapped,
 * a chunk taken from another file under the same key: refused. */
static void
test_cut_and_spliced (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) good = contents (f->path);
  gsize size = g_bytes_get_size (good);
  const guint8 *g = g_bytes_get_data (good, NULL);
  g_assert_cmpuint (f->len, >, 2 * CHUNK);  /* three chunks */
  /* The last chunk dropped, with or without the length saying so. */
  gsize two = HEAD + 2 * (CHUNK + ABYTES);
  put (f->path, g, two);
  assert_refused (f, f->key);
  guint8 *raw = g_memdup2 (g, two);
  guint64 len = 2 * CHUNK;
  for (int i = 0; i < 8; i++)
    raw[16 + i] = (guint8) (len >> (8 * i));
  put (f->path, raw, two);
  g_free (raw);
  assert_refused (f, f->key);
  /* The first two chunks swapped. */
  raw = g_memdup2 (g, size);
  memcpy (raw + HEAD, g + HEAD + CHUNK + ABYTES, CHUNK + ABYTES);
  memcpy (raw + HEAD + CHUNK + ABYTES, g + HEAD, CHUNK + ABYTES);
  put (f->path, raw, size);
  g_free (raw);
  assert_refused (f, f->key);
  /* Missing: its own error. */
  g_unlink (f->path);
  g_autoptr (GError) error = NULL;
  g_assert_null (pack_seal_read (f->path, f->key, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND);
}

static void
test_names (void)
{
  g_assert_true (pack_seal_name_valid ("0123456789abcdef0123456789abcdef.sealed"));
  g_assert_false (pack_seal_name_valid ("0123456789ABCDEF0123456789abcdef.sealed"));
  g_assert_false (pack_seal_name_valid ("../23456789abcdef0123456789abcdef.sealed"));
  g_assert_false (pack_seal_name_valid ("0123456789abcdef0123456789abcdef.sealed.part"));
  g_assert_false (pack_seal_name_valid (""));
  g_assert_false (pack_seal_name_valid (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/pack-seal/round-trip/empty", Fixture, GSIZE_TO_POINTER (0), setup, test_round_trip, teardown);
  g_test_add ("/pack-seal/round-trip/small", Fixture, GSIZE_TO_POINTER (1000), setup, test_round_trip, teardown);
  g_test_add ("/pack-seal/round-trip/chunks", Fixture, GSIZE_TO_POINTER (2 * CHUNK + 5), setup, test_round_trip,
              teardown);
  g_test_add ("/pack-seal/round-trip/whole-chunks", Fixture, GSIZE_TO_POINTER (2 * CHUNK), setup, test_round_trip,
              teardown);
  g_test_add ("/pack-seal/changed-byte", Fixture, GSIZE_TO_POINTER (2 * CHUNK + 5), setup, test_changed_byte,
              teardown);
  g_test_add ("/pack-seal/cut-and-spliced", Fixture, GSIZE_TO_POINTER (2 * CHUNK + 5), setup,
              test_cut_and_spliced, teardown);
  g_test_add_func ("/pack-seal/names", test_names);
  return g_test_run ();
}
