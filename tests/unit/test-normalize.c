/* Normalisation: the words both sides of a match agree on. */
#include <glib.h>
#include <string.h>

#include "engine/normalize.h"

static void
check (const char *in, const char *expected)
{
  g_autofree char *out = normalize_text (in, strlen (in));
  g_assert_cmpstr (out, ==, expected);
}

static void
test_ascii (void)
{
  check ("Hello, World!  It's 2026.", "hello world its 2026");
  check ("", "");
  check ("---  ...", "");
  check ("snake_case and CamelCase", "snake case and camelcase");
}

static void
test_unicode_fold (void)
{
  /* NFKC: ligatures, full-width letters and digits; case folding: ß -> ss. */
  check ("ﬁnance ＡＢＣ １２３", "finance abc 123");
  check ("STRASSE Straße", "strasse strasse");
  /* Composed and decomposed forms are the same word. */
  check ("caf\xc3\xa9 cafe\xcc\x81", "caf\xc3\xa9 caf\xc3\xa9");
  check ("ΣΊΣΥΦΟΣ", "σίσυφοσ");
}

/* What flush's general path makes of one word of word characters (no split): NFKC,
 * case folding, NFKC again, as glib computes them. */
static char *
three_passes (const char *word)
{
  g_autofree char *nfkc = g_utf8_normalize (word, -1, G_NORMALIZE_NFKC);
  g_autofree char *folded = g_utf8_casefold (nfkc, -1);
  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
}

static gboolean
letter_or_digit (gunichar c)
{
  GUnicodeType t = g_unichar_type (c);
  return g_unichar_isalpha (c) || t == G_UNICODE_DECIMAL_NUMBER || t == G_UNICODE_SPACING_MARK
         || t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_ENCLOSING_MARK || t == G_UNICODE_LETTER_NUMBER
         || t == G_UNICODE_OTHER_NUMBER;
}

/* A word made of c (and ASCII) is the three passes' word, when those keep it one word. */
static void
check_one_word (const char *word)
{
  g_autofree char *expected = three_passes (word);
  for (const char *p = expected; *p != '\0'; p = g_utf8_next_char (p))
    if (!letter_or_digit (g_utf8_get_char (p)))
      return;  /* the general path splits it: not what this test is about */
  g_autofree char *got = normalize_text (word, strlen (word));
  g_assert_cmpstr (got, ==, expected);
  GArray *hashes = g_array_new (FALSE, FALSE, sizeof (guint64));
  normalize_word_hashes (word, strlen (word), hashes);
  g_assert_cmpuint (hashes->len, ==, 1);
  g_assert_cmphex (g_array_index (hashes, guint64, 0), ==, normalize_word_hash (expected, strlen (expected)));
  g_array_unref (hashes);
}

/* Latin, Greek and Cyrillic words are folded from a table (normalize.c, fold_simple)
 * instead of glib's three passes: every character of U+00C0 to U+04FF alone, after an
 * ASCII letter and in upper case, and each beside many others and beside ASCII, gives
 * what the three passes give. */
static void
test_fold_table_agrees (void)
{
  GArray *chars = g_array_new (FALSE, FALSE, sizeof (gunichar));
  for (gunichar c = 0x00C0; c <= 0x04FF; c++)
    if (letter_or_digit (c) && g_unichar_combining_class (c) == 0)
      g_array_append_val (chars, c);
  g_assert_cmpuint (chars->len, >, 800);
  GRand *rand = g_rand_new_with_seed (2826);
  for (guint i = 0; i < chars->len; i++)
    {
      char a[8] = { 0 };
      g_unichar_to_utf8 (g_array_index (chars, gunichar, i), a);
      g_autofree char *alone = g_strdup (a);
      g_autofree char *after = g_strconcat ("Q", a, "9", NULL);
      check_one_word (alone);
      check_one_word (after);
      for (guint j = 0; j < 48; j++)
        {
          char b[8] = { 0 };
          g_unichar_to_utf8 (g_array_index (chars, gunichar, g_rand_int_range (rand, 0, (gint32) chars->len)), b);
          g_autofree char *pair = g_strconcat (a, b, NULL);
          g_autofree char *mixed = g_strconcat (b, "x", a, b, NULL);
          check_one_word (pair);
          check_one_word (mixed);
        }
    }
  /* Words of 1 to 12 characters drawn from the range and ASCII letters. */
  for (guint round = 0; round < 20000; round++)
    {
      g_autoptr (GString) word = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 1, 13);
      for (guint k = 0; k < n; k++)
        if (g_rand_int_range (rand, 0, 4) == 0)
          g_string_append_c (word, (char) ((g_rand_boolean (rand) ? 'a' : 'A') + g_rand_int_range (rand, 0, 26)));
        else
          g_string_append_unichar (word, g_array_index (chars, gunichar, g_rand_int_range (rand, 0, (gint32) chars->len)));
      check_one_word (word->str);
    }
  g_rand_free (rand);
  g_array_unref (chars);
}

