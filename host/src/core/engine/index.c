#include "index.h"
#include "spans.h"

#include <stdlib.h>

#include "bloom.h"
#include "findings.h"
#include "normalize.h"

/* Runs: two matched k-grams belong to one run when they follow each other in the same
 * order in the content and the document, at most RUN_MAX_GAP k-grams apart (a window,
 * plus the K k-grams one changed word destroys) and with their offsets differing by at
 * most RUN_MAX_SHIFT words (a few words inserted or deleted). */
#define RUN_MAX_GAP (WINNOW_W + WINNOW_K)
#define RUN_MAX_SHIFT 3
/* A k-gram that occurs more often than this in one pack is not worth following. */
#define MAX_ENTRIES_PER_HASH 64

struct EngineIndex {
  GPtrArray *packs;  /* IndexPack* */
  gboolean warmed;   /* engine_index_warm found nothing left */
  gsize warm_blocks; /* blocks it authenticated */
  guint warm_pack, warm_range;  /* where it goes on (a pack, one of its index_map_filters) */
};

IndexPack *
index_pack_new (const char *name, const char *label)
{
  IndexPack *pack = g_new0 (IndexPack, 1);
  pack->name = g_strdup (name);
  pack->label = g_strdup (label);
  pack->documents = g_ptr_array_new ();
  pack->names = g_string_chunk_new (64 * 1024);
  pack->kgram_hash = WINNOW_HASH_MULTILINEAR;
  return pack;
}

void
index_pack_free (IndexPack *pack)
{
  if (pack == NULL)
    return;
  g_free (pack->name);
  g_free (pack->label);
  g_ptr_array_unref (pack->documents);
  g_string_chunk_free (pack->names);
  if (pack->map == NULL)
    {
      g_free (pack->entries);
      g_free (pack->directory);
      g_free (pack->filter);
    }
  edm_table_free (pack->edm);
  index_map_free (pack->map);
  if (pack->repair.free != NULL)
    pack->repair.free (pack->repair.data);
  g_free (pack);
}

