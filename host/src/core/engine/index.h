/* index.h: the protected-content index the engine scores against (document
 * fingerprints and exact-data hashes). pack/ builds and loads it; the engine only reads.
 *
 * An index holds packs (IndexPack): each has its own keys, its document names, an
 * array of fingerprints sorted by hash (looked up through a bitmap and a directory by
 * the hash's top bits; no per-entry allocation, so a million fingerprints load in one
 * copy) and optionally one EDM table. */
#pragma once

#include <glib.h>

#include "edm.h"
#include "index-map.h"
#include "winnow.h"

/* One kept k-gram of one document. 16 bytes; arrays are sorted by (hash, doc, pos). */
typedef struct {
  guint64 hash;
  guint32 doc;   /* index into IndexPack.documents */
  guint32 pos;   /* word position of the k-gram in the document */
} IndexEntry;

typedef struct _IndexPack {
  char *name;                          /* the pack's name */
  char *label;                         /* the pack's label, which the policy maps */
  guint8 doc_key[WINNOW_KEY_BYTES];    /* k-gram hash key */
  WinnowHash kgram_hash;               /* the k-gram hash, from the pack's format */
  GPtrArray *documents;                /* char*: document names, by doc id, in names */
  GStringChunk *names;                 /* owned: one allocation for many names */
  IndexEntry *entries;                 /* owned, sorted */
  gsize n_entries;
  /* Built by engine_index_add_pack(): entries [directory[b], directory[b + 1]) are those
   * whose hash starts with the directory_bits bits of b. NULL until then. */
  guint32 *directory;
  guint directory_bits;
  /* A blocked Bloom filter of 2^filter_bits bits (32 per directory bucket), eight bits
   * per entry in one 256-bit block (bloom.h): a k-gram no entry has, nearly all of a
   * paste's, is answered by one read of it, without touching the entries. */
  guint64 *filter;
  guint filter_bits;
  EdmTable *edm;                       /* owned; NULL when the pack has none */
  /* TRUE when every document was winnowed without passing over anything (the pack has
   * no boilerplate): then a long paste is winnowed the same way first, and looked up
   * k-gram by k-gram only when one of its kept k-grams is in the pack (index.c). */
  gboolean winnowed_paste;
  /* When set (owned), entries, directory, filter and the EDM table's arrays point into
   * this mapped file (index-map.h) and are not freed with the pack; they are already
   * built, and every read of them is checked. */
  IndexMap *map;
  /* Called when a read of map found a block that does not authenticate: returns the
   * same pack loaded into memory from its source (NULL when it cannot), which takes
   * the damaged pack's place in the index. */
  struct IndexPackRepair {
    struct _IndexPack *(*fn) (const struct _IndexPack *damaged, gpointer data);
    gpointer data;
    GDestroyNotify free;
  } repair;
} IndexPack;

IndexPack *index_pack_new (const char *name, const char *label);
void index_pack_free (IndexPack *pack);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IndexPack, index_pack_free)
int index_entry_compare (gconstpointer a, gconstpointer b);

typedef struct EngineIndex EngineIndex;

EngineIndex *engine_index_new (void);
void engine_index_free (EngineIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineIndex, engine_index_free)

/* Builds a pack's directory and filters (engine_index_add_pack does it for a pack
 * loaded into memory; pack/ calls it before deriving a mapped file). */
void index_pack_prepare (IndexPack *pack);

/* Takes ownership of pack. */
void engine_index_add_pack (EngineIndex *index, IndexPack *pack);
guint engine_index_pack_count (const EngineIndex *index);

/* The packs' filters (the first read of every lookup, at a random place in each)
 * authenticated and paged in ahead of the first pastes, up to max_blocks blocks of their
 * index files a call: a host calls it while idle after it starts, so that its first
 * pastes do not pay for it (at 100 M words a first 64 KiB paste took 17.5 ms, later
 * ones 3 to 5). TRUE while blocks are left. A block that fails repairs its pack at once
 * (reloaded from its source), as a lookup that read it would. */
gboolean engine_index_warm (EngineIndex *index, gsize max_blocks);
gboolean engine_index_warmed (const EngineIndex *index);
/* Whether the filter in front of pack's entries lets a k-gram hash through: FALSE
 * means no entry has it, TRUE may be a false positive (always TRUE until the pack is
 * in an index). */
gboolean index_pack_may_hold (const IndexPack *pack, guint64 hash);
/* The i-th pack (i < engine_index_pack_count ()). */
const IndexPack *engine_index_pack (const EngineIndex *index, guint i);
/* The loaded pack of that name, or NULL. */
const IndexPack *engine_index_find_pack (const EngineIndex *index, const char *name);
/* Fingerprints over every pack. */
gsize engine_index_fingerprint_count (const EngineIndex *index);

/* Sorts nothing: builds the directory and the filter of a pack whose entries are
 * already sorted (engine_index_add_pack does it for a pack it takes); call it again
 * after the entries change. */
void index_pack_build (IndexPack *pack);

/* What one document of a pack has in common with a piece of content: matched k-grams
 * chained into runs (index.c). */
typedef struct {
  guint32 doc;
  guint count;    /* distinct matched k-grams of the content */
  guint longest;  /* words */
  guint covered;  /* words */
} IndexEvidence;

/* One IndexEvidence per document of each of packs (with its own k-gram hash and key)
 * that shares a k-gram with text, pack after pack, each pack's in document order; above
 * 4 MiB a segment of words at a time, as engine_index_match does. Returns the text's
 * word count. */
guint index_text_evidence (const IndexPack *const *packs, guint n_packs, const char *text, gsize len,
                           GArray *evidence);

/* At most this many documents of one pack are reported for one piece of content. */
#define INDEX_MAX_DOCUMENTS 8

/* Appends FINDING_DOCUMENT and FINDING_EDM findings for text to findings. */
void engine_index_match (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings);

/* engine_index_match in parts that threads may match at once (score.c): each pack's
 * documents, then its exact data (EDM), in pack order, all from the words
 * engine_index_split_new normalised; a text over 4 MiB is one part, every pack matched
 * a segment of words at a time (index.c). engine_index_split_take claims the next part no
 * thread has taken and matches it; FALSE when none is left. Only the thread that made
 * the split uses the index otherwise until engine_index_split_finish, which it calls
 * once every thread has stopped taking: it appends the findings in engine_index_match's
 * order, and repairs and matches again a pack whose index file failed a check in any
 * part. text must outlive the split. */
typedef struct EngineIndexSplit EngineIndexSplit;
EngineIndexSplit *engine_index_split_new (const EngineIndex *index, const char *text, gsize len);
gboolean engine_index_split_take (EngineIndexSplit *split);
/* Frees split. */
void engine_index_split_finish (EngineIndexSplit *split, GPtrArray *findings);

/* Tests: texts over min bytes are matched against the packs in segments of about bytes
 * (index.c); 0, 0 restores the defaults (4 MiB and 1 MiB). Not thread-safe: set it
 * before scoring. */
void engine_index_set_segments (gsize min, gsize bytes);

/* Appends an EngineSpan (spans.h) for each value of each EDM record of every pack
 * found in text to spans, unsorted. */
void engine_index_spans (const EngineIndex *index, const char *text, gsize len, GArray *spans);
