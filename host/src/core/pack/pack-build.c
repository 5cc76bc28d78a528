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
  GArray *picks;       /* scratch: WinnowPick */
  GPtrArray *doc_kgrams; /* GArray of guint64 per document: every k-gram, for counting
                          * in how many documents a kept fingerprint occurs at all */
  PackStats stats;
};

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
  b->picks = g_array_new (FALSE, FALSE, sizeof (WinnowPick));
  b->doc_kgrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  return b;
}

gboolean
pack_builder_set_format (PackBuilder *b, guint format)
{
  g_return_val_if_fail (b->pack->documents->len == 0, FALSE);
  if (format < PACK_FORMAT_OLDEST || format > PACK_FORMAT)
    return FALSE;
  b->pack->kgram_hash = format == 1 ? WINNOW_HASH_SIPHASH : WINNOW_HASH_MULTILINEAR;
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
  g_array_unref (b->picks);
  g_ptr_array_unref (b->doc_kgrams);
  g_free (b);
}

void
pack_builder_add_document (PackBuilder *b, const char *name, const char *text, gsize len)
{
  g_assert (b->pack->documents->len < G_MAXUINT32);
  guint32 doc = b->pack->documents->len;
  g_ptr_array_add (b->pack->documents, g_strdup (name));
  g_array_set_size (b->words, 0);
  g_array_set_size (b->picks, 0);
  GArray *kgrams = g_array_new (FALSE, FALSE, sizeof (guint64));
  normalize_word_hashes (text, len, b->words);
  winnow_kgrams ((const guint64 *) b->words->data, b->words->len, b->pack->kgram_hash, b->pack->doc_key,
                 kgrams);
  winnow_select ((const guint64 *) kgrams->data, kgrams->len, WINNOW_W, b->picks);
  g_ptr_array_add (b->doc_kgrams, kgrams);
  for (guint i = 0; i < b->picks->len; i++)
    {
      const WinnowPick *p = &g_array_index (b->picks, WinnowPick, i);
      IndexEntry e = { p->hash, doc, p->pos };
      g_array_append_val (b->entries, e);
    }
  b->stats.documents++;
  b->stats.words += b->words->len;
}

/* The distinct kept hashes, sorted, with how many documents hold each k-gram anywhere
 * (not only where winnowing kept it: a shared paragraph's edges are kept in some
 * documents and not in others, and must go all the same). */
typedef struct {
  guint64 *hashes;
  guint32 *docs;      /* documents holding the k-gram */
  guint32 *last_doc;  /* the last document counted, + 1 */
  gsize n;
  guint32 *slots;     /* open addressing over hashes: index + 1, 0 = empty */
  gsize mask;
} DocFreq;

/* The hashes are keyed SipHash output, uniform already: their low bits index slots. */
static void
docfreq_init (DocFreq *f, const IndexEntry *e, gsize n)
{
  f->hashes = g_new (guint64, MAX (n, 1));
  f->n = 0;
  for (gsize i = 0; i < n; i++)
    if (f->n == 0 || f->hashes[f->n - 1] != e[i].hash)
      f->hashes[f->n++] = e[i].hash;
  g_assert (f->n < G_MAXUINT32);
  f->docs = g_new0 (guint32, MAX (f->n, 1));
  f->last_doc = g_new0 (guint32, MAX (f->n, 1));
  gsize size = 16;
  while (size < f->n * 2)
    size *= 2;
  f->mask = size - 1;
  f->slots = g_new0 (guint32, size);
  for (gsize i = 0; i < f->n; i++)
    {
      gsize at = f->hashes[i] & f->mask;
      while (f->slots[at] != 0)
        at = (at + 1) & f->mask;
      f->slots[at] = (guint32) (i + 1);
    }
}

static gssize
docfreq_find (const DocFreq *f, guint64 h)
{
  for (gsize at = h & f->mask; f->slots[at] != 0; at = (at + 1) & f->mask)
    if (f->hashes[f->slots[at] - 1] == h)
      return (gssize) f->slots[at] - 1;
  return -1;
}

