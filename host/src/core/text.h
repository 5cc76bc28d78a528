/* text.h: small helpers on UTF-8 text from requests. */
#pragma once

#include <glib.h>

/* The first max_chars characters of s, copied; caller frees. g_utf8_substring() cannot
 * do this: it walks to its end offset even past the end of a shorter string (found by
 * fuzzing). */
char *text_utf8_prefix (const char *s, gsize max_chars);
