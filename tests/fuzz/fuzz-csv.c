/* libFuzzer: CSV rows and EDM column specs, as pack build reads them. */
#include <string.h>

#include "pack/csv.h"
#include "fuzz.h"
#include "pack/pack-build.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  CsvReader reader;
  GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
  csv_reader_init (&reader, (const char *) data, size);
  while (csv_read_row (&reader, cells, NULL))
    ;
  g_ptr_array_unref (cells);
  /* The first line is the spec, the rest the table. */
  const guint8 *nl = memchr (data, '\n', size);
  if (nl != NULL)
    {
      char *spec = g_strndup ((const char *) data, (gsize) (nl - data));
      PackBuilder *b = pack_builder_new ("f", "f");
      if (pack_builder_set_edm (b, "t", (const char *) nl + 1, size - (gsize) (nl + 1 - data), spec, NULL))
        index_pack_free (pack_builder_finish (b, NULL));
      else
        pack_builder_free (b);
      g_free (spec);
    }
  return 0;
}
