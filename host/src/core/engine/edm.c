#include "edm.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bloom.h"
#include "normalize.h"

/* Digit groups of a number joined by at most this many separators, e.g. "+1 (555) ". */
#define NUMBER_MAX_GAP 2
#define NUMBER_MAX_GROUPS 6
#define EMAIL_MAX 254

/* Whether a word is in the table, remembered across scans by the word's
 * normalize_word_hash: prose repeats its words, and a repeat then costs one compare
 * instead of a keyed SipHash and a filter probe, which is a cache miss in a large
 * table's filter (a memo of each paste alone left three times the SipHashes on the
 * corpus of bench/scan.sh; comparing the words' bytes as well cost more than it
 * saved). Two different words with one 64-bit hash would share an answer: among
 * natural words that does not happen, and text crafted to make it happen could as
 * well misspell the name it hides. A slot is the word's hash with its lowest bit
 * replaced by the answer (1: in the table), 0 while unseen: 8 bytes where a hash and
 * a state took 16, so twice the words in the same 128 KiB of a host's memory per
 * table, touched as pastes come. Bit 0 of the hash is not compared (a word whose hash
 * differs from another's in that bit alone shares its answer, as above) and a word
 * whose hash is 0 or 1 may read as unseen: it is then looked up every time. */
#define WORD_CACHE_SLOTS 16384

struct EdmWordCache {
  guint64 slots[WORD_CACHE_SLOTS];
};

static const char *const kind_names[] = { "text", "email", "number", "name" };

const char *
edm_kind_name (EdmKind kind)
{
  g_assert ((guint) kind < G_N_ELEMENTS (kind_names));
  return kind_names[kind];
}

gboolean
edm_kind_parse (const char *name, EdmKind *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *out = (EdmKind) i;
        return TRUE;
      }
  return FALSE;
}

EdmTable *
edm_table_new (const char *name)
{
  EdmTable *table = g_new0 (EdmTable, 1);
  table->name = g_strdup (name);
  table->number_digits = G_MAXUINT64;
  table->value_hash = EDM_VALUE_HASH_SIPHASH;
  table->word_cache = g_new0 (struct EdmWordCache, 1);  /* calloc: pages are touched as used */
  return table;
}

void
edm_table_free (EdmTable *table)
{
  if (table == NULL)
    return;
  for (guint i = 0; i < table->n_columns; i++)
    g_free (table->columns[i].name);
  if (table->map == NULL)
    {
      g_free (table->entries);
      g_free (table->words);
      g_free (table->word_filter);
      g_free (table->value_filter);
    }
  g_free (table->name);
  g_free (table->word_cache);
  g_free (table);
}

/* ---- values ---- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
join_words (char **words, guint n, gboolean sorted, GString *out)
{
  g_autofree char **order = g_memdup2 (words, n * sizeof (char *));
  if (sorted)
    qsort (order, n, sizeof (char *), compare_strings);
  g_string_truncate (out, 0);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, order[i]);
    }
}

/* A value's words, written one after another into buf, with where each starts and
 * its length: no allocation per word, so a table's millions of cells cost none. */
typedef struct {
  GString *buf;
  guint at[EDM_MAX_WORDS], len[EDM_MAX_WORDS], n;
} ValueWords;

static void
collect_word (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  ValueWords *w = data;
  if (w->n < EDM_MAX_WORDS)
    {
      w->at[w->n] = (guint) w->buf->len;
      w->len[w->n] = (guint) strnlen (word, len);
      g_string_append_len (w->buf, word, w->len[w->n]);
    }
  w->n++;
}

/* strcmp's order of two words that hold no NUL */
static int
compare_words (const char *x, guint xlen, const char *y, guint ylen)
{
  int c = memcmp (x, y, MIN (xlen, ylen));
  return c != 0 ? c : (xlen > ylen) - (xlen < ylen);
}

