#include "winnow.h"

#include <string.h>

/* SipHash-2-4 (Aumasson, Bernstein 2012) of exactly WINNOW_K 64-bit words, which is
 * what crypto_shorthash_siphash24 computes over their little-endian bytes (the unit
 * test holds the two equal). Every k-gram of every paste goes through here, and the
 * generic call spent more on copying the block and on its length handling than on
 * the rounds. */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                         \
  do {                                                                                   \
    v0 += v1; v1 = ROTL (v1, 13); v1 ^= v0; v0 = ROTL (v0, 32);                          \
    v2 += v3; v3 = ROTL (v3, 16); v3 ^= v2;                                              \
    v0 += v3; v3 = ROTL (v3, 21); v3 ^= v0;                                              \
    v2 += v1; v1 = ROTL (v1, 17); v1 ^= v2; v2 = ROTL (v2, 32);                          \
  } while (0)

static inline guint64
kgram_hash (const guint64 *words, guint64 k0, guint64 k1)
{
  guint64 v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
  guint64 v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
  for (gsize j = 0; j < WINNOW_K; j++)
    {
      v3 ^= words[j];
      SIPROUND;
      SIPROUND;
      v0 ^= words[j];
    }
  guint64 b = (guint64) (WINNOW_K * 8) << 56;  /* the length byte; no tail */
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

void
winnow_kgrams (const guint64 *words, gsize n, const guint8 key[WINNOW_KEY_BYTES], GArray *out)
{
  G_STATIC_ASSERT (WINNOW_KEY_BYTES == 16);
  if (n < WINNOW_K)
    return;
  guint64 k0, k1;
  memcpy (&k0, key, 8);
  memcpy (&k1, key + 8, 8);
  k0 = GUINT64_FROM_LE (k0);
  k1 = GUINT64_FROM_LE (k1);
  g_array_set_size (out, out->len + (guint) (n - WINNOW_K + 1));
  guint64 *dst = &g_array_index (out, guint64, out->len - (n - WINNOW_K + 1));
  for (gsize i = 0; i + WINNOW_K <= n; i++)
    dst[i] = kgram_hash (words + i, k0, k1);
}

static void
pick (GArray *picks, const guint64 *hashes, gsize pos)
{
  WinnowPick p = { .hash = hashes[pos], .pos = (guint32) pos };
  g_array_append_val (picks, p);
}

/* The rightmost smallest hash of [from, to). */
static gsize
rightmost_min (const guint64 *hashes, gsize from, gsize to)
{
  gsize best = from;
  for (gsize i = from + 1; i < to; i++)
    if (hashes[i] <= hashes[best])
      best = i;
  return best;
}

void
winnow_select (const guint64 *hashes, gsize n, guint w, GArray *picks)
{
  g_assert (w > 0);
  g_assert (n <= G_MAXUINT32);
  if (n == 0)
    return;
  if (n <= w)
    {
      pick (picks, hashes, rightmost_min (hashes, 0, n));
      return;
    }
  gsize min = rightmost_min (hashes, 0, w);
  pick (picks, hashes, min);
  for (gsize end = w; end < n; end++)
    {
      gsize first = end - w + 1;
      if (min < first)
        min = rightmost_min (hashes, first, end + 1);
      else if (hashes[end] < hashes[min])
        min = end;
      else
        continue;  /* robust: a tie keeps the k-gram the previous window kept */
      pick (picks, hashes, min);
    }
}
