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

/* Appends one field's bytes to field; *end_of_row is set when the row ends after it. */
static gboolean
read_field (CsvReader *r, GString *field, gsize start, gboolean *end_of_row, GError **error)
{
  gboolean quoted = r->pos < r->len && r->text[r->pos] == '"';
  if (quoted)
    r->pos++;
  for (;;)
    {
      if (field->len - start > CSV_MAX_FIELD_BYTES)
        return fail (r, error, "a field is over 64 KiB");
      if (r->pos >= r->len)
        {
          if (quoted)
            return fail (r, error, "a quoted field never ends");
          *end_of_row = TRUE;
          return TRUE;
        }
      if (!quoted)
        {
          /* The run up to the next separator in one append: most fields are plain. */
          const char *p = r->text + r->pos, *end = r->text + r->len;
          const char *q = p;
          while (q < end && *q != ',' && *q != '\n' && *q != '\r')
            q++;
          if (q > p)
            {
              if (field->len - start + (gsize) (q - p) > CSV_MAX_FIELD_BYTES)
                return fail (r, error, "a field is over 64 KiB");
              g_string_append_len (field, p, q - p);
              r->pos += (gsize) (q - p);
              continue;
            }
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
      /* c is '\n' or '\r' */
      if (c == '\r' && r->pos < r->len && r->text[r->pos] == '\n')
        r->pos++;
      r->line++;
      *end_of_row = TRUE;
      return TRUE;
    }
}

gboolean
csv_read_fields (CsvReader *reader, GString *bytes, GArray *starts, GError **error)
{
  guint first = starts->len;
  /* Blank lines between rows are skipped. */
  while (reader->pos < reader->len && (reader->text[reader->pos] == '\n' || reader->text[reader->pos] == '\r'))
    reader->line += reader->text[reader->pos++] == '\n';
  if (reader->pos >= reader->len)
    return FALSE;
  gboolean end = FALSE;
  while (!end)
    {
      if (starts->len - first >= CSV_MAX_FIELDS)
        return fail (reader, error, "over 1024 fields");
      gsize start = bytes->len;
      if (!read_field (reader, bytes, start, &end, error))
        return FALSE;
      g_array_append_val (starts, start);
      g_string_append_c (bytes, '\0');
    }
  return TRUE;
}

gboolean
csv_read_row (CsvReader *reader, GPtrArray *cells, GError **error)
{
  g_ptr_array_set_size (cells, 0);
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  if (!csv_read_fields (reader, bytes, starts, error))
    return FALSE;
  for (guint i = 0; i < starts->len; i++)
    g_ptr_array_add (cells, g_strdup (bytes->str + g_array_index (starts, gsize, i)));
  return TRUE;
}