/* Puts w's words in strcmp's order (at most EDM_MAX_WORDS: insertion sort). */
static void
sort_words (ValueWords *w)
{
  for (guint i = 1; i < w->n; i++)
    for (guint j = i; j > 0 && compare_words (w->buf->str + w->at[j - 1], w->len[j - 1],
                                               w->buf->str + w->at[j], w->len[j]) > 0; j--)
      {
        guint at = w->at[j], len = w->len[j];
        w->at[j] = w->at[j - 1], w->len[j] = w->len[j - 1];
        w->at[j - 1] = at, w->len[j - 1] = len;
      }
}

static gboolean
email_local_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("._%+'-", c) != NULL;
}

static gboolean
email_domain_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-';
}

gboolean
edm_value_normalize (EdmKind kind, const char *value, gsize len, GString *out)
{
  g_string_truncate (out, 0);
  if (kind == EDM_KIND_NUMBER)
    {
      for (gsize i = 0; i < len; i++)
        if (g_ascii_isdigit (value[i]))
          g_string_append_c (out, value[i]);
      return out->len >= EDM_NUMBER_MIN_DIGITS;
    }
  if (kind == EDM_KIND_EMAIL)
    {
      /* Blanks around the address stripped, lower-cased; a value read up to a NUL. */
      gsize n = strnlen (value, len), from = 0;
      while (from < n && g_ascii_isspace (value[from]))
        from++;
      while (n > from && g_ascii_isspace (value[n - 1]))
        n--;
      for (gsize i = from; i < n; i++)
        g_string_append_c (out, g_ascii_tolower (value[i]));
      const char *at = strchr (out->str, '@');
      if (at == NULL || at == out->str || at[1] == '\0' || out->len > EMAIL_MAX)
        return FALSE;
      return TRUE;
    }
  /* out holds the words, then their join after them, moved to the front at last. */
  ValueWords w = { .buf = out, .n = 0 };
  normalize_foreach_word (value, len, collect_word, &w);
  if (w.n == 0 || w.n > EDM_MAX_WORDS)
    return FALSE;
  gsize words_len = out->len;
  if (kind == EDM_KIND_NAME)
    sort_words (&w);
  for (guint i = 0; i < w.n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append_len (out, out->str + w.at[i], w.len[i]);
    }
  memmove (out->str, out->str + words_len, out->len - words_len);
  g_string_truncate (out, out->len - words_len);
  return TRUE;
}

G_STATIC_ASSERT (EDM_KIND_NAME + 1 == EDM_KINDS);

void
edm_value_hasher_init (EdmValueHasher *hasher, EdmValueHash how, const guint8 key[EDM_KEY_BYTES])
{
  hasher->how = how;
  if (how == EDM_VALUE_HASH_BLAKE2B)
    {
      crypto_generichash_init (&hasher->keyed, key, EDM_KEY_BYTES, 8);
      return;
    }
  g_assert (how == EDM_VALUE_HASH_SIPHASH);
  for (guint kind = 0; kind < EDM_KINDS; kind++)
    {
      guint8 context[sizeof EDM_VALUE_KEY_CONTEXT];   /* the text, then the kind byte for its NUL */
      memcpy (context, EDM_VALUE_KEY_CONTEXT, sizeof context - 1);
      context[sizeof context - 1] = (guint8) kind;
      crypto_generichash (hasher->kind_keys[kind], sizeof hasher->kind_keys[kind], context, sizeof context, key,
                          EDM_KEY_BYTES);
    }
}

guint64
edm_value_hasher_hash (const EdmValueHasher *hasher, EdmKind kind, const char *norm, gsize len)
{
  guint8 out[8];
  if (hasher->how == EDM_VALUE_HASH_SIPHASH)
    {
      g_assert ((guint) kind < EDM_KINDS);
      crypto_shorthash_siphash24 (out, (const guint8 *) norm, len, hasher->kind_keys[kind]);
    }
  else
    {
      crypto_generichash_state state = hasher->keyed;
      guint8 kind_byte = (guint8) kind;
      crypto_generichash_update (&state, &kind_byte, 1);
      crypto_generichash_update (&state, (const guint8 *) norm, len);
      crypto_generichash_final (&state, out, sizeof out);
    }
  guint64 h;
  memcpy (&h, out, 8);
  return GUINT64_FROM_LE (h);
}

