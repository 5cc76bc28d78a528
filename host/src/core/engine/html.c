#include "html.h"

#include <string.h>

/* What the walks write: the text, and when asked for, where each run of it came from. */
typedef struct {
  GString *s;
  const char *html;   /* the source, for offsets */
  GArray *map;        /* HtmlSegment, or NULL */
} Out;

/* Notes that out's next n bytes come from the source's [src, src + src_len): a copy
 * (n == src_len), an entity (decoded), or nothing of the source (src_len 0). Copies
 * that continue the segment before them extend it. */
static void
out_note (Out *o, const char *src, gsize src_len, gsize n)
{
  if (o->map == NULL || n == 0)
    return;
  guint32 at = (guint32) (src - o->html), out = (guint32) o->s->len;
  if (o->map->len > 0 && src_len == n)
    {
      HtmlSegment *last = &g_array_index (o->map, HtmlSegment, o->map->len - 1);
      if (last->src_len == last->out_len && last->src_len > 0 && last->src + last->src_len == at
          && last->out + last->out_len == out)
        {
          last->src_len += (guint32) n;
          last->out_len += (guint32) n;
          return;
        }
    }
  HtmlSegment seg = { out, (guint32) n, at, (guint32) src_len };
  g_array_append_val (o->map, seg);
}

static void
out_copy (Out *o, const char *src, gsize n)
{
  out_note (o, src, n, n);
  g_string_append_len (o->s, src, (gssize) n);
}

/* A byte that is not in the source (a line break, the '=' of name=value), placed at src. */
static void
out_synth (Out *o, const char *src, char c)
{
  out_note (o, src, 0, 1);
  g_string_append_c (o->s, c);
}

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
decode_entity (const char *p, const char *end, Out *out)
{
  static const struct { const char *name; const char *text; } entities[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
    { "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " }, { "&#160;", " " },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
    if (starts_with_ci (p, end, entities[i].name))
      {
        gsize n = strlen (entities[i].name);
        out_note (out, p, n, strlen (entities[i].text));
        g_string_append (out->s, entities[i].text);
        return p + n;
      }
  out_copy (out, p, 1);
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
  return engine_html_to_text_mapped (html, len, out_len, NULL);
}

char *
engine_html_to_text_mapped (const char *html, gsize len, gsize *out_len, GArray *map)
{
  Out o = { g_string_sized_new (len / 2 + 1), html, map }, *out = &o;
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
          const char *run = p;
          while (p < end && *p != '<' && *p != '&')
            p++;
          out_copy (out, run, (gsize) (p - run));
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
        out_synth (out, p, '\n');
      const char *gt = memchr (p, '>', (gsize) (end - p));
      p = gt ? gt + 1 : end;
      if (raw_close != NULL)
        p = skip_raw_text (p, end, raw_close);
    }
  *out_len = o.s->len;
  return g_string_free (o.s, FALSE);
}

/* ---- the parts a page receives but does not show ------------------------------------ */

static void
append_decoded (Out *out, const char *p, const char *end)
{
  while (p < end)
    {
      if (*p == '&')
        p = decode_entity (p, end, out);
      else
        {
          const char *run = p;
          while (p < end && *p != '&')
            p++;
          out_copy (out, run, (gsize) (p - run));
        }
    }
  out_synth (out, end, '\n');
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
append_attributes (Out *out, const char *p, const char *end)
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
      out->s->len--;     /* join "name" and "=value" on one line */
      out->s->str[out->s->len] = '\0';
      if (out->map != NULL)
        g_array_set_size (out->map, out->map->len - 1);   /* the '\n' just written */
      out_synth (out, name_end, '=');
      append_decoded (out, value, value_end);
    }
}

char *
engine_html_hidden_text (const char *html, gsize len, gsize *out_len)
{
  return engine_html_hidden_text_mapped (html, len, out_len, NULL);
}

char *
engine_html_hidden_text_mapped (const char *html, gsize len, gsize *out_len, GArray *map)
{
  Out o = { g_string_new (NULL), html, map }, *out = &o;
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
          out_copy (out, p, (gsize) (body_end - p));   /* code: entities stay as written */
          out_synth (out, body_end, '\n');
          p = body_end;
        }
    }
  *out_len = o.s->len;
  return g_string_free (o.s, FALSE);
}

/* The segment that holds output byte at (segments are in output order, gapless). */
static const HtmlSegment *
segment_at (const GArray *map, gsize at)
{
  guint lo = 0, hi = map->len;
  while (hi - lo > 1)
    {
      guint mid = lo + (hi - lo) / 2;
      if (g_array_index (map, HtmlSegment, mid).out <= at)
        lo = mid;
      else
        hi = mid;
    }
  return map->len > 0 ? &g_array_index (map, HtmlSegment, lo) : NULL;
}

void
engine_html_map_range (const GArray *map, gsize from, gsize to, GArray *pieces)
{
  const HtmlSegment *seg = from < to ? segment_at (map, from) : NULL;
  const HtmlSegment *stop = map->len > 0 ? &g_array_index (map, HtmlSegment, map->len - 1) + 1 : NULL;
  HtmlPiece *open = NULL;
  for (; seg != NULL && seg < stop && seg->out < to; seg++)
    {
      if (seg->src_len == 0)
        continue;   /* nothing of the source to remove */
      gsize lo = seg->src, hi = seg->src + seg->src_len;
      if (seg->src_len == seg->out_len)   /* a copy: byte for byte */
        {
          lo = seg->src + (from > seg->out ? from - seg->out : 0);
          hi = seg->src + MIN (to - seg->out, (gsize) seg->out_len);
        }
      if (open != NULL && open->end == lo)
        open->end = hi;
      else
        {
          g_array_append_val (pieces, ((HtmlPiece) { lo, hi }));
          open = &g_array_index (pieces, HtmlPiece, pieces->len - 1);
        }
    }
}
