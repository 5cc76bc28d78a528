/* avx2-mul64.h: the 64-bit multiply AVX2 lacks, for the engine's hashes that lanes
 * compute side by side (normalize.c, winnow.c). x86-64 with GCC or Clang only. */
#pragma once

#include <glib.h>
#include <immintrin.h>

/* x * c modulo 2^64 in each lane, with c's halves (c & 0xffffffff, c >> 32) in the low
 * 32 bits of each lane of lo and hi: three 32-by-32-bit multiplies. */
__attribute__ ((target ("avx2"))) static inline __m256i
avx2_mul64 (__m256i x, __m256i lo, __m256i hi)
{
  __m256i cross = _mm256_add_epi64 (_mm256_mul_epu32 (_mm256_srli_epi64 (x, 32), lo), _mm256_mul_epu32 (x, hi));
  return _mm256_add_epi64 (_mm256_mul_epu32 (x, lo), _mm256_slli_epi64 (cross, 32));
}

/* The halves of c, for avx2_mul64. */
__attribute__ ((target ("avx2"))) static inline void
avx2_mul64_split (guint64 c, __m256i *lo, __m256i *hi)
{
  *lo = _mm256_set1_epi64x ((long long) (c & 0xffffffffu));
  *hi = _mm256_set1_epi64x ((long long) (c >> 32));
}