static void
test_ascii_path_agrees (void)
{
  /* The ASCII fast path gives what the Unicode path gives for the same letters. */
  g_autofree char *a = normalize_text ("QUARTERLY Board", 16);
  g_autofree char *b = normalize_text ("QUARTERLY Board\xc3\xa9", 17);
  g_assert_cmpstr (a, ==, "quarterly board");
  g_assert_cmpstr (b, ==, "quarterly board\xc3\xa9");
}

static void
test_cjk_pairs (void)
{
  check ("東京都", "東京 京都");
  check ("漢", "漢");
  check ("abc漢字def", "abc 漢字 def");
  check ("ひらがなカタカナ", "ひら らが がな なカ カタ タカ カナ");
  /* Hangul has spaces between words: ordinary words. */
  check ("안녕 세계", "안녕 세계");
}

static void
test_hyphenation (void)
{
  check ("infor-\nmation", "information");
  check ("infor-  \r\n   mation", "information");
  /* Not a line-breaking hyphen: the next line starts with a capital or a digit. */
  check ("Jean-\nPaul", "jean paul");
  check ("pages 10-\n12", "pages 10 12");
  check ("well-known", "well known");
  /* Soft hyphens and zero-width characters never split a word. */
  check ("con\xc2\xad" "fidential", "confidential");
  check ("con\xe2\x80\x8b" "fidential", "confidential");
  check ("infor\xc2\xad\nmation", "information");
}

static void
test_apostrophes (void)
{
  /* ' and ’ between letters join; the dropped apostrophe gives the same word. */
  check ("don't DON\xe2\x80\x99T dont", "dont dont dont");
  check ("O'Brien's caf\xc3\xa9's", "obriens caf\xc3\xa9s");
  /* Not between letters: quotes and digits stay apart. */
  check ("rock 'n' roll, '90s, 5'11", "rock n roll 90s 5 11");
  check ("\xe2\x80\x98quoted\xe2\x80\x99 words", "quoted words");
}

static void
test_rewrap_invariant (void)
{
  g_autofree char *a = normalize_text ("The quick brown\nfox jumps", 25);
  g_autofree char *b = normalize_text ("THE QUICK  BROWN FOX\n\n  JUMPS!", 30);
  g_assert_cmpstr (a, ==, b);
}

static void
test_invalid_utf8 (void)
{
  /* Invalid bytes separate words and never crash. */
  check ("abc\xff" "def\xc3", "abc def");
  char bytes[256];
  for (int i = 0; i < 256; i++)
    bytes[i] = (char) i;
  g_autofree char *out = normalize_text (bytes, sizeof bytes);
  g_assert_true (g_utf8_validate (out, -1, NULL));
}

typedef struct {
  GString *seen;
  const char *text;
} Offsets;

static void
record (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  Offsets *o = data;
  g_string_append_printf (o->seen, "%s@%zu-%zu ", word, start, end);
}

static void
test_offsets (void)
{
  Offsets o = { g_string_new (NULL), "ab, Cd" };
  normalize_foreach_word (o.text, 6, record, &o);
  g_assert_cmpstr (o.seen->str, ==, "ab@0-2 cd@4-6 ");
  g_string_free (o.seen, TRUE);
}

static void
test_hashes (void)
{
  g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) b = g_array_new (FALSE, FALSE, sizeof (guint64));
  normalize_word_hashes ("One two, THREE", 14, a);
  normalize_word_hashes ("one\ntwo three", 13, b);
  g_assert_cmpuint (a->len, ==, 3);
  g_assert_cmpmem (a->data, a->len * 8, b->data, b->len * 8);
  g_assert_cmpuint (g_array_index (a, guint64, 0), !=, g_array_index (a, guint64, 1));
}

/* Packs hold k-grams of these hashes: a change here is a new pack format. */
static void
test_hash_pinned (void)
{
  g_assert_cmphex (normalize_word_hash ("hello", 5), ==, G_GUINT64_CONSTANT (0x16fe05a1c75bcd0f));
}

typedef struct {
  GArray *hashes;
  GString *words;
} Collected;

static void
collect (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  Collected *c = data;
  guint64 h = normalize_word_hash (word, len);
  g_array_append_val (c->hashes, h);
  g_string_append_printf (c->words, "%s@%zu ", word, start);
}

/* norm_words_new (the ASCII run and the general walk) gives the words, offsets and
 * hashes that the general walk alone gives. */
