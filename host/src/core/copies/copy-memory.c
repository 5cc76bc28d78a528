#include "copy-memory.h"

#include <string.h>

#include "engine/findings.h"
#include "engine/index.h"
#include "engine/normalize.h"

/* One remembered copy; the position of its record is its document id in the packs. */
typedef struct {
  gint64 id;         /* store row id, 0 without a store */
  gint64 at;         /* unix seconds */
  guint64 digest;    /* of its source and fingerprints, to find the same copy again */
  guint32 source;    /* index into sources */
  guint32 words;
  guint32 n_picks;
  gboolean alive;
} CopyRecord;

struct CopyMemory {
  guint8 key[WINNOW_KEY_BYTES];
  CopyLimits limits;
  GPtrArray *sources;      /* char*: the source names seen, interned */
  GArray *records;         /* CopyRecord, oldest first */
  guint first;             /* records before it are all dead */
  guint alive;             /* live records */
  gsize alive_picks;       /* their fingerprints */
  guint dead;              /* dead records still in records */
  GHashTable *by_digest;   /* digest -> record index + 1, live records only */
  IndexPack *main;         /* large, merged rarely */
  IndexPack *recent;       /* small, takes each copy */
  GArray *pending;         /* IndexEntry of deferred adds, unsorted */
};

static IndexPack *
pack_new (const CopyMemory *mem)
{
  IndexPack *pack = index_pack_new ("copies", "copied");
  memcpy (pack->doc_key, mem->key, WINNOW_KEY_BYTES);
  pack->kgram_hash = WINNOW_HASH_MULTILINEAR;
  return pack;
}

CopyMemory *
copy_memory_new (const guint8 key[WINNOW_KEY_BYTES], const CopyLimits *limits)
{
  CopyMemory *mem = g_new0 (CopyMemory, 1);
  memcpy (mem->key, key, WINNOW_KEY_BYTES);
  mem->limits = *limits;
  mem->sources = g_ptr_array_new_with_free_func (g_free);
  mem->records = g_array_new (FALSE, FALSE, sizeof (CopyRecord));
  mem->by_digest = g_hash_table_new (g_direct_hash, g_direct_equal);
  mem->main = pack_new (mem);
  mem->recent = pack_new (mem);
  mem->pending = g_array_new (FALSE, FALSE, sizeof (IndexEntry));
  return mem;
}

/* The key is the device's copy key (copy-book.c): not left behind in freed memory. A
 * volatile store, since this module does not use libsodium's memory functions. */
static void
key_wipe (guint8 key[WINNOW_KEY_BYTES])
{
  volatile guint8 *k = key;
  for (gsize i = 0; i < WINNOW_KEY_BYTES; i++)
    k[i] = 0;
}

void
copy_memory_free (CopyMemory *mem)
{
  if (mem == NULL)
    return;
  g_ptr_array_unref (mem->sources);
  g_array_unref (mem->records);
  g_hash_table_unref (mem->by_digest);
  key_wipe (mem->main->doc_key);
  key_wipe (mem->recent->doc_key);
  key_wipe (mem->key);
  index_pack_free (mem->main);
  index_pack_free (mem->recent);
  g_array_unref (mem->pending);
  g_free (mem);
}

void
copy_memory_set_limits (CopyMemory *mem, const CopyLimits *limits)
{
  mem->limits = *limits;
}

GArray *
copy_memory_fingerprint (const CopyMemory *mem, const char *text, gsize len, guint32 *words)
{
  g_autoptr (GArray) hashes = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) kgrams = g_array_new (FALSE, FALSE, sizeof (guint64));
  GArray *picks = g_array_new (FALSE, FALSE, sizeof (WinnowPick));
  normalize_word_hashes (text, len, hashes);
  *words = (guint32) MIN (hashes->len, G_MAXUINT32);
  winnow_kgrams ((const guint64 *) hashes->data, hashes->len, WINNOW_HASH_MULTILINEAR, mem->key, kgrams);
  if (kgrams->len > 0)
    winnow_select ((const guint64 *) kgrams->data, kgrams->len, WINNOW_W, picks);
  if (picks->len > COPY_MEMORY_MAX_PICKS)
    g_array_set_size (picks, COPY_MEMORY_MAX_PICKS);
  return picks;
}

/* ---- records ---- */

static guint32
source_index (CopyMemory *mem, const char *source)
{
  for (guint i = 0; i < mem->sources->len; i++)
    if (strcmp (mem->sources->pdata[i], source) == 0)
      return i;
  g_ptr_array_add (mem->sources, g_strdup (source));
  return mem->sources->len - 1;
}

