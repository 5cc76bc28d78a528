/* libFuzzer target: any bytes as pasted HTML. The text is never longer than the input
 * (entities only shrink, tags vanish, a block tag adds one newline for at least two bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/html.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize len = 0;
  g_autofree char *text = engine_html_to_text ((const char *) data, size, &len);
  if (text == NULL || len > size || text[len] != '\0')
    abort ();
  return 0;
}
