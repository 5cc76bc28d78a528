/* index-map.h: a pack's lookup structures in a memory-mapped file, authenticated block
 * by block as lookups first touch them.
 *
 * pack/pack-index.c derives the file from a verified pack when it is imported (the
 * fingerprint filter, directory and entries, the EDM tables and their filters, laid out
 * as index.c and edm.c read them) and writes it beside the store. Every host process
 * maps it read-only, so the pages are shared through the page cache: a host's private
 * memory no longer grows with the packs.
 *
 * The file holds the pack's keyed hashes and numbers only; the keys of those hashes, the
 * document and column names and the key that authenticates the file stay in the sealed
 * store. Authentication: the header carries a keyed BLAKE2b over itself and a table of
 * tags, one per INDEX_MAP_BLOCK bytes of the data: AES-GCM's tag of the block as
 * associated data (GMAC) under a key for the file alone and the block's number as the
 * nonce where the CPU has AES-NI, else Poly1305 under a key for the block alone (keyed
 * BLAKE2b of the file's random id and the block's number). Opening checks the header; a block is
 * checked the first time a lookup reads it, so a host starts without reading the file,
 * and a changed byte is refused when it would be used: index_map_check() fails, the
 * map is marked damaged, and the engine answers from the stored pack instead
 * (IndexPack.repair). */
#pragma once

#include <glib.h>
#include <sodium.h>

#define INDEX_MAP_MAGIC "WEIRIDX1"
#define INDEX_MAP_KEY_BYTES 32
#define INDEX_MAP_BLOCK_BITS 14                 /* 16 KiB: 4 pages */
#define INDEX_MAP_BLOCK ((gsize) 1 << INDEX_MAP_BLOCK_BITS)
#define INDEX_MAP_TAG_BYTES 16
#define INDEX_MAP_ID_BYTES 16
#define INDEX_MAP_HEADER_BYTES 4096             /* the data starts on the next page */
#define INDEX_MAP_MAC_BYTES 32

/* Sections of the file, in order. Each starts at a multiple of 64 bytes. */
typedef enum {
  INDEX_SECTION_FILTER,        /* guint64 words: IndexPack.filter */
  INDEX_SECTION_DIRECTORY,     /* guint32: IndexPack.directory */
  INDEX_SECTION_ENTRIES,       /* IndexEntry */
  INDEX_SECTION_EDM_VALUES,    /* EdmEntry */
  INDEX_SECTION_EDM_WORDS,     /* guint64 */
  INDEX_SECTION_EDM_WORD_FILTER,
  INDEX_SECTION_EDM_VALUE_FILTER,
  INDEX_SECTION_COUNT,
} IndexSection;

/* The header's numbers (the fixed part of the file's first page, little-endian). */
typedef struct {
  guint8 id[INDEX_MAP_ID_BYTES];   /* random, per file */
  guint8 name_hash[32];            /* index_map_name_hash() of the pack's name */
  gint64 version;                  /* the pack's version */
  guint64 file_len;
  guint32 filter_bits, directory_bits, edm_word_filter_bits, edm_value_filter_bits;
  guint32 flags;                   /* INDEX_MAP_HAS_EDM, INDEX_MAP_TAGS_GMAC */
  guint64 offset[INDEX_SECTION_COUNT];
  guint64 count[INDEX_SECTION_COUNT];   /* elements */
  guint64 tags_offset;             /* the tag table, after the data */
} IndexMapHeader;

#define INDEX_MAP_HAS_EDM 1u
#define INDEX_MAP_TAGS_GMAC 2u    /* blocks tagged with AES-GCM, else Poly1305 */

/* What tags a file's blocks: the file key and id, and how (the header's flags). */
typedef struct {
  crypto_aead_aes256gcm_state gcm;  /* under the file's own key, with INDEX_MAP_TAGS_GMAC */
  gboolean gmac;
  guint8 key[INDEX_MAP_KEY_BYTES];
  guint8 id[INDEX_MAP_ID_BYTES];
} IndexTagger;

/* The tagging a file written here gets: INDEX_MAP_TAGS_GMAC where the CPU has AES-NI
 * and carry-less multiplication, else 0 (Poly1305). */
guint32 index_map_tags_here (void);
/* FALSE when flags ask for AES-GCM and this CPU cannot do it. */
gboolean index_map_tagger_init (IndexTagger *t, const guint8 key[INDEX_MAP_KEY_BYTES],
                                const guint8 id[INDEX_MAP_ID_BYTES], guint32 flags);