static void
assert_sink_agrees (const char *text, gsize len)
{
  Collected want = { g_array_new (FALSE, FALSE, sizeof (guint64)), g_string_new (NULL) };
  normalize_foreach_word (text, len, collect, &want);
  g_autoptr (NormWords) got = norm_words_new (text, len);
  g_autoptr (GString) got_words = g_string_new (NULL);
  for (guint i = 0; i < got->words->len; i++)
    g_string_append_printf (got_words, "%s@%zu ", norm_word_text (got, i),
                            (gsize) g_array_index (got->words, NormWord, i).start);
  g_assert_cmpstr (got_words->str, ==, want.words->str);
  g_assert_cmpmem (got->hashes->data, got->hashes->len * 8, want.hashes->data, want.hashes->len * 8);
  g_array_unref (want.hashes);
  g_string_free (want.words, TRUE);
}

/* norm_words_new takes plain ASCII words through its own one-pass copy: on random
 * mixes of the cases that leave that path (hyphens, apostrophes, non-ASCII, long
 * words, the end of the text) it gives what the general walk gives. */
static void
test_sink_agrees (void)
{
  static const char *const pieces[] = {
    "a", "Word", "DATA", "42", " ", "  ", "\n", "-", "-\n", "- \n x", "'", "don't", "\xe2\x80\x99s",
    "caf\xc3\xa9", "\xef\xac\x81", "\xe6\x9d\xb1\xe4\xba\xac", ",", ".", "\xff", "\xc3",
    "\xef\xb7\xba", "snake_case", "\xc2\xad",
    /* where the run of ASCII words decides for itself whether a word ends */
    "ab-cd", "x'y", "1'a", "a'1", "a'", "'b", "a-\n", "a-\n b", "a- \r\n c", "A-\nB", "a-\n\xc3\xa9",
    "a'\xc3\xa9", "\xc3\xa9'a", "a\xe2\x80\x8b" "b", "--", "''", "a-'b", "\t-\t",
  };
  GRand *rand = g_rand_new_with_seed (20261128);
  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 0, 40);
      for (guint i = 0; i < n; i++)
        {
          if (g_rand_int_range (rand, 0, 50) == 0)  /* now and then a word over 128 bytes */
            for (guint j = 0; j < 140; j++)
              g_string_append_c (text, (char) ('A' + j % 26));
          g_string_append (text, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
        }
      assert_sink_agrees (text->str, text->len);
    }
  g_rand_free (rand);
}

/* Above 4 MiB the sink starts with room for a word every four bytes: text of more
 * words (one-letter words, one-digit numbers, and now and then a word the general walk
 * takes) grows it as it fills, on every path, with the same words and hashes. */
static void
test_sink_grows (void)
{
  static const char *const pieces[] = { "a ", "7 ", "x-\ny ", "caf\xc3\xa9 ", "b,", "c." };
  GRand *rand = g_rand_new_with_seed (20261207);
  g_autoptr (GString) text = g_string_new (NULL);
  while (text->len < (5u << 20))
    g_string_append (text, g_rand_int_range (rand, 0, 100) == 0 ? pieces[g_rand_int_range (rand, 2, 6)]
                                                                : pieces[g_rand_int_range (rand, 0, 2)]);
  g_rand_free (rand);
  g_autoptr (NormWords) words = norm_words_new (text->str, text->len);
  g_assert_cmpuint (words->hashes->len, >, text->len / 4 + 64);  /* it grew */
  assert_sink_agrees (text->str, text->len);
}

/* The same on random bytes: mostly letters, digits and spaces, with every character
 * that makes the ASCII run stop or decide (hyphens, apostrophes, line breaks, bytes of
 * 0x80 and up, valid or not) at random, in texts long enough for long runs. */
static void
test_sink_agrees_random_bytes (void)
{
  /* With the bytes on either side of each range of letters and digits ('@' '[' '`' '{'
   * '/' ':' DEL, and 'A', 'Z', '0', '9' with the top bit set), where a test of "letter
   * or digit" goes wrong first. */
  static const char alphabet[] = "aZz9 \n\t-'\r.,_\x80\xc3\xa9\xe2\x80\x99\xff@[`{/:\x7f\xc1\xda\xb0\xb9";
  GRand *rand = g_rand_new_with_seed (28);
  for (guint round = 0; round < 6000; round++)
    {
      gsize len = (gsize) g_rand_int_range (rand, 0, round < 4000 ? 64 : 2000);
      g_autoptr (GString) text = g_string_sized_new (len);
      for (gsize i = 0; i < len; i++)
        {
          guint32 r = g_rand_int_range (rand, 0, 100);
          char c = r < 45 ? (char) ('a' + g_rand_int_range (rand, 0, 26))
                 : r < 55 ? (char) ('A' + g_rand_int_range (rand, 0, 26))
                 : r < 60 ? (char) ('0' + g_rand_int_range (rand, 0, 10))
                 : alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
          g_string_append_c (text, c);
        }
      assert_sink_agrees (text->str, text->len);
    }
  g_rand_free (rand);
}

