/* copies/: what was copied out of source groups is found again in a later paste, edited
 * or not, never for another group's own paste, forgotten when it expires or is crowded
 * out, kept across a new book on the same store, and bounded per origin (issue 25). */
#include <string.h>

#include "copies/copy-book.h"
#include "engine/findings.h"
#include "engine/index.h"
#include "store/store-copies.h"
#include "testutil.h"

static const guint8 key[WINNOW_KEY_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const CopyLimits limits = { .max_copies = 1000, .max_fingerprints = 1000000, .keep_seconds = 3600,
                                   .min_words = 8 };

/* n words of made-up prose, distinct for each seed: no run of 8 words repeats between seeds. */
static char *
prose (guint seed, guint n)
{
  static const char *const words[] = { "quarterly", "revenue", "forecast", "north", "region", "pipeline",
                                       "customer", "renewal", "pricing", "discount", "margin", "headcount",
                                       "budget", "review", "board", "approval", "launch", "delay" };
  GString *s = g_string_new (NULL);
  guint32 x = seed * 2654435761u + 1;
  for (guint i = 0; i < n; i++)
    {
      x = x * 1103515245u + 12345u;
      g_string_append_printf (s, "%s%s%u", i ? " " : "", words[(x >> 16) % G_N_ELEMENTS (words)], (x >> 8) % 97);
    }
  return g_string_free (s, FALSE);
}

static void
remember (CopyMemory *mem, gint64 id, const char *source, gint64 at, const char *text)
{
  guint32 words = 0;
  g_autoptr (GArray) picks = copy_memory_fingerprint (mem, text, strlen (text), &words);
  copy_memory_add (mem, id, source, at, words, (const WinnowPick *) picks->data, picks->len, FALSE);
}

/* The copied finding of text, or NULL; findings keeps it. */
static const Finding *
found (CopyMemory *mem, const char *text, const char *exclude, gint64 now, GPtrArray *findings)
{
  g_ptr_array_set_size (findings, 0);
  copy_memory_match (mem, text, strlen (text), exclude, now, findings);
  g_assert_cmpuint (findings->len, <=, 1);
  return findings->len ? findings->pdata[0] : NULL;
}

static void
test_edited (void)
{
  g_autoptr (CopyMemory) mem = copy_memory_new (key, &limits);
  g_autofree char *copied = prose (1, 200);
  remember (mem, 0, "internal", 1000, copied);
  g_autoptr (GPtrArray) findings = findings_new ();

  /* Re-wrapped, upper-cased and embedded in other text. */
  g_autofree char *upper = g_utf8_strup (copied, -1);
  g_autofree char *wrapped = g_strdelimit (g_strdup (upper), " ", '\n');
  g_autofree char *other = prose (2, 60);
  g_autofree char *embedded = g_strconcat (other, "\n\n", wrapped, "\n", other, NULL);
  const Finding *f = found (mem, embedded, NULL, 1100, findings);
  g_assert_nonnull (f);
  g_assert_cmpint (f->kind, ==, FINDING_COPIED);
  g_assert_cmpstr (f->name, ==, "internal");
  g_assert_cmpint (f->at, ==, 1000);
  g_assert_cmpuint (f->words, >=, 150);

  /* A word in every 25 changed. */
  g_auto (GStrv) parts = g_strsplit (copied, " ", -1);
  for (guint i = 12; i < g_strv_length (parts); i += 25)
    {
      g_free (parts[i]);
      parts[i] = g_strdup ("CHANGED");
    }
  g_autofree char *edited = g_strjoinv (" ", parts);
  g_assert_nonnull (found (mem, edited, NULL, 1100, findings));

  /* 20 words of it inside other text: found (the winnowing guarantee is 19). */
  for (guint start = 0; start < 150; start += 7)
    {
      g_auto (GStrv) w = g_strsplit (copied, " ", -1);
      g_autofree char *run = g_strjoinv (" ", (GStrv) (w + start)), *cut = NULL;
      char *end = run;
      for (guint i = 0; i < 20 && end != NULL; i++)
        end = strchr (end + 1, ' ');
      cut = end ? g_strndup (run, (gsize) (end - run)) : g_strdup (run);
      g_autofree char *paste = g_strconcat ("Hello team, ", cut, " thanks.", NULL);
      g_assert_nonnull (found (mem, paste, NULL, 1100, findings));
    }
  /* Unrelated text, and 7 shared words: nothing. */
  g_autofree char *unrelated = prose (3, 300);
  g_assert_null (found (mem, unrelated, NULL, 1100, findings));
  g_auto (GStrv) w = g_strsplit (copied, " ", 8);
  g_free (w[7]);
  w[7] = NULL;
  g_autofree char *seven = g_strjoinv (" ", w);
  g_autofree char *short_paste = g_strconcat ("so ", seven, " and nothing else of it", NULL);
  g_assert_null (found (mem, short_paste, NULL, 1100, findings));
}

/* One line per finding of text: what a paste is matched with against the copies. */
static char *
describe_copied (CopyMemory *mem, const char *text)
{
  g_autoptr (GPtrArray) findings = findings_new ();
  copy_memory_match (mem, text, strlen (text), NULL, 1100, findings);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < findings->len; i++)
    {
      const Finding *f = findings->pdata[i];
      g_string_append_printf (out, "%s %u %u %u %.6f\n", f->name, f->count, f->longest, f->words, f->score);
    }
  return g_string_free (out, FALSE);
}

