#include "normalize.h"

#include <string.h>

/* Words go straight into arrays sized for the worst case (a word and a separator every
 * two bytes), trimmed at the end: per word, a store instead of three glib calls. */
typedef struct {
  NormWords *w;
  guint64 *hashes;
  NormWord *words;
  guint n, cap;
} NormSink;

/* One pass over the input: the current run of word characters is collected raw in
 * buf; a run that stayed ASCII is already lower-cased and final, a run of the tables'
 * characters is folded from them, any other run goes through NFKC and case folding
 * when it ends. */
typedef struct {
  const char *text;
  gsize len;
  GString *buf;
  GString *scratch;   /* a NUL-terminated copy of a word cut from a normalised run */
  gboolean non_ascii;
  gboolean folds;     /* the run holds a letter of the fold table */
  gboolean cjk;       /* the run holds a PLAIN_CJK character */
  gsize cjk_bytes;    /* of the run's bytes, those of PLAIN_CJK characters */
  gboolean passes;    /* the run holds a character that takes glib's three passes */
  gsize start;        /* byte offset where the current run began */
  NormWordFunc fn;
  gpointer data;
  NormSink *sink;     /* set by norm_words_new: plain ASCII words go straight into it */
  NormSimd simd;      /* not NONE: the sink's chars start with a lowered copy of the text (see below) */
  gsize stop;         /* not 0: the walk ends at the first place from here between two runs */
  gsize at;           /* where the walk ended */
} Norm;

static gboolean
is_ascii_alnum (guchar c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static gboolean
is_word_char (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER: case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER: case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER: case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_SPACING_MARK: case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_DECIMAL_NUMBER: case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_cjk (gunichar c)
{
  GUnicodeScript script = g_unichar_get_script (c);
  return script == G_UNICODE_SCRIPT_HAN || script == G_UNICODE_SCRIPT_HIRAGANA
         || script == G_UNICODE_SCRIPT_KATAKANA;
}

static void
emit (Norm *n, const char *word, gsize len, gsize end)
{
  if (len == 0)
    return;
  if (word != n->buf->str || len != n->buf->len)  /* the word must end in a NUL */
    {
      g_string_truncate (n->scratch, 0);
      word = g_string_append_len (n->scratch, word, (gssize) len)->str;
    }
  n->fn (word, len, n->start, end, n->data);
}

/* Emits a run of CJK characters [p, q) as overlapping pairs (one alone as itself). */
static void
emit_cjk (Norm *n, const char *p, const char *q, gsize end)
{
  const char *second = g_utf8_next_char (p);
  if (second >= q)
    {
      emit (n, p, (gsize) (q - p), end);
      return;
    }
  for (const char *a = p, *b = second; b < q; a = b, b = g_utf8_next_char (b))
    {
      gsize len = (gsize) (g_utf8_next_char (b) - a);
      char pair[16];  /* two characters of up to 6 bytes (glib's next_char): NUL-terminated here */
      memcpy (pair, a, len);
      pair[len] = '\0';
      n->fn (pair, len, n->start, end, n->data);
    }
}

/* A normalised run may hold several words again (NFKC turns "¼" into "1⁄4") and
 * CJK segments: split it by the same classes as the raw text. */
static void
emit_normalised (Norm *n, const char *s, gsize end)
{
  const char *p = s;
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);
      if (!is_word_char (c))
        {
          p = g_utf8_next_char (p);
          continue;
        }
      gboolean cjk = is_cjk (c);
      const char *q = p;
      while (*q != '\0' && is_word_char (g_utf8_get_char (q)) && is_cjk (g_utf8_get_char (q)) == cjk)
        q = g_utf8_next_char (q);
      if (cjk)
        emit_cjk (n, p, q, end);
      else
        emit (n, p, (gsize) (q - p), end);
      p = q;
    }
}

/* ---- words of Latin, Greek and Cyrillic letters without glib's three passes ---- */

/* Of the characters U+00C0 to U+04FF (the Latin-1 letters, Latin Extended-A and -B, IPA,
 * Greek and Cyrillic), those that NFKC leaves as they are, that combine with nothing
 * (combining class 0) and whose case folding, normalised, is made of ASCII letters and
 * digits and of such characters again: what flush makes of a word of them and of ASCII
 * letters and digits is their folds one after the other, without the two NFKC passes
 * and the case folding over the whole word (three allocations and table walks a word:
 * 80% of normalising French, German or Russian text). The table is filled from glib's
 * own functions, so it folds as they do; tests/unit/test-normalize.c checks every pair
 * of these characters against the three passes. */
#define FOLD_FIRST 0x00C0
#define FOLD_LAST 0x04FF
#define FOLD_MAX 4   /* bytes of a fold: "ss" for ß; Greek and Cyrillic letters take 2 */

typedef struct {
  guint8 len;          /* 0: the character takes glib's passes */
  char bytes[FOLD_MAX];
} Fold;

static Fold fold_table[FOLD_LAST - FOLD_FIRST + 1];

/* Whether d may stand in a fold: a lower-case ASCII letter or digit, or a word
 * character of the table's range that NFKC leaves alone and that combines with nothing. */
static gboolean
fold_char_ok (gunichar d)
{
  if (d < 0x80)
    return g_ascii_isdigit (d) || g_ascii_islower (d);
  if (d < FOLD_FIRST || d > FOLD_LAST || !is_word_char (d) || g_unichar_combining_class (d) != 0)
    return FALSE;
  char s[8];
  s[g_unichar_to_utf8 (d, s)] = '\0';
  g_autofree char *nfkc = g_utf8_normalize (s, -1, G_NORMALIZE_NFKC);
  return nfkc != NULL && strcmp (nfkc, s) == 0;
}

static gpointer
fold_table_fill (gpointer unused)
{
  (void) unused;
  for (gunichar c = FOLD_FIRST; c <= FOLD_LAST; c++)
    {
      if (!fold_char_ok (c))
        continue;
      char s[8];
      s[g_unichar_to_utf8 (c, s)] = '\0';
      g_autofree char *folded = g_utf8_casefold (s, -1);
      g_autofree char *final = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
      if (final == NULL || final[0] == '\0' || strlen (final) > FOLD_MAX)
        continue;
      gboolean ok = TRUE;
      for (const char *p = final; *p != '\0' && ok; p = g_utf8_next_char (p))
        ok = fold_char_ok (g_utf8_get_char (p));
      if (!ok)
        continue;
      fold_table[c - FOLD_FIRST].len = (guint8) strlen (final);
      memcpy (fold_table[c - FOLD_FIRST].bytes, final, strlen (final));
    }
  return NULL;
}

/* The fold of c, or NULL when c takes glib's passes; the table is filled on first use. */
static const Fold *
fold_of (gunichar c)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, fold_table_fill, NULL);
  return c >= FOLD_FIRST && c <= FOLD_LAST && fold_table[c - FOLD_FIRST].len != 0 ? &fold_table[c - FOLD_FIRST] : NULL;
}

/* The character of two UTF-8 bytes at p (len >= 2 left) when it has a fold, else NULL. */
static inline const Fold *
fold_at (const guchar *p, gsize len)
{
  if (len < 2 || p[0] < 0xC2 || p[0] > 0xDF || (p[1] & 0xC0) != 0x80)
    return NULL;
  return fold_of (((gunichar) (p[0] & 0x1F) << 6) | (p[1] & 0x3F));
}

/* ---- characters of other scripts that the three passes leave as they are ---- */

/* The characters of the first three planes (U+0080 to U+2FFFF), classed for step_unicode
 * by what glib's functions say of each (a byte a character, a page of 256 filled when a
 * paste first holds one of them: about 50 us):
 *   PLAIN_WORD: a word character of combining class 0 that NFKC and case folding leave
 *     as it is and that no canonical pair has second (nothing before it composes with
 *     it), nor the first character of its decomposition; PLAIN_COMPOSED when it has one
 *     (Hangul syllables, Vietnamese letters), PLAIN_CJK for Han, Hiragana, Katakana
 *   PLAIN_MARK: a word character of another combining class that NFKC and case folding
 *     leave as it is and that no canonical pair has second (Devanagari's virama and
 *     nukta, Thai's tone marks, Arabic's and Hebrew's vowel points)
 *   PLAIN_FOLD: a word character of combining class 0 that the three passes turn into
 *     ASCII letters and digits and PLAIN_WORD characters (its fold, kept beside the
 *     page: upper-case Armenian, Georgian, Cherokee and Vietnamese, full- and half-width
 *     forms, Thai's SARA AM, compatibility ideographs, circled numbers), whose
 *     decomposition and whose case folding's start with a starter nothing composes with
 *   PLAIN_SEPARATOR: neither a word character nor a format character, nor one that
 *     step_unicode handles on its own (hyphens, U+2019): it ends the run
 *   PLAIN_NO: anything else: step_unicode's general path, glib's three passes
 * A run of PLAIN_WORD and PLAIN_FOLD characters, ASCII letters and digits, letters of
 * the fold table, and PLAIN_MARK characters each right after a PLAIN_WORD one without a
 * decomposition, an ASCII one or a PLAIN_MARK one of a lower or equal class, is after
 * the three passes the characters' folds one after the other: nothing in it decomposes
 * into anything that can move (canonical order) or compose with a neighbour. Arabic,
 * Hebrew, Devanagari, Thai, Hangul and Han took glib's three passes a word, and a pack's
 * scan of such text ran at 9 to 42 MB/s against 160 for English.
 * tests/unit/test-normalize.c checks the classes against glib and runs of them against
 * the three passes. */