guint64
edm_value_hash (EdmValueHash how, const guint8 key[EDM_KEY_BYTES], EdmKind kind, const char *norm, gsize len)
{
  EdmValueHasher hasher;
  edm_value_hasher_init (&hasher, how, key);
  return edm_value_hasher_hash (&hasher, kind, norm, len);
}

guint64
edm_word_hash (const guint8 key[EDM_KEY_BYTES], const char *word, gsize len)
{
  /* SipHash under the first half of the table's key: another function than the value
   * hashes, so the two never collide by construction. */
  guint8 out[8];
  crypto_shorthash_siphash24 (out, (const guint8 *) word, len, key);
  guint64 h;
  memcpy (&h, out, 8);
  return GUINT64_FROM_LE (h);
}

void
edm_value_words (const guint8 key[EDM_KEY_BYTES], const char *norm, GArray *words)
{
  /* Each non-empty piece between spaces. */
  for (const char *p = norm; *p != '\0';)
    {
      const char *end = strchrnul (p, ' ');
      if (end > p)
        {
          guint64 h = edm_word_hash (key, p, (gsize) (end - p));
          g_array_append_val (words, h);
        }
      p = *end == ' ' ? end + 1 : end;
    }
}

static guint64 *
filter_new (gsize n, guint *bits)
{
  *bits = BLOOM_MIN_BITS;
  while (*bits < 32 && ((gsize) 1 << *bits) < n * 16)
    (*bits)++;
  return g_new0 (guint64, ((gsize) 1 << *bits) / 64);
}

void
edm_table_index (EdmTable *t)
{
  if (t->map != NULL)
    return;  /* built into the file */
  g_clear_pointer (&t->word_filter, g_free);
  g_clear_pointer (&t->value_filter, g_free);
  t->word_filter = filter_new (t->n_words, &t->word_filter_bits);
  for (gsize i = 0; i < t->n_words; i++)
    {
      if (i + BLOOM_BUILD_PREFETCH < t->n_words)
        __builtin_prefetch (bloom_block (t->word_filter, t->word_filter_bits, t->words[i + BLOOM_BUILD_PREFETCH]), 1);
      bloom_add (t->word_filter, t->word_filter_bits, t->words[i]);
    }
  t->value_filter = filter_new (t->n_entries, &t->value_filter_bits);
  for (gsize i = 0; i < t->n_entries; i++)
    {
      if (i + BLOOM_BUILD_PREFETCH < t->n_entries)
        __builtin_prefetch (bloom_block (t->value_filter, t->value_filter_bits,
                                        t->entries[i + BLOOM_BUILD_PREFETCH].hash), 1);
      bloom_add (t->value_filter, t->value_filter_bits, t->entries[i].hash);
    }
}

/* Whether the table may hold the word whose keyed hash is h: its words' filter answers
 * (every table matched has one: edm_table_index() builds it, the index file holds it).
 * A word the filter lets through that the table does not hold only makes candidates
 * whose values are then looked up exactly (lookup()), so no verdict depends on it; it
 * costs less than searching the table's words did: over 40 MB of manual pages against
 * 10 M rows, 584 of 258 000 unseen words passed the filter and 26 were in the table,
 * and the searches of the 584 read 1 425 blocks of the index file (23 MB), each
 * authenticated on its first read. */
static gboolean
word_known (const EdmTable *t, guint64 h)
{
  return t->n_words > 0 && bloom_may_hold (t->map, t->word_filter, t->word_filter_bits, h);
}

/* ---- matching ---- */

typedef struct {
  guint32 record;
  guint16 column;
  gsize offset;   /* where the candidate starts in the content */
  gsize end;      /* and just past where it ends */
} Hit;

/* Candidates repeat within a paste (the same "1", "2026", "split" again and again),
 * and each costs two BLAKE2b compressions, or for a word one SipHash: a small
 * direct-mapped memo of short candidates, compared byte for byte, so that it only
 * ever returns what the hash would. */
#define MEMO_SLOTS 1024
#define MEMO_MAX 22

