#include "pack-build.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "pack-file.h"
#include "engine/normalize.h"
#include "weir-error.h"

struct PackBuilder {
  IndexPack *pack;
  GArray *entries;     /* IndexEntry, unsorted until finish */
  GArray *edm;         /* EdmEntry, unsorted until finish */
  GArray *words;       /* scratch: word hashes */
  GPtrArray *doc_kgrams; /* GArray of guint64 per document: every k-gram, winnowed at
                          * finish, once the boilerplate of the whole pack is known */
  guint format;          /* pack_builder_set_format's, PACK_FORMAT by default */
  PackStats stats;
};

static void
free_kgrams (gpointer kgrams)
{
  if (kgrams != NULL)
    g_array_unref (kgrams);
}

PackBuilder *
pack_builder_new (const char *name, const char *label)
{
  g_assert (sodium_init () >= 0);
  PackBuilder *b = g_new0 (PackBuilder, 1);
  b->pack = index_pack_new (name, label);
  randombytes_buf (b->pack->doc_key, sizeof b->pack->doc_key);
  b->entries = g_array_new (FALSE, FALSE, sizeof (IndexEntry));
  b->edm = g_array_new (FALSE, FALSE, sizeof (EdmEntry));
  b->words = g_array_new (FALSE, FALSE, sizeof (guint64));
  b->doc_kgrams = g_ptr_array_new_with_free_func (free_kgrams);
  b->format = PACK_FORMAT;
  return b;
}

gboolean
pack_builder_set_format (PackBuilder *b, guint format)
{
  g_return_val_if_fail (b->pack->documents->len == 0 && b->pack->edm == NULL, FALSE);
  if (format < PACK_FORMAT_OLDEST || format > PACK_FORMAT)
    return FALSE;
  pack_file_set_format (b->pack, format);
  b->format = format;
  return TRUE;
}

void
pack_builder_free (PackBuilder *b)
{
  if (b == NULL)
    return;
  index_pack_free (b->pack);
  if (b->entries)
    g_array_unref (b->entries);
  if (b->edm)
    g_array_unref (b->edm);
  g_array_unref (b->words);
  g_ptr_array_unref (b->doc_kgrams);
  g_free (b);
}

void
pack_builder_add_document (PackBuilder *b, const char *name, const char *text, gsize len)
{
  g_assert (b->pack->documents->len < G_MAXUINT32);
  g_return_if_fail (b->entries != NULL);  /* not after pack_builder_winnow */
  g_ptr_array_add (b->pack->documents, g_string_chunk_insert (b->pack->names, name));
  g_array_set_size (b->words, 0);
  GArray *kgrams = g_array_new (FALSE, FALSE, sizeof (guint64));
  normalize_word_hashes (text, len, b->words);
  winnow_kgrams ((const guint64 *) b->words->data, b->words->len, b->pack->kgram_hash, b->pack->doc_key,
                 kgrams);
  g_ptr_array_add (b->doc_kgrams, kgrams);
  b->stats.documents++;
  b->stats.words += b->words->len;
}

/* ---- boilerplate: the k-grams held by many documents ---- */

/* A set of 64-bit hashes by open addressing, with a count for each. The hashes are
 * keyed hash output, uniform already: their low bits index the slots. A slot is in
 * use when its stamp is the set's: emptying the set is one increment, not a memset
 * (it is emptied for every document and every bucket). */
typedef struct {
  guint64 hash;
  guint32 count;
  guint32 stamp;
} HashSlot;

typedef struct {
  HashSlot *slots;
  gsize mask;
  gsize allocated;
  guint32 stamp;
} HashSet;

/* Empties s and makes room for n hashes, reusing its memory when it is large enough. */
static void
hash_set_reset (HashSet *s, gsize n)
{
  gsize size = 16;
  while (size < n * 2)
    size *= 2;
  if (size > s->allocated || s->stamp == G_MAXUINT32)
    {
      g_free (s->slots);
      s->allocated = MAX (size, s->allocated);
      s->slots = g_new0 (HashSlot, s->allocated);
      s->stamp = 0;
    }
  s->stamp++;
  s->mask = size - 1;
}

