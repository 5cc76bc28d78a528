/* detect.h: the pattern detectors (cards, IBANs, national ids, keys and tokens).
 *
 * Pure code: it cannot fail. All detectors run in one pass over the text; a candidate
 * found by the prefilter is kept only when its validator (checksum, issuer range,
 * entropy, placeholder filter) accepts it. Matched values never leave this module:
 * callers get counts. */
#pragma once

#include <glib.h>

typedef enum {
  DETECT_SEVERITY_LOW = 1,
  DETECT_SEVERITY_MEDIUM = 2,
  DETECT_SEVERITY_HIGH = 3,
} DetectSeverity;

typedef struct {
  const char *id;       /* stable rule id used by policies, e.g. "credit-card" */
  const char *title;    /* a short human name, e.g. "Payment card number" */
  DetectSeverity severity;
} DetectorInfo;

typedef struct {
  const DetectorInfo *detector;
  guint count;          /* how many distinct matches */
} DetectHit;

/* Every detector, in a fixed order; *n receives the count. */
const DetectorInfo *detect_detectors (gsize *n);

/* NULL when no detector has that id. */
const DetectorInfo *detect_lookup (const char *id);

/* Scans text[0..len) (any bytes; NUL is allowed) and appends one DetectHit per detector
 * that matched to hits, a GArray of DetectHit, in detect_detectors() order. A count is
 * of distinct values: the same card twice, spaced or not, counts once. Time is linear
 * in len whatever the bytes. docs/detectors.md has every rule and its source. */
void detect_scan (const char *text, gsize len, GArray *hits);

/* Where a match is: text[start..end), every byte the match covers (a private key from
 * its BEGIN line to its END line, an assigned secret's value without its key). */
typedef struct {
  gsize start, end;
  const DetectorInfo *detector;
} DetectSpan;

/* detect_scan, and one DetectSpan per match (every occurrence, not distinct values)
 * appended to spans: the walk's in text order, then the rows of a table of people;
 * sort and merge them (engine_spans does). */
void detect_scan_spans (const char *text, gsize len, GArray *hits, GArray *spans);