/* A paste over 4 MiB is matched against the copies a segment of words at a time, as
 * against packs (engine/index.c): the same finding, counts and score as from the whole
 * text, with the copy whole, cut short, or only a run of the guarantee's length in it. */
static void
test_segments (void)
{
  g_autoptr (CopyMemory) mem = copy_memory_new (key, &limits);
  g_autofree char *copied = prose (5, 300);
  remember (mem, 0, "internal", 1000, copied);
  g_auto (GStrv) w = g_strsplit (copied, " ", -1);
  g_autofree char *other = prose (6, 400);
  g_autofree char *twenty = g_strjoinv (" ", (GStrv) (w + 280));
  char *pastes[] = {
    g_strconcat (other, "\n", copied, "\n", other, NULL),
    g_strconcat (other, " ", twenty, ". ", other, NULL),
    g_strconcat (copied, NULL),
  };
  for (guint i = 0; i < G_N_ELEMENTS (pastes); i++)
    {
      engine_index_set_segments (G_MAXSIZE, 0);
      g_autofree char *whole = describe_copied (mem, pastes[i]);
      g_assert_cmpuint (strlen (whole), >, 0);
      for (gsize bytes = 1; bytes < 3000; bytes = bytes * 3 + 7)
        {
          engine_index_set_segments (1, bytes);
          g_autofree char *got = describe_copied (mem, pastes[i]);
          g_assert_cmpstr (got, ==, whole);
        }
      g_free (pastes[i]);
    }
  engine_index_set_segments (0, 0);
}

static void
test_same_source_excluded (void)
{
  g_autoptr (CopyMemory) mem = copy_memory_new (key, &limits);
  g_autofree char *copied = prose (4, 100);
  remember (mem, 0, "internal", 1000, copied);
  g_autoptr (GPtrArray) findings = findings_new ();
  g_assert_null (found (mem, copied, "internal", 1001, findings));
  g_assert_nonnull (found (mem, copied, "partners", 1001, findings));
  /* Copied from two sources: one finding for each, the other group's only when pasting
   * into one of them. */
  remember (mem, 0, "partners", 1002, copied);
  g_ptr_array_set_size (findings, 0);
  copy_memory_match (mem, copied, strlen (copied), NULL, 1003, findings);
  g_assert_cmpuint (findings->len, ==, 2);
  g_assert_cmpstr (found (mem, copied, "internal", 1003, findings)->name, ==, "partners");
}

static void
test_expiry_and_bounds (void)
{
  CopyLimits small = limits;
  small.max_copies = 3;
  g_autoptr (CopyMemory) mem = copy_memory_new (key, &small);
  g_autoptr (GPtrArray) findings = findings_new ();
  char *texts[5];
  for (guint i = 0; i < 5; i++)
    {
      texts[i] = prose (10 + i, 80);
      remember (mem, i + 1, "internal", 1000 + i, texts[i]);
      copy_memory_expire (mem, 1000 + i);
    }
  /* The two oldest are crowded out, and the expire call says up to which row. */
  g_assert_cmpuint (copy_memory_count (mem), ==, 3);
  g_assert_null (found (mem, texts[0], NULL, 1010, findings));
  g_assert_null (found (mem, texts[1], NULL, 1010, findings));
  g_assert_nonnull (found (mem, texts[4], NULL, 1010, findings));
  /* An hour after the copy it is forgotten, whether or not expire ran. */
  g_assert_null (found (mem, texts[2], NULL, 1002 + 3601, findings));
  g_assert_cmpint (copy_memory_expire (mem, 1004 + 3601), ==, 5);
  g_assert_cmpuint (copy_memory_count (mem), ==, 0);
  for (guint i = 0; i < 5; i++)
    g_free (texts[i]);
}

static void
test_repeated_and_merged (void)
{
  g_autoptr (CopyMemory) mem = copy_memory_new (key, &limits);
  g_autoptr (GPtrArray) findings = findings_new ();
  g_autofree char *copied = prose (20, 100);
  for (guint i = 0; i < 10; i++)
    remember (mem, 0, "internal", 1000 + i, copied);
  g_assert_cmpuint (copy_memory_count (mem), ==, 1);
  g_assert_cmpint (found (mem, copied, NULL, 1010, findings)->at, ==, 1009);
  /* Enough copies to merge the small pack into the large one more than once; the first
   * and the last are still found, with their own times. */
  gsize before = copy_memory_fingerprints (mem);
  for (guint i = 0; i < 900; i++)
    {
      g_autofree char *t = prose (100 + i, 300);
      remember (mem, 0, "internal", 2000 + i, t);
    }
  g_assert_cmpuint (copy_memory_fingerprints (mem), >, before + 2 * COPY_MEMORY_RECENT);
  g_assert_cmpint (found (mem, copied, NULL, 3000, findings)->at, ==, 1009);
  g_autofree char *last = prose (100 + 899, 300);
  g_assert_cmpint (found (mem, last, NULL, 3000, findings)->at, ==, 2899);
  g_autofree char *mid = prose (100 + 450, 300);
  g_assert_cmpint (found (mem, mid, NULL, 3000, findings)->at, ==, 2450);
}

