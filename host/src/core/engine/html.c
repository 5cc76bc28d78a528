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

/* ---- the parts a page receives but does not show ------------------------------------ */

static void
append_decoded (GString *out, const char *p, const char *end)
{
  while (p < end)
    {
      if (*p == '&')
        p = decode_entity (p, end, out);
      else
        g_string_append_c (out, *p++);
    }
  g_string_append_c (out, '\n');
}

/* The value of attribute name (case-insensitive) in the attribute text [p, end), quoted
 * or bare; FALSE when there is none. */
static gboolean
attribute_value (const char *p, const char *end, const char *name, const char **from, const char **to)
{
  gsize n = strlen (name);
  for (const char *at = p; at + n < end; at++)
    {
      if (!starts_with_ci (at, end, name) || at[n] != '=' || (at > p && !g_ascii_isspace (at[-1])))
        continue;
      const char *v = at + n + 1;
      char quote = v < end && (*v == '"' || *v == '\'') ? *v++ : 0;
      const char *stop = v;
      while (stop < end && (quote ? *stop != quote : !g_ascii_isspace (*stop)))
        stop++;
      *from = v;
      *to = stop;
      return TRUE;
    }
  return FALSE;
}

/* A tag's attributes as written (title, alt, data-*, value, href: all of them), and
 * for a form field its name and value joined as an assignment (name=value), so that
 * <input type="hidden" name="api_key" value="..."> reads like configuration. */
static void
append_attributes (GString *out, const char *p, const char *end)
{
  while (p < end && !g_ascii_isspace (*p))
    p++;                 /* the tag name */
  if (p >= end)
    return;
  append_decoded (out, p, end);
  const char *name, *name_end, *value, *value_end;
  if (attribute_value (p, end, "name", &name, &name_end) && attribute_value (p, end, "value", &value, &value_end))
    {
      append_decoded (out, name, name_end);
      out->len--;        /* join "name" and "=value" on one line */
      g_string_append_c (out, '=');
      append_decoded (out, value, value_end);
    }
}

char *
engine_html_hidden_text (const char *html, gsize len, gsize *out_len)
{
  GString *out = g_string_new (NULL);
  const char *p = html, *end = html + len;
  while (p < end)
    {
      const char *lt = memchr (p, '<', (gsize) (end - p));
      if (lt == NULL)
        break;
      p = lt;
      if (starts_with_ci (p, end, "<!--"))
        {
          const char *close = g_strstr_len (p + 4, end - p - 4, "-->");
          append_decoded (out, p + 4, close ? close : end);
          p = close ? close + 3 : end;
          continue;
        }
      if (p + 1 >= end || !g_ascii_isalpha (p[1]))
        {
          p++;
          continue;
        }
      const char *raw_close = starts_with_ci (p, end, "<script") ? "</script"
                              : starts_with_ci (p, end, "<style") ? "</style" : NULL;
      const char *gt = memchr (p, '>', (gsize) (end - p));
      append_attributes (out, p + 1, gt ? gt : end);
      p = gt ? gt + 1 : end;
      if (raw_close != NULL)
        {
          const char *body_end = skip_raw_text (p, end, raw_close);
          g_string_append_len (out, p, body_end - p);   /* code: entities stay as written */
          g_string_append_c (out, '\n');
          p = body_end;
        }
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}
