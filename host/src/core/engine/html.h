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
