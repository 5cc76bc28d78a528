#include "pack-index.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "weir-error.h"

/* The file holds the arrays exactly as index.c and edm.c read them from memory. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);
G_STATIC_ASSERT (sizeof (IndexEntry) == 16);
G_STATIC_ASSERT (sizeof (EdmEntry) == 16);

/* The first 8 bytes of the keyed name hash, in hex, and "-"; "" when the store has no
 * key (then no file either). */
static char *
name_prefix (Store *store, const char *name)
{
  guint8 key[INDEX_MAP_KEY_BYTES], h[32];
  if (!store_pack_index_key (store, key, NULL))
    return g_strdup ("");
  index_map_name_hash (key, name, h);
  sodium_memzero (key, sizeof key);
  return g_strdup_printf ("%02x%02x%02x%02x%02x%02x%02x%02x-", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
}

static char *
index_path (Store *store, const char *name, gint64 version)
{
  g_autofree char *dir = store_pack_index_dir (store);
  g_autofree char *prefix = name_prefix (store, name);
  g_autofree char *base = g_strdup_printf ("%s%" G_GINT64_FORMAT STORE_PACK_INDEX_SUFFIX, prefix, version);
  return g_build_filename (dir, base, NULL);
}

/* Files of name other than keep (NULL: all of them) are removed. */
static void
remove_files (Store *store, const char *name, const char *keep)
{
  g_autofree char *dir = store_pack_index_dir (store);
  g_autofree char *prefix = name_prefix (store, name);
  if (*prefix == '\0')
    return;
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (entry, prefix) && g_str_has_suffix (entry, STORE_PACK_INDEX_SUFFIX))
      {
        g_autofree char *path = g_build_filename (dir, entry, NULL);
        if (g_strcmp0 (path, keep) != 0)
          g_unlink (path);  /* a host that maps it keeps its pages until it lets go */
      }
}

void
pack_index_remove (Store *store, const char *name)
{
  remove_files (store, name, NULL);
}

int
pack_index_lock (Store *store)
{
  g_autofree char *dir = store_pack_index_dir (store);
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return -1;
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -1;
  if (!file_lock_wait (fd, PACK_INDEX_LOCK_WAIT_S * 1000))
    {
      g_warning ("%s stayed locked by another Weir process; going on without it", path);
      close (fd);
      return -1;
    }
  return fd;
}

void
pack_index_unlock (int lock)
{
  if (lock >= 0)
    close (lock);  /* drops the flock */
}

/* ---- writing ---- */

typedef struct {
  FILE *f;
  const guint8 *key, *id;
  guint8 *buf;             /* INDEX_MAP_BLOCK */
  gsize fill;
  guint64 block;
  guint64 pos;             /* file offset of the next byte */
  GByteArray *tags;
  gboolean failed;
} BlockWriter;

static void
flush_block (BlockWriter *w)
{
  if (w->fill == 0)
    return;
  guint8 tag[INDEX_MAP_TAG_BYTES];
  index_map_block_tag (w->key, w->id, w->block++, w->buf, w->fill, tag);
  g_byte_array_append (w->tags, tag, sizeof tag);
  if (fwrite (w->buf, 1, w->fill, w->f) != w->fill)
    w->failed = TRUE;
  w->fill = 0;
}

static void
put (BlockWriter *w, const void *data, gsize len)
{
  const guint8 *p = data;
  while (len > 0)
    {
      gsize n = MIN (len, INDEX_MAP_BLOCK - w->fill);
      if (p != NULL)
        memcpy (w->buf + w->fill, p, n);
      else
        memset (w->buf + w->fill, 0, n);
      w->fill += n;
      w->pos += n;
      len -= n;
      if (p != NULL)
        p += n;
      if (w->fill == INDEX_MAP_BLOCK)
        flush_block (w);
    }
}

static void
put_section (BlockWriter *w, IndexMapHeader *h, IndexSection s, const void *data, gsize count, gsize size)
{
  put (w, NULL, (64 - w->pos % 64) % 64);
  h->offset[s] = w->pos;
  h->count[s] = count;
  if (count > 0)
    put (w, data, count * size);
}