typedef struct {
  guint64 hash;      /* the value hash; for words, 1 when known, else 0 */
  guint32 first;     /* values: the first entry not below hash */
  guint8 len;        /* bytes + 1; 0 = empty */
  guint8 kind;       /* EdmKind */
  char bytes[MEMO_MAX];
} MemoSlot;


struct EdmScan {
  const EdmTable *table;
  guint kinds;    /* bit per EdmKind present in the table */
  GArray *hits;   /* Hit */
  GString *norm;
  EdmValueHasher hasher;
  MemoSlot *memo; /* MEMO_SLOTS, allocated on first use */
};
typedef struct EdmScan Matcher;

static MemoSlot *
memo_slot (Matcher *m, guint8 kind, const char *s, gsize len)
{
  if (len > MEMO_MAX)
    return NULL;
  if (m->memo == NULL)
    m->memo = g_new0 (MemoSlot, MEMO_SLOTS);
  guint32 h = 2166136261u ^ kind;
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) s[i]) * 16777619u;
  return &m->memo[(h ^ (h >> 15)) & (MEMO_SLOTS - 1)];
}

static gboolean
memo_holds (const MemoSlot *slot, guint8 kind, const char *s, gsize len)
{
  return slot->len == len + 1 && slot->kind == kind && memcmp (slot->bytes, s, len) == 0;
}

static void
memo_store (MemoSlot *slot, guint8 kind, const char *s, gsize len, guint64 hash, gsize first)
{
  slot->len = (guint8) (len + 1);
  slot->kind = kind;
  memcpy (slot->bytes, s, len);
  slot->hash = hash;
  slot->first = (guint32) first;
}

static gsize
entries_lower_bound (const EdmTable *t, guint64 h)
{
  gsize n = t->n_entries;
  const EdmEntry *base = t->entries;
  if (n == 0 || !bloom_may_hold (t->map, t->value_filter, t->value_filter_bits, h))
    return t->n_entries;  /* no entry has h */
  while (n > 1)
    {
      gsize half = n / 2;
      if (!index_map_check (t->map, &base[half - 1], sizeof *base))
        return t->n_entries;
      base = base[half - 1].hash < h ? base + half : base;
      n -= half;
    }
  if (!index_map_check (t->map, base, sizeof *base))
    return t->n_entries;
  return (gsize) (base - t->entries) + (base->hash < h);
}

/* The hash of m->norm as kind, and in *first where its entries start. */
static guint64
value_hash (Matcher *m, EdmKind kind, gsize *first)
{
  MemoSlot *slot = memo_slot (m, (guint8) kind, m->norm->str, m->norm->len);
  if (slot != NULL && memo_holds (slot, (guint8) kind, m->norm->str, m->norm->len))
    {
      *first = slot->first;
      return slot->hash;
    }
  guint64 h = edm_value_hasher_hash (&m->hasher, kind, m->norm->str, m->norm->len);
  *first = entries_lower_bound (m->table, h);
  if (slot != NULL && *first <= G_MAXUINT32)
    memo_store (slot, (guint8) kind, m->norm->str, m->norm->len, h, *first);
  return h;
}

/* Whether each word of the paste is in the table (known[i]). The words the table's
 * cache (above) does not answer, a few in a hundred, are hashed as they come and their
 * filter words prefetched, and probed WORD_BATCH at a time: the filter of a large table
 * is far bigger than the cache, so each probe is a miss, and a batch's misses overlap
 * instead of following one another (a batch of 32 consecutive words held one such word
 * on average, which then waited for its miss alone). A word twice in one batch is
 * looked up twice: same answer. */
#define WORD_BATCH 32

static guint64 *
word_cache_slot (const EdmTable *t, guint64 word_hash)
{
  return &t->word_cache->slots[(word_hash >> 32) & (WORD_CACHE_SLOTS - 1)];
}

typedef struct {
  guint index[WORD_BATCH];    /* the words' places in the paste */
  guint64 keyed[WORD_BATCH];  /* their keyed hashes */
  guint n;
} PendingWords;

