/* fuzz-html: HTML to text (the text/html of a paste), then the scorer on the result.
 *
 * The text is NUL-terminated at its length and at most twice as long as the HTML
 * (tags and entities shrink today; the bound leaves room for a normaliser that decodes
 * entities into longer UTF-8 while still catching runaway output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/html.h"
#include "engine/score.h"
#include "fuzz.h"

static EngineIndex *index_;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  index_ = engine_index_new ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize len = 0;
  g_autofree char *text = engine_html_to_text ((const char *) data, size, &len);
  FUZZ_CHECK (text != NULL && len <= 2 * size + 1 && text[len] == '\0');
  g_autoptr (GPtrArray) findings = findings_new ();
  engine_score (index_, text, len, findings);
  gsize hidden_len = 0;
  g_autofree char *hidden = engine_html_hidden_text ((const char *) data, size, &hidden_len);
  FUZZ_CHECK (hidden != NULL && hidden_len <= 2 * size + 1 && hidden[hidden_len] == '\0');
  engine_score (index_, hidden, hidden_len, findings);
  return 0;
}
