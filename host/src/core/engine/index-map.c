#include "index-map.h"

#include "bloom.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* 4: blocks may be tagged with AES-GCM (INDEX_MAP_TAGS_GMAC; 3: Poly1305 only);
 * 3: the filters set eight bits of a 256-bit block per element (bloom.h; 2: three bits
 * of a 64-bit word); 2: block tags are Poly1305 under a per-block key (1: keyed
 * BLAKE2b), and the EDM filters are blocked Bloom filters (1: one bit per hash). A file
 * of another format is refused and derived again from the store. */
#define FORMAT 4
#define MAC_OFFSET (INDEX_MAP_HEADER_BYTES - INDEX_MAP_MAC_BYTES)

static const guint8 element_bytes[INDEX_SECTION_COUNT] = { 8, 4, 16, 16, 8, 8, 8 };

static void
put32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static void
put64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static guint32
get32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint64
get64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

void
index_map_header_encode (const IndexMapHeader *h, guint8 out[INDEX_MAP_HEADER_BYTES])
{
  memset (out, 0, INDEX_MAP_HEADER_BYTES);
  memcpy (out, INDEX_MAP_MAGIC, 8);
  put32 (out + 8, FORMAT);
  put32 (out + 12, INDEX_MAP_BLOCK_BITS);
  memcpy (out + 16, h->id, INDEX_MAP_ID_BYTES);
  memcpy (out + 32, h->name_hash, 32);
  put64 (out + 64, (guint64) h->version);
  put64 (out + 72, h->file_len);
  put32 (out + 80, h->filter_bits);
  put32 (out + 84, h->directory_bits);
  put32 (out + 88, h->edm_word_filter_bits);
  put32 (out + 92, h->edm_value_filter_bits);
  put32 (out + 96, h->flags);
  for (guint s = 0; s < INDEX_SECTION_COUNT; s++)
    {
      put64 (out + 104 + 8 * s, h->offset[s]);
      put64 (out + 160 + 8 * s, h->count[s]);
    }
  put64 (out + 216, h->tags_offset);
}

static void
header_decode (const guint8 *in, IndexMapHeader *h)
{
  memcpy (h->id, in + 16, INDEX_MAP_ID_BYTES);
  memcpy (h->name_hash, in + 32, 32);
  h->version = (gint64) get64 (in + 64);
  h->file_len = get64 (in + 72);
  h->filter_bits = get32 (in + 80);
  h->directory_bits = get32 (in + 84);
  h->edm_word_filter_bits = get32 (in + 88);
  h->edm_value_filter_bits = get32 (in + 92);
  h->flags = get32 (in + 96);
  for (guint s = 0; s < INDEX_SECTION_COUNT; s++)
    {
      h->offset[s] = get64 (in + 104 + 8 * s);
      h->count[s] = get64 (in + 160 + 8 * s);
    }
  h->tags_offset = get64 (in + 216);
}

void
index_map_header_mac (const guint8 key[INDEX_MAP_KEY_BYTES], const guint8 *header, const guint8 *tags,
                      gsize tags_len, guint8 out[INDEX_MAP_MAC_BYTES])
{
  static const char context[] = "weir index header v1";
  crypto_generichash_state st;
  crypto_generichash_init (&st, key, INDEX_MAP_KEY_BYTES, INDEX_MAP_MAC_BYTES);
  crypto_generichash_update (&st, (const guint8 *) context, sizeof context);
  crypto_generichash_update (&st, header, MAC_OFFSET);
  crypto_generichash_update (&st, tags, tags_len);
  crypto_generichash_final (&st, out, INDEX_MAP_MAC_BYTES);
}

