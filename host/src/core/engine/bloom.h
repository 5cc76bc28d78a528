/* bloom.h: the blocked Bloom filters in front of the fingerprint index (index.c) and of
 * an EDM table's words and values (edm.c), as the index file holds them (index-map.h).
 *
 * A filter is 2^bits bits, in blocks of 256 (32 bytes, within one cache line): a hash
 * picks a block and sets one bit in each of its eight 32-bit lanes, so a probe is one
 * cache line read. A plain bitmap of the same size, one bit per hash, let 6% of a
 * paste's k-grams through to the directory and the entries, and 3 to 6% of absent EDM
 * words through to a binary search of the table's words, cache misses each. Three bits
 * in one 64-bit word (index files before format 3) let 0.65% through at 17.5 bits per
 * element, the fingerprint filter's load at 100 M words: its false positives read the
 * directory and the entries at random, each block of them authenticated on its first
 * read, and a 40 MB batch authenticated 2 977 such blocks (49 MB) for k-grams no pack
 * holds. Eight bits in a 256-bit block let 0.08% through at the same size.
 *
 * The block comes from the hash's lowest bits; the lanes' bits from a multiplicative
 * remix of it (the high half of h times an odd constant, then of that times each
 * lane's own odd constant, its top five bits), never from its top bits alone: a pack
 * keeps the smallest hash of every window of WINNOW_W k-grams, so its hashes crowd the
 * bottom of the range (half of them in its bottom eleventh). The lanes' constants are
 * the first 32 bits of the fractional parts of the square roots of the first eight
 * primes, made odd. */
#pragma once

#include <glib.h>
#include <string.h>

#include "index-map.h"

/* Filter blocks are prefetched this many hashes ahead when a filter is built: each is a
 * cache miss in a filter of tens of megabytes (the import of 10 M rows spent a seventh
 * of its time adding to the filters before). */
#define BLOOM_BUILD_PREFETCH 16

#define BLOOM_BLOCK_BITS 8   /* 256 bits a block */
#define BLOOM_LANES 8
#define BLOOM_MIN_BITS BLOOM_BLOCK_BITS   /* one block at least */

/* The filter's block (four of its guint64 words) that holds h's bits (bits >=
 * BLOOM_MIN_BITS). */
static inline const guint64 *
bloom_block (const guint64 *filter, guint bits, guint64 h)
{
  return &filter[(h & ((G_GUINT64_CONSTANT (1) << (bits - BLOOM_BLOCK_BITS)) - 1)) * 4];
}

/* The bits h sets in the block's eight 32-bit lanes. */
static inline void
bloom_lanes (guint64 h, guint32 lanes[BLOOM_LANES])
{
  static const guint32 salt[BLOOM_LANES] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef373u, 0xa54ff53bu, 0x510e527fu, 0x9b05688du, 0x1f83d9abu, 0x5be0cd19u,
  };
  guint32 x = (guint32) ((h * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)) >> 32);
  for (guint i = 0; i < BLOOM_LANES; i++)
    lanes[i] = 1u << ((x * salt[i]) >> 27);
}

static inline void
bloom_add (guint64 *filter, guint bits, guint64 h)
{
  guint32 lanes[BLOOM_LANES], block[BLOOM_LANES];
  guint64 *at = (guint64 *) bloom_block (filter, bits, h);
  bloom_lanes (h, lanes);
  memcpy (block, at, sizeof block);
  for (guint i = 0; i < BLOOM_LANES; i++)
    block[i] |= lanes[i];
  memcpy (at, block, sizeof block);
}

/* FALSE when h is surely not in the filter; TRUE without a filter. The filter block is
 * authenticated first when the filter is in map; a damaged one reads as absent (the
 * engine then answers from the stored pack instead). */
static inline gboolean
bloom_may_hold (IndexMap *map, const guint64 *filter, guint bits, guint64 h)
{
  if (filter == NULL)
    return TRUE;
  const guint64 *at = bloom_block (filter, bits, h);
  if (!index_map_check (map, at, BLOOM_LANES * sizeof (guint32)))
    return FALSE;
  guint32 lanes[BLOOM_LANES], block[BLOOM_LANES], missing = 0;
  bloom_lanes (h, lanes);
  memcpy (block, at, sizeof block);
  for (guint i = 0; i < BLOOM_LANES; i++)
    missing |= lanes[i] & ~block[i];
  return missing == 0;
}