enum {
  PLAIN_NO, PLAIN_SEPARATOR, PLAIN_WORD, PLAIN_MARK, PLAIN_FOLD, PLAIN_KIND = 7,  /* the kind */
  PLAIN_CJK = 8, PLAIN_COMPOSED = 16,                                             /* flags */
};

#define PLAIN_LIMIT 0x30000                 /* the first three planes */
#define PLAIN_PAGES (PLAIN_LIMIT >> 8)      /* of 256 characters */
#define PLAIN_FOLD_MAX 15

typedef struct {
  guint8 len;
  char bytes[PLAIN_FOLD_MAX];
} PlainFold;

static guint8 plain_classes[PLAIN_PAGES * 256];
static PlainFold *plain_folds[PLAIN_PAGES];  /* a page's folds; NULL when it has none */
static gint plain_filled[PLAIN_PAGES];
static gboolean plain_off;                   /* normalize_plain_table (FALSE): tests */

void
normalize_plain_table (gboolean use)
{
  plain_off = !use;
}

/* The characters of the table's planes that a canonical pair has second, 1 bit each:
 * glib's decompositions of the first two planes' characters, but for the blocks that hold
 * none (CJK ideographs) and the Hangul syllables, whose pairs (L + V, LV + T) are
 * Unicode's algorithm; the third plane holds ideographs alone: about 1 ms once. The unit
 * test compares it with every pair glib has. */
static guint64 plain_seconds[PLAIN_LIMIT / 64];

static gpointer
plain_seconds_fill (gpointer unused)
{
  (void) unused;
  for (gunichar c = 0x00C0; c < 0x20000; c++)
    {
      if ((c >= 0x3400 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3))
        continue;
      gunichar a, b;
      if (g_unichar_decompose (c, &a, &b) && b != 0 && b < PLAIN_LIMIT)
        plain_seconds[b / 64] |= (guint64) 1 << (b % 64);
    }
  for (gunichar b = 0x1161; b <= 0x11C2; b++)
    if (b <= 0x1175 || b >= 0x11A8)
      plain_seconds[b / 64] |= (guint64) 1 << (b % 64);
  return NULL;
}

gboolean
normalize_composes_after (gunichar c)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, plain_seconds_fill, NULL);
  return c < PLAIN_LIMIT && (plain_seconds[c / 64] >> (c % 64) & 1) != 0;
}

/* Whether d starts no canonical pair's second and combines with nothing: the first
 * character of a decomposition that nothing before it can compose with or move past. */
static gboolean
plain_starter (gunichar d)
{
  return g_unichar_combining_class (d) == 0 && !normalize_composes_after (d);
}

static guint plain_classify (gunichar c, PlainFold *fold);

/* The fold of c (three passes: nfkc is the first) when it is a PLAIN_FOLD character:
 * NFKC of the case folding starts with a starter of that kind too, and is made of
 * lower-case ASCII letters, digits and PLAIN_WORD characters. Returns its flags. */
