/* html.h: the visible text of an HTML fragment (what a paste's text/html carries).
 * One linear pass, no tree and no recursion, so hostile nesting costs nothing extra. */
#pragma once

#include <glib.h>

/* Returns a g_malloc'd, NUL-terminated string of the text with tags, comments,
 * <script> and <style> bodies removed and the common entities decoded; *out_len
 * receives its length. */
char *engine_html_to_text (const char *html, gsize len, gsize *out_len);

/* Returns a g_malloc'd, NUL-terminated string of what the page receives but does not
 * show: every tag's attributes (title, alt, data-*, value...; a form field's name and
 * value also as "name=value"), comments, and <script> and <style> bodies, one per line,
 * entities decoded outside scripts; *out_len receives its length. One linear pass; the
 * result is at most about twice len. */
char *engine_html_hidden_text (const char *html, gsize len, gsize *out_len);

/* Where the text of the two functions above came from, for masking a match in the
 * HTML itself (issue 24): output bytes [out, out + out_len) come from source bytes
 * [src, src + src_len). A copy has src_len == out_len; an entity is one segment
 * ("&amp;" -> "&"); a byte the walk added (a line break, name=value's '=') has
 * src_len 0. Segments are in output order and cover the output without gaps. */
typedef struct {
  guint32 out, out_len;
  guint32 src, src_len;
} HtmlSegment;

/* As above, and the segments appended to map (a GArray of HtmlSegment). len must be
 * under 4 GiB (a request is at most 64 MiB). */
char *engine_html_to_text_mapped (const char *html, gsize len, gsize *out_len, GArray *map);
char *engine_html_hidden_text_mapped (const char *html, gsize len, gsize *out_len, GArray *map);

/* A piece of the source: html[start..end). */
typedef struct {
  gsize start, end;
} HtmlPiece;

/* The source bytes behind output bytes [from, to), as pieces appended to pieces: one
 * per run of the source that the output took in one go. What lies between two pieces
 * (tags, their attributes) produced none of the range, so removing only the pieces
 * keeps the markup. An entity is taken whole when any of it is in the range. */
void engine_html_map_range (const GArray *map, gsize from, gsize to, GArray *pieces);