void index_map_tagger_clear (IndexTagger *t);
/* The tag of data block number block (bytes, len <= INDEX_MAP_BLOCK). */
void index_map_block_tag (const IndexTagger *t, guint64 block, const guint8 *bytes, gsize len,
                          guint8 out[INDEX_MAP_TAG_BYTES]);

typedef struct {
  int fd;                          /* the file mapped, for the filters' read-ahead */
  GMappedFile *file;
  const guint8 *base;
  gsize len;
  IndexMapHeader header;
  IndexTagger tagger;              /* holds the file key */
  gsize n_blocks;                  /* data blocks, from INDEX_MAP_HEADER_BYTES to tags_offset */
  guint64 *verified;               /* a bit per block, private to the process; atomic */
  gint damaged;                    /* a block failed its tag; atomic (index_map_damaged) */
  char *path;
} IndexMap;

/* The keyed hash of a pack's name that the header holds (and the file's name starts
 * with): a name can be checked only with the store's key. */
void index_map_name_hash (const guint8 key[INDEX_MAP_KEY_BYTES], const char *name, guint8 out[32]);

/* The header's bytes as written (INDEX_MAP_HEADER_BYTES, MAC excluded, zero-padded). */
void index_map_header_encode (const IndexMapHeader *h, guint8 out[INDEX_MAP_HEADER_BYTES]);
/* The header MAC over the encoded header and the tag table. */
void index_map_header_mac (const guint8 key[INDEX_MAP_KEY_BYTES], const guint8 *header, const guint8 *tags,
                           gsize tags_len, guint8 out[INDEX_MAP_MAC_BYTES]);

/* Maps path and checks its header against key, the expected name and version, and the
 * sections' bounds; no data block is read. NULL with error when anything is off. */
IndexMap *index_map_open (const char *path, const guint8 key[INDEX_MAP_KEY_BYTES], const char *name,
                          gint64 version, GError **error);
void index_map_free (IndexMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IndexMap, index_map_free)

/* The sections a lookup reads first, at a random place in each: the fingerprint filter
 * and the EDM word and value filters, arrays of guint64 words. */
#define INDEX_MAP_FILTERS 3
extern const IndexSection index_map_filters[INDEX_MAP_FILTERS];

/* The first byte of section s. */
static inline const void *
index_map_section (const IndexMap *map, IndexSection s)
{
  return map->base + map->header.offset[s];
}

gboolean index_map_verify_block (IndexMap *map, gsize block);

/* Authenticates up to max blocks of filter index_map_filters[f] not checked before;
 * returns how many it checked. A block that fails marks the map damaged and ends the
 * call. */
gsize index_map_check_filter_ahead (IndexMap *map, guint f, gsize max);

/* TRUE when the bytes [p, p + len) of the mapping (len > 0) are authentic: their blocks
 * were checked before or check now. FALSE marks the map damaged. A NULL map (a pack
 * loaded into memory) is always authentic. */
/* The data blocks that hold [p, p + len) of the mapping (len > 0). */
static inline void
index_map_blocks (const IndexMap *map, const void *p, gsize len, gsize *first, gsize *last)
{
  gsize off = (gsize) ((const guint8 *) p - map->base) - INDEX_MAP_HEADER_BYTES;
  *first = off >> INDEX_MAP_BLOCK_BITS;
  *last = (off + len - 1) >> INDEX_MAP_BLOCK_BITS;
}

/* Whether block b was checked before. Two threads may look up in one map at once
 * (engine_index_split_*): the bits and the damaged flag are read and set atomically; a
 * block both check is checked twice. Relaxed: a bit only says the check was done. */
static inline gboolean
index_map_block_checked (const IndexMap *map, gsize b)
{
  return (__atomic_load_n (&map->verified[b >> 6], __ATOMIC_RELAXED) >> (b & 63)) & 1;
}

/* Whether a block of map failed its check. */
static inline gboolean
index_map_damaged (const IndexMap *map)
{
  return g_atomic_int_get (&map->damaged);
}

static inline gboolean
index_map_check (IndexMap *map, const void *p, gsize len)
{
  if (map == NULL)
    return TRUE;
  gsize first, last;
  index_map_blocks (map, p, len, &first, &last);
  for (gsize b = first; b <= last; b++)
    if (G_UNLIKELY (!index_map_block_checked (map, b)) && !index_map_verify_block (map, b))
      return FALSE;
  return TRUE;
}
