/* json-syntax.h: where and why a JSON text is malformed, for error messages that an
 * admin can act on. cJSON says only where it gave up; this walks the text by the
 * grammar (RFC 8259) and names what was expected at the first mistake. */
#pragma once

#include <glib.h>

typedef struct {
  gsize offset;      /* byte offset of the mistake */
  guint line;        /* 1-based */
  guint column;      /* 1-based, in characters (UTF-8 code points) */
  const char *what;  /* static text, e.g. "expected ',' or '}'" */
} JsonSyntaxError;

/* FALSE with *out filled at the first mistake; TRUE when text is one well-formed JSON
 * value with only white space around it. Never reads past len. */
gboolean json_syntax_check (const char *text, gsize len, JsonSyntaxError *out);

/* Fills offset, line and column for a byte offset into text (what is left NULL). */
void json_syntax_locate (const char *text, gsize len, gsize offset, JsonSyntaxError *out);
