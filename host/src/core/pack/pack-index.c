#include "pack-index.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "file.h"
#include "weir-error.h"

/* The file holds the arrays exactly as index.c and edm.c read them from memory. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);
G_STATIC_ASSERT (sizeof (IndexEntry) == 16);
G_STATIC_ASSERT (sizeof (EdmEntry) == 16);

/* The first 8 bytes of the name's hash under key, in hex, and "-". */
static char *
key_prefix (const guint8 key[INDEX_MAP_KEY_BYTES], const char *name)
{
  guint8 h[32];
  index_map_name_hash (key, name, h);
  return g_strdup_printf ("%02x%02x%02x%02x%02x%02x%02x%02x-", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
}

/* key_prefix() under the store's key; "" when the store has no key (then no file either). */
static char *
name_prefix (Store *store, const char *name)
{
  guint8 key[INDEX_MAP_KEY_BYTES];
  if (!store_pack_index_key (store, key, NULL))
    return g_strdup ("");
  char *prefix = key_prefix (key, name);
  sodium_memzero (key, sizeof key);
  return prefix;
}

static char *
path_of (Store *store, const char *prefix, gint64 version)
{
  g_autofree char *dir = store_pack_index_dir (store);
  g_autofree char *base = g_strdup_printf ("%s%" G_GINT64_FORMAT STORE_PACK_INDEX_SUFFIX, prefix, version);
  return g_build_filename (dir, base, NULL);
}

static char *
index_path (Store *store, const char *name, gint64 version)
{
  g_autofree char *prefix = name_prefix (store, name);
  return path_of (store, prefix, version);
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

/* The filters (a lookup's first read, at a random place in tens of megabytes) go to
 * the kernel in writes of OUT_CHUNK bytes at multiples of OUT_CHUNK (2 MiB, a huge page
 * on x86-64 and arm64). A kernel whose file system keeps large folios in the page cache
 * (ext4 since Linux 6.16) then holds them in folios of that size, and maps each with one
 * page-table entry into every host that reads them: a probe that misses the cache no
 * longer also misses the TLB, and a host faults a few pages in instead of thousands.
 * `weir scan --batch` over 40 MB with a 100 M-word pack: 7 000 page faults and 0.68 to
 * 0.70 s of CPU when the file was written 16 KiB at a time after its 4 KiB header,
 * 5 100 and 0.65 s now. The rest of the file, read a block at a time when a filter lets
 * a lookup through, is written as before, in pieces that never start at a multiple of
 * two pages, so it stays in 4 KiB folios: on this kind of VM, whose balloon reports free
 * 2 MiB blocks to the hypervisor, copying into fresh large folios costs several times
 * the CPU (1 GB in 2 MiB writes: 3 s against 0.7 s). The filters are 131 MB at 100 M
 * words and 10 M rows. The folios last while the file stays in the page cache; read
 * back after a reboot, it is in small ones again. Without large folios this changes
 * nothing. */
#define OUT_CHUNK ((gsize) 2 << 20)

typedef struct {
  int fd;
  IndexTagger tagger;
  /* The bytes not yet written, from file offset out_base; the block being filled
   * starts at out + out_block. Holds OUT_CHUNK and the block that crosses its end. */
  guint8 *out;
  gsize out_fill, out_block;
  guint64 out_base;
  guint64 block;
  guint64 pos;             /* file offset of the next byte */
  GByteArray *tags;
  /* The filter sections' bytes [from, to), written in whole chunks. */
  guint64 hot_from[3], hot_to[3];
  guint n_hot;
  gboolean failed;
} BlockWriter;

#define OUT_BYTES (OUT_CHUNK + INDEX_MAP_BLOCK)

/* Writes out[0, len), which starts at out_base: at once when it holds a filter's
 * bytes, else a page and then a block at a time. */
static void
write_out (BlockWriter *w, gsize len)
{
  gboolean hot = FALSE;
  for (guint i = 0; i < w->n_hot; i++)
    hot |= w->hot_from[i] < w->out_base + len && w->out_base < w->hot_to[i];
  gsize at = 0, piece = hot ? len : 4096;
  while (at < len)
    {
      gsize n = MIN (piece, len - at);
      if (!file_write_all (w->fd, w->out + at, n))
        w->failed = TRUE;
      at += n;
      piece = hot ? len : INDEX_MAP_BLOCK;
    }
}

/* Writes the first OUT_CHUNK bytes once the block that crosses them is complete. */
static void
write_chunk (BlockWriter *w)
{
  if (w->out_block < OUT_CHUNK)
    return;
  write_out (w, OUT_CHUNK);
  memmove (w->out, w->out + OUT_CHUNK, w->out_fill - OUT_CHUNK);
  w->out_fill -= OUT_CHUNK;
  w->out_block -= OUT_CHUNK;
  w->out_base += OUT_CHUNK;
}

static void
flush_block (BlockWriter *w)
{
  gsize fill = w->out_fill - w->out_block;
  if (fill == 0)
    return;
  guint8 tag[INDEX_MAP_TAG_BYTES];
  index_map_block_tag (&w->tagger, w->block++, w->out + w->out_block, fill, tag);
  g_byte_array_append (w->tags, tag, sizeof tag);
  w->out_block = w->out_fill;
  write_chunk (w);
}

static void
put (BlockWriter *w, const void *data, gsize len)
{
  const guint8 *p = data;
  while (len > 0)
    {
      gsize n = MIN (len, INDEX_MAP_BLOCK - (w->out_fill - w->out_block));
      if (p != NULL)
        memcpy (w->out + w->out_fill, p, n);
      else
        memset (w->out + w->out_fill, 0, n);
      w->out_fill += n;
      w->pos += n;
      len -= n;
      if (p != NULL)
        p += n;
      if (w->out_fill - w->out_block == INDEX_MAP_BLOCK)
        flush_block (w);
    }
}

static void
put_section (BlockWriter *w, IndexMapHeader *h, IndexSection s, const void *data, gsize count, gsize size)
{
  put (w, NULL, (64 - w->pos % 64) % 64);
  h->offset[s] = w->pos;
  h->count[s] = count;
  if ((s == INDEX_SECTION_FILTER || s == INDEX_SECTION_EDM_WORD_FILTER || s == INDEX_SECTION_EDM_VALUE_FILTER)
      && w->n_hot < G_N_ELEMENTS (w->hot_from))
    {
      w->hot_from[w->n_hot] = w->pos;
      w->hot_to[w->n_hot++] = w->pos + count * size;
    }
  if (count > 0)
    put (w, data, count * size);
}

/* The tag table, after the last block: written as it is, in the same chunks. */
static void
put_tags (BlockWriter *w)
{
  for (gsize at = 0; at < w->tags->len;)
    {
      gsize n = MIN (w->tags->len - at, OUT_CHUNK - w->out_fill);
      memcpy (w->out + w->out_fill, w->tags->data + at, n);
      w->out_fill += n;
      w->out_block = w->out_fill;
      at += n;
      write_chunk (w);
    }
  write_out (w, w->out_fill);
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
  g_autofree guint8 *out = g_malloc0 (OUT_BYTES);
  /* The header's place is left zero, and written last. */
  h.flags = index_map_tags_here ();
  BlockWriter w = { .fd = fd, .out = out, .out_fill = INDEX_MAP_HEADER_BYTES, .out_block = INDEX_MAP_HEADER_BYTES,
                    .pos = INDEX_MAP_HEADER_BYTES, .tags = g_byte_array_new () };
  index_map_tagger_init (&w.tagger, key, h.id, h.flags);
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
  put_tags (&w);
  guint8 header[INDEX_MAP_HEADER_BYTES];
  index_map_header_encode (&h, header);
  index_map_header_mac (key, header, w.tags->data, w.tags->len, header + INDEX_MAP_HEADER_BYTES - INDEX_MAP_MAC_BYTES);
  g_byte_array_unref (w.tags);
  index_map_tagger_clear (&w.tagger);
  if (pwrite (fd, header, sizeof header, 0) != (ssize_t) sizeof header)
    w.failed = TRUE;
  int saved = errno;
  if (close (fd) != 0 && !w.failed)
    {
      w.failed = TRUE;
      saved = errno;
    }
  if (!w.failed && g_rename (tmp, path) != 0)
    {
      w.failed = TRUE;
      saved = errno;
    }
  if (w.failed)
    {
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
  g_autofree char *dir = store_pack_index_dir (store);
  if (!store_pack_index_key (store, w->key, &w->error))
    {
      sodium_memzero (w->key, sizeof w->key);
      w->path = path_of (store, "", meta->version);
      return w;
    }
  g_autofree char *prefix = key_prefix (w->key, meta->name);
  w->path = path_of (store, prefix, meta->version);
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