/* Counts one more h; returns its count. */
static inline guint32
hash_set_add (HashSet *s, guint64 h)
{
  gsize at = h & s->mask;
  for (; s->slots[at].stamp == s->stamp; at = (at + 1) & s->mask)
    if (s->slots[at].hash == h)
      return ++s->slots[at].count;
  s->slots[at] = (HashSlot) { h, 1, s->stamp };
  return 1;
}

static gboolean
hash_set_has (const HashSet *s, guint64 h)
{
  for (gsize at = h & s->mask; s->slots[at].stamp == s->stamp; at = (at + 1) & s->mask)
    if (s->slots[at].hash == h)
      return TRUE;
  return FALSE;
}

static void
hash_set_clear (HashSet *s)
{
  g_clear_pointer (&s->slots, g_free);
  s->allocated = 0;
}

/* The buckets of find_boilerplate(): by the hash's top bits, about 32768 hashes each,
 * so that each is counted in a table of about 1 MiB (16-byte slots, under half full),
 * and few enough (256 for 7.5 million k-grams) that grouping writes to few places at
 * once: with 4096 hashes a bucket, the grouping's scattered writes cost more than the
 * counting. */
static guint
bucket_bits (gsize n)
{
  guint bits = 0;
  while (bits < 16 && (n >> bits) > 32768)
    bits++;
  return bits;
}

static inline gsize
bucket_of (guint64 h, guint bits)
{
  return bits ? (gsize) (h >> (64 - bits)) : 0;
}

/* Every document's distinct k-grams into all (room for every k-gram), grouped by
 * bucket: bucket b is [start[b], end[b]). Every k-gram is counted by bucket first, so
 * each bucket has room for all of its own, and the distinct ones are written straight
 * into place: independent stores, where swapping each hash into its bucket in place
 * chained a cache miss on the next (that was 60% of winnowing at 100 M words). The
 * repeats a document drops leave room unused at a bucket's end. */
static void
bucket_kgrams (GPtrArray *doc_kgrams, guint bits, guint64 *all, gsize *start, gsize *end)
{
  gsize buckets = (gsize) 1 << bits;
  memset (start, 0, (buckets + 1) * sizeof *start);
  for (guint d = 0; d < doc_kgrams->len; d++)
    {
      const GArray *kg = doc_kgrams->pdata[d];
      const guint64 *h = (const guint64 *) kg->data;
      for (guint i = 0; i < kg->len; i++)
        start[bucket_of (h[i], bits) + 1]++;
    }
  for (gsize b = 1; b <= buckets; b++)
    start[b] += start[b - 1];
  memcpy (end, start, buckets * sizeof *start);
  HashSet seen = { 0 };
  for (guint d = 0; d < doc_kgrams->len; d++)
    {
      const GArray *kg = doc_kgrams->pdata[d];
      hash_set_reset (&seen, kg->len);
      for (guint i = 0; i < kg->len; i++)
        {
          guint64 h = g_array_index (kg, guint64, i);
          if (hash_set_add (&seen, h) == 1)
            all[end[bucket_of (h, bits)]++] = h;
        }
    }
  hash_set_clear (&seen);
}

/* The k-grams held by limit documents or more, into boiler; returns how many. Every
 * k-gram is counted before any is winnowed, so that winnowing can pass over them: a
 * window whose smallest hash was boilerplate used to keep that one and lose it, and
 * with it the window's fingerprint. Costs 8 bytes per k-gram while it counts. */