/* Block tags. Each block is checked the first time a lookup reads it, and a scan of 40
 * MB reads some 100 MB of blocks at 100 M words, so the tag's speed is the scan's:
 * - AES-GCM with the block as associated data and nothing to encrypt (GMAC), under a
 *   key for this file alone (keyed BLAKE2b of the file key over its random id), the
 *   block's number as the nonce: each nonce is used once under a key (a file is never
 *   rewritten under its id), as GCM requires. With AES-NI and carry-less
 *   multiplication, 18 to 29 ms per 102 MB here against Poly1305's 32 to 53 ms.
 * - elsewhere Poly1305 under a one-time key for this block alone, BLAKE2b of the file
 *   key over the file's id and the block's number. It checks 16 KiB some six times
 *   faster than keyed BLAKE2b (3.4 against 0.57 GB/s here), which was a tenth of the
 *   CPU time of `weir scan --batch` over 40 MB with a 1.5M-fingerprint pack.
 * Which one a file uses is in its header's flags, under the header's MAC; a file made
 * with AES-GCM is refused on a CPU without it, and derived again. */
/* libsodium tells what the CPU has only once sodium_init() has run (which the store's
 * opening does; a program that maps an index file without a store, such as the fuzz
 * target, would see no AES-NI). */
static gboolean
gmac_here (void)
{
  return sodium_init () >= 0 && crypto_aead_aes256gcm_is_available ();
}

guint32
index_map_tags_here (void)
{
  return gmac_here () ? INDEX_MAP_TAGS_GMAC : 0;
}

gboolean
index_map_tagger_init (IndexTagger *t, const guint8 key[INDEX_MAP_KEY_BYTES], const guint8 id[INDEX_MAP_ID_BYTES],
                       guint32 flags)
{
  memset (t, 0, sizeof *t);
  memcpy (t->key, key, INDEX_MAP_KEY_BYTES);
  memcpy (t->id, id, INDEX_MAP_ID_BYTES);
  if ((flags & INDEX_MAP_TAGS_GMAC) == 0)
    return TRUE;
  if (!gmac_here ())
    return FALSE;
  static const char context[] = "weir index gmac v1";
  guint8 in[sizeof context + INDEX_MAP_ID_BYTES], file_key[crypto_aead_aes256gcm_KEYBYTES];
  memcpy (in, context, sizeof context);
  memcpy (in + sizeof context, id, INDEX_MAP_ID_BYTES);
  crypto_generichash (file_key, sizeof file_key, in, sizeof in, key, INDEX_MAP_KEY_BYTES);
  crypto_aead_aes256gcm_beforenm (&t->gcm, file_key);
  sodium_memzero (file_key, sizeof file_key);
  t->gmac = TRUE;
  return TRUE;
}

void
index_map_tagger_clear (IndexTagger *t)
{
  sodium_memzero (t, sizeof *t);
}

void
index_map_block_tag (const IndexTagger *t, guint64 block, const guint8 *bytes, gsize len,
                     guint8 out[INDEX_MAP_TAG_BYTES])
{
  G_STATIC_ASSERT (INDEX_MAP_TAG_BYTES == crypto_onetimeauth_BYTES);
  G_STATIC_ASSERT (INDEX_MAP_TAG_BYTES == crypto_aead_aes256gcm_ABYTES);
  if (t->gmac)
    {
      guint8 nonce[crypto_aead_aes256gcm_NPUBBYTES] = { 0 };
      put64 (nonce, block);
      guint8 nothing[1] = { 0 };  /* no message: its pointers only have to be valid */
      unsigned long long tag_len;
      crypto_aead_aes256gcm_encrypt_detached_afternm (nothing, out, &tag_len, nothing, 0, bytes, len, NULL, nonce,
                                                      &t->gcm);
      return;
    }
  static const char context[] = "weir index block v2";
  guint8 prefix[sizeof context + INDEX_MAP_ID_BYTES + 8];
  memcpy (prefix, context, sizeof context);
  memcpy (prefix + sizeof context, t->id, INDEX_MAP_ID_BYTES);
  put64 (prefix + sizeof context + INDEX_MAP_ID_BYTES, block);
  guint8 one_time[crypto_onetimeauth_KEYBYTES];
  crypto_generichash (one_time, sizeof one_time, prefix, sizeof prefix, t->key, INDEX_MAP_KEY_BYTES);
  crypto_onetimeauth (out, bytes, len, one_time);
  sodium_memzero (one_time, sizeof one_time);
}

