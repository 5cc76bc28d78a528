/* libFuzzer: normalisation and matching of arbitrary content against a small pack. */
#include <string.h>

#include "engine/findings.h"
#include "engine/normalize.h"
#include "engine/spans.h"
#include "fuzz.h"
#include "pack/pack-build.h"

static EngineIndex *index_;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  static const char doc[] = "the quick brown fox jumps over the lazy dog near the river bank "
                            "while 東京都 and ΣΊΣΥΦΟΣ watch infor-\nmation flow";
  static const char csv[] = "email,name,phone\na@b.example,Ada Lovelace,+44 20 7946 0018\n";
  PackBuilder *b = pack_builder_new ("f", "f");
  pack_builder_add_document (b, "doc", doc, strlen (doc));
  g_assert (pack_builder_set_edm (b, "t", csv, strlen (csv), "email!,name,phone", NULL));
  index_ = engine_index_new ();
  engine_index_add_pack (index_, pack_builder_finish (b, NULL));
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

/* The findings and the exact data's spans, a line each. */
static char *
describe (const char *text, gsize len)
{
  GString *out = g_string_new (NULL);
  GPtrArray *findings = findings_new ();
  engine_index_match (index_, text, len, findings);
  for (guint i = 0; i < findings->len; i++)
    {
      const Finding *f = findings->pdata[i];
      g_string_append_printf (out, "%d %s %u %u %u %.6f\n", f->kind, f->name ? f->name : "-", f->count, f->longest,
                              f->words, f->score);
    }
  g_ptr_array_unref (findings);
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (EngineSpan));
  engine_index_spans (index_, text, len, spans);
  for (guint i = 0; i < spans->len; i++)
    g_string_append_printf (out, "span %zu %zu\n", g_array_index (spans, EngineSpan, i).start,
                            g_array_index (spans, EngineSpan, i).end);
  g_array_unref (spans);
  return g_string_free (out, FALSE);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const char *text = (const char *) data;
  /* With the table of plain characters and with glib's three passes for each: the same
   * words and hashes. */
  normalize_plain_table (FALSE);
  char *passes = normalize_text (text, size);
  NormWords *passes_words = norm_words_new (text, size);
  normalize_plain_table (TRUE);
  char *plain = normalize_text (text, size);
  NormWords *plain_words = norm_words_new (text, size);
  if (strcmp (plain, passes) != 0 || plain_words->hashes->len != passes_words->hashes->len
      || memcmp (plain_words->hashes->data, passes_words->hashes->data, plain_words->hashes->len * 8) != 0)
    g_error ("the table of plain characters changed the words:\n%s\n---\n%s", plain, passes);
  g_free (plain);
  g_free (passes);
  norm_words_free (plain_words);
  norm_words_free (passes_words);
  /* Matched whole, and in segments of a few bytes (index.c, a text over 4 MiB): the
   * same findings and spans. */
  engine_index_set_segments (G_MAXSIZE, 0);
  char *whole = describe (text, size);
  engine_index_set_segments (1, size > 0 ? 1 + data[0] % 48 : 1);
  char *segmented = describe (text, size);
  engine_index_set_segments (0, 0);
  if (strcmp (whole, segmented) != 0)
    g_error ("segments changed the findings:\n%s---\n%s", whole, segmented);
  g_free (whole);
  g_free (segmented);
  return 0;
}