static void
docfreq_count (DocFreq *f, GPtrArray *doc_kgrams)
{
  for (guint d = 0; d < doc_kgrams->len; d++)
    {
      GArray *kg = doc_kgrams->pdata[d];
      for (guint i = 0; i < kg->len; i++)
        {
          gssize at = docfreq_find (f, g_array_index (kg, guint64, i));
          if (at >= 0 && f->last_doc[at] != d + 1)
            {
              f->last_doc[at] = d + 1;
              f->docs[at]++;
            }
        }
    }
}

static void
docfreq_clear (DocFreq *f)
{
  g_free (f->hashes);
  g_free (f->docs);
  g_free (f->last_doc);
  g_free (f->slots);
}

/* Keeps fingerprints whose k-gram occurs in fewer than limit documents, each (hash,
 * document) with at most PACK_MAX_REPEATS positions. e must be sorted. Returns the
 * kept count. */
static gsize
drop_boilerplate (IndexEntry *e, gsize n, GPtrArray *doc_kgrams, guint limit, gsize *dropped)
{
  DocFreq f;
  docfreq_init (&f, e, n);
  docfreq_count (&f, doc_kgrams);
  gsize out = 0, h = 0;
  for (gsize i = 0; i < n;)
    {
      gsize j = i;
      while (j < n && e[j].hash == e[i].hash)
        j++;
      while (f.hashes[h] != e[i].hash)
        h++;
      if (f.docs[h] >= limit)
        *dropped += 1;
      else
        for (gsize k = i, repeat = 0; k < j; k++)
          {
            repeat = k > i && e[k].doc == e[k - 1].doc ? repeat + 1 : 0;
            if (repeat < PACK_MAX_REPEATS)
              e[out++] = e[k];
          }
      i = j;
    }
  docfreq_clear (&f);
  return out;
}

