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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include "avx2-mul64.h"
#define WINNOW_AVX2 1

/* Four consecutive k-grams at once, one per 64-bit lane: k-gram i + l reads words
 * [i + l, i + l + K), so message word j of the four lanes is one unaligned load. */
#define ROTL4(x, b) _mm256_or_si256 (_mm256_slli_epi64 (x, b), _mm256_srli_epi64 (x, 64 - (b)))
#define ROTL4_32(x) _mm256_shuffle_epi32 (x, _MM_SHUFFLE (2, 3, 0, 1))
#define SIPROUND4                                                                         \
  do {                                                                                    \
    v0 = _mm256_add_epi64 (v0, v1); v1 = ROTL4 (v1, 13); v1 = _mm256_xor_si256 (v1, v0);   \
    v0 = ROTL4_32 (v0);                                                                   \
    v2 = _mm256_add_epi64 (v2, v3); v3 = _mm256_shuffle_epi8 (v3, rot16);                 \
    v3 = _mm256_xor_si256 (v3, v2);                                                       \
    v0 = _mm256_add_epi64 (v0, v3); v3 = ROTL4 (v3, 21); v3 = _mm256_xor_si256 (v3, v0);   \
    v2 = _mm256_add_epi64 (v2, v1); v1 = ROTL4 (v1, 17); v1 = _mm256_xor_si256 (v1, v2);   \
    v2 = ROTL4_32 (v2);                                                                   \
  } while (0)

/* Fills dst[0, count) rounded down to 4; returns how many it did. */
__attribute__ ((target ("avx2"))) static gsize
kgrams_avx2 (const guint64 *words, gsize count, guint64 k0, guint64 k1, guint64 *dst)
{
  const __m256i rot16 = _mm256_setr_epi8 (6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13,
                                          6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13);
  const __m256i i0 = _mm256_set1_epi64x ((long long) (k0 ^ 0x736f6d6570736575ULL));
  const __m256i i1 = _mm256_set1_epi64x ((long long) (k1 ^ 0x646f72616e646f6dULL));
  const __m256i i2 = _mm256_set1_epi64x ((long long) (k0 ^ 0x6c7967656e657261ULL));
  const __m256i i3 = _mm256_set1_epi64x ((long long) (k1 ^ 0x7465646279746573ULL));
  const __m256i b = _mm256_set1_epi64x ((long long) ((guint64) (WINNOW_K * 8) << 56));
  const __m256i ff = _mm256_set1_epi64x (0xff);
  gsize i = 0;
  for (; i + 4 <= count; i += 4)
    {
      __m256i v0 = i0, v1 = i1, v2 = i2, v3 = i3;
      for (gsize j = 0; j < WINNOW_K; j++)
        {
          __m256i m = _mm256_loadu_si256 ((const __m256i *) (words + i + j));
          v3 = _mm256_xor_si256 (v3, m);
          SIPROUND4;
          SIPROUND4;
          v0 = _mm256_xor_si256 (v0, m);
        }
      v3 = _mm256_xor_si256 (v3, b);
      SIPROUND4;
      SIPROUND4;
      v0 = _mm256_xor_si256 (v0, b);
      v2 = _mm256_xor_si256 (v2, ff);
      SIPROUND4;
      SIPROUND4;
      SIPROUND4;
      SIPROUND4;
      __m256i h = _mm256_xor_si256 (_mm256_xor_si256 (v0, v1), _mm256_xor_si256 (v2, v3));
      _mm256_storeu_si256 ((__m256i *) (dst + i), h);
    }
  return i;
}

/* Eight k-grams at once: AVX-512 has a rotate, so a round is 14 instructions for eight
 * lanes instead of 14 for one. */