/* Long texts of plain words of every length from 1 to 40 bytes, so that words cross
 * the 64-byte blocks and the 8 and 16 bytes hashed in a lane of the AVX-512 run, with
 * now and then what stops or decides that run (non-ASCII, a line-breaking hyphen, a
 * joining apostrophe, a hyphen or apostrophe that only separates). */
static void
test_sink_agrees_blocks (void)
{
  static const char *const seps[] = { " ", " ", " ", "\n", ", ", ".  ", "-", "'", "--", " '", "\t" };
  static const char *const rare[] = { "\xc3\xa9", " \xe2\x80\x94 ", "-\n", "n't", "\xff", "-\n\xc3\xa9", "O'Brien" };
  GRand *rand = g_rand_new_with_seed (2812);
  for (guint round = 0; round < 1500; round++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      gsize want = (gsize) g_rand_int_range (rand, 0, round < 500 ? 200 : 4000);
      while (text->len < want)
        {
          guint n = (guint) g_rand_int_range (rand, 1, g_rand_boolean (rand) ? 9 : 41);
          for (guint j = 0; j < n; j++)
            {
              guint32 r = g_rand_int_range (rand, 0, 36);
              g_string_append_c (text, (char) (r < 26 ? (g_rand_boolean (rand) ? 'a' : 'A') + r : '0' + r - 26));
            }
          if (g_rand_int_range (rand, 0, 60) == 0)
            g_string_append (text, rare[g_rand_int_range (rand, 0, G_N_ELEMENTS (rare))]);
          else if (g_rand_int_range (rand, 0, 10) != 0)  /* else two runs meet: one longer word */
            g_string_append (text, seps[g_rand_int_range (rand, 0, G_N_ELEMENTS (seps))]);
        }
      assert_sink_agrees (text->str, text->len);
    }
  g_rand_free (rand);
}

/* The portable path, on a machine where norm_words_new would take AVX-512 or AVX2. */
static void
test_sink_agrees_portable (void)
{
  normalize_simd_limit (NORM_SIMD_NONE);
  test_sink_agrees ();
  test_sink_agrees_random_bytes ();
  test_sink_agrees_blocks ();
  normalize_simd_limit (NORM_SIMD_AVX512);
}

/* The AVX2 path, on a machine where norm_words_new would take AVX-512 (on one with AVX2
 * alone, the tests above take it). */
static void
test_sink_agrees_avx2 (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (!__builtin_cpu_supports ("avx2"))
#endif
    {
      g_test_skip ("no AVX2 here");
      return;
    }
  normalize_simd_limit (NORM_SIMD_AVX2);
  test_sink_agrees ();
  test_sink_agrees_random_bytes ();
  test_sink_agrees_blocks ();
  normalize_simd_limit (NORM_SIMD_AVX512);
}

/* 1 to max - 1 of pieces, picked at random, one after the other. */
static GString *
random_text (GRand *rand, const char *const *pieces, guint n_pieces, guint max)
{
  GString *text = g_string_new (NULL);
  guint n = (guint) g_rand_int_range (rand, 1, (gint32) max);
  for (guint i = 0; i < n; i++)
    g_string_append (text, pieces[g_rand_int_range (rand, 0, (gint32) n_pieces)]);
  return text;
}

/* Where normalize_can_split says so, the words of a text are those of its two parts,
 * the second's offsets moved: on random mixes of what joins words across a separator
 * (hyphens at line ends, ASCII and not, apostrophes, format characters), separators of
 * every kind (ASCII, full-width, U+3000), NFKC that makes several words of one
 * character, CJK pairs and invalid bytes; it says so somewhere in most texts. */