static void
test_book_store (void)
{
  g_autofree char *home = testutil_tmpdir_new ("weir-copies");
  g_autofree char *path = g_build_filename (home, "weir.db", NULL);
  g_autofree char *copied = prose (30, 120);
  g_autoptr (GPtrArray) findings = findings_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (Store) store = store_open (path, &error);
    g_assert_no_error (error);
    g_autoptr (CopyBook) book = copy_book_open (store, &limits, now, &error);
    g_assert_no_error (error);
    guint32 words = 0;
    g_assert_cmpint (copy_book_add (book, "https://wiki.corp", "internal", copied, strlen (copied), now, &words,
                                    &error), ==, COPY_KEPT);
    g_assert_no_error (error);
    g_assert_cmpuint (words, ==, 120);
    g_assert_cmpint (copy_book_add (book, "https://wiki.corp", "internal", "too short", 9, now, &words, &error),
                     ==, COPY_TOO_SHORT);
  }
  /* A new book on the same store: the copy is there, with the same key. */
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (CopyBook) book = copy_book_open (store, &limits, now + 10, &error);
  g_assert_no_error (error);
  g_ptr_array_set_size (findings, 0);
  copy_book_match (book, copied, strlen (copied), NULL, now + 10, findings);
  g_assert_cmpuint (findings->len, ==, 1);
  /* Another book on the same store (another browser profile's host) sees a copy made
   * through this one at its next match, a second later. */
  {
    g_autoptr (CopyBook) other = copy_book_open (store, &limits, now + 10, &error);
    g_assert_no_error (error);
    g_autofree char *later = prose (31, 60);
    guint32 w = 0;
    g_assert_cmpint (copy_book_add (book, "https://wiki.corp", "internal", later, strlen (later), now + 10, &w, NULL),
                     ==, COPY_KEPT);
    g_ptr_array_set_size (findings, 0);
    copy_book_match (other, later, strlen (later), NULL, now + 11, findings);
    g_assert_cmpuint (findings->len, ==, 1);
    g_assert_cmpuint (copy_memory_count (copy_book_memory (other)), ==, 2);
  }
  /* The rate bound: the burst, then one a second. */
  guint kept = 0;
  for (guint i = 0; i < COPY_RATE_BURST + 20; i++)
    {
      g_autofree char *t = prose (40 + i, 30);
      guint32 words;
      kept += copy_book_add (book, "https://flood.corp", "internal", t, strlen (t), now + 20, &words, NULL) == COPY_KEPT;
    }
  g_assert_cmpuint (kept, ==, COPY_RATE_BURST);
  g_autofree char *t = prose (39, 30);
  guint32 words;
  g_assert_cmpint (copy_book_add (book, "https://other.corp", "internal", t, strlen (t), now + 20, &words, NULL), ==,
                   COPY_KEPT);
  g_assert_cmpint (copy_book_add (book, "https://flood.corp", "internal", t, strlen (t), now + 22, &words, NULL), ==,
                   COPY_KEPT);
  /* Many origins together: the burst of all of them, then four a second. */
  kept = 0;
  for (guint i = 0; i < COPY_RATE_ALL_BURST + 20; i++)
    {
      g_autofree char *o = g_strdup_printf ("https://w%u.corp", i), *txt = prose (500 + i, 30);
      guint32 w;
      kept += copy_book_add (book, o, "internal", txt, strlen (txt), now + 30, &w, NULL) == COPY_KEPT;
    }
  g_assert_cmpuint (kept, <=, COPY_RATE_ALL_BURST);
  g_assert_cmpuint (kept, >=, COPY_RATE_ALL_BURST - COPY_RATE_BURST - 10);
  g_clear_pointer (&book, copy_book_free);
  /* An hour later the rows expired: a new book forgets them, in the store too. */
  book = copy_book_open (store, &limits, now + 3700, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copy_memory_count (copy_book_memory (book)), ==, 0);
  g_clear_pointer (&book, copy_book_free);
  g_clear_pointer (&store, store_close);
  testutil_rmtree (home);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/copies/edited", test_edited);
  g_test_add_func ("/copies/same-source-excluded", test_same_source_excluded);
  g_test_add_func ("/copies/segments", test_segments);
  g_test_add_func ("/copies/expiry-and-bounds", test_expiry_and_bounds);
  g_test_add_func ("/copies/repeated-and-merged", test_repeated_and_merged);
  g_test_add_func ("/copies/book-store", test_book_store);
  return g_test_run ();
}
