/* fuzz-extract: weir-extract's parsers (sniffing, OOXML and ODF through libarchive and
 * expat, PDF through poppler, RTF, e-mail through GMime, every archive format and
 * compressor), in process, with records discarded.
 *
 * Small bounds keep each input fast; what must hold is what the sandbox cannot give:
 * no memory fault, no leak, no runaway. The seeds are files LibreOffice, zip, 7z, qpdf
 * and Python's email package made (tests/extract/fixtures.py). */
#include <gmime/gmime.h>
#include <stdint.h>

#include "ex.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_mime_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ExtractBounds bounds = EXTRACT_BOUNDS_DEFAULT;
  bounds.max_inflated = 16u << 20;
  bounds.max_pages = 50;
  bounds.max_members = 200;
  Ex ex;
  ex_init (&ex, &bounds, size, -1);
  ex_file (&ex, "", "fuzz", NULL, data, size, 0);
  FUZZ_CHECK (ex.inflated <= bounds.max_inflated + 65536 + (guint64) size * 4 + (16u << 20));
  return 0;
}