static gsize
find_boilerplate (GPtrArray *doc_kgrams, guint limit, HashSet *boiler)
{
  gsize total = 0;
  for (guint d = 0; d < doc_kgrams->len; d++)
    total += ((GArray *) doc_kgrams->pdata[d])->len;
  guint bits = bucket_bits (total);
  gsize buckets = (gsize) 1 << bits;
  g_autofree guint64 *all = g_new (guint64, MAX (total, 1));
  g_autofree gsize *start = g_new (gsize, buckets + 1);
  g_autofree gsize *end = g_new (gsize, buckets);
  bucket_kgrams (doc_kgrams, bits, all, start, end);
  /* A bucket's hashes counted in a small table; those reaching limit move to the front
   * of all, which the buckets already read are done with. */
  HashSet count = { 0 };
  gsize found = 0;
  for (gsize b = 0; b < buckets; b++)
    {
      hash_set_reset (&count, end[b] - start[b]);
      for (gsize i = start[b]; i < end[b]; i++)
        if (hash_set_add (&count, all[i]) == limit)
          all[found++] = all[i];
    }
  hash_set_clear (&count);
  *boiler = (HashSet) { 0 };
  hash_set_reset (boiler, found);
  for (gsize i = 0; i < found; i++)
    hash_set_add (boiler, all[i]);
  return found;
}

/* Winnows every document, passing over boilerplate: each window that holds a k-gram
 * held by fewer than limit documents keeps one (engine/winnow.h). */
static void
winnow_documents (PackBuilder *b, const HashSet *boiler, gboolean any)
{
  g_autoptr (GArray) picks = g_array_new (FALSE, FALSE, sizeof (WinnowPick));
  g_autoptr (GArray) skip = g_array_new (FALSE, FALSE, sizeof (guint8));
  for (guint d = 0; d < b->doc_kgrams->len; d++)
    {
      GArray *kg = b->doc_kgrams->pdata[d];
      const guint64 *h = (const guint64 *) kg->data;
      g_array_set_size (skip, kg->len);
      guint8 *flags = (guint8 *) skip->data, skipped = 0;
      for (guint i = 0; any && i < kg->len; i++)
        skipped |= flags[i] = hash_set_has (boiler, h[i]);
      g_array_set_size (picks, 0);
      winnow_select_skipping (h, skipped ? flags : NULL, kg->len, WINNOW_W, picks);
      for (guint i = 0; i < picks->len; i++)
        {
          const WinnowPick *p = &g_array_index (picks, WinnowPick, i);
          IndexEntry e = { p->hash, d, p->pos };
          g_array_append_val (b->entries, e);
        }
      /* spent: its memory goes back while the entries grow */
      g_clear_pointer (&b->doc_kgrams->pdata[d], g_array_unref);
    }
}

/* Keeps at most PACK_MAX_REPEATS positions of each (hash, document). e must be sorted.
 * Returns the kept count. */
static gsize
cap_repeats (IndexEntry *e, gsize n)
{
  gsize out = 0;
  for (gsize k = 0, repeat = 0; k < n; k++)
    {
      repeat = k > 0 && e[k].hash == e[k - 1].hash && e[k].doc == e[k - 1].doc ? repeat + 1 : 0;
      if (repeat < PACK_MAX_REPEATS)
        e[out++] = e[k];
    }
  return out;
}

/* Drops values shared by more than EDM_COMMON_RECORDS records, and duplicates. */
static gsize
drop_common (EdmEntry *e, gsize n, gsize *common)
{
  gsize out = 0;
  for (gsize i = 0; i < n;)
    {
      gsize j = i;
      guint records = 0;
      for (; j < n && e[j].hash == e[i].hash; j++)
        records += j == i || e[j].record != e[j - 1].record;
      if (records > EDM_COMMON_RECORDS)
        *common += 1;
      else
        for (gsize k = i; k < j; k++)
          if (k == i || e[k].record != e[k - 1].record || e[k].column != e[k - 1].column)
            e[out++] = e[k];
      i = j;
    }
  return out;
}

/* LSD radix sorts, 16 bits of the 64-bit hash a pass: four linear passes instead of a
 * comparison sort through a function pointer (which was a quarter of the documents'
 * build, and over a third of a table's). Stable, so entries that arrive in the order
 * of their other fields come out in their comparator's order. One array of the same
 * size is borrowed while sorting, as a merge sort would. */