/* Probes the pending words; returns how many are in the table. */
static guint
probe_pending (const EdmTable *t, const guint64 *hashes, PendingWords *p, guint8 *known)
{
  guint n_known = 0;
  for (guint j = 0; j < p->n; j++)
    {
      guint i = p->index[j];
      known[i] = word_known (t, p->keyed[j]);
      n_known += known[i];
      *word_cache_slot (t, hashes[i]) = (hashes[i] & ~(guint64) 1) | known[i];
    }
  p->n = 0;
  return n_known;
}

/* Returns how many words of the paste are in the table. */
static guint
words_in_table (Matcher *m, const NormWords *words, guint8 *known)
{
  guint n_known = 0;
  const EdmTable *t = m->table;
  guint n_words = words->words->len;
  const guint64 *hashes = (const guint64 *) (const void *) words->hashes->data;
  const NormWord *w = (const NormWord *) (const void *) words->words->data;
  PendingWords pending = { .n = 0 };
  for (guint i = 0; i < n_words; i++)
    {
      guint64 slot = *word_cache_slot (t, hashes[i]);
      if (slot != 0 && (slot ^ hashes[i]) >> 1 == 0)
        {
          known[i] = slot & 1;
          n_known += known[i];
          continue;
        }
      guint64 keyed = edm_word_hash (t->key, norm_word_text (words, i), w[i].len);
      if (t->word_filter != NULL)
        __builtin_prefetch (bloom_block (t->word_filter, t->word_filter_bits, keyed));
      pending.index[pending.n] = i;
      pending.keyed[pending.n++] = keyed;
      if (pending.n == WORD_BATCH)
        n_known += probe_pending (t, hashes, &pending, known);
    }
  return n_known + probe_pending (t, hashes, &pending, known);
}

/* The hits of one piece of content stop at this many (48 MiB): a paste that repeats
 * a record's values millions of times made a hit each, past the host's memory cap; the
 * records are found long before. */
#define MAX_HITS (2u << 20)

static void
lookup (Matcher *m, EdmKind kind, gsize offset, gsize end)
{
  if (G_UNLIKELY (m->hits->len >= MAX_HITS))
    return;
  const EdmTable *t = m->table;
  gsize lo;
  guint64 h = value_hash (m, kind, &lo);
  for (gsize i = lo; i < t->n_entries && index_map_check (t->map, &t->entries[i], sizeof (EdmEntry))
                     && t->entries[i].hash == h; i++)
    if (t->entries[i].column < t->n_columns && t->columns[t->entries[i].column].kind == kind)
      {
        Hit hit = { t->entries[i].record, t->entries[i].column, offset, end };
        g_array_append_val (m->hits, hit);
      }
}

/* Every run of 1..EDM_MAX_WORDS words that starts at a word in [from, to), in order
 * (text) and sorted (name); base is where words' text starts in the content. */
static void
match_words (Matcher *m, const NormWords *words, guint from, guint to, gsize base)
{
  guint n_words = words->words->len;
  to = MIN (to, n_words);
  if (from >= to)
    return;
  g_autofree guint8 *known = g_new (guint8, n_words + 1);
  if (words_in_table (m, words, known) == 0)
    return;  /* most pastes: no word of theirs is in the table */
  for (guint i = from; i < to; i++)
    {
      char *run[EDM_MAX_WORDS];
      for (guint n = 1; n <= EDM_MAX_WORDS && i + n <= n_words && known[i + n - 1]; n++)
        {
          gsize offset = base + g_array_index (words->words, NormWord, i).start;
          gsize end = base + g_array_index (words->words, NormWord, i + n - 1).end;
          run[n - 1] = (char *) norm_word_text (words, i + n - 1);
          if (m->kinds & (1u << EDM_KIND_TEXT))
            {
              join_words (run, n, FALSE, m->norm);
              lookup (m, EDM_KIND_TEXT, offset, end);
            }
          if (m->kinds & (1u << EDM_KIND_NAME))
            {
              join_words (run, n, TRUE, m->norm);
              lookup (m, EDM_KIND_NAME, offset, end);
            }
        }
    }
}