int
index_entry_compare (gconstpointer a, gconstpointer b)
{
  const IndexEntry *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  if (x->doc != y->doc)
    return x->doc < y->doc ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

EngineIndex *
engine_index_new (void)
{
  EngineIndex *index = g_new0 (EngineIndex, 1);
  index->packs = g_ptr_array_new_with_free_func ((GDestroyNotify) index_pack_free);
  return index;
}

void
engine_index_free (EngineIndex *index)
{
  if (index == NULL)
    return;
  g_ptr_array_unref (index->packs);
  g_free (index);
}

/* The filter in front of the directory (bloom.h): 16 to 32 bits per entry. */
static inline gboolean
filter_may_hold (const IndexPack *pack, guint64 hash)
{
  return bloom_may_hold (pack->map, pack->filter, pack->filter_bits, hash);
}

gboolean
index_pack_may_hold (const IndexPack *pack, guint64 hash)
{
  return filter_may_hold (pack, hash);
}

/* A binary search over a million fingerprints costs some 20 cache misses per k-gram
 * of the paste, and nearly every k-gram of a paste is in no pack: a directory by the
 * hash's top bits, about two entries per bucket, answers with one or two reads. 4 bytes
 * per 2 entries. The buckets are not even: winnowing keeps the smallest hash of each
 * window (see the filter above), so the buckets near zero hold about 12 times the
 * average. The search within a bucket is binary, so those stay a few reads too. */
static void
index_pack_build_directory (IndexPack *pack)
{
  if (pack->map != NULL)
    return;  /* built into the file */
  g_clear_pointer (&pack->directory, g_free);
  g_clear_pointer (&pack->filter, g_free);
  if (pack->n_entries >= G_MAXUINT32)
    return;  /* beyond any real pack: lookups fall back to the binary search */
  guint bits = 1;
  while (bits < 31 && ((gsize) 2 << bits) < pack->n_entries)
    bits++;
  gsize buckets = (gsize) 1 << bits;
  pack->directory = g_new (guint32, buckets + 1);
  pack->directory_bits = bits;
  gsize j = 0;
  for (gsize b = 0; b < buckets; b++)
    {
      pack->directory[b] = (guint32) j;
      while (j < pack->n_entries && pack->entries[j].hash >> (64 - bits) == b)
        j++;
    }
  pack->directory[buckets] = (guint32) j;
  /* The entries are 16 bytes each (16 MB for a million) and a bucket holds two: a
   * lookup in the directory alone still read the entries for nearly every k-gram. */
  pack->filter_bits = MAX (bits + 5, BLOOM_MIN_BITS);
  pack->filter = g_new0 (guint64, (gsize) 1 << (pack->filter_bits - 6));
  for (gsize i = 0; i < pack->n_entries; i++)
    {
      if (i + BLOOM_BUILD_PREFETCH < pack->n_entries)
        __builtin_prefetch (bloom_block (pack->filter, pack->filter_bits, pack->entries[i + BLOOM_BUILD_PREFETCH].hash), 1);
      bloom_add (pack->filter, pack->filter_bits, pack->entries[i].hash);
    }
}

void
index_pack_build (IndexPack *pack)
{
  index_pack_build_directory (pack);
}

void
index_pack_prepare (IndexPack *pack)
{
  if (pack->map != NULL)
    return;
  if (pack->directory == NULL)
    index_pack_build_directory (pack);
  if (pack->edm != NULL && pack->edm->value_filter == NULL)
    edm_table_index (pack->edm);
}

void
engine_index_add_pack (EngineIndex *index, IndexPack *pack)
{
  index_pack_prepare (pack);
  g_ptr_array_add (index->packs, pack);
}

guint
engine_index_pack_count (const EngineIndex *index)
{
  return index->packs->len;
}

const IndexPack *
engine_index_pack (const EngineIndex *index, guint i)
{
  g_assert (i < index->packs->len);
  return index->packs->pdata[i];
}

const IndexPack *
engine_index_find_pack (const EngineIndex *index, const char *name)
{
  for (guint i = 0; i < index->packs->len; i++)
    if (g_strcmp0 (((IndexPack *) index->packs->pdata[i])->name, name) == 0)
      return index->packs->pdata[i];
  return NULL;
}

gsize
engine_index_fingerprint_count (const EngineIndex *index)
{
  gsize n = 0;
  for (guint i = 0; i < index->packs->len; i++)
    n += ((IndexPack *) index->packs->pdata[i])->n_entries;
  return n;
}

/* ---- documents ---- */

typedef struct {
  guint32 doc;
  guint32 at;    /* k-gram position in the content */
  guint32 pos;   /* k-gram position in the document */
} Hit;

typedef IndexEvidence Evidence;

static int
compare_hits (gconstpointer a, gconstpointer b)
{
  const Hit *x = a, *y = b;
  if (x->doc != y->doc)
    return x->doc < y->doc ? -1 : 1;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The first entry not below hash, or n_entries. For a mapped pack the bucket is checked
 * before it is searched, and its bounds are clamped: they come from the file. */
static gsize
lower_bound (const IndexPack *pack, guint64 hash)
{
  gsize lo = 0, hi = pack->n_entries;
  if (pack->directory != NULL)
    {
      gsize b = hash >> (64 - pack->directory_bits);
      if (!index_map_check (pack->map, &pack->directory[b], 2 * sizeof (guint32)))
        return pack->n_entries;
      hi = MIN (pack->directory[b + 1], pack->n_entries);
      lo = MIN (pack->directory[b], hi);
      if (lo < hi && !index_map_check (pack->map, &pack->entries[lo], (hi - lo) * sizeof (IndexEntry)))
        return pack->n_entries;
    }
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      if (pack->entries[mid].hash < hash)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* How many k-grams ahead to prefetch the filter: a paste's lookups are independent, so
 * their cache misses can overlap. */
#define PREFETCH_AHEAD 8

/* A piece of content as index_pack_evidence reads it: its normalised words' hashes, and
 * the k-gram hash and key (WINNOW_KEY_BYTES) of the pack it is matched against. */
typedef struct {
  const guint64 *words;
  gsize n;
  WinnowHash hash;
  const guint8 *key;
} IndexContent;

/* The content's k-grams are hashed KGRAM_CHUNK at a time into one buffer, looked up and
 * dropped: 64 KiB that stay in the cache, where a whole paste's k-grams took 8 bytes a
 * word (128 MiB for 32 MB of one-letter words, and one such array per pack at once on
 * each scoring thread, beside the host's memory cap). */
#define KGRAM_CHUNK 8192

/* Hashes the k-grams [from, to) of content into buf (emptied first). */
static const guint64 *
hash_kgrams (const IndexContent *content, gsize from, gsize to, GArray *buf)
{
  g_array_set_size (buf, 0);
  winnow_kgrams (content->words + from, to - from + WINNOW_K - 1, content->hash, content->key, buf);
  return (const guint64 *) buf->data;
}

/* Word hashes (a GArray of guint64) as content for pack, with its k-gram hash and key. */
static IndexContent
pack_content (const IndexPack *pack, const GArray *hashes)
{
  return (IndexContent) { (const guint64 *) (const void *) hashes->data, hashes->len, pack->kgram_hash,
                          pack->doc_key };
}

static gsize
content_kgrams (const IndexContent *content)
{
  return content->n >= WINNOW_K ? content->n - WINNOW_K + 1 : 0;
}

/* A pack's hits for one piece of content stop at this many (48 MiB): a paste that
 * repeats a protected document's k-grams made one hit per repetition and per entry (up
 * to MAX_ENTRIES_PER_HASH), 32 MB of one repeated phrase past the host's memory cap.
 * The document is found long before; what the later repetitions would add to its
 * counts is not needed for a verdict. */
#define MAX_HITS (4u << 20)

/* Looks up the k-grams [from, to) of content; a hit records k-gram i as base + i. */
static void
collect_hits (const IndexPack *pack, const IndexContent *content, gsize from, gsize to, gsize base, GArray *hits)
{
  g_autoptr (GArray) buf = g_array_sized_new (FALSE, FALSE, sizeof (guint64), MIN (to - from, KGRAM_CHUNK));
  for (; from < to; from += KGRAM_CHUNK)
    {
      gsize n = MIN (to - from, KGRAM_CHUNK);
      const guint64 *k = hash_kgrams (content, from, from + n, buf);
      for (gsize i = 0; i < n; i++)
        {
          guint64 h = k[i];
          if (pack->filter != NULL && i + PREFETCH_AHEAD < n)
            __builtin_prefetch (bloom_block (pack->filter, pack->filter_bits, k[i + PREFETCH_AHEAD]));
          if (!filter_may_hold (pack, h))
            continue;
          gsize j = lower_bound (pack, h);
          for (gsize m = 0; j < pack->n_entries && m < MAX_ENTRIES_PER_HASH
                            && index_map_check (pack->map, &pack->entries[j], sizeof (IndexEntry))
                            && pack->entries[j].hash == h; j++, m++)
            {
              Hit hit = { pack->entries[j].doc, (guint32) (base + from + i), pack->entries[j].pos };
              g_array_append_val (hits, hit);
            }
          if (G_UNLIKELY (hits->len >= MAX_HITS))
            return;
        }
    }
}

/* Pastes of at least this many k-grams are winnowed first when the pack allows it
 * (IndexPack.winnowed_paste); shorter ones, which cost little, are looked up as always. */
#define PASTE_WINNOW_MIN 64

/* Whether one of the k-grams that winnowing keeps of the paste, with the pack's window,
 * is in the pack. When the pack's documents were winnowed without passing over any
 * k-gram, FALSE proves that the paste shares no run of WINNOW_GUARANTEE words with any
 * of them: such a run holds a whole window of W k-grams of the document, whose smallest
 * hash the pack kept; the paste holds the same window, and winnowing keeps a k-gram of
 * that smallest hash of the paste too (ties keep another k-gram of the same hash). Only
 * about 2/(W+1) of the k-grams are looked up, a sixth of the cache misses.
 *
 * A chunk of k-grams is winnowed at a time, each chunk from the W - 1 k-grams before it,
 * so that every window of the paste lies whole in a chunk: the hashes looked up are the
 * smallest of each window, as when the whole paste is winnowed at once. This looks at
 * the windows that end at the k-grams [from, to) (content holds the W - 1 before from,
 * if there are that many). */
static gboolean
winnowed_paste_hits (const IndexPack *pack, const IndexContent *content, gsize from, gsize to)
{
  g_autoptr (GArray) buf = g_array_sized_new (FALSE, FALSE, sizeof (guint64), MIN (to - from, KGRAM_CHUNK) + WINNOW_W);
  g_autoptr (GArray) picks
    = g_array_sized_new (FALSE, FALSE, sizeof (WinnowPick), MIN (to - from, KGRAM_CHUNK) / 5 + 1);
  for (; from < to; from += KGRAM_CHUNK)
    {
      gsize lo = from >= WINNOW_W - 1 ? from - (WINNOW_W - 1) : 0, hi = MIN (to, from + KGRAM_CHUNK);
      const guint64 *k = hash_kgrams (content, lo, hi, buf);
      g_array_set_size (picks, 0);
      winnow_select (k, hi - lo, WINNOW_W, picks);
      const WinnowPick *p = (const WinnowPick *) picks->data;
      for (guint i = 0; i < picks->len; i++)
        {
          if (pack->filter != NULL && i + PREFETCH_AHEAD < picks->len)
            __builtin_prefetch (bloom_block (pack->filter, pack->filter_bits, p[i + PREFETCH_AHEAD].hash));
          if (!filter_may_hold (pack, p[i].hash))
            continue;
          gsize j = lower_bound (pack, p[i].hash);
          if (j < pack->n_entries && index_map_check (pack->map, &pack->entries[j], sizeof (IndexEntry))
              && pack->entries[j].hash == p[i].hash)
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
continues (guint32 last_at, guint32 last_pos, const Hit *h)
{
  gint64 shift = ((gint64) h->pos - h->at) - ((gint64) last_pos - last_at);
  return h->at - last_at <= RUN_MAX_GAP && h->pos > last_pos && ABS (shift) <= RUN_MAX_SHIFT;
}

/* Hits [from, to) of one document, sorted by content position: chains them into runs. */
static void
document_evidence (const Hit *hits, guint from, guint to, Evidence *ev)
{
  *ev = (Evidence) { .doc = hits[from].doc };
  guint32 first = 0, last_at = 0, last_pos = 0, covered_end = 0;
  gboolean open = FALSE;
  for (guint i = from; i < to;)
    {
      guint j = i, next = i;
      while (next < to && hits[next].at == hits[i].at)
        next++;
      while (open && j < next && !continues (last_at, last_pos, &hits[j]))
        j++;
      gboolean extends = open && j < next;
      if (!extends)
        {
          first = hits[i].at;  /* a new run, from this k-gram's first occurrence */
          j = i;
          open = TRUE;
        }
      last_at = hits[j].at;
      last_pos = hits[j].pos;
      ev->count++;
      /* Within a run the words between two matched k-grams count as covered. */
      guint end = last_at + WINNOW_K;
      ev->longest = MAX (ev->longest, end - first);
      ev->covered += end - (extends ? covered_end : MAX (last_at, covered_end));
      covered_end = end;
      i = next;
    }
}

static int
compare_evidence (gconstpointer a, gconstpointer b)
{
  const Evidence *x = a, *y = b;
  if (x->covered != y->covered)
    return x->covered > y->covered ? -1 : 1;
  return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static void
add_document_findings (const IndexPack *pack, GArray *evidence, guint words, GPtrArray *findings)
{
  g_array_sort (evidence, compare_evidence);
  for (guint i = 0; i < evidence->len && i < INDEX_MAX_DOCUMENTS; i++)
    {
      const Evidence *ev = &g_array_index (evidence, Evidence, i);
      Finding *f = finding_new (FINDING_DOCUMENT);
      f->name = g_strdup (ev->doc < pack->documents->len ? pack->documents->pdata[ev->doc] : pack->name);
      f->label = g_strdup (pack->label);
      f->count = ev->count;
      f->longest = ev->longest;
      f->words = ev->covered;
      f->score = MIN (1.0, (double) ev->covered / MAX (words, 1));
      g_ptr_array_add (findings, f);
    }
}

/* Evidence from the hits of one pack, per document. Sorts hits. */
static void
evidence_of_hits (GArray *hits, GArray *evidence)
{
  g_array_sort (hits, compare_hits);
  const Hit *h = (const Hit *) hits->data;
  for (guint i = 0; i < hits->len;)
    {
      guint j = i;
      while (j < hits->len && h[j].doc == h[i].doc)
        j++;
      Evidence ev;
      document_evidence (h, i, j, &ev);
      g_array_append_val (evidence, ev);
      i = j;
    }
}

/* Appends one IndexEvidence per document of pack that shares a k-gram with the
 * content, in document order. The k-grams are hashed a chunk at a time: what this
 * takes does not grow with the content, beyond the k-grams that match. */
static void
index_pack_evidence (const IndexPack *pack, const IndexContent *content, GArray *evidence)
{
  gsize total = content_kgrams (content);
  if (pack->n_entries == 0 || total == 0)
    return;
  g_assert (content->n <= G_MAXUINT32);
  /* No kept k-gram in the pack: no run of the guarantee's length is shared, and a
   * shorter one alone in a long paste is let go. With one, every k-gram is looked up,
   * so the evidence is what it always was. */
  if (pack->winnowed_paste && total >= PASTE_WINNOW_MIN && !winnowed_paste_hits (pack, content, 0, total))
    return;
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  collect_hits (pack, content, 0, total, 0, hits);
  evidence_of_hits (hits, evidence);
}

static void
match_documents (const IndexPack *pack, const GArray *words, GPtrArray *findings)
{
  if (pack->n_entries == 0 || words->len < WINNOW_K)
    return;
  g_autoptr (GArray) evidence = g_array_new (FALSE, FALSE, sizeof (Evidence));
  IndexContent content = pack_content (pack, words);
  index_pack_evidence (pack, &content, evidence);
  add_document_findings (pack, evidence, words->len, findings);
}

/* ---- exact data ---- */

static void
add_edm_finding (const IndexPack *pack, const EdmMatch *match, GPtrArray *findings)
{
  if (match->records == 0)
    return;
  g_autoptr (GString) columns = g_string_new (NULL);
  for (guint i = 0; i < pack->edm->n_columns; i++)
    if (match->columns & (G_GUINT64_CONSTANT (1) << i))
      g_string_append_printf (columns, "%s%s", columns->len ? "," : "", pack->edm->columns[i].name);
  Finding *f = finding_new (FINDING_EDM);
  f->name = g_strdup (pack->edm->name);
  f->label = g_strdup (pack->label);
  f->detail = g_string_free (g_steal_pointer (&columns), FALSE);
  f->count = match->records;
  g_ptr_array_add (findings, f);
}

static void
match_edm (const IndexPack *pack, const char *text, gsize len, const NormWords *words, GPtrArray *findings)
{
  EdmMatch match;
  edm_table_match_words (pack->edm, text, len, words, &match);
  add_edm_finding (pack, &match, findings);
}

static void
match_pack (const IndexPack *pack, const char *text, gsize len, const NormWords *words, GPtrArray *findings)
{
  match_documents (pack, words->hashes, findings);
  if (pack->edm != NULL)
    match_edm (pack, text, len, words, findings);
}

/* ---- a text too large for its words to be held at once ---- */

/* Above SEGMENT_MIN bytes a text's words are made and matched SEGMENT_BYTES at a time
 * (about: a segment ends where normalize_can_split or norm_words_new_until says), each
 * segment starting again at the run of its last SEGMENT_OVERLAP words before: what a
 * word takes (24 bytes, and its text) is held for one segment, where the whole text's
 * words took up to 52 bytes a byte of text (32 MB of one-digit words, or of U+FDFA,
 * which NFKC makes four words) and passed the host's memory cap. The findings are the
 * same as from the whole text at once: each k-gram and each run of exact-data words is
 * looked up in the one segment that owns it (that holds all of its words), the winnowing
 * windows that span two segments lie whole in the second, and a pack whose winnowed
 * k-grams hit in a segment has every k-gram of the text looked up, earlier segments
 * walked again for it. */
#define SEGMENT_MIN ((gsize) 4 << 20)
#define SEGMENT_BYTES ((gsize) 1 << 20)
#define SEGMENT_OVERLAP (WINNOW_K + WINNOW_W - 2)
G_STATIC_ASSERT (SEGMENT_OVERLAP >= EDM_MAX_WORDS - 1);

static gsize segment_min = SEGMENT_MIN, segment_bytes = SEGMENT_BYTES;

void
engine_index_set_segments (gsize min, gsize bytes)
{
  segment_min = min > 0 ? min : SEGMENT_MIN;
  segment_bytes = bytes > 0 ? bytes : SEGMENT_BYTES;
}

static gboolean
segmented (gsize len)
{
  return len > segment_min;
}

typedef struct {
  const char *text;
  gsize len;
  gsize begin, end;      /* bytes of the segment to come; end: of the one before */
  gsize base;            /* the index of its first word in the text's words */
  gsize words;           /* the text's words found so far */
  gsize kgrams_to, runs_to;  /* k-grams and EDM runs looked up so far */
  /* Of the last SEGMENT_OVERLAP words, word i at i % SEGMENT_OVERLAP: where its run
   * starts in the text, and the first word of that run. */
  gsize last_start[SEGMENT_OVERLAP], last_run[SEGMENT_OVERLAP];
  guint index;
  gboolean done;
} SegmentWalk;

typedef struct {
  NormWords *words;
  gsize begin;           /* where its bytes start in the text */
  gsize base;            /* the index of words[0] in the text's words */
  gsize kfrom, kto;      /* the k-grams it owns, indices into words */
  guint rfrom, rto;      /* the EDM runs it owns, by their first word */
  guint index;
} Segment;

static void
segment_walk_init (SegmentWalk *walk, const char *text, gsize len)
{
  *walk = (SegmentWalk) { .text = text, .len = len };
}

/* The next segment's words, or FALSE after the last. */
static gboolean
segment_next (SegmentWalk *walk, Segment *seg)
{
  if (walk->done)
    return FALSE;
  /* Where a separator lets the text be cut; without one for another segment's length
   * (letters and no space: CJK without punctuation, U+FDFA glued), the walk itself
   * stops between two runs of 64 KiB. */
  gsize target = MIN (walk->len, walk->end + segment_bytes), end = target;
  gsize limit = MIN (walk->len, target + segment_bytes);
  while (end < limit && !normalize_can_split (walk->text, walk->len, end))
    end++;
  NormWords *words;
  if (normalize_can_split (walk->text, walk->len, end))
    words = norm_words_new (walk->text + walk->begin, end - walk->begin);
  else
    {
      gsize stopped;
      words = norm_words_new_until (walk->text + walk->begin, walk->len - walk->begin, target - walk->begin, &stopped);
      end = walk->begin + stopped;
    }
  *seg = (Segment) { .words = words, .begin = walk->begin, .base = walk->base, .index = walk->index++ };
  const NormWord *w = (const NormWord *) (const void *) seg->words->words->data;
  gsize n = seg->words->words->len, total = walk->base + n;
  g_assert (total >= walk->words);  /* the words of the segment before come again */
  for (gsize g = walk->words; g < total; g++)
    {
      gsize start = walk->begin + w[g - walk->base].start;
      gboolean same_run = g > 0 && walk->last_start[(g - 1) % SEGMENT_OVERLAP] == start;
      walk->last_run[g % SEGMENT_OVERLAP] = same_run ? walk->last_run[(g - 1) % SEGMENT_OVERLAP] : g;
      walk->last_start[g % SEGMENT_OVERLAP] = start;
    }
  gboolean last = end == walk->len;
  gsize kto = MAX (walk->kgrams_to, total >= WINNOW_K ? total - WINNOW_K + 1 : 0);
  gsize rto = last ? total : MAX (walk->runs_to, total >= EDM_MAX_WORDS ? total - (EDM_MAX_WORDS - 1) : 0);
  seg->kfrom = walk->kgrams_to - walk->base;
  seg->kto = kto - walk->base;
  seg->rfrom = (guint) (walk->runs_to - walk->base);
  seg->rto = (guint) (rto - walk->base);
  walk->kgrams_to = kto;
  walk->runs_to = rto;
  walk->words = total;
  walk->end = end;
  walk->done = last;
  /* The next starts at the run of the word SEGMENT_OVERLAP before the last. */
  if (total == 0)
    walk->begin = end;
  else
    {
      gsize g = total > SEGMENT_OVERLAP ? total - SEGMENT_OVERLAP : 0;
      walk->begin = walk->last_start[g % SEGMENT_OVERLAP];
      walk->base = walk->last_run[g % SEGMENT_OVERLAP];
    }
  return TRUE;
}

typedef struct {
  const IndexPack *pack;
  GArray *hits;            /* its documents' hits, once collecting */
  guint collect_from;      /* the first segment whose k-grams were all looked up, G_MAXUINT: none */
  EdmScan *edm;
} SegmentPack;

static void
segment_documents (SegmentPack *p, const Segment *seg)
{
  const IndexPack *pack = p->pack;
  if (pack->n_entries == 0 || seg->kfrom >= seg->kto)
    return;
  IndexContent content = pack_content (pack, seg->words->hashes);
  if (p->collect_from == G_MAXUINT
      && (!pack->winnowed_paste || winnowed_paste_hits (pack, &content, seg->kfrom, seg->kto)))
    p->collect_from = seg->index;
  if (p->collect_from <= seg->index)
    collect_hits (pack, &content, seg->kfrom, seg->kto, seg->base, p->hits);
}

/* Walks text a segment at a time for each of p's packs: its documents' hits into
 * p[i].hits (every k-gram's, when index_pack_evidence would look every one up), its
 * exact data's runs of words into p[i].edm when set. Returns the text's word count. */
static guint
walk_segments (SegmentPack *p, guint n_packs, const char *text, gsize len)
{
  SegmentWalk walk;
  Segment seg;
  segment_walk_init (&walk, text, len);
  while (segment_next (&walk, &seg))
    {
      for (guint i = 0; i < n_packs; i++)
        {
          segment_documents (&p[i], &seg);
          if (p[i].edm != NULL)
            edm_scan_words (p[i].edm, seg.words, seg.rfrom, seg.rto, seg.begin);
        }
      norm_words_free (seg.words);
    }
  g_assert (walk.words <= G_MAXUINT32);
  guint n_words = (guint) walk.words;
  /* A short text (in words) is looked up whole, as index_pack_evidence does; a pack
   * that began to look every k-gram up in a later segment takes the earlier ones now. */
  guint again = 0;
  for (guint i = 0; i < n_packs; i++)
    {
      if (p[i].collect_from == G_MAXUINT && walk.kgrams_to < PASTE_WINNOW_MIN)
        p[i].collect_from = walk.index;
      if (p[i].collect_from != G_MAXUINT)
        again = MAX (again, p[i].collect_from);
    }
  segment_walk_init (&walk, text, len);
  while (again > 0 && walk.index < again && segment_next (&walk, &seg))
    {
      for (guint i = 0; i < n_packs; i++)
        if (p[i].collect_from != G_MAXUINT && seg.index < p[i].collect_from && seg.kfrom < seg.kto
            && p[i].pack->n_entries > 0)
          {
            IndexContent content = pack_content (p[i].pack, seg.words->hashes);
            collect_hits (p[i].pack, &content, seg.kfrom, seg.kto, seg.base, p[i].hits);
          }
      norm_words_free (seg.words);
    }
  return n_words;
}

static SegmentPack *
segment_packs_new (const IndexPack *const *packs, guint n_packs, gboolean edm)
{
  SegmentPack *p = g_new0 (SegmentPack, n_packs);
  for (guint i = 0; i < n_packs; i++)
    {
      p[i] = (SegmentPack) { .pack = packs[i], .hits = g_array_new (FALSE, FALSE, sizeof (Hit)),
                             .collect_from = G_MAXUINT };
      if (edm && packs[i]->edm != NULL)
        p[i].edm = edm_scan_new (packs[i]->edm);
    }
  return p;
}

/* Appends each pack's document findings to documents[i] and its exact data's to edm[i],
 * as match_pack does, walking text a segment at a time. */
static void
match_segmented (const IndexPack *const *packs, guint n_packs, const char *text, gsize len, GPtrArray **documents,
                 GPtrArray **edm)
{
  g_autofree SegmentPack *p = segment_packs_new (packs, n_packs, TRUE);
  guint n_words = walk_segments (p, n_packs, text, len);
  for (guint i = 0; i < n_packs; i++)
    {
      g_autoptr (GArray) evidence = g_array_new (FALSE, FALSE, sizeof (Evidence));
      evidence_of_hits (p[i].hits, evidence);
      g_array_unref (p[i].hits);
      add_document_findings (p[i].pack, evidence, n_words, documents[i]);
      if (p[i].edm != NULL)
        {
          EdmMatch match;
          edm_scan_finish (p[i].edm, text, len, &match, NULL);
          add_edm_finding (p[i].pack, &match, edm[i]);
        }
    }
}

guint
index_text_evidence (const IndexPack *const *packs, guint n_packs, const char *text, gsize len, GArray *evidence)
{
  if (!segmented (len))
    {
      /* The word hashes alone: the words' text, which norm_words_new also keeps, is not needed. */
      g_autoptr (GArray) hashes = g_array_new (FALSE, FALSE, sizeof (guint64));
      normalize_word_hashes (text, len, hashes);
      for (guint i = 0; i < n_packs; i++)
        {
          IndexContent content = pack_content (packs[i], hashes);
          index_pack_evidence (packs[i], &content, evidence);
        }
      return hashes->len;
    }
  g_autofree SegmentPack *p = segment_packs_new (packs, n_packs, FALSE);
  guint n_words = walk_segments (p, n_packs, text, len);
  for (guint i = 0; i < n_packs; i++)
    {
      evidence_of_hits (p[i].hits, evidence);
      g_array_unref (p[i].hits);
    }
  return n_words;
}

/* A mapped pack whose file failed a check is replaced by the same pack loaded from its
 * source, and matched again: a changed byte never changes a verdict. */
static IndexPack *
repair_pack (EngineIndex *index, guint i)
{
  IndexPack *damaged = index->packs->pdata[i];
  IndexPack *fresh = damaged->repair.fn != NULL ? damaged->repair.fn (damaged, damaged->repair.data) : NULL;
  if (fresh == NULL)
    {
      g_warning ("pack \"%s\": its index file %s is damaged and the pack cannot be reloaded", damaged->name,
                 damaged->map->path);
      return NULL;
    }
  g_message ("pack \"%s\": its index file %s is damaged; the pack was reloaded from the store", damaged->name,
             damaged->map->path);
  index_pack_prepare (fresh);
  index->packs->pdata[i] = fresh;
  index_pack_free (damaged);
  return fresh;
}

gboolean
engine_index_warm (EngineIndex *index, gsize max_blocks)
{
  if (index->warmed)
    return FALSE;
  gsize left = max_blocks;
  for (; index->warm_pack < index->packs->len; index->warm_pack++, index->warm_range = 0)
    {
      /* A pack's EDM table is in the same file as its fingerprints (pack-index.c). */
      IndexMap *map = ((IndexPack *) index->packs->pdata[index->warm_pack])->map;
      for (; map != NULL && index->warm_range < INDEX_MAP_FILTERS; index->warm_range++)
        {
          gsize done = index_map_check_filter_ahead (map, index->warm_range, left);
          left -= done;
          index->warm_blocks += done;
          if (index_map_damaged (map))
            {
              repair_pack (index, index->warm_pack);  /* reloaded into memory: no filter left to read */
              break;
            }
          if (left == 0)
            return TRUE;  /* this filter may hold more: the next call looks again */
        }
    }
  index->warmed = TRUE;
  if (index->warm_blocks > 0)
    g_debug ("index: %" G_GSIZE_FORMAT " blocks of the packs' filters authenticated ahead of the first pastes",
             index->warm_blocks);
  return FALSE;
}

gboolean
engine_index_warmed (const EngineIndex *index)
{
  return index->warmed;
}

void
engine_index_match (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings)
{
  if (index->packs->len == 0)
    return;
  EngineIndexSplit *split = engine_index_split_new (index, text, len);
  while (engine_index_split_take (split))
    ;
  engine_index_split_finish (split, findings);
}

struct EngineIndexSplit {
  const EngineIndex *index;
  const char *text;
  gsize len;
  NormWords *words;
  GPtrArray **documents, **edm;  /* a findings array per pack for each part */
  gint next;                     /* atomic: the next part to take */
};

EngineIndexSplit *
engine_index_split_new (const EngineIndex *index, const char *text, gsize len)
{
  EngineIndexSplit *split = g_new0 (EngineIndexSplit, 1);
  split->index = index;
  split->text = text;
  split->len = len;
  split->words = segmented (len) ? NULL : norm_words_new (text, len);
  split->documents = g_new0 (GPtrArray *, index->packs->len);
  split->edm = g_new0 (GPtrArray *, index->packs->len);
  for (guint i = 0; i < index->packs->len; i++)
    {
      split->documents[i] = findings_new ();
      split->edm[i] = findings_new ();
    }
  return split;
}

gboolean
engine_index_split_take (EngineIndexSplit *split)
{
  if (split->words == NULL)
    {
      /* One part: every pack, a segment at a time (the words of one segment are shared). */
      if (g_atomic_int_add (&split->next, 1) != 0)
        return FALSE;
      const EngineIndex *index = split->index;
      match_segmented ((const IndexPack *const *) index->packs->pdata, index->packs->len, split->text, split->len,
                       split->documents, split->edm);
      return TRUE;
    }
  guint parts = 2 * split->index->packs->len;
  for (;;)
    {
      guint part = (guint) g_atomic_int_add (&split->next, 1);
      if (part >= parts)
        return FALSE;
      const IndexPack *pack = split->index->packs->pdata[part / 2];
      if (part % 2 == 0)
        {
          match_documents (pack, split->words->hashes, split->documents[part / 2]);
          return TRUE;
        }
      if (pack->edm != NULL)
        {
          match_edm (pack, split->text, split->len, split->words, split->edm[part / 2]);
          return TRUE;
        }
    }
}

static void
move_findings (GPtrArray *from, GPtrArray *to)
{
  for (guint i = 0; i < from->len; i++)
    g_ptr_array_add (to, g_steal_pointer (&from->pdata[i]));
  g_ptr_array_set_size (from, 0);
}

void
engine_index_split_finish (EngineIndexSplit *split, GPtrArray *findings)
{
  const EngineIndex *index = split->index;
  for (guint i = 0; i < index->packs->len; i++)
    {
      const IndexPack *pack = index->packs->pdata[i];
      if (pack->map != NULL && index_map_damaged (pack->map))
        {
          /* The index is the engine's own cache: repairing it is not a change a caller
           * sees. What either half found in the damaged file is dropped. */
          const IndexPack *fresh = repair_pack ((EngineIndex *) index, i);
          if (fresh != NULL && split->words != NULL)
            match_pack (fresh, split->text, split->len, split->words, findings);
          else if (fresh != NULL)
            {
              g_autoptr (GPtrArray) documents = findings_new ();
              g_autoptr (GPtrArray) edm = findings_new ();
              match_segmented (&fresh, 1, split->text, split->len, &documents, &edm);
              move_findings (documents, findings);
              move_findings (edm, findings);
            }
        }
      else
        {
          move_findings (split->documents[i], findings);
          move_findings (split->edm[i], findings);
        }
      g_ptr_array_unref (split->documents[i]);
      g_ptr_array_unref (split->edm[i]);
    }
  g_free (split->documents);
  g_free (split->edm);
  norm_words_free (split->words);
  g_free (split);
}

void
engine_index_spans (const EngineIndex *index, const char *text, gsize len, GArray *spans)
{
  g_autoptr (GPtrArray) scans = g_ptr_array_new ();
  g_autoptr (GPtrArray) tables = g_ptr_array_new ();
  for (guint i = 0; i < index->packs->len; i++)
    {
      const IndexPack *pack = index->packs->pdata[i];
      if (pack->edm == NULL)
        continue;
      g_ptr_array_add (scans, edm_scan_new (pack->edm));
      g_ptr_array_add (tables, pack->edm);
    }
  if (scans->len == 0)
    return;
  if (!segmented (len))
    {
      g_autoptr (NormWords) words = norm_words_new (text, len);
      for (guint i = 0; i < scans->len; i++)
        edm_scan_words (scans->pdata[i], words, 0, words->words->len, 0);
    }
  else
    {
      SegmentWalk walk;
      Segment seg;
      segment_walk_init (&walk, text, len);
      while (segment_next (&walk, &seg))
        {
          for (guint i = 0; i < scans->len; i++)
            edm_scan_words (scans->pdata[i], seg.words, seg.rfrom, seg.rto, seg.begin);
          norm_words_free (seg.words);
        }
    }
  for (guint i = 0; i < scans->len; i++)
    {
      const EdmTable *table = tables->pdata[i];
      EdmMatch match;
      g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (EdmSpan));
      edm_scan_finish (scans->pdata[i], text, len, &match, found);
      for (guint k = 0; k < found->len; k++)
        {
          const EdmSpan *e = &g_array_index (found, EdmSpan, k);
          EngineSpan span = { e->start, e->end, FINDING_EDM, table->name };
          g_array_append_val (spans, span);
        }
    }
}