void
index_map_name_hash (const guint8 key[INDEX_MAP_KEY_BYTES], const char *name, guint8 out[32])
{
  static const char context[] = "weir index name v1";
  crypto_generichash_state st;
  crypto_generichash_init (&st, key, INDEX_MAP_KEY_BYTES, 32);
  crypto_generichash_update (&st, (const guint8 *) context, sizeof context);
  crypto_generichash_update (&st, (const guint8 *) name, strlen (name));
  crypto_generichash_final (&st, out, 32);
}

static gboolean
refuse (GError **error, const char *path, const char *why)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the index file %s is refused: %s", path, why);
  return FALSE;
}

/* Counts that the header's bit sizes imply, so a header cannot point lookups past a
 * section (index.c and edm.c index these arrays by hash bits). */
static gboolean
sections_fit (const IndexMapHeader *h)
{
  if (h->filter_bits < BLOOM_MIN_BITS || h->filter_bits > 40 || h->directory_bits < 1 || h->directory_bits > 31
      || h->count[INDEX_SECTION_FILTER] != (guint64) 1 << (h->filter_bits - 6)
      || h->count[INDEX_SECTION_DIRECTORY] != ((guint64) 1 << h->directory_bits) + 1
      || h->count[INDEX_SECTION_ENTRIES] >= G_MAXUINT32)
    return FALSE;
  if (h->flags & INDEX_MAP_HAS_EDM)
    {
      if (h->edm_word_filter_bits < BLOOM_MIN_BITS || h->edm_word_filter_bits > 32
          || h->edm_value_filter_bits < BLOOM_MIN_BITS
          || h->edm_value_filter_bits > 32
          || h->count[INDEX_SECTION_EDM_WORD_FILTER] != ((guint64) 1 << h->edm_word_filter_bits) / 64
          || h->count[INDEX_SECTION_EDM_VALUE_FILTER] != ((guint64) 1 << h->edm_value_filter_bits) / 64)
        return FALSE;
    }
  else
    for (guint s = INDEX_SECTION_EDM_VALUES; s < INDEX_SECTION_COUNT; s++)
      if (h->count[s] != 0)
        return FALSE;
  guint64 end = INDEX_MAP_HEADER_BYTES;
  for (guint s = 0; s < INDEX_SECTION_COUNT; s++)
    {
      if (h->offset[s] % 64 != 0 || h->offset[s] < end || h->count[s] > (G_MAXUINT64 / 2) / element_bytes[s])
        return FALSE;
      end = h->offset[s] + h->count[s] * element_bytes[s];
      if (end > h->tags_offset)
        return FALSE;
    }
  return TRUE;
}

/* len bytes at offset of fd, all of them. */
static gboolean
read_at (int fd, guint8 *buf, gsize len, gsize offset)
{
  while (len > 0)
    {
      ssize_t got = pread (fd, buf, len, (off_t) offset);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return FALSE;
      buf += got;
      len -= (gsize) got;
      offset += (gsize) got;
    }
  return TRUE;
}

/* The three filters (a lookup's first read, at a random place in each) asked for in
 * huge pages (MADV_HUGEPAGE on their 2 MiB-aligned span of the mapping). Where the file
 * system keeps large folios in the page cache (ext4 since Linux 6.16), a filter read
 * back after the page cache dropped it, or after a reboot, then comes in as 2 MiB
 * folios, which every process maps with one page-table entry each: the import writes
 * the filters that way ("The index file" in docs/packs.md), but a read back came in 4
 * KiB pages, and a 40 MB batch then took 0.71 s of CPU instead of 0.68. Elsewhere the
 * advice changes nothing. The read-ahead (engine_index_warm) reads the filters with
 * pread, which the kernel's read-ahead fills in large folios as well. */
const IndexSection index_map_filters[INDEX_MAP_FILTERS] = {
  INDEX_SECTION_FILTER, INDEX_SECTION_EDM_WORD_FILTER, INDEX_SECTION_EDM_VALUE_FILTER,
};