#define RADIX_SORT(name, type, key)                                          \
  static void name (type *a, gsize n)                                        \
  {                                                                          \
    g_autofree type *tmp = g_new (type, MAX (n, 1));                         \
    g_autofree gsize *count = g_new (gsize, 65536);                          \
    type *from = a, *to = tmp;                                               \
    for (guint shift = 0; shift < 64; shift += 16)                           \
      {                                                                      \
        memset (count, 0, 65536 * sizeof *count);                            \
        for (gsize i = 0; i < n; i++)                                        \
          count[(key (from[i]) >> shift) & 0xffff]++;                        \
        gsize sum = 0;                                                       \
        for (gsize d = 0; d < 65536; d++)                                    \
          {                                                                  \
            gsize c = count[d];                                              \
            count[d] = sum;                                                  \
            sum += c;                                                        \
          }                                                                  \
        for (gsize i = 0; i < n; i++)                                        \
          to[count[(key (from[i]) >> shift) & 0xffff]++] = from[i];          \
        type *t = from;                                                      \
        from = to;                                                           \
        to = t;                                                              \
      }                                                                      \
    g_assert (from == a); /* an even number of passes ends where it began */ \
  }

#define ENTRY_HASH(e) ((e).hash)
#define U64_SELF(v) (v)
/* As index_entry_compare: entries arrive in (document, position) order. */
RADIX_SORT (sort_entries, IndexEntry, ENTRY_HASH)
/* By (hash, record, column): values arrive in (record, column) order. */
RADIX_SORT (sort_edm, EdmEntry, ENTRY_HASH)
RADIX_SORT (sort_u64, guint64, U64_SELF)

guint
pack_boilerplate_limit (guint documents)
{
  return MAX (PACK_BOILERPLATE_MIN, (guint) (documents * PACK_BOILERPLATE_SHARE + 0.5));
}

void
pack_builder_winnow (PackBuilder *b)
{
  if (b->entries == NULL)
    return;  /* done already */
  IndexPack *pack = b->pack;
  HashSet boiler;
  b->stats.dropped = find_boilerplate (b->doc_kgrams, pack_boilerplate_limit (b->stats.documents), &boiler);
  winnow_documents (b, &boiler, b->stats.dropped > 0);
  pack->winnowed_paste = b->stats.dropped == 0;
  hash_set_clear (&boiler);
  g_ptr_array_set_size (b->doc_kgrams, 0);
  sort_entries ((IndexEntry *) b->entries->data, b->entries->len);
  gsize kept = cap_repeats ((IndexEntry *) b->entries->data, b->entries->len);
  g_array_set_size (b->entries, (guint) kept);
  pack->n_entries = kept;
  pack->entries = (IndexEntry *) g_array_free (g_steal_pointer (&b->entries), FALSE);
  b->stats.fingerprints = kept;
}

IndexPack *
pack_builder_finish (PackBuilder *b, PackStats *stats)
{
  pack_builder_winnow (b);
  IndexPack *pack = g_steal_pointer (&b->pack);
  if (stats != NULL)
    *stats = b->stats;
  pack_builder_free (b);
  return pack;
}

/* ---- EDM ---- */

static gboolean
looks_numeric (const char *v)
{
  guint digits = 0;
  for (const char *p = v; *p; p++)
    if (g_ascii_isdigit (*p))
      digits++;
    else if (!strchr (" -+().", *p))
      return FALSE;
  return digits >= 3;
}

/* Guesses a column's kind from its header and up to 100 of its values: the rows after
 * the header are read again from a copy of the reader, as far as that takes (the
 * first 100 rows, unless the column is mostly empty). */
static EdmKind
guess_kind (const char *header, const CsvReader *rows, guint col)
{
  CsvReader reader = *rows;
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint seen = 0, emails = 0, numbers = 0;
  for (; seen < 100; g_string_truncate (bytes, 0), g_array_set_size (starts, 0))
    {
      if (!csv_read_fields (&reader, bytes, starts, NULL))
        break;
      const char *v = col < starts->len ? bytes->str + g_array_index (starts, gsize, col) : "";
      if (*v == '\0')
        continue;
      seen++;
      emails += strchr (v, '@') != NULL;
      numbers += looks_numeric (v);
    }
  if (seen > 0 && emails * 10 >= seen * 8)
    return EDM_KIND_EMAIL;
  if (seen > 0 && numbers == seen)
    return EDM_KIND_NUMBER;
  g_autofree char *lower = g_ascii_strdown (header, -1);
  return strstr (lower, "name") ? EDM_KIND_NAME : EDM_KIND_TEXT;
}

