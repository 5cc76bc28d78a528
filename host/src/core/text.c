#include "text.h"

#include <string.h>

char *
text_utf8_prefix (const char *s, gsize max_chars)
{
  const char *end = s + strlen (s), *p = s;
  for (gsize i = 0; i < max_chars && p != NULL && p < end; i++)
    p = g_utf8_find_next_char (p, end);
  return g_strndup (s, (gsize) ((p != NULL ? p : end) - s));
}
