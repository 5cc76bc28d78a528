/* libFuzzer: normalisation and matching of arbitrary content against a small pack. */
#include <string.h>

#include "engine/findings.h"
#include "engine/normalize.h"
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

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_free (normalize_text ((const char *) data, size));
  GPtrArray *findings = findings_new ();
  engine_index_match (index_, (const char *) data, size, findings);
  g_ptr_array_unref (findings);
  return 0;
}
