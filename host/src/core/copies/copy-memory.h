/* copy-memory.h: what was copied out of source origin groups, as fingerprints, in memory
 * (issue 25).
 *
 * A copy is fingerprinted like a pack's document (engine/winnow.h): its words are
 * normalised, hashed in k-grams of WINNOW_K words with a device key, and winnowed, so a
 * later paste that shares a run of WINNOW_GUARANTEE (19) or more words with it is found,
 * however it was re-wrapped or embedded, and one sharing fewer than WINNOW_K (8) never is.
 * The text itself is never kept.
 *
 * The fingerprints sit in two sorted IndexPacks (engine/index.h), each document one copy:
 * a small one that takes each new copy (a merge of a few hundred entries), and a large
 * one into which the small one is merged once it holds COPY_MEMORY_RECENT entries. Copies
 * that expire or are evicted are marked dead at once and dropped from the entries at the
 * next merge. Nothing here fails: the engine's rule. */
#pragma once

#include <glib.h>

#include "engine/winnow.h"

typedef struct {
  guint max_copies;        /* the oldest copies are forgotten past this many */
  gsize max_fingerprints;  /* ... and past this many fingerprints in all */
  gint64 keep_seconds;     /* a copy is forgotten this long after it was made */
  guint min_words;         /* a paste must share runs covering this many words to match */
} CopyLimits;

/* What a copy of the largest size keeps at most: 2^17 fingerprints, about 850,000 words. */
#define COPY_MEMORY_MAX_PICKS (1u << 17)
/* The small pack is merged into the large one past this many entries. */
#define COPY_MEMORY_RECENT 16384

typedef struct CopyMemory CopyMemory;

/* key: the k-gram hash key (a device secret, copied). */
CopyMemory *copy_memory_new (const guint8 key[WINNOW_KEY_BYTES], const CopyLimits *limits);
void copy_memory_free (CopyMemory *mem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CopyMemory, copy_memory_free)

void copy_memory_set_limits (CopyMemory *mem, const CopyLimits *limits);

/* The winnowed fingerprints of text (a GArray of WinnowPick, at most COPY_MEMORY_MAX_PICKS,
 * caller frees) and its word count in *words. */
GArray *copy_memory_fingerprint (const CopyMemory *mem, const char *text, gsize len, guint32 *words);

/* Remembers a copy: id is the store's row id (0 when there is none), source the source
 * group's name, at unix seconds. A copy with the same fingerprints and source replaces
 * the earlier one (a text copied ten times is remembered once, as of the last time).
 * With defer (loading many), the new entries wait for copy_memory_flush. */
void copy_memory_add (CopyMemory *mem, gint64 id, const char *source, gint64 at, guint32 words,
                      const WinnowPick *picks, guint n_picks, gboolean defer);
void copy_memory_flush (CopyMemory *mem);

/* Forgets the copies made before now - keep_seconds, then the oldest while there are
 * more than max_copies or max_fingerprints. Returns the highest store id of a record
 * passed over (0 when none): the store forgets every row up to it too (rows are in time
 * order, and a copy made again was replaced by a later row). */
gint64 copy_memory_expire (CopyMemory *mem, gint64 now);

/* Appends one FINDING_COPIED per source group whose copies text shares runs of at least
 * min_words words with (the best copy of each: most words covered, then the latest),
 * skipping copies of source exclude (pasting back into the same group is no finding;
 * NULL skips none). */
void copy_memory_match (CopyMemory *mem, const char *text, gsize len, const char *exclude, gint64 now,
                        GPtrArray *findings);

guint copy_memory_count (const CopyMemory *mem);          /* copies remembered */
gsize copy_memory_fingerprints (const CopyMemory *mem);   /* their fingerprints */
gsize copy_memory_bytes (const CopyMemory *mem);          /* the memory they take, roughly */