static void
test_can_split (void)
{
  static const char *const pieces[] = {
    "a", "Word", "42", " ", "  ", "\n", "\t", "-", "-\n", "- \n x", "a-\n b", "a- \r\n c", "'", "don't",
    "\xe2\x80\x99s", "caf\xc3\xa9", "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd", ",", ".", ";", "\xff", "\xc3",
    "\xef\xb7\xba", "\xc2\xbc", "\xc2\xad\n", "\xe2\x80\x90\n", "\xe2\x80\x91 \n", "\xe2\x80\x8b",
    "\xef\xbc\x8c", "\xe3\x80\x80", "\xe3\x80\x82", "x\xe2\x80\x8b\ny",
  };
  GRand *rand = g_rand_new_with_seed (20261207);
  guint splits = 0;
  for (guint round = 0; round < 600; round++)
    {
      g_autoptr (GString) text = random_text (rand, pieces, G_N_ELEMENTS (pieces), 30);
      Collected whole = { g_array_new (FALSE, FALSE, sizeof (guint64)), g_string_new (NULL) };
      normalize_foreach_word (text->str, text->len, collect, &whole);
      gboolean split_here = FALSE;
      for (gsize q = 0; q <= text->len; q++)
        {
          if (!normalize_can_split (text->str, text->len, q))
            continue;
          splits += q > 0 && q < text->len;
          split_here |= q > 0 && q < text->len;
          g_autoptr (NormWords) a = norm_words_new (text->str, q);
          g_autoptr (NormWords) b = norm_words_new (text->str + q, text->len - q);
          g_autoptr (GString) got = g_string_new (NULL);
          for (guint i = 0; i < a->words->len; i++)
            g_string_append_printf (got, "%s@%zu ", norm_word_text (a, i),
                                    (gsize) g_array_index (a->words, NormWord, i).start);
          for (guint i = 0; i < b->words->len; i++)
            g_string_append_printf (got, "%s@%zu ", norm_word_text (b, i),
                                    q + g_array_index (b->words, NormWord, i).start);
          if (g_strcmp0 (got->str, whole.words->str) != 0)
            g_error ("split at %zu of \"%s\": %s, whole: %s", q, g_strescape (text->str, NULL), got->str,
                     whole.words->str);
        }
      (void) split_here;
      g_array_unref (whole.hashes);
      g_string_free (whole.words, TRUE);
    }
  g_assert_cmpuint (splits, >, 1000);
  g_rand_free (rand);
}

/* The words of text, "word@start " each, with norm_words_new_until's pieces (from
 * stop bytes on each): the same as the whole text's. */
static char *
words_in_pieces (const char *text, gsize len, gsize stop)
{
  GString *out = g_string_new (NULL);
  gsize at = 0;
  while (at < len)
    {
      gsize end;
      g_autoptr (NormWords) w = norm_words_new_until (text + at, len - at, stop, &end);
      g_assert_cmpuint (end, >=, MIN (stop, len - at));
      for (guint i = 0; i < w->words->len; i++)
        g_string_append_printf (out, "%s@%zu ", norm_word_text (w, i),
                                at + g_array_index (w->words, NormWord, i).start);
      at += end;
    }
  return g_string_free (out, FALSE);
}

/* norm_words_new_until stops only where the walk of the whole text is between runs: at
 * separators, and inside runs of letters alone, where a run reached 64 KiB. */
static void
test_until (void)
{
  static const char *const pieces[] = {
    "a", "Word", "42", " ", "\n", "-\n", "a-\n b", "don't", "caf\xc3\xa9", "\xef\xb7\xba", "\xc2\xbc",
    "\xe6\x9d\xb1\xe4\xba\xac", "\xc2\xad\n", "\xe2\x80\x8b", "\xd5\xa1\xd5\xa2", ",", "\xff",
  };
  GRand *rand = g_rand_new_with_seed (7);
  for (guint round = 0; round < 300; round++)
    {
      g_autoptr (GString) text = random_text (rand, pieces, G_N_ELEMENTS (pieces), 60);
      g_autofree char *whole = words_in_pieces (text->str, text->len, text->len + 1);
      for (gsize stop = 1; stop < 40; stop += 3)
        {
          g_autofree char *got = words_in_pieces (text->str, text->len, stop);
          g_assert_cmpstr (got, ==, whole);
        }
    }
  g_rand_free (rand);
  /* Runs of letters alone past 64 KiB: pieces end where the runs did. */
  g_autoptr (GString) glued = g_string_new (NULL);
  for (guint i = 0; i < 90000; i++)
    g_string_append (glued, i % 7 == 0 ? "\xef\xb7\xba" : i % 3 ? "\xe6\x9d\xb1" : "\xd5\xa1");
  g_autofree char *whole = words_in_pieces (glued->str, glued->len, glued->len + 1);
  g_autofree char *got = words_in_pieces (glued->str, glued->len, 1000);
  g_assert_cmpstr (got, ==, whole);
  gsize end;
  g_autoptr (NormWords) first = norm_words_new_until (glued->str, glued->len, 1000, &end);
  g_assert_cmpuint (end, <, glued->len);  /* it stopped inside the letters, at 64 KiB */
}

static gpointer
normalize_in_thread (gpointer text)
{
  return normalize_text (text, strlen (text));
}

/* The three passes' results are remembered per thread (flush_three_passes): words that
 * take them (full-width and squared forms, ligatures, fractions that NFKC makes two
 * words, jamo that compose, beside Arabic, Devanagari and Hangul letters that alone
 * would not), more distinct words than the cache has slots, give the same words on a
 * thread whose cache is empty, and on this one once and again. */
