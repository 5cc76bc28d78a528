/* spans.c: the places of findings in a text; see spans.h. */
#include "spans.h"

#include "detect.h"

static int
span_compare (gconstpointer a, gconstpointer b)
{
  const EngineSpan *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return x->end > y->end ? -1 : x->end < y->end;
}

void
engine_spans_merge (GArray *spans)
{
  g_array_sort (spans, span_compare);
  guint kept = 0;
  for (guint i = 0; i < spans->len; i++)
    {
      EngineSpan *s = &g_array_index (spans, EngineSpan, i);
      if (s->end <= s->start)
        continue;
      EngineSpan *last = kept > 0 ? &g_array_index (spans, EngineSpan, kept - 1) : NULL;
      if (last != NULL && s->start < last->end)
        last->end = MAX (last->end, s->end);
      else
        g_array_index (spans, EngineSpan, kept++) = *s;
    }
  g_array_set_size (spans, kept);
}

static void
pattern_spans (const char *text, gsize len, GArray *spans)
{
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (DetectSpan));
  detect_scan_spans (text, len, hits, found);
  for (guint i = 0; i < found->len; i++)
    {
      const DetectSpan *d = &g_array_index (found, DetectSpan, i);
      EngineSpan span = { d->start, d->end, FINDING_PATTERN, d->detector->id };
      g_array_append_val (spans, span);
    }
}

void
engine_spans (const EngineIndex *index, const char *text, gsize len, GArray *spans)
{
  g_return_if_fail (text != NULL || len == 0);
  pattern_spans (text, len, spans);
  if (index != NULL)
    engine_index_spans (index, text, len, spans);
  engine_spans_merge (spans);
}

char *
engine_span_placeholder (FindingKind kind, const char *name)
{
  if (kind == FINDING_PATTERN)
    {
      const DetectorInfo *info = detect_lookup (name);
      return g_strdup_printf ("[%s removed]", info != NULL ? info->title : name);
    }
  return g_strdup_printf ("[%s record removed]", name);
}