static gsize
filter_bytes (const IndexMap *map, guint f)
{
  return map->header.count[index_map_filters[f]] * sizeof (guint64);
}

static void
advise_filters (const IndexMap *map)
{
  const gsize huge = (gsize) 2 << 20;
  for (guint f = 0; f < INDEX_MAP_FILTERS; f++)
    {
      gsize len = filter_bytes (map, f);
      if (len == 0)
        continue;
      guintptr base = (guintptr) map->base, start = base + map->header.offset[index_map_filters[f]];
      guintptr from = MAX (start & ~(guintptr) (huge - 1), base);
      guintptr to = MIN ((start + len + huge - 1) & ~(guintptr) (huge - 1), base + map->len);
      from &= ~(guintptr) (sysconf (_SC_PAGESIZE) - 1);
      (void) madvise ((void *) from, to - from, MADV_HUGEPAGE);
    }
}

IndexMap *
index_map_open (const char *path, const guint8 key[INDEX_MAP_KEY_BYTES], const char *name, gint64 version,
                GError **error)
{
  g_autoptr (GError) local = NULL;
  /* Mapped from a descriptor the map keeps: the filters are read ahead through it
   * (index_map_check_filter_ahead), from this file even when another has taken its
   * name since. */
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return NULL;
    }
  GMappedFile *file = g_mapped_file_new_from_fd (fd, FALSE, &local);
  if (file == NULL)
    {
      close (fd);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  g_autoptr (IndexMap) map = g_new0 (IndexMap, 1);
  map->fd = fd;
  map->file = file;
  map->path = g_strdup (path);
  map->base = (const guint8 *) g_mapped_file_get_contents (file);
  map->len = g_mapped_file_get_length (file);
  if (map->base == NULL || map->len < INDEX_MAP_HEADER_BYTES || memcmp (map->base, INDEX_MAP_MAGIC, 8) != 0
      || get32 (map->base + 8) != FORMAT || get32 (map->base + 12) != INDEX_MAP_BLOCK_BITS)
    return refuse (error, path, "not a Weir index of this version"), NULL;
  IndexMapHeader *h = &map->header;
  header_decode (map->base, h);
  if (h->file_len != map->len || h->tags_offset < INDEX_MAP_HEADER_BYTES || h->tags_offset > map->len)
    return refuse (error, path, "truncated or extended"), NULL;
  map->n_blocks = (h->tags_offset - INDEX_MAP_HEADER_BYTES + INDEX_MAP_BLOCK - 1) / INDEX_MAP_BLOCK;
  if (map->len - h->tags_offset != map->n_blocks * INDEX_MAP_TAG_BYTES)
    return refuse (error, path, "its tag table does not match its length"), NULL;
  guint8 mac[INDEX_MAP_MAC_BYTES];
  index_map_header_mac (key, map->base, map->base + h->tags_offset, map->n_blocks * INDEX_MAP_TAG_BYTES, mac);
  if (sodium_memcmp (mac, map->base + MAC_OFFSET, INDEX_MAP_MAC_BYTES) != 0)
    return refuse (error, path, "its header does not authenticate (changed, or made for another store)"), NULL;
  guint8 name_hash[32];
  index_map_name_hash (key, name, name_hash);
  if (memcmp (name_hash, h->name_hash, 32) != 0 || h->version != version)
    return refuse (error, path, "it was made for another pack or version"), NULL;
  if (!sections_fit (h))
    return refuse (error, path, "its sections do not fit"), NULL;
  if ((h->flags & ~(INDEX_MAP_HAS_EDM | INDEX_MAP_TAGS_GMAC)) != 0)
    return refuse (error, path, "it has flags this version does not know"), NULL;
  if (!index_map_tagger_init (&map->tagger, key, h->id, h->flags))
    return refuse (error, path, "its blocks are tagged with AES-GCM, which this CPU lacks"), NULL;
  map->verified = g_new0 (guint64, map->n_blocks / 64 + 1);
  advise_filters (map);
  return g_steal_pointer (&map);
}