static gboolean
write_file (const char *path, const guint8 key[INDEX_MAP_KEY_BYTES], const char *name, gint64 version,
            const IndexPack *pack, GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", tmp, g_strerror (saved));
      return FALSE;
    }
  IndexMapHeader h = { 0 };
  randombytes_buf (h.id, sizeof h.id);
  index_map_name_hash (key, name, h.name_hash);
  h.version = version;
  h.filter_bits = pack->filter_bits;
  h.directory_bits = pack->directory_bits;
  g_autofree guint8 *buf = g_malloc (INDEX_MAP_BLOCK);
  BlockWriter w = { fdopen (fd, "wb"), key, h.id, buf, 0, 0, INDEX_MAP_HEADER_BYTES, g_byte_array_new (), FALSE };
  if (w.f == NULL)
    {
      close (fd);
      g_unlink (tmp);
      g_byte_array_unref (w.tags);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot write %s", tmp);
      return FALSE;
    }
  guint8 header[INDEX_MAP_HEADER_BYTES] = { 0 };
  if (fwrite (header, 1, sizeof header, w.f) != sizeof header)
    w.failed = TRUE;
  put_section (&w, &h, INDEX_SECTION_FILTER, pack->filter, (gsize) 1 << (pack->filter_bits - 6), 8);
  put_section (&w, &h, INDEX_SECTION_DIRECTORY, pack->directory, ((gsize) 1 << pack->directory_bits) + 1, 4);
  put_section (&w, &h, INDEX_SECTION_ENTRIES, pack->entries, pack->n_entries, sizeof (IndexEntry));
  const EdmTable *t = pack->edm;
  if (t != NULL)
    {
      h.flags |= INDEX_MAP_HAS_EDM;
      h.edm_word_filter_bits = t->word_filter_bits;
      h.edm_value_filter_bits = t->value_filter_bits;
    }
  put_section (&w, &h, INDEX_SECTION_EDM_VALUES, t ? t->entries : NULL, t ? t->n_entries : 0, sizeof (EdmEntry));
  put_section (&w, &h, INDEX_SECTION_EDM_WORDS, t ? t->words : NULL, t ? t->n_words : 0, 8);
  put_section (&w, &h, INDEX_SECTION_EDM_WORD_FILTER, t ? t->word_filter : NULL,
               t ? ((gsize) 1 << t->word_filter_bits) / 64 : 0, 8);
  put_section (&w, &h, INDEX_SECTION_EDM_VALUE_FILTER, t ? t->value_filter : NULL,
               t ? ((gsize) 1 << t->value_filter_bits) / 64 : 0, 8);
  flush_block (&w);
  h.tags_offset = w.pos;
  h.file_len = w.pos + w.tags->len;
  if (fwrite (w.tags->data, 1, w.tags->len, w.f) != w.tags->len)
    w.failed = TRUE;
  index_map_header_encode (&h, header);
  index_map_header_mac (key, header, w.tags->data, w.tags->len, header + INDEX_MAP_HEADER_BYTES - INDEX_MAP_MAC_BYTES);
  g_byte_array_unref (w.tags);
  if (fseek (w.f, 0, SEEK_SET) != 0 || fwrite (header, 1, sizeof header, w.f) != sizeof header)
    w.failed = TRUE;
  if (fclose (w.f) != 0)
    w.failed = TRUE;
  if (w.failed || g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

struct PackIndexWrite {
  const PackMeta *meta;              /* borrowed */
  IndexPack *pack;                   /* borrowed; prepared by the writer */
  guint8 key[INDEX_MAP_KEY_BYTES];
  char *path;
  GThread *thread;                   /* NULL when written (or failed) on the caller's */
  gboolean written;
  GError *error;
};

static gpointer
index_write (gpointer data)
{
  PackIndexWrite *w = data;
  index_pack_prepare (w->pack);
  if (w->pack->directory == NULL || w->pack->filter == NULL)
    g_set_error (&w->error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE, "the pack is too large for an index file");
  else
    w->written = write_file (w->path, w->key, w->meta->name, w->meta->version, w->pack, &w->error);
  sodium_memzero (w->key, sizeof w->key);
  return NULL;
}

PackIndexWrite *
pack_index_write_start (Store *store, const PackMeta *meta, IndexPack *pack)
{
  PackIndexWrite *w = g_new0 (PackIndexWrite, 1);
  w->meta = meta;
  w->pack = pack;
  w->path = index_path (store, meta->name, meta->version);
  g_autofree char *dir = store_pack_index_dir (store);
  if (!store_pack_index_key (store, w->key, &w->error))
    {
      sodium_memzero (w->key, sizeof w->key);
      return w;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      sodium_memzero (w->key, sizeof w->key);
      g_set_error (&w->error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", dir, g_strerror (saved));
      return w;
    }
  w->thread = g_thread_try_new ("weir index", index_write, w, NULL);
  if (w->thread == NULL)
    index_write (w);  /* no thread to be had (a memory cap): the same work, here */
  return w;
}

static void
write_free (PackIndexWrite *w)
{
  g_free (w->path);
  g_clear_error (&w->error);
  g_free (w);
}

gboolean
pack_index_write_finish (PackIndexWrite *w, Store *store, GError **error)
{
  if (w->thread != NULL)
    g_thread_join (w->thread);
  gboolean ok = w->written;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&w->error));
  if (ok)
    {
      g_autoptr (GBytes) skeleton = pack_file_write_skeleton (w->meta, w->pack);
      ok = store_pack_skeleton_set (store, w->meta->name, skeleton, error);
    }
  if (ok)
    remove_files (store, w->meta->name, w->path);
  write_free (w);
  return ok;
}