static int
compare_edm (gconstpointer a, gconstpointer b)
{
  const EdmEntry *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  if (x->record != y->record)
    return x->record < y->record ? -1 : 1;
  return (int) x->column - (int) y->column;
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

/* Sorts entries as index_entry_compare does, by LSD radix on the hash, 16 bits a pass.
 * The sort is stable and entries arrive in (document, position) order, so ties come
 * out in the comparator's order. A million entries: four linear passes instead of a
 * comparison sort through a function pointer, which was a quarter of the build. */
static void
sort_entries (GArray *entries)
{
  gsize n = entries->len;
  IndexEntry *a = (IndexEntry *) entries->data;
  g_autofree IndexEntry *tmp = g_new (IndexEntry, MAX (n, 1));
  g_autofree gsize *count = g_new (gsize, 65536);
  IndexEntry *from = a, *to = tmp;
  for (guint shift = 0; shift < 64; shift += 16)
    {
      memset (count, 0, 65536 * sizeof *count);
      for (gsize i = 0; i < n; i++)
        count[(from[i].hash >> shift) & 0xffff]++;
      gsize sum = 0;
      for (gsize d = 0; d < 65536; d++)
        {
          gsize c = count[d];
          count[d] = sum;
          sum += c;
        }
      for (gsize i = 0; i < n; i++)
        to[count[(from[i].hash >> shift) & 0xffff]++] = from[i];
      IndexEntry *t = from;
      from = to;
      to = t;
    }
  g_assert (from == a);  /* an even number of passes ends where it began */
}

guint
pack_boilerplate_limit (guint documents)
{
  return MAX (PACK_BOILERPLATE_MIN, (guint) (documents * PACK_BOILERPLATE_SHARE + 0.5));
}

IndexPack *
pack_builder_finish (PackBuilder *b, PackStats *stats)
{
  IndexPack *pack = g_steal_pointer (&b->pack);
  sort_entries (b->entries);
  guint limit = pack_boilerplate_limit (b->stats.documents);
  gsize kept = drop_boilerplate ((IndexEntry *) b->entries->data, b->entries->len, b->doc_kgrams,
                                 limit, &b->stats.dropped);
  g_ptr_array_set_size (b->doc_kgrams, 0);
  g_array_set_size (b->entries, (guint) kept);
  pack->n_entries = kept;
  pack->entries = (IndexEntry *) g_array_free (g_steal_pointer (&b->entries), FALSE);
  b->stats.fingerprints = kept;
  if (pack->edm != NULL)
    {
      g_array_sort (b->edm, compare_edm);
      gsize values = drop_common ((EdmEntry *) b->edm->data, b->edm->len, &b->stats.common);
      g_array_set_size (b->edm, (guint) values);
      pack->edm->n_entries = values;
      pack->edm->entries = (EdmEntry *) g_array_free (g_steal_pointer (&b->edm), FALSE);
      b->stats.values = values;
    }
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

/* Guesses a column's kind from its header and up to 100 of its values. */
static EdmKind
guess_kind (const char *header, GPtrArray *rows, guint col)
{
  guint seen = 0, emails = 0, numbers = 0;
  for (guint r = 0; r < rows->len && seen < 100; r++)
    {
      GPtrArray *cells = rows->pdata[r];
      const char *v = col < cells->len ? cells->pdata[col] : "";
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
parse_column (const char *item, GPtrArray *header, GPtrArray *rows, EdmColumn *column,
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
parse_spec (EdmTable *table, const char *spec, GPtrArray *header, GPtrArray *rows, guint *csv_cols,
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

static int
compare_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

/* Sorted, without duplicates: the table's word filter. */
static void
set_words (EdmTable *table, GArray *words)
{
  g_array_sort (words, compare_u64);
  gsize n = 0;
  guint64 *w = (guint64 *) words->data;
  for (gsize i = 0; i < words->len; i++)
    if (n == 0 || w[n - 1] != w[i])
      w[n++] = w[i];
  table->n_words = n;
  table->words = g_memdup2 (w, MAX (n, 1) * sizeof (guint64));
}

static void
hash_rows (PackBuilder *b, EdmTable *table, GPtrArray *rows, const guint *csv_cols)
{
  g_autoptr (GString) norm = g_string_new (NULL);
  g_autoptr (GArray) words = g_array_new (FALSE, FALSE, sizeof (guint64));
  table->number_digits = 0;
  for (guint r = 0; r < rows->len; r++)
    {
      GPtrArray *cells = rows->pdata[r];
      for (guint c = 0; c < table->n_columns; c++)
        {
          const char *v = csv_cols[c] < cells->len ? cells->pdata[csv_cols[c]] : "";
          if (!edm_value_normalize (table->columns[c].kind, v, strlen (v), norm))
            continue;
          if (table->columns[c].kind == EDM_KIND_TEXT || table->columns[c].kind == EDM_KIND_NAME)
            edm_value_words (table->key, norm->str, words);
          if (table->columns[c].kind == EDM_KIND_NUMBER)
            table->number_digits |= edm_digits_bit (norm->len);
          EdmEntry e = { edm_value_hash (table->key, table->columns[c].kind, norm->str, norm->len),
                         r, (guint16) c, 0 };
          g_array_append_val (b->edm, e);
        }
    }
  set_words (table, words);
  b->stats.records = rows->len;
  table->n_records = rows->len;
}

static GPtrArray *
read_rows (const char *csv, gsize len, GPtrArray **header, GError **error)
{
  CsvReader reader;
  csv_reader_init (&reader, csv, len);
  *header = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GError) local = NULL;
  if (!csv_read_row (&reader, *header, &local))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "%s", local ? local->message : "the CSV file is empty");
      return NULL;
    }
  for (;;)
    {
      GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
      if (!csv_read_row (&reader, cells, &local))
        {
          g_ptr_array_unref (cells);
          break;
        }
      if (rows->len == G_MAXUINT32 - 1)
        g_ptr_array_unref (cells);
      else
        g_ptr_array_add (rows, cells);
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return g_steal_pointer (&rows);
}

gboolean
pack_builder_set_edm (PackBuilder *b, const char *table_name, const char *csv, gsize len,
                      const char *spec, GError **error)
{
  g_return_val_if_fail (b->pack->edm == NULL, FALSE);
  g_autoptr (GPtrArray) header = NULL;
  g_autoptr (GPtrArray) rows = read_rows (csv, len, &header, error);
  if (rows == NULL)
    return FALSE;
  g_autoptr (EdmTable) table = edm_table_new (table_name);
  randombytes_buf (table->key, sizeof table->key);
  guint csv_cols[EDM_MAX_COLUMNS];
  if (!parse_spec (table, spec, header, rows, csv_cols, error))
    return FALSE;
  hash_rows (b, table, rows, csv_cols);
  b->pack->edm = g_steal_pointer (&table);
  return TRUE;
}
