/* normalize.h: text -> normalised words, the unit that fingerprints and exact data
 * match count in.
 *
 * A word is a run of letters, marks and digits after Unicode NFKC and case folding
 * (ASCII takes a fast path that gives the same result). Han, Hiragana and Katakana
 * have no spaces between words, so a run of them becomes overlapping character
 * pairs ("東京都" -> "東京", "京都"). Format characters (zero-width spaces and
 * joiners, soft hyphens) are dropped inside words, so they cannot split one. A word
 * broken by a hyphen at the end of a line ("infor-\nmation") is joined again when
 * the next line starts with a lower-case letter: the one case where the hyphen is
 * almost surely a line-breaking artefact of copied text. Everything else separates
 * words, so re-wrapping, punctuation and case never change the words.
 *
 * Pure code: any bytes are accepted; invalid UTF-8 separates words. */
#pragma once

#include <glib.h>

/* Called once per normalised word, in order. word is NUL-terminated UTF-8 and valid
 * only during the call; [start, end) are the byte offsets in the input of the run the
 * word came from. */
typedef void (*NormWordFunc) (const char *word, gsize len, gsize start, gsize end, gpointer data);

void normalize_foreach_word (const char *text, gsize len, NormWordFunc fn, gpointer data);

/* The 64-bit hash of one normalised word (not keyed: pack keys apply to k-grams). */
guint64 normalize_word_hash (const char *word, gsize len);

/* Whether the words of text[0, len) are those of text[0, q) followed by those of
 * text[q, len) (their offsets moved by q): TRUE at a separator (a blank, punctuation,
 * a symbol; not an apostrophe, a hyphen or a format character) that no hyphen at the end
 * of a line joins across, and at 0 and len. Not every such place answers TRUE. */
gboolean normalize_can_split (const char *text, gsize len, gsize q);

/* Appends the hash of every word to hashes, a GArray of guint64. */
void normalize_word_hashes (const char *text, gsize len, GArray *hashes);

/* Every word of a text once, for the matchers that share it (fingerprints and exact
 * data): the hashes in order, and each word's text and where its run started. */
typedef struct {
  /* Offsets are 32-bit: a paste is at most NM_MAX_REQUEST (64 MiB) of JSON. */
  guint32 start;     /* byte offset in the input of the run the word came from */
  guint32 end;       /* byte offset in the input just past that run */
  guint32 at, len;   /* the word is chars->str + at, len bytes, NUL-terminated */
} NormWord;

typedef struct {
  GArray *hashes;    /* guint64: normalize_word_hash of each word */
  GArray *words;     /* NormWord, parallel to hashes */
  GString *chars;    /* the words' bytes, each followed by a NUL */
} NormWords;

NormWords *norm_words_new (const char *text, gsize len);
/* The words of text up to the first place at or after stop (> 0) where the walk of the
 * whole text is between two runs, *end: at a separator, or where a run that holds a
 * character beyond ASCII reached its 64 KiB (normalize.c) and another begins. The words
 * of text are those, then those of text + *end (offsets moved); for text without
 * separators, where normalize_can_split finds no place. Slower (no SIMD). */
NormWords *norm_words_new_until (const char *text, gsize len, gsize stop, gsize *end);
void norm_words_free (NormWords *words);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NormWords, norm_words_free)

static inline const char *
norm_word_text (const NormWords *words, guint i)
{
  return words->chars->str + g_array_index (words->words, NormWord, i).at;
}

/* The widest instructions norm_words_new may take runs of ASCII words with, where the
 * CPU has them (the default: AVX-512, else AVX2); tests narrow it to check each path on
 * the same machine. */
typedef enum {
  NORM_SIMD_NONE,
  NORM_SIMD_AVX2,
  NORM_SIMD_AVX512,
} NormSimd;

void normalize_simd_limit (NormSimd widest);
/* Whether characters beyond ASCII that glib's passes leave as they are skip the passes
 * (normalize.c: the default); tests turn it off to compare with the passes. */
void normalize_plain_table (gboolean use);
/* Whether a canonical pair (glib's decompositions) has c, of U+0000 to U+2FFFF, second. */
gboolean normalize_composes_after (gunichar c);

/* The normalised words joined by single spaces, for tests and tools. Caller frees. */
char *normalize_text (const char *text, gsize len);