void
pack_index_write_abandon (PackIndexWrite *w)
{
  if (w->thread != NULL)
    g_thread_join (w->thread);
  if (w->written)
    g_unlink (w->path);
  write_free (w);
}

gboolean
pack_index_derive (Store *store, const PackMeta *meta, IndexPack *pack, GError **error)
{
  return pack_index_write_finish (pack_index_write_start (store, meta, pack), store, error);
}

/* ---- reading ---- */

IndexPack *
pack_index_load_stored (Store *store, const char *name, GArray *keys, PackMeta *meta, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  if (!store_pack_get (store, name, &bytes, error))
    return NULL;
  if (bytes == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "no pack named \"%s\" is imported", name);
      return NULL;
    }
  return pack_file_open_stored (bytes, keys, meta, error);
}

typedef struct {
  Store *store;
  GArray *keys;
} Repair;

static void
repair_free (gpointer data)
{
  Repair *r = data;
  g_array_unref (r->keys);
  g_free (r);
}

/* The damaged file is removed, so the next host derives it again. */
static IndexPack *
repair (const IndexPack *damaged, gpointer data)
{
  Repair *r = data;
  g_unlink (damaged->map->path);
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (GError) error = NULL;
  IndexPack *pack = pack_index_load_stored (r->store, damaged->name, r->keys, &meta, &error);
  if (pack == NULL)
    g_warning ("pack \"%s\" cannot be reloaded: %s", damaged->name, error->message);
  return pack;
}

static void
attach (IndexPack *pack, IndexMap *map)
{
  const IndexMapHeader *h = &map->header;
  g_free (pack->entries);  /* the skeleton's empty array */
  pack->entries = (IndexEntry *) index_map_section (map, INDEX_SECTION_ENTRIES);
  pack->n_entries = h->count[INDEX_SECTION_ENTRIES];
  pack->directory = (guint32 *) index_map_section (map, INDEX_SECTION_DIRECTORY);
  pack->directory_bits = h->directory_bits;
  pack->filter = (guint64 *) index_map_section (map, INDEX_SECTION_FILTER);
  pack->filter_bits = h->filter_bits;
  EdmTable *t = pack->edm;
  if (t != NULL)
    {
      g_free (t->entries);
      g_free (t->words);
      t->map = map;
      t->entries = (EdmEntry *) index_map_section (map, INDEX_SECTION_EDM_VALUES);
      t->n_entries = h->count[INDEX_SECTION_EDM_VALUES];
      t->words = (guint64 *) index_map_section (map, INDEX_SECTION_EDM_WORDS);
      t->n_words = h->count[INDEX_SECTION_EDM_WORDS];
      t->word_filter = (guint64 *) index_map_section (map, INDEX_SECTION_EDM_WORD_FILTER);
      t->word_filter_bits = h->edm_word_filter_bits;
      t->value_filter = (guint64 *) index_map_section (map, INDEX_SECTION_EDM_VALUE_FILTER);
      t->value_filter_bits = h->edm_value_filter_bits;
    }
  pack->map = map;
}

IndexPack *
pack_index_open (Store *store, const StorePackInfo *info, GArray *keys, GError **error)
{
  g_autoptr (GBytes) skeleton = NULL;
  if (!store_pack_skeleton_get (store, info->name, &skeleton, error))
    return NULL;
  if (skeleton == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "pack \"%s\" has no index file yet", info->name);
      return NULL;
    }
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (IndexPack) pack = pack_file_open_stored (skeleton, keys, &meta, error);
  if (pack == NULL)
    return NULL;
  if (meta.version != info->version || g_strcmp0 (meta.name, info->name) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "pack \"%s\" has no index file of version %" G_GINT64_FORMAT,
                   info->name, info->version);
      return NULL;
    }
  /* A skeleton says whether the pack had an EDM table; the file must agree. */
  guint8 key[INDEX_MAP_KEY_BYTES];
  if (!store_pack_index_key (store, key, error))
    return NULL;
  g_autofree char *path = index_path (store, info->name, info->version);
  IndexMap *map = index_map_open (path, key, info->name, info->version, error);
  sodium_memzero (key, sizeof key);
  if (map == NULL)
    return NULL;
  if (((map->header.flags & INDEX_MAP_HAS_EDM) != 0) != (pack->edm != NULL))
    {
      index_map_free (map);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "the index file %s does not match its pack", path);
      return NULL;
    }
  attach (pack, map);
  Repair *r = g_new0 (Repair, 1);
  r->store = store;
  r->keys = g_array_ref (keys);
  pack->repair = (struct IndexPackRepair) { repair, r, repair_free };
  return g_steal_pointer (&pack);
}
