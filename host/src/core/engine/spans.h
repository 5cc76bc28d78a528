/* spans.h: where in a text the engine's pattern and exact-data findings are, so that a
 * paste can be inserted with them masked (issue 24). Pure: it cannot fail.
 *
 * A span names what it covers (a detector id, or an EDM table's name) and where, as
 * byte offsets into the text it was computed on; never the bytes themselves. Document
 * fingerprints have no spans: the protected document is the paste. */
#pragma once

#include <glib.h>

#include "findings.h"
#include "index.h"

typedef struct {
  gsize start, end;        /* text[start..end), end exclusive */
  FindingKind kind;        /* FINDING_PATTERN or FINDING_EDM */
  const char *name;        /* detector id (static) or EDM table name (the index's) */
} EngineSpan;

/* Appends to spans (a GArray of EngineSpan) every match of every pattern detector and
 * every value of every matched EDM record of index (NULL: none) in text[0..len), then
 * sorts them by start and merges overlapping ones (the earlier span's name stays). */
void engine_spans (const EngineIndex *index, const char *text, gsize len, GArray *spans);

/* Sorts spans by start and merges spans that overlap or touch-overlap; the span that
 * starts first keeps its name. */
void engine_spans_merge (GArray *spans);

/* The default placeholder for a span of kind and name, "[AWS access key removed]":
 * the detector's title, or the table's name. Caller frees. */
char *engine_span_placeholder (FindingKind kind, const char *name);