static void
match_emails (Matcher *m, const char *text, gsize len)
{
  for (const char *at = memchr (text, '@', len); at != NULL;
       at = memchr (at + 1, '@', len - (gsize) (at + 1 - text)))
    {
      const char *a = at, *b = at + 1, *end = text + len;
      while (a > text && email_local_char (a[-1]) && at - a < EMAIL_MAX)
        a--;
      while (a < at && *a == '.')
        a++;
      while (b < end && email_domain_char (*b) && b - at < EMAIL_MAX)
        b++;
      while (b > at + 1 && b[-1] == '.')
        b--;
      if (a == at || b == at + 1)
        continue;
      g_autofree char *lower = g_ascii_strdown (a, b - a);
      g_string_assign (m->norm, lower);
      lookup (m, EDM_KIND_EMAIL, (gsize) (a - text), (gsize) (b - text));
    }
}

/* The offset of the first ASCII digit at or after i, or len. Prose has few digits:
 * sixteen bytes at a time where SSE2 is there (every x86-64). */
static gsize
next_digit (const char *text, gsize len, gsize i)
{
#ifdef __SSE2__
  const __m128i below = _mm_set1_epi8 ('0' - 1), above = _mm_set1_epi8 ('9' + 1);
  for (; i + 16 <= len; i += 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) (text + i));
      int mask = _mm_movemask_epi8 (_mm_and_si128 (_mm_cmpgt_epi8 (v, below), _mm_cmplt_epi8 (v, above)));
      if (mask != 0)
        return i + (gsize) __builtin_ctz ((unsigned) mask);
    }
#endif
  while (i < len && !g_ascii_isdigit (text[i]))
    i++;
  return i;
}

static gboolean
number_separator (char c)
{
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+' || c == '/';
}

/* A group of digits, and whether the next one follows it in the same chain. */
typedef struct {
  gsize start, end;
  gboolean joins;
} DigitGroup;

/* The group of digits at i (a digit), and where the next one starts (or len). */
static DigitGroup
digit_group (const char *text, gsize len, gsize i, gsize *next)
{
  DigitGroup g = { .start = i };
  gsize j = i;
  while (j < len && g_ascii_isdigit (text[j]))
    j++;
  g.end = j;
  gsize k = j;
  while (k < len && k - j < NUMBER_MAX_GAP && number_separator (text[k]))
    k++;
  g.joins = k > j && k < len && g_ascii_isdigit (text[k]);
  *next = g.joins ? k : next_digit (text, len, j);
  return g;
}

/* The ring of groups ahead: a power of two at least NUMBER_MAX_GROUPS, indexed by mask. */
#define GROUP_RING 8
G_STATIC_ASSERT (GROUP_RING >= NUMBER_MAX_GROUPS && (GROUP_RING & (GROUP_RING - 1)) == 0);

/* Groups of digits that follow each other within NUMBER_MAX_GAP separators form a
 * chain ("+1 (555) 123-4567"); every run of up to NUMBER_MAX_GROUPS groups of a chain,
 * digits joined, is a candidate. */
static void
match_numbers (Matcher *m, const char *text, gsize len)
{
  /* Every group starts a chain of up to NUMBER_MAX_GROUPS groups: the groups ahead are
   * kept in a ring, so that each is read once (reading each chain from its first group
   * read a group up to six times). */
  DigitGroup ring[GROUP_RING];
  const guint64 wanted = m->table->number_digits;
  guint head = 0, count = 0;
  gsize i = next_digit (text, len, 0);
  for (;;)
    {
      for (; count < NUMBER_MAX_GROUPS && i < len; count++)
        ring[(head + count) & (GROUP_RING - 1)] = digit_group (text, len, i, &i);
      if (count == 0)
        break;
      /* The runs that start at the chain's first group, groups 0..b joined; the string
       * is built only for a digit count the table has. */
      const DigitGroup *first = &ring[head];
      gsize digits = 0;
      for (guint b = 0; b < count; b++)
        {
          const DigitGroup *last = &ring[(head + b) & (GROUP_RING - 1)];
          digits += last->end - last->start;
          if (digits >= EDM_NUMBER_MIN_DIGITS && (wanted & edm_digits_bit (digits)) != 0)
            {
              g_string_truncate (m->norm, 0);
              for (guint g = 0; g <= b; g++)
                {
                  const DigitGroup *x = &ring[(head + g) & (GROUP_RING - 1)];
                  g_string_append_len (m->norm, text + x->start, (gssize) (x->end - x->start));
                }
              lookup (m, EDM_KIND_NUMBER, first->start, last->end);
            }
          if (!last->joins)
            break;  /* the chain ends here */
        }
      head = (head + 1) & (GROUP_RING - 1);
      count--;
    }
}