void
index_map_free (IndexMap *map)
{
  if (map == NULL)
    return;
  if (map->file != NULL)
    g_mapped_file_unref (map->file);
  if (map->fd >= 0)
    close (map->fd);
  g_free (map->verified);
  g_free (map->path);
  index_map_tagger_clear (&map->tagger);
  g_free (map);
}

/* Checks block's tag over bytes, a copy of the block or the mapping's own. */
static gboolean
verify_bytes (IndexMap *map, gsize block, const guint8 *bytes, gsize len)
{
  guint8 tag[INDEX_MAP_TAG_BYTES];
  index_map_block_tag (&map->tagger, block, bytes, len, tag);
  if (sodium_memcmp (tag, map->base + map->header.tags_offset + block * INDEX_MAP_TAG_BYTES,
                     INDEX_MAP_TAG_BYTES) != 0)
    {
      g_atomic_int_set (&map->damaged, TRUE);
      return FALSE;
    }
  __atomic_fetch_or (&map->verified[block >> 6], G_GUINT64_CONSTANT (1) << (block & 63), __ATOMIC_RELAXED);
  return TRUE;
}

static gsize
block_len (const IndexMap *map, gsize block)
{
  return MIN (INDEX_MAP_BLOCK, map->header.tags_offset - (INDEX_MAP_HEADER_BYTES + block * INDEX_MAP_BLOCK));
}

gboolean
index_map_verify_block (IndexMap *map, gsize block)
{
  if (block >= map->n_blocks)
    {
      g_atomic_int_set (&map->damaged, TRUE);
      return FALSE;
    }
  return verify_bytes (map, block, map->base + INDEX_MAP_HEADER_BYTES + block * INDEX_MAP_BLOCK,
                       block_len (map, block));
}

/* The filters are read ahead with pread, not through the mapping: the page cache holds
 * them all the same for the lookups to come, but a host does not map pages it has not
 * looked anything up in. Read through the mapping, an idle host's Rss counted all of
 * them (142 MiB at 100 M words), and pages only one host had mapped counted as its
 * private memory: of three hosts that had each answered one paste, the first, whose
 * read-ahead had finished, showed 88.7 MiB private, the others 2.8 and 0.5. A lookup maps
 * what it reads, checked once already; a change to the file after the check goes as
 * unseen as one after a lookup read the block through the mapping. */
#define AHEAD_BLOCKS 4   /* read at a time: 64 KiB */

gsize
index_map_check_filter_ahead (IndexMap *map, guint f, gsize max)
{
  gsize len = filter_bytes (map, f), first, last, done = 0;
  if (len == 0)
    return 0;
  index_map_blocks (map, index_map_section (map, index_map_filters[f]), len, &first, &last);
  g_autofree guint8 *buf = NULL;
  for (gsize b = first; b <= last && done < max && !index_map_damaged (map);)
    {
      if (index_map_block_checked (map, b))
        {
          b++;
          continue;
        }
      gsize n = 1;
      while (n < AHEAD_BLOCKS && b + n <= last && done + n < max && !index_map_block_checked (map, b + n))
        n++;
      gsize bytes = (n - 1) * INDEX_MAP_BLOCK + block_len (map, b + n - 1);
      if (buf == NULL)
        buf = g_malloc (AHEAD_BLOCKS * INDEX_MAP_BLOCK);
      if (!read_at (map->fd, buf, bytes, INDEX_MAP_HEADER_BYTES + b * INDEX_MAP_BLOCK))
        {
          g_atomic_int_set (&map->damaged, TRUE);  /* cut short since it was mapped: changed */
          done++;
          break;
        }
      for (gsize i = 0; i < n; i++)
        {
          done++;
          if (!verify_bytes (map, b + i, buf + i * INDEX_MAP_BLOCK, block_len (map, b + i)))
            return done;
        }
      b += n;
    }
  return done;
}
