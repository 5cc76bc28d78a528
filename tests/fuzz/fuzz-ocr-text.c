/* libFuzzer: what weir-extract does with the text OCR read from an image (issue 26):
 * joining words broken at line ends, repairing digit lookalikes and PEM keys, then the
 * records. OCR's output is whatever an image makes Tesseract say, so any bytes. */
#include "fuzz.h"
#include "ex.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  Ex ex;
  ExtractBounds bounds = EXTRACT_BOUNDS_DEFAULT;
  ex_init (&ex, &bounds, size, -1);  /* -1: records are discarded */
  ex_ocr_text (&ex, "", (const char *) data, size);
  return 0;
}
