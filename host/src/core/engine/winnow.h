/* winnow.h: document fingerprints by winnowing (Schleimer, Wilkerson, Aiken 2003).
 *
 * A k-gram is WINNOW_K consecutive normalised words; its hash is keyed SipHash-2-4
 * over the k word hashes, with a key that belongs to the pack. When a document is
 * indexed, robust winnowing keeps, in every window of WINNOW_W consecutive k-grams,
 * the smallest hash. On the paste side every k-gram is looked up.
 *
 * The guarantee, from these two constants:
 *   - a run of WINNOW_GUARANTEE = K + W - 1 = 19 or more normalised words shared with a
 *     protected document holds a whole window, so at least one of its k-grams was
 *     kept: it is always detected (unless that fingerprint was dropped as boilerplate
 *     shared by many documents of the pack);
 *   - a run shorter than K = 8 words holds no k-gram at all: it is never detected, so
 *     common phrases ("at the end of the day") cannot raise a match.
 * The issue asked for "20 or more always, under 5 never"; 19 and 8 are stronger. */
#pragma once

#include <glib.h>

#define WINNOW_K 8
#define WINNOW_W 12
#define WINNOW_GUARANTEE (WINNOW_K + WINNOW_W - 1)
#define WINNOW_KEY_BYTES 16

typedef struct {
  guint64 hash;
  guint32 pos;   /* index of the k-gram = index of its first word */
} WinnowPick;

/* Appends the hashes of the n - K + 1 k-grams of words (none when n < K) to out, a
 * GArray of guint64. */
void winnow_kgrams (const guint64 *words, gsize n, const guint8 key[WINNOW_KEY_BYTES], GArray *out);

/* Robust winnowing of hashes[0..n) with window w: appends each kept k-gram once, in
 * position order, to picks (a GArray of WinnowPick). A text shorter than one window
 * keeps its smallest hash. */
void winnow_select (const guint64 *hashes, gsize n, guint w, GArray *picks);
