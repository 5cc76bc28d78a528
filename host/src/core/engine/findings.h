/* findings.h: what the engine found in a piece of content, before any policy.
 *
 * A finding names what matched (a detector, a document, an EDM table) and how much,
 * never the matched value. Findings own their strings. */
#pragma once

#include <glib.h>

typedef enum {
  FINDING_PATTERN,   /* a pattern detector: rule + count */
  FINDING_DOCUMENT,  /* a protected document: name + label + score */
  FINDING_EDM,       /* exact data match: name (table) + label + count + detail (columns) */
  FINDING_COPIED,    /* text copied out of a source origin group (issue 25): name (the
                      * source) + words + at */
} FindingKind;

typedef struct {
  FindingKind kind;
  char *rule;    /* detector id for FINDING_PATTERN; NULL otherwise */
  char *name;    /* document or table name; NULL for patterns */
  char *label;   /* the pack's label; NULL for patterns */
  char *detail;  /* e.g. EDM column names joined by ","; may be NULL */
  char *file;    /* the file it was found in, its name as sent; NULL for text and HTML
                  * (set by the scan, which knows files; the engine leaves it NULL) */
  char *where;   /* where inside that file (a sheet, an archive member); may be NULL */
  guint count;   /* matches (patterns, EDM records) or matched fingerprints (documents) */
  guint longest; /* documents, copied: longest in-order run, in normalised words */
  guint words;   /* documents, copied: words of the content covered by matched runs */
  double score;  /* documents, copied: share of the paste covered, 0..1; else 1 */
  gint64 at;     /* copied: when it was copied, unix seconds; else 0 */
  gboolean ocr;  /* found in text read from an image by OCR (issue 26): it may hold OCR's errors */
} Finding;

Finding *finding_new (FindingKind kind);
void finding_free (Finding *finding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Finding, finding_free)

/* A GPtrArray of Finding* that frees them. */
GPtrArray *findings_new (void);

const char *finding_kind_name (FindingKind kind);
