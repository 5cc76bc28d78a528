#include "score.h"

#include "detect.h"

void
engine_score (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings)
{
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  detect_scan (text, len, hits);
  for (guint i = 0; i < hits->len; i++)
    {
      const DetectHit *hit = &g_array_index (hits, DetectHit, i);
      Finding *finding = finding_new (FINDING_PATTERN);
      finding->rule = g_strdup (hit->detector->id);
      finding->count = hit->count;
      g_ptr_array_add (findings, finding);
    }
  if (index != NULL)
    engine_index_match (index, text, len, findings);
}
