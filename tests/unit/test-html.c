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

static char *
hidden_of (const char *html)
{
  gsize len = 0;
  char *text = engine_html_hidden_text (html, strlen (html), &len);
  g_assert_cmpuint (strlen (text), ==, len);
  return text;
}

/* What the page receives but does not show: attributes, comments, scripts, styles,
 * and a form field's name and value as an assignment. */
static void
test_hidden_text (void)
{
  g_autofree char *a = hidden_of ("<img src=\"x.png\" alt=\"card 4111 1111 1111 1111\"> text");
  g_assert_nonnull (strstr (a, "alt=\"card 4111 1111 1111 1111\""));
  g_autofree char *b = hidden_of ("<p title='A &amp; B' data-k=\"{&quot;t&quot;:1}\">x</p>");
  g_assert_nonnull (strstr (b, "title='A & B' data-k=\"{\"t\":1}\""));
  g_autofree char *c = hidden_of ("a<!-- key AKIA -->b<script>var k = '&amp;';</script><style>p{}</style>");
  g_assert_nonnull (strstr (c, " key AKIA \n"));
  g_assert_nonnull (strstr (c, "var k = '&amp;';\n"));
  g_assert_nonnull (strstr (c, "p{}\n"));
  g_autofree char *d = hidden_of ("<input type=\"hidden\" name=\"api_key\" value=\"Xk9#mQ2$vLp7\">");
  g_assert_nonnull (strstr (d, "\napi_key=Xk9#mQ2$vLp7\n"));
  g_autofree char *e = hidden_of ("plain text, <b>bold</b>, a < b, <");
  g_assert_cmpstr (e, ==, "");
  g_autofree char *f = hidden_of ("<a href='x' never closed");
  g_assert_nonnull (strstr (f, "href='x' never closed"));
}

/* Hostile input stays linear: a megabyte of attributes and unclosed comments. */
static void
test_hidden_hostile (void)
{
  static const char *const units[] = { "<a b=c>", "<!--", "<script>", "<i name=n value=v>", "<<" };
  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    {
      GString *s = g_string_new (NULL);
      while (s->len < (1 << 20))
        g_string_append (s, units[u]);
      gsize len = 0;
      g_autofree char *text = engine_html_hidden_text (s->str, s->len, &len);
      g_assert_cmpuint (len, <=, 2 * s->len + 1);
      g_string_free (s, TRUE);
    }
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
  g_test_add_func ("/html/hidden-text", test_hidden_text);
  g_test_add_func ("/html/hidden-hostile", test_hidden_hostile);
  return g_test_run ();
}
