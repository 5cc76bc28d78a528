/* bloom.h: the blocked Bloom filters in front of the fingerprint index (index.c) and of
 * an EDM table's words and values (edm.c), as the index file holds them (index-map.h).
 *
 * A filter is 2^bits bits in 64-bit words; a hash sets three bits of one word (one
 * cache line read per probe). A plain bitmap of the same size, one bit per hash, let 6%
 * of a paste's k-grams through to the directory and the entries, and 3 to 6% of absent
 * EDM words through to a binary search of the table's words, cache misses each; three
 * bits in a word let about 0.5 to 0.7% through at 16 to 32 bits per element.
 *
 * The word comes from the hash's lowest bits and the three bits from bits 32 to 49,
 * never from its top bits: a pack keeps the smallest hash of every window of WINNOW_W
 * k-grams, so its hashes crowd the bottom of the range (half of them in its bottom
 * eleventh), and words picked by the top bits were overloaded at one end and empty at
 * the other: 3.4% of random hashes passed. Below the top few bits a kept hash is as
 * uniform as any other. */
#pragma once

#include <glib.h>

#include "index-map.h"

/* Filter words are prefetched this many hashes ahead when a filter is built: each is a
 * cache miss in a filter of tens of megabytes (the import of 10 M rows spent a seventh
 * of its time adding to the filters before). */
#define BLOOM_BUILD_PREFETCH 16

/* The filter's word that holds h's bits (bits >= 7: two words at least). */
static inline const guint64 *
bloom_word (const guint64 *filter, guint bits, guint64 h)
{
  return &filter[h & ((G_GUINT64_CONSTANT (1) << (bits - 6)) - 1)];
}

static inline guint64
bloom_mask (guint64 h)
{
  return (G_GUINT64_CONSTANT (1) << ((h >> 32) & 63)) | (G_GUINT64_CONSTANT (1) << ((h >> 38) & 63))
         | (G_GUINT64_CONSTANT (1) << ((h >> 44) & 63));
}

static inline void
bloom_add (guint64 *filter, guint bits, guint64 h)
{
  *(guint64 *) bloom_word (filter, bits, h) |= bloom_mask (h);
}

/* FALSE when h is surely not in the filter; TRUE without a filter. The filter word is
 * authenticated first when the filter is in map; a damaged one reads as absent (the
 * engine then answers from the stored pack instead). */
static inline gboolean
bloom_may_hold (IndexMap *map, const guint64 *filter, guint bits, guint64 h)
{
  if (filter == NULL)
    return TRUE;
  const guint64 *word = bloom_word (filter, bits, h);
  if (!index_map_check (map, word, sizeof *word))
    return FALSE;
  guint64 mask = bloom_mask (h);
  return (*word & mask) == mask;
}