static gint
find_header (GPtrArray *header, const char *name)
{
  for (guint i = 0; i < header->len; i++)
    {
      g_autofree char *h = g_strstrip (g_strdup (header->pdata[i]));
      if (g_ascii_strcasecmp (h, name) == 0)
        return (gint) i;
    }
  return -1;
}

/* Parses one "COL[:KIND][!]" into column; *csv_col receives its CSV field index. */
static gboolean
parse_column (const char *item, GPtrArray *header, const CsvReader *rows, EdmColumn *column,
              guint *csv_col, GError **error)
{
  g_autofree char *spec = g_strstrip (g_strdup (item));
  gsize n = strlen (spec);
  column->unique = n > 0 && spec[n - 1] == '!';
  if (column->unique)
    spec[--n] = '\0';
  char *colon = strrchr (spec, ':');
  gboolean has_kind = colon != NULL;
  if (has_kind)
    *colon = '\0';
  gint idx = find_header (header, spec);
  if (spec[0] == '\0' || idx < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "--edm-columns: no column \"%s\" in the CSV header", spec);
      return FALSE;
    }
  if (has_kind && !edm_kind_parse (colon + 1, &column->kind))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK,
                   "--edm-columns: unknown kind \"%s\" (text, email, number or name)", colon + 1);
      return FALSE;
    }
  if (!has_kind)
    column->kind = guess_kind (spec, rows, (guint) idx);
  column->name = g_strdup (spec);
  *csv_col = (guint) idx;
  return TRUE;
}

static gboolean
parse_spec (EdmTable *table, const char *spec, GPtrArray *header, const CsvReader *rows, guint *csv_cols,
            GError **error)
{
  g_auto (GStrv) items = g_strsplit (spec, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      if (table->n_columns == EDM_MAX_COLUMNS)
        {
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "--edm-columns: at most %d columns", EDM_MAX_COLUMNS);
          return FALSE;
        }
      if (!parse_column (items[i], header, rows, &table->columns[table->n_columns], &csv_cols[table->n_columns], error))
        return FALSE;
      for (guint j = 0; j < table->n_columns; j++)
        if (csv_cols[j] == csv_cols[table->n_columns])
          {
            g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "--edm-columns: \"%s\" is named twice", items[i]);
            table->n_columns++;
            return FALSE;
          }
      table->n_columns++;
    }
  if (table->n_columns == 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "--edm-columns names no column");
      return FALSE;
    }
  return TRUE;
}

/* Sorted, without duplicates: the table's word filter. */
static void
set_words (EdmTable *table, GArray *words)
{
  sort_u64 ((guint64 *) words->data, words->len);
  gsize n = 0;
  guint64 *w = (guint64 *) words->data;
  for (gsize i = 0; i < words->len; i++)
    if (n == 0 || w[n - 1] != w[i])
      w[n++] = w[i];
  table->n_words = n;
  table->words = g_memdup2 (w, MAX (n, 1) * sizeof (guint64));
}

/* Rows are read in batches, each normalised and hashed by a worker thread while the
 * next are read; the batches' values are appended in order, so the pack is the one a
 * single thread makes. At most BATCHES_PER_THREAD batches a thread are read ahead. */
#define BATCH_ROWS 16384
#define BATCHES_PER_THREAD 2

typedef struct {
  GString *bytes;      /* the rows' fields, each ending with a NUL */
  GArray *starts;      /* gsize: where each field starts in bytes */
  GArray *rows;        /* guint: each row's first field in starts, then starts->len */
  guint first;         /* the first row's record number */
  GArray *entries;     /* EdmEntry: made by the worker */
  GArray *words;       /* guint64: made by the worker */
  guint64 number_digits;
  gboolean done;
} RowBatch;