/* FNV-1a over the source and the fingerprints: finds the same copy again, nothing more. */
static guint64
copy_digest (guint32 source, const WinnowPick *picks, guint n)
{
  guint64 h = G_GUINT64_CONSTANT (14695981039346656037) ^ source;
  for (guint i = 0; i < n; i++)
    {
      h ^= picks[i].hash + picks[i].pos;
      h *= G_GUINT64_CONSTANT (1099511628211);
    }
  return h;
}

static void
record_kill (CopyMemory *mem, guint index)
{
  CopyRecord *r = &g_array_index (mem->records, CopyRecord, index);
  if (!r->alive)
    return;
  r->alive = FALSE;
  mem->alive--;
  mem->alive_picks -= r->n_picks;
  mem->dead++;
  gpointer key = GSIZE_TO_POINTER ((gsize) r->digest);
  if (GPOINTER_TO_SIZE (g_hash_table_lookup (mem->by_digest, key)) == index + 1)
    g_hash_table_remove (mem->by_digest, key);
}

/* ---- entries ---- */

/* Merges sorted add[0..n) with pack's sorted entries into the pack, keeping only the
 * entries whose document keep[] says (remapped through it; NULL keeps all as they are). */
static void
pack_merge (IndexPack *pack, const IndexEntry *add, gsize n, const guint32 *keep)
{
  IndexEntry *out = g_new (IndexEntry, pack->n_entries + n + 1);
  gsize i = 0, j = 0, k = 0;
  while (i < pack->n_entries || j < n)
    {
      const IndexEntry *e = (j >= n || (i < pack->n_entries && index_entry_compare (&pack->entries[i], &add[j]) <= 0))
                              ? &pack->entries[i++] : &add[j++];
      if (keep != NULL && keep[e->doc] == G_MAXUINT32)
        continue;
      out[k] = *e;
      if (keep != NULL)
        out[k].doc = keep[e->doc];
      k++;
    }
  g_free (pack->entries);
  pack->entries = g_renew (IndexEntry, out, MAX (k, 1));
  pack->n_entries = k;
  index_pack_build (pack);
}

/* Drops the dead records, renumbering the live ones in both packs, and moves the small
 * pack into the large one. */
static void
compact (CopyMemory *mem)
{
  guint n = mem->records->len;
  g_autofree guint32 *keep = g_new (guint32, MAX (n, 1));
  g_autoptr (GArray) live = g_array_sized_new (FALSE, FALSE, sizeof (CopyRecord), mem->alive);
  g_hash_table_remove_all (mem->by_digest);
  for (guint i = 0; i < n; i++)
    {
      const CopyRecord *r = &g_array_index (mem->records, CopyRecord, i);
      keep[i] = G_MAXUINT32;
      if (!r->alive)
        continue;
      keep[i] = live->len;
      g_hash_table_insert (mem->by_digest, GSIZE_TO_POINTER ((gsize) r->digest), GUINT_TO_POINTER (live->len + 1));
      g_array_append_val (live, *r);
    }
  pack_merge (mem->main, mem->recent->entries, mem->recent->n_entries, keep);
  g_clear_pointer (&mem->recent->entries, g_free);
  mem->recent->n_entries = 0;
  index_pack_build (mem->recent);
  g_array_unref (mem->records);
  mem->records = g_steal_pointer (&live);
  mem->first = 0;
  mem->dead = 0;
}

void
copy_memory_flush (CopyMemory *mem)
{
  if (mem->pending->len > 0)
    {
      g_array_sort (mem->pending, index_entry_compare);
      pack_merge (mem->recent, (const IndexEntry *) mem->pending->data, mem->pending->len, NULL);
      g_array_set_size (mem->pending, 0);
    }
  /* Dead records cost their entries until a merge: one is due when the small pack is
   * full or when the dead outnumber the living. */
  if (mem->recent->n_entries > COPY_MEMORY_RECENT || mem->dead > mem->alive + 1024)
    compact (mem);
}

void
copy_memory_add (CopyMemory *mem, gint64 id, const char *source, gint64 at, guint32 words,
                 const WinnowPick *picks, guint n_picks, gboolean defer)
{
  n_picks = MIN (n_picks, COPY_MEMORY_MAX_PICKS);
  guint32 src = source_index (mem, source);
  CopyRecord r = { id, at, copy_digest (src, picks, n_picks), src, words, n_picks, TRUE };
  gpointer key = GSIZE_TO_POINTER ((gsize) r.digest);
  gsize before = GPOINTER_TO_SIZE (g_hash_table_lookup (mem->by_digest, key));
  if (before > 0)
    record_kill (mem, (guint) before - 1);
  guint32 doc = mem->records->len;
  g_array_append_val (mem->records, r);
  g_hash_table_insert (mem->by_digest, key, GUINT_TO_POINTER (doc + 1));
  mem->alive++;
  mem->alive_picks += n_picks;
  for (guint i = 0; i < n_picks; i++)
    {
      IndexEntry e = { picks[i].hash, doc, picks[i].pos };
      g_array_append_val (mem->pending, e);
    }
  if (!defer)
    copy_memory_flush (mem);
}