static void
test_three_passes_cache (void)
{
  static const char *const chars[] = {
    "\xd8\xa7", "\xd8\xa8", "\xd9\x84", "\xd9\x85", "\xd9\x93", "\xe0\xa4\x95", "\xe0\xa4\xbf",
    "\xea\xb0\x80", "\xed\x9e\xa3", "\xef\xbc\xa1", "\xef\xbd\x9a", "\xe2\x85\xab", "\xef\xac\x81",
    "\xe3\x8e\x8f", "\xc2\xbd", "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8", "\xc2\xb2",
  };
  GRand *rand = g_rand_new_with_seed (20261207);
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; i < 30000; i++)
    {
      guint n = (guint) g_rand_int_range (rand, 1, 8);
      for (guint j = 0; j < n; j++)
        g_string_append (text, chars[g_rand_int_range (rand, 0, G_N_ELEMENTS (chars))]);
      g_string_append_c (text, i % 11 ? ' ' : '\n');
    }
  g_rand_free (rand);
  g_autofree char *cold = g_thread_join (g_thread_new ("cold", normalize_in_thread, text->str));
  g_autofree char *warm = normalize_text (text->str, text->len);
  g_autofree char *again = normalize_text (text->str, text->len);
  g_assert_cmpstr (warm, ==, cold);
  g_assert_cmpstr (again, ==, cold);
  g_assert_cmpuint (strlen (cold), >, text->len / 2);
}

/* A run that holds a character beyond ASCII ends at 64 KiB (NFKC of it whole took up
 * to 72 bytes a byte): U+FDFA glued 30 000 times is several words, not one, and the
 * same on every path; ASCII alone stays one word. */
static void
test_run_cap (void)
{
  g_autoptr (GString) text = g_string_new ("x ");
  for (guint i = 0; i < 30000; i++)
    g_string_append (text, "\xc3\xa9");  /* é: the fold table's path */
  g_string_append (text, " ");
  for (guint i = 0; i < 30000; i++)
    g_string_append (text, "\xd5\xa1");  /* Armenian: NFKC's path */
  g_string_append (text, " y");
  g_autoptr (NormWords) w = norm_words_new (text->str, text->len);
  g_assert_cmpuint (w->words->len, ==, 2 + 1 + 1);  /* 60 000 bytes each: under the cap */
  g_string_truncate (text, 2);
  for (guint i = 0; i < 100000; i++)
    g_string_append (text, "\xd5\xa1");
  g_string_append (text, " y");
  g_autoptr (NormWords) capped = norm_words_new (text->str, text->len);
  g_assert_cmpuint (capped->words->len, ==, 1 + 4 + 1);  /* 200 000 bytes: 64 KiB, 64, 64, the rest */
  g_assert_cmpuint (g_array_index (capped->words, NormWord, 2).start, ==, 2 + 65536);
  assert_sink_agrees (text->str, text->len);
  g_autoptr (GString) ascii = g_string_new (NULL);
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (ascii, (char) ('a' + i % 26));
  g_autoptr (NormWords) one = norm_words_new (ascii->str, ascii->len);
  g_assert_cmpuint (one->words->len, ==, 1);
}

static void
record_word (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  g_assert_cmpuint (strlen (word), ==, len);  /* NUL-terminated where len says */
  g_string_append_printf (data, "%s@%zu-%zu ", word, start, end);
}

/* The words of text as "word@start-end", by the general walk, then by norm_words_new with
 * their hashes. */
