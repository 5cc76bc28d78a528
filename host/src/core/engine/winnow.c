#include "winnow.h"

#include <sodium.h>
#include <string.h>

void
winnow_kgrams (const guint64 *words, gsize n, const guint8 key[WINNOW_KEY_BYTES], GArray *out)
{
  G_STATIC_ASSERT (WINNOW_KEY_BYTES == crypto_shorthash_siphash24_KEYBYTES);
  if (n < WINNOW_K)
    return;
  g_array_set_size (out, out->len + (guint) (n - WINNOW_K + 1));
  guint64 *dst = &g_array_index (out, guint64, out->len - (n - WINNOW_K + 1));
  for (gsize i = 0; i + WINNOW_K <= n; i++)
    {
      /* Little-endian bytes of the word hashes, so packs are portable. */
      guint8 block[WINNOW_K * 8], mac[8];
      for (gsize j = 0; j < WINNOW_K; j++)
        {
          guint64 le = GUINT64_TO_LE (words[i + j]);
          memcpy (block + j * 8, &le, 8);
        }
      crypto_shorthash_siphash24 (mac, block, sizeof block, key);
      guint64 h;
      memcpy (&h, mac, 8);
      dst[i] = GUINT64_FROM_LE (h);
    }
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
