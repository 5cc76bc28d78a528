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