static char *
words_with_offsets (const char *text, gsize len)
{
  g_autoptr (GString) out = g_string_new (NULL);
  normalize_foreach_word (text, len, record_word, out);
  g_autoptr (NormWords) w = norm_words_new (text, len);
  g_string_append (out, "| ");
  for (guint i = 0; i < w->words->len; i++)
    {
      const NormWord *nw = &g_array_index (w->words, NormWord, i);
      g_string_append_printf (out, "%s@%u-%u:%016" G_GINT64_MODIFIER "x ", norm_word_text (w, i), nw->start, nw->end,
                              g_array_index (w->hashes, guint64, i));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* What the walk makes of text with the table of plain characters (normalize.c) is what
 * it makes of it with glib's three passes for every character beyond the fold table. */
static void
assert_plain_agrees (const char *text, gsize len)
{
  normalize_plain_table (FALSE);
  g_autofree char *passes = words_with_offsets (text, len);
  normalize_plain_table (TRUE);
  g_autofree char *plain = words_with_offsets (text, len);
  if (g_strcmp0 (plain, passes) != 0)
    {
      g_autofree char *escaped = g_strescape (text, NULL);
      g_error ("\"%s\": the table gives\n%s\nthe three passes\n%s", escaped, plain, passes);
    }
}

/* The set of characters a canonical pair has second, which the table's classes rest
 * on, is every such character of the table's planes that glib's decompositions have,
 * and no other. */
static void
test_plain_seconds (void)
{
  g_autofree guint8 *second = g_malloc0 (0x110000);
  for (gunichar c = 0; c < 0x110000; c++)
    {
      gunichar a, b;
      if (g_unichar_decompose (c, &a, &b) && b != 0)
        second[b] = 1;
    }
  guint count = 0;
  for (gunichar c = 0; c < 0x30000; c++)
    {
      g_assert_cmpint (normalize_composes_after (c), ==, second[c]);
      count += second[c];
    }
  g_assert_cmpuint (count, >, 130);  /* 118 of the first plane, 15 of the second here */
}

/* Every character of the first two planes beyond ASCII (of the second, the unassigned
 * ones one in 64) and one ideograph in 64 of the third, alone, between ASCII letters,
 * doubled and beside characters that compose, combine or decompose: the same words,
 * offsets and hashes with the table as with the three passes. */
static void
test_plain_each (void)
{
  static const char *const around[][2] = {
    { "", "" }, { "x", "9" }, { "\xe0\xa4\x95", "" } /* क */, { "", "\xe0\xa5\x8d" } /* virama */,
    { "\xea\xb0\x80", "" } /* 가 */, { "", "\xcc\x81" } /* U+0301 */, { "", "\xe0\xb8\xb8\xe0\xb9\x88" } /* Thai marks */,
    { "\xc3\xa9", "" } /* é */, { "\xe1\x84\x80", "" } /* choseong */, { "", "\xe1\x85\xa1" } /* jungseong */,
  };
  for (gunichar c = 0x80; c < 0x30000; c++)
    {
      if ((c >= 0xD800 && c <= 0xDFFF)
          || (c >= 0x10000 && c < 0x20000 && g_unichar_type (c) == G_UNICODE_UNASSIGNED && c % 64 != 0)
          || (c >= 0x20000 && c % 64 != 0))
        continue;
      char u[8] = { 0 };
      g_unichar_to_utf8 (c, u);
      for (gsize k = 0; k < G_N_ELEMENTS (around); k++)
        {
          g_autofree char *text = g_strconcat (around[k][0], u, around[k][1], NULL);
          assert_plain_agrees (text, strlen (text));
        }
      g_autofree char *twice = g_strconcat (u, u, " ", u, NULL);
      assert_plain_agrees (twice, strlen (twice));
    }
}

/* Runs drawn from the scripts the table takes (their letters, vowel signs and marks of
 * each combining class, in and out of canonical order), from characters that compose
 * (jamo, kana voicing marks, U+0301), that decompose (Hangul syllables, é, Vietnamese
 * letters, ligatures), that fold (upper-case Armenian, Georgian and Cherokee, full- and
 * half-width forms, compatibility ideographs, circled and Roman numbers, squared words)
 * or that NFKC splits, with ASCII, separators, hyphens, format characters and
 * apostrophes between: the same words as the three passes. */
static void
test_plain_runs (void)
{
  static const gunichar ranges[][2] = {
    { 0x0590, 0x05FF }, { 0x0600, 0x06FF }, { 0x0900, 0x097F }, { 0x0980, 0x09FF }, { 0x0B80, 0x0BFF },
    { 0x0D00, 0x0D7F }, { 0x0E00, 0x0E7F }, { 0x0F00, 0x0FFF }, { 0x1000, 0x109F }, { 0x1100, 0x11FF },
    { 0x1E00, 0x1EFF }, { 0x0300, 0x036F }, { 0x3040, 0x30FF }, { 0x4E00, 0x4E40 }, { 0xAC00, 0xAC40 },
    { 0xFB00, 0xFB4F }, { 0xFF00, 0xFFDC }, { 0x00C0, 0x024F }, { 0x0370, 0x03FF }, { 0x1B00, 0x1B7F },
    /* characters with a fold of their own (PLAIN_FOLD) and their neighbours */
    { 0x0530, 0x058F }, { 0x10A0, 0x10FF }, { 0x13A0, 0x13FF }, { 0xAB70, 0xABBF }, { 0xF900, 0xFA6D },
    { 0x2460, 0x24FF }, { 0x2150, 0x218F }, { 0x2070, 0x209F }, { 0x3130, 0x318F }, { 0x3300, 0x33FF },
    /* beyond the first plane: pairs with a second of their own (Kaithi, Chakma, Grantha),
     * mathematical letters that fold, ideographs of extension B, emoji */
    { 0x11080, 0x1114F }, { 0x11300, 0x1137F }, { 0x1D400, 0x1D7FF }, { 0x20000, 0x2007F },
    { 0x1F100, 0x1F1FF }, { 0x1F600, 0x1F64F },
  };
  static const char *const between[] = { " ", "a", "Q", "7", "-", "-\n", "'", "\xe2\x80\x99", "\xe2\x80\x8b",
                                         "\xc2\xad", "\xe3\x80\x81", "\xd8\x8c" };
  GRand *rand = g_rand_new_with_seed (20261207);
  g_autoptr (GString) all = g_string_new (NULL);
  for (guint round = 0; round < 40000; round++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 1, 10);
      for (guint k = 0; k < n; k++)
        {
          if (g_rand_int_range (rand, 0, 6) == 0)
            {
              g_string_append (text, between[g_rand_int_range (rand, 0, G_N_ELEMENTS (between))]);
              continue;
            }
          const gunichar *r = ranges[g_rand_int_range (rand, 0, G_N_ELEMENTS (ranges))];
          g_string_append_unichar (text, (gunichar) g_rand_int_range (rand, (gint32) r[0], (gint32) r[1] + 1));
        }
      assert_plain_agrees (text->str, text->len);
      g_string_append_len (all, text->str, (gssize) text->len);
      g_string_append_c (all, round % 7 ? ' ' : '\n');
    }
  g_rand_free (rand);
  assert_plain_agrees (all->str, all->len);
}

typedef struct {
  const char *text;
  gsize len;
  char *words;
} PlainJob;

static gpointer
plain_job (gpointer data)
{
  PlainJob *job = data;
  job->words = words_with_offsets (job->text, job->len);
  return NULL;
}

/* The table's pages are filled when a paste first holds one of their characters, by
 * whichever thread meets it: in a fresh process, four threads that walk the same text
 * of every block of the plane at once all give what the three passes give. */
static void
test_plain_threads (void)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_autoptr (GString) text = g_string_new (NULL);
  GRand *rand = g_rand_new_with_seed (2026120719);
  for (guint i = 0; i < 60000; i++)
    {
      gunichar c = (gunichar) g_rand_int_range (rand, 0xA0, i % 4 ? 0xFFFE : 0x2FFFE);
      if (c >= 0xD800 && c <= 0xDFFF)
        continue;
      g_string_append_unichar (text, c);
      if (g_rand_int_range (rand, 0, 5) == 0)
        g_string_append_c (text, ' ');
    }
  g_rand_free (rand);
  normalize_plain_table (FALSE);
  g_autofree char *passes = words_with_offsets (text->str, text->len);
  normalize_plain_table (TRUE);
  PlainJob jobs[4];
  GThread *threads[G_N_ELEMENTS (jobs)];
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i] = (PlainJob) { text->str, text->len, NULL };
      threads[i] = g_thread_new ("plain", plain_job, &jobs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpstr (jobs[i].words, ==, passes);
      g_free (jobs[i].words);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/normalize/ascii", test_ascii);
  g_test_add_func ("/normalize/unicode-fold", test_unicode_fold);
  g_test_add_func ("/normalize/ascii-path-agrees", test_ascii_path_agrees);
  g_test_add_func ("/normalize/fold-table-agrees", test_fold_table_agrees);
  g_test_add_func ("/normalize/cjk-pairs", test_cjk_pairs);
  g_test_add_func ("/normalize/hyphenation", test_hyphenation);
  g_test_add_func ("/normalize/apostrophes", test_apostrophes);
  g_test_add_func ("/normalize/rewrap", test_rewrap_invariant);
  g_test_add_func ("/normalize/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/normalize/offsets", test_offsets);
  g_test_add_func ("/normalize/hashes", test_hashes);
  g_test_add_func ("/normalize/hash-pinned", test_hash_pinned);
  g_test_add_func ("/normalize/sink-agrees", test_sink_agrees);
  g_test_add_func ("/normalize/sink-grows", test_sink_grows);
  g_test_add_func ("/normalize/can-split", test_can_split);
  g_test_add_func ("/normalize/run-cap", test_run_cap);
  g_test_add_func ("/normalize/until", test_until);
  g_test_add_func ("/normalize/three-passes-cache", test_three_passes_cache);
  g_test_add_func ("/normalize/plain-seconds", test_plain_seconds);
  g_test_add_func ("/normalize/plain-each", test_plain_each);
  g_test_add_func ("/normalize/plain-runs", test_plain_runs);
  g_test_add_func ("/normalize/plain-threads", test_plain_threads);
  g_test_add_func ("/normalize/sink-agrees-random-bytes", test_sink_agrees_random_bytes);
  g_test_add_func ("/normalize/sink-agrees-blocks", test_sink_agrees_blocks);
  g_test_add_func ("/normalize/sink-agrees-portable", test_sink_agrees_portable);
  g_test_add_func ("/normalize/sink-agrees-avx2", test_sink_agrees_avx2);
  return g_test_run ();
}
