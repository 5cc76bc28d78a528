/* ex-xml.h: the text of an XML part (expat), as the office formats lay it out. */
#pragma once

#include "ex.h"

/* How a part's text is cut into records. */
typedef enum {
  XML_PLAIN,       /* one record: the part */
  XML_SHEET,       /* an OOXML worksheet: cells resolved through shared strings */
  XML_ODF,         /* ODF content: one record per sheet (ods) or slide (odp) */
} XmlMode;

typedef struct {
  XmlMode mode;
  const GPtrArray *shared;  /* XML_SHEET: the shared strings (char*), may be NULL */
} XmlOptions;

/* Emits the text of one XML part under where (XML_ODF: where › "sheet NAME" or
 * "slide N" per table or page). FALSE when the XML is malformed or declares a DTD
 * (an 'U' record is then the caller's to emit). */
gboolean ex_xml_text (Ex *ex, const char *where, const guchar *data, gsize len, const XmlOptions *options);

/* The shared strings of an OOXML workbook: one char* per <si>. Caller unrefs. */
GPtrArray *ex_xml_shared_strings (const guchar *data, gsize len);

/* Pairs of attribute values (a, b) of every element called element (local names),
 * e.g. ("sheet", "name", "id") or ("Relationship", "Id", "Target"); a missing value is
 * "". Returned flat: a0, b0, a1, b1... Caller unrefs. */
GPtrArray *ex_xml_attr_pairs (const guchar *data, gsize len, const char *element, const char *a,
                              const char *b);

/* Whether an element called element (local name) occurs. */
gboolean ex_xml_has_element (const guchar *data, gsize len, const char *element);
