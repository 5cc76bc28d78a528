/* fuzz-score: the pattern detectors and the scorer on arbitrary bytes (NUL allowed).
 *
 * Findings never carry content: a pattern finding has a known rule id and a count,
 * and every detector hit names a detector from the table. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/detect.h"
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
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  detect_scan ((const char *) data, size, hits);
  for (guint i = 0; i < hits->len; i++)
    {
      const DetectHit *hit = &g_array_index (hits, DetectHit, i);
      FUZZ_CHECK (hit->detector != NULL && detect_lookup (hit->detector->id) == hit->detector);
      FUZZ_CHECK (hit->count > 0 && hit->count <= size);
    }
  g_autoptr (GPtrArray) findings = findings_new ();
  engine_score (index_, (const char *) data, size, findings);
  for (guint i = 0; i < findings->len; i++)
    {
      const Finding *f = findings->pdata[i];
      if (f->kind == FINDING_PATTERN)
        FUZZ_CHECK (f->rule != NULL && detect_lookup (f->rule) != NULL && f->count > 0);
    }
  return 0;
}