#define SIPROUND8                                                                         \
  do {                                                                                    \
    v0 = _mm512_add_epi64 (v0, v1); v1 = _mm512_rol_epi64 (v1, 13);                       \
    v1 = _mm512_xor_si512 (v1, v0); v0 = _mm512_rol_epi64 (v0, 32);                       \
    v2 = _mm512_add_epi64 (v2, v3); v3 = _mm512_rol_epi64 (v3, 16);                       \
    v3 = _mm512_xor_si512 (v3, v2);                                                       \
    v0 = _mm512_add_epi64 (v0, v3); v3 = _mm512_rol_epi64 (v3, 21);                       \
    v3 = _mm512_xor_si512 (v3, v0);                                                       \
    v2 = _mm512_add_epi64 (v2, v1); v1 = _mm512_rol_epi64 (v1, 17);                       \
    v1 = _mm512_xor_si512 (v1, v2); v2 = _mm512_rol_epi64 (v2, 32);                       \
  } while (0)

/* Fills dst[0, count) rounded down to 8; returns how many it did. */
__attribute__ ((target ("avx512f"))) static gsize
kgrams_avx512 (const guint64 *words, gsize count, guint64 k0, guint64 k1, guint64 *dst)
{
  const __m512i i0 = _mm512_set1_epi64 ((long long) (k0 ^ 0x736f6d6570736575ULL));
  const __m512i i1 = _mm512_set1_epi64 ((long long) (k1 ^ 0x646f72616e646f6dULL));
  const __m512i i2 = _mm512_set1_epi64 ((long long) (k0 ^ 0x6c7967656e657261ULL));
  const __m512i i3 = _mm512_set1_epi64 ((long long) (k1 ^ 0x7465646279746573ULL));
  const __m512i b = _mm512_set1_epi64 ((long long) ((guint64) (WINNOW_K * 8) << 56));
  const __m512i ff = _mm512_set1_epi64 (0xff);
  gsize i = 0;
  for (; i + 8 <= count; i += 8)
    {
      __m512i v0 = i0, v1 = i1, v2 = i2, v3 = i3;
      for (gsize j = 0; j < WINNOW_K; j++)
        {
          __m512i m = _mm512_loadu_si512 ((const void *) (words + i + j));
          v3 = _mm512_xor_si512 (v3, m);
          SIPROUND8;
          SIPROUND8;
          v0 = _mm512_xor_si512 (v0, m);
        }
      v3 = _mm512_xor_si512 (v3, b);
      SIPROUND8;
      SIPROUND8;
      v0 = _mm512_xor_si512 (v0, b);
      v2 = _mm512_xor_si512 (v2, ff);
      SIPROUND8;
      SIPROUND8;
      SIPROUND8;
      SIPROUND8;
      __m512i h = _mm512_xor_si512 (_mm512_xor_si512 (v0, v1), _mm512_xor_si512 (v2, v3));
      _mm512_storeu_si512 ((void *) (dst + i), h);
    }
  return i;
}
#endif

/* ---- format 2: multilinear ---- */

