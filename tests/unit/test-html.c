/* engine/html.c: the visible text of pasted HTML, and no trouble from hostile HTML. */
#include <string.h>

#include "engine/html.h"

static char *
text_of (const char *html)
{
  gsize len = 0;
  char *text = engine_html_to_text (html, strlen (html), &len);
  g_assert_cmpuint (strlen (text), ==, len);
  return text;
}

static void
assert_text (const char *html, const char *expect)
{
  g_autofree char *text = text_of (html);
  g_assert_cmpstr (text, ==, expect);
}

static void
test_tags_and_entities (void)
{
  assert_text ("", "");
  assert_text ("plain", "plain");
  assert_text ("<b>bold</b> and <i class=\"x\">italic</i>", "bold and italic");
  assert_text ("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&apos; f&nbsp;g", "a & b <c> \"d\" 'e' f g");
  assert_text ("AT&amp;T &AMP; &unknown; &", "AT&T & &unknown; &");
}

/* Blocks end lines, so "4111</td><td>1111" does not glue two cells into one number
 * nor split one number the page showed on one line. */
static void
test_blocks_break_lines (void)
{
  assert_text ("<p>one</p><p>two</p>", "\none\n\ntwo\n");
  assert_text ("a<br>b<br/>c", "a\nb\nc");
  assert_text ("<table><tr><td>x</td><td>y</td></tr></table>", "\n\nx\ny\n");
  assert_text ("<span>4111</span> <span>1111</span>", "4111 1111");
}

static void
test_hidden_parts (void)
{
  assert_text ("a<!-- secret -->b", "ab");
  assert_text ("a<script>var s = '<b>x</b>';</script>b", "ab");
  assert_text ("a<STYLE>p { color: red }</STYLE>b", "ab");
  assert_text ("a<!-- never closed", "a");
  assert_text ("a<script>never closed", "a");
  assert_text ("a<b never closed", "a");
}

/* Bytes that are not valid HTML (or not text) pass through without a crash. */
static void
test_hostile_bytes (void)
{
  static const char odd[] = "x\0<\xff\xfe>y&";
  gsize len = 0;
  g_autofree char *text = engine_html_to_text (odd, sizeof odd - 1, &len);
  g_assert_cmpmem (text, len, "x\0y&", 4);
}

/* 100,000 nested elements: one linear pass, no recursion, output is the text. */
static void
test_deep_nesting (void)
{
  const gsize depth = 100000;
  GString *html = g_string_new (NULL);
  for (gsize i = 0; i < depth; i++)
    g_string_append (html, "<span>");
  g_string_append (html, "deep");
  for (gsize i = 0; i < depth; i++)
    g_string_append (html, "</span>");
  gsize len = 0;
  g_autofree char *text = engine_html_to_text (html->str, html->len, &len);
  g_string_free (html, TRUE);
  g_assert_cmpstr (text, ==, "deep");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/html/tags-and-entities", test_tags_and_entities);
  g_test_add_func ("/html/blocks-break-lines", test_blocks_break_lines);
  g_test_add_func ("/html/hidden-parts", test_hidden_parts);
  g_test_add_func ("/html/hostile-bytes", test_hostile_bytes);
  g_test_add_func ("/html/deep-nesting", test_deep_nesting);
  return g_test_run ();
}