static guint
plain_fold_of (const char *nfkc, PlainFold *fold)
{
  g_autofree char *folded = g_utf8_casefold (nfkc, -1);
  gunichar parts[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  if (folded == NULL || folded[0] == '\0'
      || g_unichar_fully_decompose (g_utf8_get_char (folded), TRUE, parts, G_N_ELEMENTS (parts)) == 0
      || !plain_starter (parts[0]))
    return PLAIN_NO;
  g_autofree char *final = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
  if (final == NULL || final[0] == '\0' || strlen (final) > PLAIN_FOLD_MAX)
    return PLAIN_NO;
  guint flags = 0;
  for (const char *p = final; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar d = g_utf8_get_char (p);
      guint k = d < 0x80 ? (g_ascii_islower (d) || g_ascii_isdigit (d) ? PLAIN_WORD : PLAIN_NO)
                : d < PLAIN_LIMIT ? plain_classify (d, NULL) : PLAIN_NO;
      if ((k & PLAIN_KIND) != PLAIN_WORD)
        return PLAIN_NO;
      flags |= k & PLAIN_CJK;
    }
  fold->len = (guint8) strlen (final);
  memcpy (fold->bytes, final, fold->len);
  return PLAIN_FOLD | flags;
}

/* The class of c; with fold, PLAIN_FOLD characters too (their fold in *fold). */
static guint
plain_classify (gunichar c, PlainFold *fold)
{
  char s[8];
  gsize len = (gsize) g_unichar_to_utf8 (c, s);
  s[len] = '\0';
  if (c < 0x80 || g_utf8_get_char_validated (s, (gssize) len) != c || c == 0x00AD || c == 0x2010
      || c == 0x2011 || c == 0x2019 || g_unichar_type (c) == G_UNICODE_FORMAT)
    return PLAIN_NO;
  if (!is_word_char (c))
    return PLAIN_SEPARATOR;
  gunichar parts[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gsize n = g_unichar_fully_decompose (c, TRUE, parts, G_N_ELEMENTS (parts));
  if (n == 0 || normalize_composes_after (c) || normalize_composes_after (parts[0]))
    return PLAIN_NO;
  g_autofree char *nfkc = g_utf8_normalize (s, (gssize) len, G_NORMALIZE_NFKC);
  g_autofree char *folded = g_utf8_casefold (s, (gssize) len);
  if (nfkc == NULL || folded == NULL)
    return PLAIN_NO;
  if (strcmp (nfkc, s) == 0 && strcmp (folded, s) == 0)
    return (g_unichar_combining_class (c) != 0 ? PLAIN_MARK : PLAIN_WORD) | (is_cjk (c) ? PLAIN_CJK : 0)
           | (n != 1 || parts[0] != c ? PLAIN_COMPOSED : 0);
  if (fold == NULL || g_unichar_combining_class (c) != 0 || !plain_starter (parts[0]))
    return PLAIN_NO;
  return plain_fold_of (nfkc, fold);
}

/* Fills a page; threads that fill one at once store the same classes and folds. */
static void
plain_fill (guint page)
{
  guint8 classes[256];
  PlainFold folds[256];
  gboolean any_fold = FALSE;
  for (guint k = 0; k < 256; k++)
    {
      classes[k] = (guint8) plain_classify ((page << 8) | k, &folds[k]);
      any_fold |= (classes[k] & PLAIN_KIND) == PLAIN_FOLD;
    }
  if (any_fold)
    {
      PlainFold *mine = g_memdup2 (folds, sizeof folds), *none = NULL;
      if (!__atomic_compare_exchange_n (&plain_folds[page], &none, mine, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        g_free (mine);  /* another thread's, the same */
    }
  for (guint k = 0; k < 256; k++)
    __atomic_store_n (&plain_classes[(page << 8) | k], classes[k], __ATOMIC_RELAXED);
  __atomic_store_n (&plain_filled[page], 1, __ATOMIC_RELEASE);
}

/* The fold of c, a PLAIN_FOLD character whose class was read. */
static inline const PlainFold *
plain_fold (gunichar c)
{
  return &__atomic_load_n (&plain_folds[c >> 8], __ATOMIC_ACQUIRE)[c & 0xFF];
}

static inline guint
plain_class (gunichar c)
{
  guint page = c >> 8;
  if (G_UNLIKELY (!__atomic_load_n (&plain_filled[page], __ATOMIC_ACQUIRE)))
    plain_fill (page);
  return __atomic_load_n (&plain_classes[c], __ATOMIC_RELAXED);
}

/* The character at p (len left) of the table's planes, its length in *clen and its
 * class; PLAIN_NO for anything else (beyond U+2FFFF, invalid). */
static inline guint
plain_at (const guchar *p, gsize len, gunichar *c, gsize *clen)
{
  if (plain_off || len < 2 || (p[1] & 0xC0) != 0x80)
    return PLAIN_NO;
  if (p[0] >= 0xC2 && p[0] <= 0xDF)
    {
      *clen = 2;
      *c = ((gunichar) (p[0] & 0x1F) << 6) | (p[1] & 0x3F);
      return plain_class (*c);
    }
  if (len < 3 || (p[2] & 0xC0) != 0x80)
    return PLAIN_NO;
  if (p[0] >= 0xE0 && p[0] <= 0xEF && !(p[0] == 0xE0 && p[1] < 0xA0) && !(p[0] == 0xED && p[1] >= 0xA0))
    {
      *clen = 3;
      *c = ((gunichar) (p[0] & 0x0F) << 12) | ((gunichar) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
      return plain_class (*c);
    }
  /* F0 90..AF: U+10000 to U+2FFFF */
  if (p[0] != 0xF0 || p[1] < 0x90 || p[1] >= 0xB0 || len < 4 || (p[3] & 0xC0) != 0x80)
    return PLAIN_NO;
  *clen = 4;
  *c = ((gunichar) (p[1] & 0x3F) << 12) | ((gunichar) (p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return plain_class (*c);
}

/* Whether the PLAIN_MARK c may follow the run in n->buf without the three passes: at its
 * start, after an ASCII character or a PLAIN_WORD one without a decomposition, or after a
 * PLAIN_MARK one of a lower or equal combining class (canonical order kept). */
static gboolean
plain_mark_fits (const Norm *n, gunichar c)
{
  if (n->buf->len == 0 || (guchar) n->buf->str[n->buf->len - 1] < 0x80)
    return TRUE;
  const char *last = g_utf8_find_prev_char (n->buf->str, n->buf->str + n->buf->len);
  gunichar b;
  gsize blen;
  guint before = last != NULL ? plain_at ((const guchar *) last, (gsize) (n->buf->str + n->buf->len - last), &b, &blen)
                              : PLAIN_NO;
  if ((before & PLAIN_KIND) == PLAIN_WORD)
    return (before & PLAIN_COMPOSED) == 0;
  return (before & PLAIN_KIND) == PLAIN_MARK && g_unichar_combining_class (b) <= g_unichar_combining_class (c);
}

/* The run in n->buf (lower-case ASCII letters and digits, letters of the fold table and
 * characters of the table of plain ones, no other) folded into n->scratch: each letter
 * of the fold table and each PLAIN_FOLD character becomes its fold, the rest stays. */
static void
fold_simple (Norm *n)
{
  GString *out = n->scratch;
  g_string_truncate (out, 0);
  const guchar *p = (const guchar *) n->buf->str, *end = p + n->buf->len;
  while (p < end)
    {
      if (*p < 0x80)
        {
          g_string_append_c (out, (char) *p++);
          continue;
        }
      const Fold *fold = fold_at (p, (gsize) (end - p));
      if (fold != NULL)
        {
          g_string_append_len (out, fold->bytes, fold->len);
          p += 2;
          continue;
        }
      gunichar c;
      gsize clen;
      if ((plain_at (p, (gsize) (end - p), &c, &clen) & PLAIN_KIND) == PLAIN_FOLD)
        {
          const PlainFold *f = plain_fold (c);
          g_string_append_len (out, f->bytes, f->len);
          p += clen;
          continue;
        }
      const guchar *q = (const guchar *) g_utf8_next_char (p);
      g_string_append_len (out, (const char *) p, q - p);
      p = q;
    }
}

/* What flush's three passes make of a run of up to NFKC_CACHE_RAW bytes, remembered per
 * thread: the words that neither table takes (compatibility forms that NFKC splits or
 * turns into marks, marks out of canonical order, characters beyond U+2FFFF) take three
 * glib passes each, which made a pack's scan of Arabic text 11 MB/s against 1 700
 * without one before the table of plain characters; text repeats its words (Zipf), so
 * most runs are found here. A slot holds the run's raw bytes and the passes' result,
 * NUL-terminated; the result is a function of the raw bytes alone, so a hit gives what
 * the passes give. */
#define NFKC_CACHE_SLOTS 4096
#define NFKC_CACHE_RAW 48
#define NFKC_CACHE_OUT 112

typedef struct {
  guint8 raw_len, out_len;  /* raw_len 0: empty */
  char raw[NFKC_CACHE_RAW];
  char out[NFKC_CACHE_OUT];
} NfkcSlot;

static GPrivate nfkc_cache = G_PRIVATE_INIT (g_free);

static NfkcSlot *
nfkc_slot (const char *raw, gsize len)
{
  NfkcSlot *slots = g_private_get (&nfkc_cache);
  if (slots == NULL)
    {
      slots = g_new0 (NfkcSlot, NFKC_CACHE_SLOTS);
      g_private_set (&nfkc_cache, slots);
    }
  return &slots[normalize_word_hash (raw, len) & (NFKC_CACHE_SLOTS - 1)];
}

/* NFKC, fold, NFKC again (folding can produce sequences that compose again) of the run
 * in n->buf, emitted; from the cache when it holds the run. */
static void
flush_three_passes (Norm *n, gsize end)
{
  const char *raw = n->buf->str;
  gsize len = n->buf->len;
  NfkcSlot *slot = len <= NFKC_CACHE_RAW ? nfkc_slot (raw, len) : NULL;
  if (slot != NULL && slot->raw_len == len && memcmp (slot->raw, raw, len) == 0)
    {
      char out[NFKC_CACHE_OUT];
      memcpy (out, slot->out, (gsize) slot->out_len + 1);  /* a callback may normalise too */
      emit_normalised (n, out, end);
      return;
    }
  g_autofree char *nfkc = g_utf8_normalize (raw, (gssize) len, G_NORMALIZE_NFKC);
  g_autofree char *folded = nfkc ? g_utf8_casefold (nfkc, -1) : NULL;
  g_autofree char *final = folded ? g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC) : NULL;
  if (final == NULL)
    return;
  gsize out_len = strlen (final);
  if (slot != NULL && out_len < NFKC_CACHE_OUT)
    {
      slot->raw_len = (guint8) len;
      memcpy (slot->raw, raw, len);
      slot->out_len = (guint8) out_len;
      memcpy (slot->out, final, out_len + 1);
    }
  emit_normalised (n, final, end);
}

/* Whether the character at p (of a run without PLAIN_NO characters) is PLAIN_CJK. */
static inline gboolean
plain_cjk_at (const guchar *p, const guchar *end)
{
  gunichar c;
  gsize clen;
  return *p >= 0xE0 && (plain_at (p, (gsize) (end - p), &c, &clen) & PLAIN_CJK) != 0;
}

/* The words of a run of word characters without PLAIN_NO ones, s (len bytes, after
 * fold_simple when it had letters of the table): its stretches of CJK characters and of
 * others, as emit_normalised splits them. */
static void
emit_plain (Norm *n, const char *s, gsize len, gsize end)
{
  const guchar *p = (const guchar *) s, *stop = p + len;
  while (p < stop)
    {
      gboolean cjk = plain_cjk_at (p, stop);
      const guchar *q = p;
      do
        q = (const guchar *) g_utf8_next_char (q);
      while (q < stop && plain_cjk_at (q, stop) == cjk);
      if (cjk)
        emit_cjk (n, (const char *) p, (const char *) q, end);
      else
        emit (n, (const char *) p, (gsize) (q - p), end);
      p = q;
    }
}

static void
flush (Norm *n, gsize end)
{
  if (n->buf->len == 0)
    return;
  if (!n->non_ascii)
    emit (n, n->buf->str, n->buf->len, end);
  else if (n->passes)
    flush_three_passes (n, end);
  else if (n->cjk_bytes == n->buf->len)
    emit_cjk (n, n->buf->str, n->buf->str + n->buf->len, end);  /* Han and kana alone: pairs */
  else if (!n->folds)
    emit_plain (n, n->buf->str, n->buf->len, end);
  else
    {
      fold_simple (n);
      if (!n->cjk)
        n->fn (n->scratch->str, n->scratch->len, n->start, end, n->data);
      else
        {
          g_autofree char *folded = g_strndup (n->scratch->str, n->scratch->len);
          emit_plain (n, folded, n->scratch->len, end);
        }
    }
  g_string_truncate (n->buf, 0);
  n->non_ascii = n->folds = n->cjk = n->passes = FALSE;
  n->cjk_bytes = 0;
}

/* A run that holds a character beyond ASCII ends once it holds NORM_RUN_MAX bytes,
 * before its next character, and the rest is another run (another word): NFKC of a run
 * takes up to 72 bytes a byte of it at once in glib (UCS-4, and U+FDFA decomposes into
 * 18 characters), 2.3 GB for a paste of 32 MB without a separator. No word of a real
 * document is this long; a run of ASCII alone is never normalised and stays one word. */
#define NORM_RUN_MAX ((gsize) 64 * 1024)

static inline gboolean
run_room (Norm *n, gsize i)
{
  if (G_LIKELY (n->buf->len < NORM_RUN_MAX))
    return FALSE;
  flush (n, i);
  return n->stop != 0 && i >= n->stop;  /* the walk ends here (norm_words_new_until) */
}

/* After a hyphen at i: is this "-", optional blanks, one line break, optional blanks,
 * then a lower-case letter? Returns the offset of that letter, or 0. */
static gsize
hyphen_break_end (const Norm *n, gsize i)
{
  gsize j = i;
  while (j < n->len && (n->text[j] == ' ' || n->text[j] == '\t'))
    j++;
  if (j < n->len && n->text[j] == '\r')
    j++;
  if (j >= n->len || n->text[j] != '\n')
    return 0;
  j++;
  while (j < n->len && (n->text[j] == ' ' || n->text[j] == '\t'))
    j++;
  if (j >= n->len)
    return 0;
  gunichar c = g_utf8_get_char_validated (n->text + j, (gssize) (n->len - j));
  if (c == (gunichar) -1 || c == (gunichar) -2 || !g_unichar_islower (c))
    return 0;
  return j;
}

/* An apostrophe between two letters (don't, O'Brien, the client's) joins them: copied
 * text swaps ' and ’ freely and people drop it ("dont"), and all three forms must be one
 * word. At i is the character after the apostrophe. */
static gboolean
apostrophe_joins (const Norm *n, gsize i)
{
  if (n->buf->len == 0 || i >= n->len)
    return FALSE;
  const char *last = g_utf8_find_prev_char (n->buf->str, n->buf->str + n->buf->len);
  gunichar before = last != NULL ? g_utf8_get_char (last) : 0;
  gunichar after = g_utf8_get_char_validated (n->text + i, (gssize) (n->len - i));
  return g_unichar_isalpha (before) && after <= 0x10FFFF && g_unichar_isalpha (after);
}

/* Handles the non-ASCII character at *i; advances *i past it. */
static void
step_unicode (Norm *n, gsize *i)
{
  if (fold_at ((const guchar *) n->text + *i, n->len - *i) != NULL)
    {
      /* A letter of the fold table: a word character, never a hyphen, an apostrophe or
       * a format character, so what the checks below would conclude. */
      if (run_room (n, *i))
        return;
      if (n->buf->len == 0)
        n->start = *i;
      g_string_append_len (n->buf, n->text + *i, 2);
      n->non_ascii = n->folds = TRUE;
      *i += 2;
      return;
    }
  gunichar pc;
  gsize clen;
  guint plain = plain_at ((const guchar *) n->text + *i, n->len - *i, &pc, &clen);
  if (plain == PLAIN_SEPARATOR)
    {
      flush (n, *i);
      *i += clen;
      return;
    }
  if (plain != PLAIN_NO)
    {
      if (run_room (n, *i))
        return;
      if ((plain & PLAIN_KIND) == PLAIN_MARK && !plain_mark_fits (n, pc))
        n->passes = TRUE;  /* it may move or compose: the three passes say where */
      if (n->buf->len == 0)
        n->start = *i;
      GString *buf = n->buf;
      if (G_LIKELY (buf->len + clen < buf->allocated_len))
        {
          memcpy (buf->str + buf->len, n->text + *i, clen);
          buf->len += clen;
          buf->str[buf->len] = '\0';
        }
      else
        g_string_append_len (buf, n->text + *i, (gssize) clen);
      n->non_ascii = TRUE;
      n->cjk |= (plain & PLAIN_CJK) != 0;
      if ((plain & PLAIN_KIND) == PLAIN_FOLD)
        n->folds = TRUE;  /* fold_simple puts its fold */
      else if (plain & PLAIN_CJK)
        n->cjk_bytes += clen;
      *i += clen;
      return;
    }
  gunichar c = g_utf8_get_char_validated (n->text + *i, (gssize) (n->len - *i));
  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      flush (n, *i);
      *i += 1;
      return;
    }
  gsize next = (gsize) (g_utf8_next_char (n->text + *i) - n->text);
  gboolean hyphen = c == 0x00AD || c == 0x2010 || c == 0x2011;
  gsize joined = hyphen && n->buf->len > 0 ? hyphen_break_end (n, next) : 0;
  if (joined > 0)
    next = joined;
  else if (c == 0x2019 && apostrophe_joins (n, next))
    ;  /* right single quotation mark used as an apostrophe: dropped */
  else if (g_unichar_type (c) == G_UNICODE_FORMAT)
    ;  /* dropped: zero-width characters and soft hyphens never split a word */
  else if (is_word_char (c))
    {
      if (run_room (n, *i))
        return;
      if (n->buf->len == 0)
        n->start = *i;
      g_string_append_len (n->buf, n->text + *i, (gssize) (next - *i));
      n->non_ascii = n->passes = TRUE;
    }
  else
    flush (n, *i);
  *i = next;
}

/* Lower-cased ASCII letters and digits; 0 for every other byte, non-ASCII included. */
static const guchar ascii_lower[256] = {
#define R(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') ? (c) : 0)
#define R4(c) R (c), R (c + 1), R (c + 2), R (c + 3)
#define R16(c) R4 (c), R4 (c + 4), R4 (c + 8), R4 (c + 12)
  R16 (0), R16 (16), R16 (32), R16 (48), R16 (64), R16 (80), R16 (96), R16 (112),
  /* 128..255: 0 */
#undef R16
#undef R4
#undef R
};

/* ASCII bytes that only ever separate words: not letters or digits, and not the
 * hyphen and apostrophe, which may join two. Runs of them are skipped in one loop. */
static const guchar ascii_separator[256] = {
#define S(c) ((c) < 0x80 && !((c) >= 'A' && (c) <= 'Z') && !((c) >= 'a' && (c) <= 'z') \
              && !((c) >= '0' && (c) <= '9') && (c) != '-' && (c) != '\'')
#define S4(c) S (c), S (c + 1), S (c + 2), S (c + 3)
#define S16(c) S4 (c), S4 (c + 4), S4 (c + 8), S4 (c + 12)
  S16 (0), S16 (16), S16 (32), S16 (48), S16 (64), S16 (80), S16 (96), S16 (112),
  /* 128..255: 0 */
#undef S16
#undef S4
#undef S
};

/* ASCII bytes other than letters and digits, the hyphen and apostrophe included: with
 * no word started, each of them only separates words. */
static const guchar ascii_gap[256] = {
#define G(c) ((c) < 0x80 && !((c) >= 'A' && (c) <= 'Z') && !((c) >= 'a' && (c) <= 'z') \
              && !((c) >= '0' && (c) <= '9'))
#define G4(c) G (c), G (c + 1), G (c + 2), G (c + 3)
#define G16(c) G4 (c), G4 (c + 4), G4 (c + 8), G4 (c + 12)
  G16 (0), G16 (16), G16 (32), G16 (48), G16 (64), G16 (80), G16 (96), G16 (112),
  /* 128..255: 0 */
#undef G16
#undef G4
#undef G
};

/* normalize_word_hash in parts, so that the ASCII fast path hashes while it copies.
 * FNV-1a, then a 64-bit finaliser (splitmix64) so that similar words spread over all
 * bits: the k-gram hash is keyed SipHash over these, so this only has to be fast and
 * collision-poor, not secret. Packs store hashes made from these: changing them is a
 * new pack format. */
#define WORD_HASH_SEED 0xcbf29ce484222325ULL
#define WORD_HASH_STEP(h, c) (((h) ^ (guchar) (c)) * 0x100000001b3ULL)

static inline guint64
word_hash_finish (guint64 h)
{
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

/* Whether the byte at j (or the end) lets an ASCII word end there: a non-ASCII
 * character, a hyphen or an apostrophe may join it to what follows. */
static inline gboolean
ascii_word_ends (const Norm *n, gsize j)
{
  return j >= n->len || ((guchar) n->text[j] < 0x80 && n->text[j] != '-' && n->text[j] != '\'');
}

/* ascii_word for norm_words_new: the word is lower-cased straight into the sink's
 * bytes and hashed in the same loop, one pass instead of three (copy, callback, hash),
 * which was most of the time a paste spent in normalisation. Returns i when the
 * general path must take the word (see ascii_word), or when the sink is full. */
static gsize
ascii_word_sink (Norm *n, gsize i)
{
  NormSink *k = n->sink;
  GString *chars = k->w->chars;
  if (k->n == k->cap || chars->len + (n->len - i) + 2 >= chars->allocated_len)
    return i;
  /* Locals, restrict: stores through out would otherwise make the compiler reload
   * n->len and the text pointer on every byte. */
  char *restrict out = chars->str + chars->len;
  const guchar *restrict text = (const guchar *) n->text;
  const gsize len = n->len;
  guint64 h = WORD_HASH_SEED;
  gsize j = i;
  for (guchar c; j < len && (c = ascii_lower[text[j]]) != 0; j++)
    {
      out[j - i] = (char) c;
      h = WORD_HASH_STEP (h, c);
    }
  if (!ascii_word_ends (n, j))
    return i;
  out[j - i] = '\0';
  k->hashes[k->n] = word_hash_finish (h);
  k->words[k->n++] = (NormWord) { .start = (guint32) i, .end = (guint32) j, .at = (guint32) chars->len,
                                  .len = (guint32) (j - i) };
  chars->len += j - i + 1;
  chars->str[chars->len] = '\0';
  return j;
}

/* The common case, a whole word of ASCII letters and digits followed by a byte that
 * cannot continue or join it: lower-cased and emitted in one go, without the per-byte
 * buffer. Returns the offset after the word, or i when the slow path must take it (a
 * word already started, or one that ends at a non-ASCII byte, a hyphen or an
 * apostrophe, which may join it to the next). */
static gsize
ascii_word (Norm *n, gsize i)
{
  if (n->buf->len != 0)
    return i;
  gsize end;
  if (n->sink != NULL && (end = ascii_word_sink (n, i)) != i)
    return end;
  char local[128];
  gsize j = i;
  for (; j < n->len; j++)
    {
      guchar c = (guchar) n->text[j];
      if (ascii_lower[c] == 0)
        break;
      if (j - i < sizeof local - 1)
        local[j - i] = (char) ascii_lower[c];
    }
  if (!ascii_word_ends (n, j))
    return i;
  n->start = i;
  if (j - i < sizeof local)
    {
      local[j - i] = '\0';
      n->fn (local, j - i, i, j, n->data);
      return j;
    }
  g_string_set_size (n->buf, j - i);
  for (gsize k = i; k < j; k++)
    n->buf->str[k - i] = (char) ascii_lower[(guchar) n->text[k]];
  n->fn (n->buf->str, j - i, i, j, n->data);
  g_string_truncate (n->buf, 0);
  return j;
}

/* Whether a word of ASCII letters and digits ending before j (< len) ends at j as the general
 * path would end it: at a hyphen that is not a line-breaking one, at an apostrophe that
 * does not join two letters, or at any other ASCII byte that is not a letter or digit.
 * FALSE (the general path decides) at a non-ASCII byte and at an apostrophe before one. */
static inline gboolean
ascii_word_ends_here (const Norm *n, gsize j)
{
  guchar c = (guchar) n->text[j];
  if (c >= 0x80)
    return FALSE;
  if (c == '-')
    return hyphen_break_end (n, j + 1) == 0;
  if (c != '\'')
    return TRUE;
  if (j + 1 >= n->len)
    return TRUE;
  guchar after = (guchar) n->text[j + 1];
  if (after >= 0x80)
    return FALSE;
  return !g_ascii_isalpha (n->text[j - 1]) || !g_ascii_isalpha (after);
}

/* norm_words_new's fast path: a run of plain ASCII words and the separators between
 * them, taken in one loop that writes each word lower-cased straight into the sink and
 * hashes it in the same pass (ascii_word_sink's loop, without leaving it between words:
 * 15% faster on the bench corpus; classifying 16 bytes at a time with SSE2 was slower,
 * as the hash's chain of multiplies, not the classification, bounds the loop). It gives exactly what the
 * general walk gives (tests/unit/test-normalize.c compares the two on random text);
 * it stops, returning the offset where the general walk goes on, at a word the
 * general walk must see (one that touches a non-ASCII byte, a line-breaking hyphen or
 * a joining apostrophe), at a non-ASCII byte, and when the sink is full. Called with
 * no word started (n->buf empty). */
static gsize
ascii_words_sink (Norm *n, gsize i)
{
  NormSink *k = n->sink;
  GString *chars = k->w->chars;
  const guchar *restrict text = (const guchar *) n->text;
  const gsize len = n->len;
  /* A word written consumed its bytes and a separator, bar the last word: the room
   * checked here lasts the whole run. */
  if (chars->len + (len - i) + 2 >= chars->allocated_len)
    return i;
  char *restrict out = chars->str;
  gsize at = chars->len;
  guint nw = k->n;
  while (nw < k->cap)
    {
      /* ASCII other than letters and digits separates words when none is started. */
      while (i < len && ascii_gap[text[i]])
        i++;
      if (i == len || text[i] >= 0x80)
        break;
      gsize j = i;
      guint64 h = WORD_HASH_SEED;
      for (guchar c; j < len && (c = ascii_lower[text[j]]) != 0; j++)
        {
          out[at + j - i] = (char) c;
          h = WORD_HASH_STEP (h, c);
        }
      if (j < len && !ascii_separator[text[j]] && !ascii_word_ends_here (n, j))
        break;
      out[at + j - i] = '\0';
      k->hashes[nw] = word_hash_finish (h);
      k->words[nw++] = (NormWord) { .start = (guint32) i, .end = (guint32) j, .at = (guint32) at,
                                    .len = (guint32) (j - i) };
      at += j - i + 1;
      i = j;
    }
  chars->len = at;
  chars->str[at] = '\0';
  k->n = nw;
  return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include "avx2-mul64.h"
#define NORM_SIMD 1

/* The byte loop above pays, for each word, mispredicted exits (where the separators
 * end, where the word ends) and a chain of dependent multiplies (FNV-1a), and so ran at
 * ~400 MB/s: the largest part of what a pack added to a scan. With AVX-512 or AVX2 the
 * run of ASCII words is taken 64 bytes at a time instead: the bytes are classified and
 * lower-cased into a mirror of the text at the start of the sink's chars (every other
 * byte 0, so each word there is already NUL-terminated, at its own offset), words are
 * read off the masks of where runs of letters and digits start and end (block_words,
 * the same for both), and then hashed several at a time, one word per 64-bit lane.
 * Same words, offsets and hashes (tests/unit/test-normalize.c, on each path). */
#define MIRROR_SLACK 64       /* a whole 64-byte block is stored past the text's end */
#define LANE_BYTES 16         /* bytes of a word hashed in the lanes; longer ones alone */
#define SIMD_BLOCK_WORDS 40   /* room in the sink a block needs: 33 words at most */

static NormSimd simd_widest = NORM_SIMD_AVX512;

void
normalize_simd_limit (NormSimd widest)
{
  simd_widest = widest;
}

static NormSimd
simd_usable (void)
{
  if (simd_widest >= NORM_SIMD_AVX512 && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512bw") && __builtin_cpu_supports ("avx512dq"))
    return NORM_SIMD_AVX512;
  if (simd_widest >= NORM_SIMD_AVX2 && __builtin_cpu_supports ("avx2"))
    return NORM_SIMD_AVX2;
  return NORM_SIMD_NONE;
}

/* Where a run of ASCII words taken a block at a time stands. */
typedef struct {
  guint nw, first;    /* words in the sink; the first of this run */
  gboolean in_word;
  gsize start;        /* where the word in progress began */
  gsize stop;         /* where the general walk goes on */
} BlockRun;

/* Whether the sink has room for another block's words; when not, the run stops before
 * the word in progress (or the block). */
static inline gboolean
block_room (const Norm *n, gsize b, BlockRun *r)
{
  if (n->sink->cap - r->nw >= SIMD_BLOCK_WORDS)
    return TRUE;
  r->stop = r->in_word ? r->start : b;
  return FALSE;
}

/* The words of the 64-byte block at b, from its masks (bit j for byte b + j): letters
 * and digits, non-ASCII bytes, hyphens and apostrophes, bytes inside the text. FALSE,
 * with r->stop set, where the run stops: at a word that touches a non-ASCII byte, a
 * line-breaking hyphen or a joining apostrophe, or at a non-ASCII byte between words. */
static inline __attribute__ ((always_inline)) gboolean
block_words (Norm *n, gsize b, guint64 word, guint64 high, guint64 joiner, guint64 valid, BlockRun *r)
{
  NormSink *k = n->sink;
  guint64 prev = (word << 1) | (guint64) r->in_word;
  guint64 starts = word & ~prev, ends = ~word & prev & valid;
  /* A non-ASCII byte between words stops the run there: nothing after it is taken. */
  guint64 gap_high = high & ~ends;
  guint64 before = gap_high != 0 ? (gap_high & -gap_high) - 1 : ~(guint64) 0;
  starts &= before;
  ends &= before;
  guint64 decide = ends & (high | joiner);
  /* Starts and ends alternate: take them in order. */
  while (r->in_word ? ends != 0 : starts != 0)
    {
      if (!r->in_word)
        {
          r->start = b + (gsize) __builtin_ctzll (starts);
          starts &= starts - 1;
          r->in_word = TRUE;
          continue;
        }
      guint e = (guint) __builtin_ctzll (ends);
      ends &= ends - 1;
      if (((decide >> e) & 1) && (((high >> e) & 1) || !ascii_word_ends_here (n, b + e)))
        {
          r->stop = r->start;
          return FALSE;
        }
      k->words[r->nw++] = (NormWord) { .start = (guint32) r->start, .end = (guint32) (b + e),
                                       .at = (guint32) r->start, .len = (guint32) (b + e - r->start) };
      r->in_word = FALSE;
    }
  if (gap_high != 0)
    {
      r->stop = b + (gsize) __builtin_ctzll (gap_high);
      return FALSE;
    }
  return TRUE;
}

/* The run reached the end of the text: a word in progress ends there (the mirror has a
 * 0 after it). */
static inline void
block_run_end (Norm *n, BlockRun *r)
{
  if (r->in_word)
    n->sink->words[r->nw++] = (NormWord) { .start = (guint32) r->start, .end = (guint32) n->len,
                                           .at = (guint32) r->start, .len = (guint32) (n->len - r->start) };
  r->stop = n->len;
}

__attribute__ ((target ("avx512f,avx512bw,avx512dq"))) static inline __m512i
word_hash_finish8 (__m512i h)
{
  h = _mm512_xor_si512 (h, _mm512_srli_epi64 (h, 30));
  h = _mm512_mullo_epi64 (h, _mm512_set1_epi64 ((long long) 0xbf58476d1ce4e5b9ULL));
  h = _mm512_xor_si512 (h, _mm512_srli_epi64 (h, 27));
  h = _mm512_mullo_epi64 (h, _mm512_set1_epi64 ((long long) 0x94d049bb133111ebULL));
  return _mm512_xor_si512 (h, _mm512_srli_epi64 (h, 31));
}

/* Vectors of words hashed side by side: a step's 64-bit multiply takes many cycles to
 * give its result, and four vectors keep the multiplier busy meanwhile. */
#define HASH_VECTORS 4

/* The word hashes of w[0, count), read from the mirror: FNV-1a steps in the lanes, a
 * lane standing still once its word is done, then the finaliser. Words over LANE_BYTES
 * are hashed alone. */
__attribute__ ((target ("avx512f,avx512bw,avx512dq"))) static void
hash_words_avx512 (const char *mirror, const NormWord *w, guint count, guint64 *out)
{
  const __m512i low = _mm512_set1_epi64 (0xff), eight = _mm512_set1_epi64 (8);
  const __m512i prime = _mm512_set1_epi64 ((long long) 0x100000001b3ULL);
  /* at and len are the high half of each 16-byte NormWord: one gather reads both. */
  G_STATIC_ASSERT (sizeof (NormWord) == 16 && G_STRUCT_OFFSET (NormWord, at) == 8 && G_STRUCT_OFFSET (NormWord, len) == 12);
  const __m512i stride = _mm512_setr_epi64 (0, 16, 32, 48, 64, 80, 96, 112);
  const __m512i low32 = _mm512_set1_epi64 (0xffffffff);
  for (guint g = 0; g < count; g += 8 * HASH_VECTORS)
    {
      guint lanes = MIN (8 * HASH_VECTORS, count - g);
      __mmask8 in[HASH_VECTORS];
      __m512i lens[HASH_VECTORS], q[HASH_VECTORS], q1[HASH_VECTORS], h[HASH_VECTORS];
      __m512i longest = _mm512_setzero_si512 ();
#pragma GCC unroll 4
      for (guint v = 0; v < HASH_VECTORS; v++)
        {
          guint from = MIN (8 * v, lanes);
          in[v] = (__mmask8) ((1u << (MIN (8 * v + 8, lanes) - from)) - 1);
          __m512i word = _mm512_mask_i64gather_epi64 (_mm512_setzero_si512 (), in[v], stride,
                                                      (const void *) ((const char *) (w + g + from) + 8), 1);
          __m512i at = _mm512_and_si512 (word, low32);
          lens[v] = _mm512_srli_epi64 (word, 32);
          longest = _mm512_max_epu64 (longest, lens[v]);
          /* The mirror holds MIRROR_SLACK bytes past the text: every load stays inside it. */
          q[v] = _mm512_i64gather_epi64 (at, (const void *) mirror, 1);
          q1[v] = _mm512_i64gather_epi64 (_mm512_add_epi64 (at, eight), (const void *) mirror, 1);
          h[v] = _mm512_set1_epi64 ((long long) WORD_HASH_SEED);
        }
      guint64 most = _mm512_reduce_max_epu64 (longest);
      for (guint k = 0; k < MIN (most, LANE_BYTES); k++)
        {
          __m512i kk = _mm512_set1_epi64 (k);
#pragma GCC unroll 4
          for (guint v = 0; v < HASH_VECTORS; v++)
            {
              if (k == 8)
                q[v] = q1[v];
              __mmask8 active = _mm512_cmpgt_epu64_mask (lens[v], kk);
              h[v] = _mm512_mask_mullo_epi64 (h[v], active, _mm512_xor_si512 (h[v], _mm512_and_si512 (q[v], low)), prime);
              q[v] = _mm512_srli_epi64 (q[v], 8);
            }
        }
#pragma GCC unroll 4
      for (guint v = 0; v < HASH_VECTORS; v++)
        if (in[v] != 0)
          _mm512_mask_storeu_epi64 ((void *) (out + g + 8 * v), in[v], word_hash_finish8 (h[v]));
      if (most > LANE_BYTES)
        for (guint l = g; l < g + lanes; l++)
          if (w[l].len > LANE_BYTES)
            out[l] = normalize_word_hash (mirror + w[l].at, w[l].len);
    }
}

/* Classifies the 64 bytes at p (ascii_words_simd): bit j of *word for a letter or
 * digit at p[j], of *high for a non-ASCII byte, of *joiner for a hyphen or an
 * apostrophe; the bytes lower-cased into mirror, letters and digits only (0 for the
 * rest). */
typedef void (*ClassifyBlock) (const guchar *p, char *mirror, guint64 *word, guint64 *high, guint64 *joiner);
typedef void (*HashWords) (const char *mirror, const NormWord *w, guint count, guint64 *out);

__attribute__ ((target ("avx512f,avx512bw,avx512dq"))) static void
classify_avx512 (const guchar *p, char *mirror, guint64 *word, guint64 *high, guint64 *joiner)
{
  __m512i v = _mm512_loadu_si512 ((const void *) p);
  __mmask64 upper = _mm512_cmple_epu8_mask (_mm512_sub_epi8 (v, _mm512_set1_epi8 ('A')), _mm512_set1_epi8 (25));
  *word = upper | _mm512_cmple_epu8_mask (_mm512_sub_epi8 (v, _mm512_set1_epi8 ('a')), _mm512_set1_epi8 (25))
          | _mm512_cmple_epu8_mask (_mm512_sub_epi8 (v, _mm512_set1_epi8 ('0')), _mm512_set1_epi8 (9));
  *high = _mm512_movepi8_mask (v);
  *joiner = _mm512_cmpeq_epi8_mask (v, _mm512_set1_epi8 ('-')) | _mm512_cmpeq_epi8_mask (v, _mm512_set1_epi8 ('\''));
  _mm512_storeu_si512 ((void *) mirror,
                       _mm512_maskz_mov_epi8 (*word, _mm512_mask_add_epi8 (v, upper, v, _mm512_set1_epi8 (32))));
}

__attribute__ ((target ("avx2"))) static inline __m256i
word_hash_finish4 (__m256i h)
{
  h = _mm256_xor_si256 (h, _mm256_srli_epi64 (h, 30));
  h = avx2_mul64 (h, _mm256_set1_epi64x (0x1ce4e5b9), _mm256_set1_epi64x (0xbf58476d));
  h = _mm256_xor_si256 (h, _mm256_srli_epi64 (h, 27));
  h = avx2_mul64 (h, _mm256_set1_epi64x (0x133111eb), _mm256_set1_epi64x (0x94d049bb));
  return _mm256_xor_si256 (h, _mm256_srli_epi64 (h, 31));
}

/* The hashes of the words w[pick[0, count)], none over limit bytes (8 or LANE_BYTES):
 * hash_words_avx512 with four lanes a vector. The FNV prime is 2^40 + 0x1b3, so a step
 * is two 32-bit multiplies and shifts. */
__attribute__ ((target ("avx2"))) static void
hash_picked_avx2 (const char *mirror, const NormWord *w, const guint32 *pick, guint count, guint limit,
                  guint64 *out)
{
  const __m256i low = _mm256_set1_epi64x (0xff), prime_low = _mm256_set1_epi64x (0x1b3);
  for (guint g = 0; g < count; g += 4 * HASH_VECTORS)
    {
      guint lanes = MIN (4 * HASH_VECTORS, count - g);
      guint64 head[4 * HASH_VECTORS], tail[4 * HASH_VECTORS], size[4 * HASH_VECTORS];
      guint32 most = 0;
      for (guint l = 0; l < lanes; l++)
        {
          const NormWord *word = &w[pick[g + l]];
          /* The mirror holds MIRROR_SLACK bytes past the text: these loads stay inside it. */
          memcpy (&head[l], mirror + word->at, 8);
          if (limit > 8)
            memcpy (&tail[l], mirror + word->at + 8, 8);
          size[l] = word->len;
          most = MAX (most, word->len);
        }
      for (guint l = lanes; l < 4 * HASH_VECTORS; l++)
        head[l] = tail[l] = size[l] = 0;
      __m256i lens[HASH_VECTORS], q[HASH_VECTORS], h[HASH_VECTORS];
#pragma GCC unroll 4
      for (guint v = 0; v < HASH_VECTORS; v++)
        {
          lens[v] = _mm256_loadu_si256 ((const __m256i *) (const void *) &size[4 * v]);
          q[v] = _mm256_loadu_si256 ((const __m256i *) (const void *) &head[4 * v]);
          h[v] = _mm256_set1_epi64x ((long long) WORD_HASH_SEED);
        }
      for (guint k = 0; k < most; k++)
        {
          __m256i kk = _mm256_set1_epi64x (k);
#pragma GCC unroll 4
          for (guint v = 0; v < HASH_VECTORS; v++)
            {
              if (k == 8)
                q[v] = _mm256_loadu_si256 ((const __m256i *) (const void *) &tail[4 * v]);
              __m256i active = _mm256_cmpgt_epi64 (lens[v], kk);
              __m256i x = _mm256_xor_si256 (h[v], _mm256_and_si256 (q[v], low));
              __m256i high = _mm256_add_epi64 (_mm256_mul_epu32 (_mm256_srli_epi64 (x, 32), prime_low),
                                               _mm256_slli_epi64 (x, 8));
              __m256i next = _mm256_add_epi64 (_mm256_mul_epu32 (x, prime_low), _mm256_slli_epi64 (high, 32));
              h[v] = _mm256_blendv_epi8 (h[v], next, active);
              q[v] = _mm256_srli_epi64 (q[v], 8);
            }
        }
      guint64 hashes[4 * HASH_VECTORS];
#pragma GCC unroll 4
      for (guint v = 0; v < HASH_VECTORS; v++)
        _mm256_storeu_si256 ((__m256i *) (void *) &hashes[4 * v], word_hash_finish4 (h[v]));
      for (guint l = 0; l < lanes; l++)
        out[pick[g + l]] = hashes[l];
    }
}

/* The word hashes of w[0, count): words of up to 8 bytes (most of them) and of 9 to
 * LANE_BYTES are hashed apart, so that a vector's lanes wait less for its longest word;
 * longer words alone. */
__attribute__ ((target ("avx2"))) static void
hash_words_avx2 (const char *mirror, const NormWord *w, guint count, guint64 *out)
{
  if (count < 8)
    {
      /* A run between two non-ASCII words, often: the lanes would mostly idle. */
      for (guint i = 0; i < count; i++)
        out[i] = normalize_word_hash (mirror + w[i].at, w[i].len);
      return;
    }
  guint32 local[256];
  g_autofree guint32 *heap = count > G_N_ELEMENTS (local) ? g_new (guint32, count) : NULL;
  guint32 *pick = heap != NULL ? heap : local;
  guint n_short = 0, n_mid = count;
  for (guint i = 0; i < count; i++)
    if (w[i].len <= 8)
      pick[n_short++] = i;
    else if (w[i].len <= LANE_BYTES)
      pick[--n_mid] = i;
    else
      out[i] = normalize_word_hash (mirror + w[i].at, w[i].len);
  hash_picked_avx2 (mirror, w, pick, n_short, 8, out);
  hash_picked_avx2 (mirror, w, pick + n_mid, count - n_mid, LANE_BYTES, out);
}

/* classify_avx512 with AVX2: two 32-byte halves. */
__attribute__ ((target ("avx2"))) static void
classify_avx2 (const guchar *p, char *mirror, guint64 *word, guint64 *high, guint64 *joiner)
{
  const __m256i letters = _mm256_set1_epi8 (25), digits = _mm256_set1_epi8 (9);
  *word = *high = *joiner = 0;
#pragma GCC unroll 2
  for (guint half = 0; half < 2; half++)
    {
      __m256i v = _mm256_loadu_si256 ((const __m256i *) (const void *) (p + 32 * half));
      __m256i up = _mm256_sub_epi8 (v, _mm256_set1_epi8 ('A')), lo = _mm256_sub_epi8 (v, _mm256_set1_epi8 ('a'));
      __m256i dig = _mm256_sub_epi8 (v, _mm256_set1_epi8 ('0'));
      /* x <= c unsigned: min (x, c) == x. */
      __m256i upper = _mm256_cmpeq_epi8 (_mm256_min_epu8 (up, letters), up);
      __m256i is_word = _mm256_or_si256 (_mm256_or_si256 (upper, _mm256_cmpeq_epi8 (_mm256_min_epu8 (lo, letters), lo)),
                                         _mm256_cmpeq_epi8 (_mm256_min_epu8 (dig, digits), dig));
      __m256i joins = _mm256_or_si256 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('-')),
                                       _mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('\'')));
      __m256i lowered = _mm256_add_epi8 (v, _mm256_and_si256 (upper, _mm256_set1_epi8 (32)));
      _mm256_storeu_si256 ((__m256i *) (void *) (mirror + 32 * half), _mm256_and_si256 (lowered, is_word));
      *word |= (guint64) (guint32) _mm256_movemask_epi8 (is_word) << (32 * half);
      *high |= (guint64) (guint32) _mm256_movemask_epi8 (v) << (32 * half);
      *joiner |= (guint64) (guint32) _mm256_movemask_epi8 (joins) << (32 * half);
    }
}

/* ascii_words_sink a block of 64 bytes at a time, classified by classify and the words
 * hashed by hash. Called with no word started. */
static gsize
ascii_words_simd (Norm *n, gsize i, ClassifyBlock classify, HashWords hash)
{
  NormSink *k = n->sink;
  char *mirror = k->w->chars->str;
  const guchar *text = (const guchar *) n->text;
  const gsize len = n->len;
  BlockRun r = { .nw = k->n, .first = k->n };
  for (gsize b = i; b < len; b += 64)
    {
      if (!block_room (n, b, &r))
        goto done;
      guint64 valid = ~(guint64) 0, word, high, joiner;
      const guchar *at = text + b;
      guchar last[64];
      if (len - b < 64)
        {
          /* The text's last bytes, zero after: a 0 is no word, high or joining byte. */
          memset (last, 0, sizeof last);
          memcpy (last, at, len - b);
          at = last;
          valid = ((guint64) 1 << (len - b)) - 1;
        }
      classify (at, mirror + b, &word, &high, &joiner);
      if (!block_words (n, b, word, high & valid, joiner, valid, &r))
        goto done;
    }
  block_run_end (n, &r);
done:
  hash (mirror, k->words + r.first, r.nw - r.first, k->hashes + r.first);
  k->n = r.nw;
  return r.stop;
}
#else
void
normalize_simd_limit (NormSimd widest)
{
  (void) widest;
}
#endif

static void
norm_walk (Norm *n)
{
  const char *text = n->text;
  gsize len = n->len, i = 0, joined, next;
  while (i < len)
    {
      if (n->buf->len == 0)
        {
          if (n->stop != 0 && i >= n->stop)
            break;
          /* A non-ASCII byte here would stop a run at once. Runs of ASCII words are not
           * taken whole by a walk that stops (they may go on to the end). */
          if (n->sink != NULL && (guchar) text[i] < 0x80 && n->stop == 0)
#ifdef NORM_SIMD
            i = n->simd == NORM_SIMD_AVX512 ? ascii_words_simd (n, i, classify_avx512, hash_words_avx512)
                : n->simd == NORM_SIMD_AVX2 ? ascii_words_simd (n, i, classify_avx2, hash_words_avx2)
                : ascii_words_sink (n, i);
#else
            i = ascii_words_sink (n, i);
#endif
          while (i < len && ascii_separator[(guchar) text[i]])
            i++;
          if (i == len)
            break;
        }
      guchar c = (guchar) text[i];
      if (ascii_lower[c] != 0 && (next = ascii_word (n, i)) != i)
        i = next;
      else if (c >= 0x80)
        step_unicode (n, &i);
      else if (is_ascii_alnum (c))
        {
          if (n->non_ascii && run_room (n, i))
            continue;
          if (n->buf->len == 0)
            n->start = i;
          g_string_append_c (n->buf, (char) g_ascii_tolower ((char) c));
          i++;
        }
      else if (c == '-' && n->buf->len > 0 && (joined = hyphen_break_end (n, i + 1)) > 0)
        i = joined;
      else if (c == '\'' && apostrophe_joins (n, i + 1))
        i++;
      else
        {
          if (n->buf->len != 0)
            flush (n, i);
          i++;
        }
    }
  flush (n, len);
  n->at = MIN (i, len);
  g_string_free (n->buf, TRUE);
  g_string_free (n->scratch, TRUE);
}

/* Whether c is a hyphen that may join a word across a line break (step_unicode). */
static gboolean
is_joining_hyphen (gunichar c)
{
  return c == '-' || c == 0x00AD || c == 0x2010 || c == 0x2011;
}

gboolean
normalize_can_split (const char *text, gsize len, gsize q)
{
  if (q == 0 || q >= len)
    return q == len;
  gunichar c = g_utf8_get_char_validated (text + q, (gssize) (len - q));
  if (c == (gunichar) -1 || c == (gunichar) -2 || c == '\'' || c == 0x2019 || is_joining_hyphen (c)
      || is_word_char (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
    return FALSE;  /* not a separator the walk surely stops at */
  /* Inside a hyphen's join ("infor-\n  mation") the byte before is the hyphen, a
   * blank or a line break. */
  guchar b = (guchar) text[q - 1];
  if (b == ' ' || b == '\t' || b == '\r' || b == '\n')
    return FALSE;
  const char *prev = g_utf8_find_prev_char (text, text + q);
  gunichar p = prev != NULL ? g_utf8_get_char_validated (prev, (gssize) (q - (gsize) (prev - text))) : 0;
  return !is_joining_hyphen (p);
}

void
normalize_foreach_word (const char *text, gsize len, NormWordFunc fn, gpointer data)
{
  Norm n = { .text = text, .len = len, .buf = g_string_sized_new (64),
             .scratch = g_string_sized_new (64), .fn = fn, .data = data };
  norm_walk (&n);
}

guint64
normalize_word_hash (const char *word, gsize len)
{
  guint64 h = WORD_HASH_SEED;
  for (gsize i = 0; i < len; i++)
    h = WORD_HASH_STEP (h, word[i]);
  return word_hash_finish (h);
}

/* Appends by growing the array and storing: g_array_append_val copies through memcpy,
 * which showed in profiles at one call per word. */
static inline void
append_u64 (GArray *a, guint64 v)
{
  guint at = a->len;
  g_array_set_size (a, at + 1);
  ((guint64 *) (void *) a->data)[at] = v;
}

static void
add_hash (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  append_u64 (data, normalize_word_hash (word, len));
}

void
normalize_word_hashes (const char *text, gsize len, GArray *hashes)
{
  normalize_foreach_word (text, len, add_hash, hashes);
}

static void
add_norm_word (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  NormSink *k = data;
  if (k->n == k->cap)  /* only when NFKC split a run into more words than bytes */
    {
      k->cap = k->cap * 2 + 16;
      g_array_set_size (k->w->hashes, k->cap);
      g_array_set_size (k->w->words, k->cap);
      k->hashes = (guint64 *) (void *) k->w->hashes->data;
      k->words = (NormWord *) (void *) k->w->words->data;
    }
  GString *chars = k->w->chars;
  k->hashes[k->n] = normalize_word_hash (word, len);
  k->words[k->n++] = (NormWord) { .start = (guint32) start, .end = (guint32) end, .at = (guint32) chars->len,
                                  .len = (guint32) len };
  if (chars->len + len + 1 >= chars->allocated_len)
    {
      g_string_append_len (chars, word, (gssize) len);
      g_string_append_c (chars, '\0');
      return;
    }
  memcpy (chars->str + chars->len, word, len);
  chars->len += len + 1;
  chars->str[chars->len - 1] = '\0';
  chars->str[chars->len] = '\0';
}

/* Room for this many words at first. A word and its separator take two bytes at the
 * least, so len / 2 never needs to grow, and small pastes keep it: arrays that grow
 * are new allocations each paste, whose fresh pages cost engine_score a sixth of its
 * rate on manual pages. But it holds 24 bytes of hashes and word records for each byte
 * of text, rounded up to a power of two: a 30 MB paste asked 384 MiB of the host's 579
 * MiB cap for them, and with cJSON's copies and the packs' k-grams the host aborted.
 * Above NORM_SINK_LARGE prose's five to seven bytes a word are counted on, and text of
 * more words (one letter apart, digit lists) grows the arrays as the walk fills them
 * (add_norm_word), once or twice a paste. */
#define NORM_SINK_LARGE ((gsize) 4 << 20)
#define NORM_SINK_FIRST_CAP(len) ((len) <= NORM_SINK_LARGE ? (len) / 2 + 1 : (len) / 4 + 64)

/* The sink's arrays, with room for k->cap words. */
static void
sink_arrays (NormSink *k)
{
  NormWords *w = k->w;
  w->hashes = g_array_sized_new (FALSE, FALSE, sizeof (guint64), k->cap);
  w->words = g_array_sized_new (FALSE, FALSE, sizeof (NormWord), k->cap);
  g_array_set_size (w->hashes, k->cap);
  g_array_set_size (w->words, k->cap);
  k->hashes = (guint64 *) (void *) w->hashes->data;
  k->words = (NormWord *) (void *) w->words->data;
}

NormWords *
norm_words_new (const char *text, gsize len)
{
  /* Offsets are 32-bit: a paste is at most NM_MAX_REQUEST (64 MiB) of JSON. */
  len = MIN (len, (gsize) G_MAXUINT32 / 4);
  NormWords *w = g_new (NormWords, 1);
#ifdef NORM_SIMD
  NormSimd simd = simd_usable ();
  gboolean mirror = simd != NORM_SIMD_NONE;
  gsize mirror_len = mirror ? len + MIRROR_SLACK : 0;
  NormSink k = { .w = w, .cap = (guint) (NORM_SINK_FIRST_CAP (len) + (mirror ? SIMD_BLOCK_WORDS : 0)) };
#else
  NormSimd simd = NORM_SIMD_NONE;
  gboolean mirror = FALSE;
  gsize mirror_len = 0;
  NormSink k = { .w = w, .cap = (guint) NORM_SINK_FIRST_CAP (len) };
#endif
  sink_arrays (&k);
  /* With the mirror, chars after it only take the words of the general walk (non-ASCII
   * ones, mostly), and grow when they need to: a paste's arrays stay the size they had
   * before the mirror, which kept them in memory malloc reuses instead of in fresh
   * pages (twice the size made a page fault show in every paste's profile). */
  w->chars = g_string_sized_new (mirror_len + (mirror ? len / 4 : len) + 16);
  /* The mirror (ascii_words_simd): zeroed, so that what is not written separates. */
  memset (w->chars->str, 0, mirror_len + 1);
  w->chars->len = mirror_len;
  Norm n = { .text = text, .len = len, .buf = g_string_sized_new (64),
             .scratch = g_string_sized_new (64), .fn = add_norm_word, .data = &k, .sink = &k,
             .simd = simd };
  norm_walk (&n);
  g_array_set_size (w->hashes, k.n);
  g_array_set_size (w->words, k.n);
  return w;
}

NormWords *
norm_words_new_until (const char *text, gsize len, gsize stop, gsize *end)
{
  g_return_val_if_fail (stop > 0, NULL);
  len = MIN (len, (gsize) G_MAXUINT32 / 4);
  NormWords *w = g_new (NormWords, 1);
  gsize room = MIN (len, stop) + NORM_RUN_MAX;
  NormSink k = { .w = w, .cap = (guint) (room / 2 + 1) };
  sink_arrays (&k);
  w->chars = g_string_sized_new (room + 16);
  Norm n = { .text = text, .len = len, .buf = g_string_sized_new (64), .scratch = g_string_sized_new (64),
             .fn = add_norm_word, .data = &k, .sink = &k, .simd = NORM_SIMD_NONE, .stop = stop };
  norm_walk (&n);
  g_array_set_size (w->hashes, k.n);
  g_array_set_size (w->words, k.n);
  *end = n.at;
  return w;
}

void
norm_words_free (NormWords *words)
{
  if (words == NULL)
    return;
  g_array_unref (words->hashes);
  g_array_unref (words->words);
  g_string_free (words->chars, TRUE);
  g_free (words);
}

static void
add_word (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  GString *out = data;
  if (out->len > 0)
    g_string_append_c (out, ' ');
  g_string_append_len (out, word, (gssize) len);
}

char *
normalize_text (const char *text, gsize len)
{
  GString *out = g_string_new (NULL);
  normalize_foreach_word (text, len, add_word, out);
  return g_string_free (out, FALSE);
}