typedef struct {
  const EdmTable *table;
  const guint *csv_cols;
  EdmValueHasher hasher;
  GMutex lock;
  GCond done;
} RowHashing;

static RowBatch *
row_batch_new (guint first)
{
  RowBatch *batch = g_new0 (RowBatch, 1);
  batch->bytes = g_string_new (NULL);
  batch->starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  batch->rows = g_array_new (FALSE, FALSE, sizeof (guint));
  batch->entries = g_array_new (FALSE, FALSE, sizeof (EdmEntry));
  batch->words = g_array_new (FALSE, FALSE, sizeof (guint64));
  batch->first = first;
  return batch;
}

static void
row_batch_free (RowBatch *batch)
{
  g_string_free (batch->bytes, TRUE);
  g_array_unref (batch->starts);
  g_array_unref (batch->rows);
  g_array_unref (batch->entries);
  g_array_unref (batch->words);
  g_free (batch);
}

/* Normalises and hashes a batch's cells (a worker's task). */
static void
row_batch_hash (gpointer data, gpointer user_data)
{
  RowBatch *batch = data;
  RowHashing *h = user_data;
  const EdmTable *table = h->table;
  g_autoptr (GString) norm = g_string_new (NULL);
  const gsize *starts = (const gsize *) batch->starts->data;
  const guint *rows = (const guint *) batch->rows->data;
  for (guint r = 0; r + 1 < batch->rows->len; r++)
    {
      guint fields = rows[r + 1] - rows[r];
      for (guint c = 0; c < table->n_columns; c++)
        {
          guint col = h->csv_cols[c];
          const char *v = col < fields ? batch->bytes->str + starts[rows[r] + col] : "";
          EdmKind kind = table->columns[c].kind;
          if (!edm_value_normalize (kind, v, strlen (v), norm))
            continue;
          if (kind == EDM_KIND_TEXT || kind == EDM_KIND_NAME)
            edm_value_words (table->key, norm->str, batch->words);
          if (kind == EDM_KIND_NUMBER)
            batch->number_digits |= edm_digits_bit (norm->len);
          EdmEntry e = { edm_value_hasher_hash (&h->hasher, kind, norm->str, norm->len),
                         batch->first + r, (guint16) c, 0 };
          g_array_append_val (batch->entries, e);
        }
    }
  g_mutex_lock (&h->lock);
  batch->done = TRUE;
  g_cond_broadcast (&h->done);
  g_mutex_unlock (&h->lock);
}

/* Waits for the oldest batch and appends its values to the builder's. */
static void
row_batch_merge (PackBuilder *b, RowHashing *h, GQueue *pending, GArray *words, guint64 *number_digits)
{
  RowBatch *batch = g_queue_pop_head (pending);
  g_mutex_lock (&h->lock);
  while (!batch->done)
    g_cond_wait (&h->done, &h->lock);
  g_mutex_unlock (&h->lock);
  g_array_append_vals (b->edm, batch->entries->data, batch->entries->len);
  g_array_append_vals (words, batch->words->data, batch->words->len);
  *number_digits |= batch->number_digits;
  row_batch_free (batch);
}

/* Reads up to BATCH_ROWS rows into batch; *records counts them. FALSE with error set on
 * a malformed row. */
