#include "html.h"

#include <string.h>

static gboolean
starts_with_ci (const char *p, const char *end, const char *word)
{
  gsize n = strlen (word);
  return (gsize) (end - p) >= n && g_ascii_strncasecmp (p, word, n) == 0;
}

/* Skips past the end of a <script> or <style> body, or to end. */
static const char *
skip_raw_text (const char *p, const char *end, const char *close)
{
  for (; p < end; p++)
    if (*p == '<' && starts_with_ci (p, end, close))
      return p;
  return end;
}

static const char *
decode_entity (const char *p, const char *end, GString *out)
{
  static const struct { const char *name; const char *text; } entities[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
    { "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " }, { "&#160;", " " },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
    if (starts_with_ci (p, end, entities[i].name))
      {
        g_string_append (out, entities[i].text);
        return p + strlen (entities[i].name);
      }
  g_string_append_c (out, '&');
  return p + 1;
}

/* Block-level tags end a line, so words on either side do not run together. */
static gboolean
tag_breaks_line (const char *p, const char *end)
{
  static const char *const blocks[] = { "<br", "<p", "</p", "<div", "</div", "<li", "<tr",
                                        "</tr", "<h", "</h", "<td", "<pre", "</pre" };
  for (gsize i = 0; i < G_N_ELEMENTS (blocks); i++)
    if (starts_with_ci (p, end, blocks[i]))
      return TRUE;
  return FALSE;
}

char *
engine_html_to_text (const char *html, gsize len, gsize *out_len)
{
  GString *out = g_string_sized_new (len / 2 + 1);
  const char *p = html, *end = html + len;
  while (p < end)
    {
      if (*p == '&')
        {
          p = decode_entity (p, end, out);
          continue;
        }
      if (*p != '<')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      if (starts_with_ci (p, end, "<!--"))
        {
          const char *close = g_strstr_len (p + 4, end - p - 4, "-->");
          p = close ? close + 3 : end;
          continue;
        }
      const char *raw_close = starts_with_ci (p, end, "<script") ? "</script"
                              : starts_with_ci (p, end, "<style") ? "</style" : NULL;
      if (tag_breaks_line (p, end))
        g_string_append_c (out, '\n');
      const char *gt = memchr (p, '>', (gsize) (end - p));
      p = gt ? gt + 1 : end;
      if (raw_close != NULL)
        p = skip_raw_text (p, end, raw_close);
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}
