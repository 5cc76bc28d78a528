/* csv.h: RFC 4180 CSV rows (quoted fields, doubled quotes, CRLF or LF), for EDM tables.
 * Untrusted input: every field and row is capped. */
#pragma once

#include <glib.h>

#define CSV_MAX_FIELDS 1024
#define CSV_MAX_FIELD_BYTES (64 * 1024)

typedef struct {
  const char *text;
  gsize len;
  gsize pos;
  guint line;
} CsvReader;

void csv_reader_init (CsvReader *reader, const char *text, gsize len);

/* Reads the next row into cells (a GPtrArray of char*, cleared first). Returns FALSE
 * at the end of input (error unset) or on a malformed row (error set, naming the line). */
gboolean csv_read_row (CsvReader *reader, GPtrArray *cells, GError **error);

/* The same without an allocation per field: the row's fields are appended to bytes,
 * each ending with a NUL, and where each starts (its offset in bytes) to starts, a
 * GArray of gsize. A field holding a NUL byte reads as ending there, as csv_read_row's
 * strings do. Emptying bytes and starts before each row, a table is read in the memory
 * of its longest row; or rows are gathered in them, a batch at a time. */
gboolean csv_read_fields (CsvReader *reader, GString *bytes, GArray *starts, GError **error);