static gboolean
row_batch_read (RowBatch *batch, CsvReader *reader, guint *records, gboolean *end, GError **error)
{
  g_autoptr (GError) local = NULL;
  while (batch->rows->len < BATCH_ROWS)
    {
      guint at = batch->starts->len;
      gsize bytes = batch->bytes->len;
      if (!csv_read_fields (reader, batch->bytes, batch->starts, &local))
        {
          *end = TRUE;
          break;
        }
      if (*records == G_MAXUINT32 - 1)
        {
          /* records are numbered in 32 bits; the rest are read for errors only */
          g_string_truncate (batch->bytes, bytes);
          g_array_set_size (batch->starts, at);
          continue;
        }
      g_array_append_val (batch->rows, at);
      ++*records;
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_array_append_val (batch->rows, batch->starts->len);
  return TRUE;
}

/* Normalises and hashes every row after the header: a row's cells live only while its
 * batch is hashed. */
static gboolean
hash_rows (PackBuilder *b, EdmTable *table, CsvReader *reader, const guint *csv_cols, GError **error)
{
  RowHashing h = { .table = table, .csv_cols = csv_cols };
  edm_value_hasher_init (&h.hasher, table->value_hash, table->key);
  g_mutex_init (&h.lock);
  g_cond_init (&h.done);
  guint threads = MAX (1, g_get_num_processors ());
  GThreadPool *pool = threads > 1 ? g_thread_pool_new (row_batch_hash, &h, (gint) threads, FALSE, NULL) : NULL;
  g_autoptr (GArray) words = g_array_new (FALSE, FALSE, sizeof (guint64));
  GQueue pending = G_QUEUE_INIT;
  guint64 number_digits = 0;
  guint records = 0;
  gboolean end = FALSE, ok = TRUE;
  while (ok && !end)
    {
      RowBatch *batch = row_batch_new (records);
      ok = row_batch_read (batch, reader, &records, &end, error);
      g_queue_push_tail (&pending, batch);
      if (!ok)
        batch->done = TRUE;
      else if (pool != NULL)
        g_thread_pool_push (pool, batch, NULL);
      else
        row_batch_hash (batch, &h);
      if (g_queue_get_length (&pending) > threads * BATCHES_PER_THREAD)
        row_batch_merge (b, &h, &pending, words, &number_digits);
    }
  while (!g_queue_is_empty (&pending))
    row_batch_merge (b, &h, &pending, words, &number_digits);
  if (pool != NULL)
    g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&h.lock);
  g_cond_clear (&h.done);
  if (!ok)
    {
      g_array_set_size (b->edm, 0);
      return FALSE;
    }
  table->number_digits = number_digits;
  set_words (table, words);
  b->stats.records = records;
  table->n_records = records;
  return TRUE;
}

/* Whether the rows after the header are well formed, to the end (error set if not). */
static gboolean
rows_valid (CsvReader reader, GError **error)
{
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr (GError) local = NULL;
  while (csv_read_fields (&reader, bytes, starts, &local))
    {
      g_string_truncate (bytes, 0);
      g_array_set_size (starts, 0);
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

gboolean
pack_builder_set_edm (PackBuilder *b, const char *table_name, const char *csv, gsize len,
                      const char *spec, GError **error)
{
  g_return_val_if_fail (b->pack->edm == NULL, FALSE);
  CsvReader reader;
  csv_reader_init (&reader, csv, len);
  g_autoptr (GPtrArray) header = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local = NULL;
  if (!csv_read_row (&reader, header, &local))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "%s", local ? local->message : "the CSV file is empty");
      return FALSE;
    }
  g_autoptr (EdmTable) table = edm_table_new (table_name);
  randombytes_buf (table->key, sizeof table->key);
  table->value_hash = pack_file_edm_value_hash (b->format);
  guint csv_cols[EDM_MAX_COLUMNS];
  if (!parse_spec (table, spec, header, &reader, csv_cols, &local))
    {
      /* A malformed table is reported before a wrong spec. */
      if (rows_valid (reader, error))
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!hash_rows (b, table, &reader, csv_cols, error))
    return FALSE;
  /* Sorted here rather than at finish: a table is added beside documents (pack-build.h). */
  sort_edm ((EdmEntry *) b->edm->data, b->edm->len);
  gsize values = drop_common ((EdmEntry *) b->edm->data, b->edm->len, &b->stats.common);
  g_array_set_size (b->edm, (guint) values);
  table->n_entries = values;
  table->entries = (EdmEntry *) g_array_free (g_steal_pointer (&b->edm), FALSE);
  b->stats.values = values;
  b->pack->edm = g_steal_pointer (&table);
  return TRUE;
}
