#include "csv.h"

#include "weir-error.h"

void
csv_reader_init (CsvReader *reader, const char *text, gsize len)
{
  *reader = (CsvReader) { .text = text, .len = len, .pos = 0, .line = 1 };
  /* A UTF-8 byte order mark is not part of the first header. */
  if (len >= 3 && (guchar) text[0] == 0xEF && (guchar) text[1] == 0xBB && (guchar) text[2] == 0xBF)
    reader->pos = 3;
}

static gboolean
fail (CsvReader *r, GError **error, const char *what)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_PACK, "CSV line %u: %s", r->line, what);
  return FALSE;
}

/* Reads one field; *end_of_row is set when the row ends after it. */
static gboolean
read_field (CsvReader *r, GString *field, gboolean *end_of_row, GError **error)
{
  gboolean quoted = r->pos < r->len && r->text[r->pos] == '"';
  if (quoted)
    r->pos++;
  for (;;)
    {
      if (field->len > CSV_MAX_FIELD_BYTES)
        return fail (r, error, "a field is over 64 KiB");
      if (r->pos >= r->len)
        {
          if (quoted)
            return fail (r, error, "a quoted field never ends");
          *end_of_row = TRUE;
          return TRUE;
        }
      char c = r->text[r->pos++];
      if (quoted && c == '"')
        {
          if (r->pos < r->len && r->text[r->pos] == '"')
            {
              g_string_append_c (field, '"');
              r->pos++;
              continue;
            }
          quoted = FALSE;
          continue;
        }
      if (quoted)
        {
          r->line += c == '\n';
          g_string_append_c (field, c);
          continue;
        }
      if (c == ',')
        return TRUE;
      if (c == '\n' || c == '\r')
        {
          if (c == '\r' && r->pos < r->len && r->text[r->pos] == '\n')
            r->pos++;
          r->line++;
          *end_of_row = TRUE;
          return TRUE;
        }
      g_string_append_c (field, c);
    }
}

gboolean
csv_read_row (CsvReader *reader, GPtrArray *cells, GError **error)
{
  g_ptr_array_set_size (cells, 0);
  /* Blank lines between rows are skipped. */
  while (reader->pos < reader->len && (reader->text[reader->pos] == '\n' || reader->text[reader->pos] == '\r'))
    reader->line += reader->text[reader->pos++] == '\n';
  if (reader->pos >= reader->len)
    return FALSE;
  gboolean end = FALSE;
  g_autoptr (GString) field = g_string_new (NULL);
  while (!end)
    {
      if (cells->len >= CSV_MAX_FIELDS)
        return fail (reader, error, "over 1024 fields");
      g_string_truncate (field, 0);
      if (!read_field (reader, field, &end, error))
        return FALSE;
      g_ptr_array_add (cells, g_strndup (field->str, field->len));
    }
  return TRUE;
}