gint64
copy_memory_expire (CopyMemory *mem, gint64 now)
{
  gint64 evicted = 0;  /* records are in id order: the last one passed */
  gint64 cutoff = now - mem->limits.keep_seconds;
  while (mem->first < mem->records->len)
    {
      const CopyRecord *r = &g_array_index (mem->records, CopyRecord, mem->first);
      gboolean over = mem->alive > mem->limits.max_copies || mem->alive_picks > mem->limits.max_fingerprints;
      if (r->alive && r->at >= cutoff && !over)
        break;
      evicted = MAX (evicted, r->id);
      record_kill (mem, mem->first++);
    }
  return evicted;
}

/* ---- matching ---- */

typedef struct {
  guint32 source;
  guint covered, count, longest;
  gint64 at;
} Best;

static void
consider (CopyMemory *mem, const IndexEvidence *ev, guint32 exclude, gint64 cutoff, GArray *best)
{
  if (ev->doc >= mem->records->len)
    return;
  const CopyRecord *r = &g_array_index (mem->records, CopyRecord, ev->doc);
  if (!r->alive || r->source == exclude || r->at < cutoff || ev->covered < mem->limits.min_words)
    return;
  for (guint i = 0; i < best->len; i++)
    {
      Best *b = &g_array_index (best, Best, i);
      if (b->source != r->source)
        continue;
      if (ev->covered > b->covered || (ev->covered == b->covered && r->at > b->at))
        *b = (Best) { r->source, ev->covered, ev->count, ev->longest, r->at };
      return;
    }
  Best b = { r->source, ev->covered, ev->count, ev->longest, r->at };
  g_array_append_val (best, b);
}

void
copy_memory_match (CopyMemory *mem, const char *text, gsize len, const char *exclude, gint64 now,
                   GPtrArray *findings)
{
  if (mem->alive == 0 || text == NULL || len == 0)
    return;
  copy_memory_flush (mem);
  g_autoptr (GArray) evidence = g_array_new (FALSE, FALSE, sizeof (IndexEvidence));
  g_autoptr (GArray) best = g_array_new (FALSE, FALSE, sizeof (Best));
  const IndexPack *packs[] = { mem->main, mem->recent };
  guint words = index_text_evidence (packs, G_N_ELEMENTS (packs), text, len, evidence);
  guint32 skip = G_MAXUINT32;
  for (guint i = 0; exclude != NULL && i < mem->sources->len; i++)
    if (strcmp (mem->sources->pdata[i], exclude) == 0)
      skip = i;
  for (guint i = 0; i < evidence->len; i++)
    consider (mem, &g_array_index (evidence, IndexEvidence, i), skip, now - mem->limits.keep_seconds, best);
  for (guint i = 0; i < best->len; i++)
    {
      const Best *b = &g_array_index (best, Best, i);
      Finding *f = finding_new (FINDING_COPIED);
      f->name = g_strdup (mem->sources->pdata[b->source]);
      f->count = b->count;
      f->longest = b->longest;
      f->words = b->covered;
      f->score = MIN (1.0, (double) b->covered / MAX (words, 1));
      f->at = b->at;
      g_ptr_array_add (findings, f);
    }
}

guint
copy_memory_count (const CopyMemory *mem)
{
  return mem->alive;
}

gsize
copy_memory_fingerprints (const CopyMemory *mem)
{
  return mem->alive_picks;
}

static gsize
pack_bytes (const IndexPack *pack)
{
  gsize bytes = pack->n_entries * sizeof (IndexEntry);
  if (pack->directory != NULL)
    bytes += (((gsize) 1 << pack->directory_bits) + 1) * sizeof (guint32);
  if (pack->filter != NULL)
    bytes += ((gsize) 1 << (pack->filter_bits - 6)) * sizeof (guint64);
  return bytes;
}

gsize
copy_memory_bytes (const CopyMemory *mem)
{
  /* A GHashTable entry: key, value and hash, at a load of at most 3/4. */
  return pack_bytes (mem->main) + pack_bytes (mem->recent) + mem->records->len * sizeof (CopyRecord)
         + g_hash_table_size (mem->by_digest) * 24 * 4 / 3 + mem->pending->len * sizeof (IndexEntry);
}