static inline guint64
splitmix64_finish (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void
multilinear_key (guint64 k1, guint64 m[WINNOW_K])
{
  guint64 z = k1;
  for (gsize j = 0; j < WINNOW_K; j++)
    {
      z += 0x9e3779b97f4a7c15ULL;
      m[j] = splitmix64_finish (z) | 1;
    }
}

static inline guint64
multilinear_hash (const guint64 *words, guint64 k0, const guint64 m[WINNOW_K])
{
  guint64 h = k0;
  for (gsize j = 0; j < WINNOW_K; j++)
    h += words[j] * m[j];
  return splitmix64_finish (h);
}

#ifdef WINNOW_AVX2
/* Eight consecutive k-grams at once, one per lane; AVX-512DQ has the 64-bit multiply. */
__attribute__ ((target ("avx512f,avx512dq"))) static gsize
multilinear_avx512 (const guint64 *words, gsize count, guint64 k0, const guint64 m[WINNOW_K], guint64 *dst)
{
  __m512i mj[WINNOW_K];
  for (gsize j = 0; j < WINNOW_K; j++)
    mj[j] = _mm512_set1_epi64 ((long long) m[j]);
  const __m512i seed = _mm512_set1_epi64 ((long long) k0);
  const __m512i c1 = _mm512_set1_epi64 ((long long) 0xbf58476d1ce4e5b9ULL);
  const __m512i c2 = _mm512_set1_epi64 ((long long) 0x94d049bb133111ebULL);
  gsize i = 0;
  for (; i + 8 <= count; i += 8)
    {
      __m512i h = seed;
      for (gsize j = 0; j < WINNOW_K; j++)
        h = _mm512_add_epi64 (h, _mm512_mullo_epi64 (_mm512_loadu_si512 ((const void *) (words + i + j)), mj[j]));
      h = _mm512_mullo_epi64 (_mm512_xor_si512 (h, _mm512_srli_epi64 (h, 30)), c1);
      h = _mm512_mullo_epi64 (_mm512_xor_si512 (h, _mm512_srli_epi64 (h, 27)), c2);
      h = _mm512_xor_si512 (h, _mm512_srli_epi64 (h, 31));
      _mm512_storeu_si512 ((void *) (dst + i), h);
    }
  return i;
}

/* Four k-grams at once with AVX2, which has no 64-bit multiply: avx2_mul64. */
__attribute__ ((target ("avx2"))) static gsize
multilinear_avx2 (const guint64 *words, gsize count, guint64 k0, const guint64 m[WINNOW_K], guint64 *dst)
{
  __m256i lo[WINNOW_K], hi[WINNOW_K], c1lo, c1hi, c2lo, c2hi;
  for (gsize j = 0; j < WINNOW_K; j++)
    avx2_mul64_split (m[j], &lo[j], &hi[j]);
  avx2_mul64_split (0xbf58476d1ce4e5b9ULL, &c1lo, &c1hi);
  avx2_mul64_split (0x94d049bb133111ebULL, &c2lo, &c2hi);
  const __m256i seed = _mm256_set1_epi64x ((long long) k0);
  gsize i = 0;
  for (; i + 4 <= count; i += 4)
    {
      __m256i h = seed;
      for (gsize j = 0; j < WINNOW_K; j++)
        h = _mm256_add_epi64 (h, avx2_mul64 (_mm256_loadu_si256 ((const __m256i *) (const void *) (words + i + j)),
                                             lo[j], hi[j]));
      h = avx2_mul64 (_mm256_xor_si256 (h, _mm256_srli_epi64 (h, 30)), c1lo, c1hi);
      h = avx2_mul64 (_mm256_xor_si256 (h, _mm256_srli_epi64 (h, 27)), c2lo, c2hi);
      h = _mm256_xor_si256 (h, _mm256_srli_epi64 (h, 31));
      _mm256_storeu_si256 ((__m256i *) (void *) (dst + i), h);
    }
  return i;
}
#endif

void
winnow_kgrams (const guint64 *words, gsize n, WinnowHash hash, const guint8 key[WINNOW_KEY_BYTES], GArray *out)
{
  G_STATIC_ASSERT (WINNOW_KEY_BYTES == 16);
  if (n < WINNOW_K)
    return;
  guint64 k0, k1;
  memcpy (&k0, key, 8);
  memcpy (&k1, key + 8, 8);
  k0 = GUINT64_FROM_LE (k0);
  k1 = GUINT64_FROM_LE (k1);
  gsize count = n - WINNOW_K + 1, i = 0;
  g_array_set_size (out, out->len + (guint) count);
  guint64 *dst = &g_array_index (out, guint64, out->len - count);
  if (hash == WINNOW_HASH_MULTILINEAR)
    {
      guint64 m[WINNOW_K];
      multilinear_key (k1, m);
#ifdef WINNOW_AVX2
      if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512dq"))
        i = multilinear_avx512 (words, count, k0, m, dst);
      else if (__builtin_cpu_supports ("avx2"))
        i = multilinear_avx2 (words, count, k0, m, dst);
#endif
      for (; i < count; i++)
        dst[i] = multilinear_hash (words + i, k0, m);
      return;
    }
  g_assert (hash == WINNOW_HASH_SIPHASH);
#ifdef WINNOW_AVX2
  /* Eight lanes of AVX-512 or four of AVX2 take a fraction of the scalar instructions. */
  if (__builtin_cpu_supports ("avx512f"))
    i = kgrams_avx512 (words, count, k0, k1, dst);
  if (__builtin_cpu_supports ("avx2"))
    i += kgrams_avx2 (words + i, count - i, k0, k1, dst + i);
#endif
  for (; i < count; i++)
    dst[i] = kgram_hash (words + i, k0, k1);
}

/* The rightmost smallest rank of [from, to), written so that it compiles to
 * conditional moves: which k-gram of a window is smallest is a coin toss for a branch. */
static inline gsize
rightmost_min (const guint64 *rank, gsize from, gsize to)
{
  gsize best = from;
  guint64 least = rank[from];
  for (gsize i = from + 1; i < to; i++)
    {
      guint64 r = rank[i];
      gboolean le = r <= least;
      best = le ? i : best;
      least = le ? r : least;
    }
  return best;
}

/* Picks go straight into the array's storage, grown by doubling: g_array_append_val
 * was a call per pick, and about one k-gram in seven is one. */
typedef struct {
  GArray *picks;
  WinnowPick *at;
  guint n, cap;   /* picks written after the array's former length, room for cap */
  guint base;
} PickOut;

static inline void
pick (PickOut *out, const guint64 *hashes, const guint8 *skip, gsize pos)
{
  if (skip != NULL && skip[pos])
    return;  /* a window of skipped k-grams only keeps none */
  if (G_UNLIKELY (out->n == out->cap))
    {
      out->cap = out->cap * 2 + 64;
      g_array_set_size (out->picks, out->base + out->cap);
      out->at = &g_array_index (out->picks, WinnowPick, out->base);
    }
  out->at[out->n++] = (WinnowPick) { .hash = hashes[pos], .pos = (guint32) pos };
}

/* Robust winnowing by rank; picks record the hashes. Inlined twice, so that the
 * common call (no skip) tests nothing more per k-gram. */
static inline __attribute__ ((always_inline)) void
select_by_rank (const guint64 *rank, const guint64 *hashes, const guint8 *skip, gsize n, guint w,
                GArray *picks)
{
  g_assert (w > 0);
  g_assert (n <= G_MAXUINT32);
  if (n == 0)
    return;
  PickOut out = { .picks = picks, .base = picks->len };
  if (n <= w)
    pick (&out, hashes, skip, rightmost_min (rank, 0, n));
  else
    {
      gsize min = rightmost_min (rank, 0, w);
      pick (&out, hashes, skip, min);
      for (gsize end = w; end < n; end++)
        {
          gsize first = end - w + 1;
          if (min < first)
            min = rightmost_min (rank, first, end + 1);
          else if (rank[end] < rank[min])
            min = end;
          else
            continue;  /* robust: a tie keeps the k-gram the previous window kept */
          pick (&out, hashes, skip, min);
        }
    }
  g_array_set_size (picks, out.base + out.n);
}

void
winnow_select (const guint64 *hashes, gsize n, guint w, GArray *picks)
{
  select_by_rank (hashes, hashes, NULL, n, w, picks);
}

/* A k-gram that is not skipped ranks by half its hash, at most 2^63 - 1, so that a
 * skipped one, ranked 2^64 - 1, ranks above every one of them: a window's smallest rank
 * is a k-gram that is not skipped whenever the window holds one. Halving merges a hash
 * with its neighbour (h and h ^ 1) for ties, which only picks another of the window's
 * k-grams. */
void
winnow_select_skipping (const guint64 *hashes, const guint8 *skip, gsize n, guint w, GArray *picks)
{
  if (skip == NULL)
    {
      winnow_select (hashes, n, w, picks);
      return;
    }
  g_autofree guint64 *rank = g_new (guint64, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    rank[i] = skip[i] ? G_MAXUINT64 : hashes[i] >> 1;
  select_by_rank (rank, hashes, skip, n, w, picks);
}