static int
compare_hits (gconstpointer a, gconstpointer b)
{
  const Hit *x = a, *y = b;
  if (x->record != y->record)
    return x->record < y->record ? -1 : 1;
  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  return (int) x->column - (int) y->column;
}

/* Hits [from, to) of one record: does it match, and by which columns? */
static guint64
record_evidence (const EdmTable *table, const Hit *hits, guint from, guint to)
{
  guint64 columns = 0;
  for (guint i = from; i < to; i++)
    {
      if (table->columns[hits[i].column].unique)
        columns |= G_GUINT64_CONSTANT (1) << hits[i].column;
      for (guint j = i + 1; j < to && hits[j].offset - hits[i].offset <= EDM_NEAR_BYTES; j++)
        if (hits[j].column != hits[i].column && hits[j].offset != hits[i].offset)
          columns |= (G_GUINT64_CONSTANT (1) << hits[i].column) | (G_GUINT64_CONSTANT (1) << hits[j].column);
    }
  return columns;
}

/* The hits of a matched record, as spans (EdmSpan) in spans. */
static void
record_spans (const Hit *hits, guint from, guint to, GArray *spans)
{
  for (guint i = from; i < to; i++)
    g_array_append_val (spans, ((EdmSpan) { hits[i].offset, hits[i].end }));
}

void
edm_table_match_words (const EdmTable *table, const char *text, gsize len, const NormWords *words,
                       EdmMatch *out)
{
  edm_table_match_spans (table, text, len, words, out, NULL);
}

EdmScan *
edm_scan_new (const EdmTable *table)
{
  EdmScan *m = g_new0 (EdmScan, 1);
  m->table = table;
  if (table == NULL || table->n_entries == 0)
    return m;
  m->hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  m->norm = g_string_sized_new (64);
  edm_value_hasher_init (&m->hasher, table->value_hash, table->key);
  for (guint i = 0; i < table->n_columns; i++)
    m->kinds |= 1u << table->columns[i].kind;
  return m;
}

void
edm_scan_words (EdmScan *m, const NormWords *words, guint from, guint to, gsize base)
{
  if (m->kinds & ((1u << EDM_KIND_TEXT) | (1u << EDM_KIND_NAME)))
    match_words (m, words, from, to, base);
}

void
edm_scan_finish (EdmScan *m, const char *text, gsize len, EdmMatch *out, GArray *spans)
{
  const EdmTable *table = m->table;
  *out = (EdmMatch) { 0 };
  if (m->hits == NULL)
    {
      g_free (m);
      return;
    }
  if (m->kinds & (1u << EDM_KIND_EMAIL))
    match_emails (m, text, len);
  if (m->kinds & (1u << EDM_KIND_NUMBER))
    match_numbers (m, text, len);
  g_array_sort (m->hits, compare_hits);
  const Hit *hits = (const Hit *) m->hits->data;
  for (guint i = 0; i < m->hits->len;)
    {
      guint j = i;
      while (j < m->hits->len && hits[j].record == hits[i].record)
        j++;
      guint64 columns = record_evidence (table, hits, i, j);
      if (columns != 0)
        {
          out->records++;
          out->columns |= columns;
          if (spans != NULL)
            record_spans (hits, i, j, spans);
        }
      i = j;
    }
  g_array_unref (m->hits);
  g_string_free (m->norm, TRUE);
  g_free (m->memo);
  g_free (m);
}

void
edm_table_match_spans (const EdmTable *table, const char *text, gsize len, const NormWords *words,
                       EdmMatch *out, GArray *spans)
{
  EdmScan *scan = edm_scan_new (table);
  edm_scan_words (scan, words, 0, words->words->len, 0);
  edm_scan_finish (scan, text, len, out, spans);
}
