/* redact.c: spans of a request's findings in its text and HTML; see redact.h. */
#include "redact.h"

#include <string.h>

#include "engine/html.h"
#include "engine/spans.h"

void
redaction_free (Redaction *redaction)
{
  if (redaction == NULL)
    return;
  g_array_unref (redaction->kinds);
  g_array_unref (redaction->text);
  g_array_unref (redaction->html);
  g_free (redaction);
}

static void append_escaped (GString *out, const char *s);

/* The index of span's kind in kinds, added when new, its count raised. */
static gint
kind_index (Redaction *r, const EngineSpan *span)
{
  for (guint i = 0; i < r->kinds->len; i++)
    {
      RedactKind *k = &g_array_index (r->kinds, RedactKind, i);
      if (k->kind == span->kind && strcmp (k->name, span->name) == 0)
        {
          k->count++;
          return (gint) i;
        }
    }
  g_array_append_val (r->kinds, ((RedactKind) { span->kind, span->name, 1 }));
  return (gint) r->kinds->len - 1;
}

/* The pieces of one rendering of a string (the text itself, or the HTML's visible or
 * hidden text, with map from it back to the HTML): one per match, or for HTML one per
 * run of the source the match covers (the first carries the placeholder). */
static void
rendering_pieces (Redaction *r, const EngineIndex *index, const char *text, gsize len, const GArray *map,
                  GArray *pieces)
{
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (EngineSpan));
  engine_spans (index, text, len, spans);
  g_autoptr (GArray) mapped = g_array_new (FALSE, FALSE, sizeof (HtmlPiece));
  for (guint i = 0; i < spans->len; i++)
    {
      const EngineSpan *s = &g_array_index (spans, EngineSpan, i);
      g_array_set_size (mapped, 0);
      if (map != NULL)
        engine_html_map_range (map, s->start, s->end, mapped);
      else
        g_array_append_val (mapped, ((HtmlPiece) { s->start, s->end }));
      if (mapped->len == 0)
        continue;
      gint kind = kind_index (r, s);
      r->matches++;
      for (guint k = 0; k < mapped->len; k++)
        {
          const HtmlPiece *h = &g_array_index (mapped, HtmlPiece, k);
          RedactPiece piece = { h->start, h->end, k == 0 ? kind : -1 };
          g_array_append_val (pieces, piece);
        }
    }
}

static int
piece_compare (gconstpointer a, gconstpointer b)
{
  const RedactPiece *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return x->end > y->end ? -1 : x->end < y->end;
}

/* In order and disjoint: a piece that overlaps the one before joins it; the first
 * placeholder of the two is kept. */
static void
pieces_merge (GArray *pieces)
{
  g_array_sort (pieces, piece_compare);
  guint kept = 0;
  for (guint i = 0; i < pieces->len; i++)
    {
      RedactPiece p = g_array_index (pieces, RedactPiece, i);
      RedactPiece *last = kept > 0 ? &g_array_index (pieces, RedactPiece, kept - 1) : NULL;
      if (last != NULL && p.start < last->end)
        {
          last->end = MAX (last->end, p.end);
          if (last->kind < 0)
            last->kind = p.kind;
        }
      else
        g_array_index (pieces, RedactPiece, kept++) = p;
    }
  g_array_set_size (pieces, kept);
}

/* The pieces of s: its matches as text, or in HTML those of its visible and of its
 * hidden text. */
static void
string_pieces (Redaction *r, const EngineIndex *index, const char *s, gsize len, gboolean html, GArray *pieces)
{
  if (!html)
    {
      rendering_pieces (r, index, s, len, NULL, pieces);
      return;
    }
  gsize shown_len = 0, hidden_len = 0;
  g_autoptr (GArray) map = g_array_new (FALSE, FALSE, sizeof (HtmlSegment));
  g_autofree char *shown = engine_html_to_text_mapped (s, len, &shown_len, map);
  rendering_pieces (r, index, shown, shown_len, map, pieces);
  g_array_set_size (map, 0);
  g_autofree char *hidden = engine_html_hidden_text_mapped (s, len, &hidden_len, map);
  rendering_pieces (r, index, hidden, hidden_len, map, pieces);
}

/* Where byte x of the masked string was in the original: outside a placeholder, the
 * same byte shifted; inside one (or at its start), its piece's start, or for an end
 * its piece's end. lens[i]: the bytes piece i became. */
static gsize
unmask_offset (const GArray *pieces, const gsize *lens, gsize x, gboolean is_end)
{
  gssize shift = 0;
  for (guint i = 0; i < pieces->len; i++)
    {
      const RedactPiece *p = &g_array_index (pieces, RedactPiece, i);
      gsize at = (gsize) ((gssize) p->start + shift);   /* the piece's place in the masked string */
      if (x < at || (x == at && is_end))
        break;
      if (x < at + lens[i] || (x == at + lens[i] && is_end && lens[i] > 0 && x > at))
        return is_end ? p->end : p->start;
      shift += (gssize) lens[i] - (gssize) (p->end - p->start);
    }
  return (gsize) ((gssize) x - shift);
}

/* Masking one match can reveal another: a token that ran into a key's BEGIN line was
 * not a whole token until the key became "[Private key removed]". So the string is
 * masked and scanned again, and what is found is mapped back, until a scan finds
 * nothing (at most a few rounds; else the redaction is incomplete). */
static void
pieces_settle (Redaction *r, const EngineIndex *index, const char *s, gboolean html, GArray *pieces)
{
  gsize len = strlen (s);
  string_pieces (r, index, s, len, html, pieces);
  pieces_merge (pieces);
  for (guint round = 0; round < 4 && pieces->len > 0; round++)
    {
      g_auto (GStrv) placeholders = redaction_default_placeholders (r);
      g_autofree char *masked = redaction_mask (s, len, pieces, (const char *const *) placeholders, html);
      g_autoptr (GArray) fresh = g_array_new (FALSE, FALSE, sizeof (RedactPiece));
      guint matches = r->matches;
      string_pieces (r, index, masked, strlen (masked), html, fresh);
      if (fresh->len == 0)
        return;
      r->matches = matches + 1;   /* what was revealed counts, once a round at least */
      g_autofree gsize *lens = g_new (gsize, pieces->len);
      for (guint i = 0; i < pieces->len; i++)
        {
          gint kind = g_array_index (pieces, RedactPiece, i).kind;
          g_autofree char *one = NULL;
          if (kind >= 0 && html)
            {
              GString *e = g_string_new (NULL);
              append_escaped (e, placeholders[kind]);
              one = g_string_free (e, FALSE);
            }
          lens[i] = kind < 0 ? 0 : strlen (one != NULL ? one : placeholders[kind]);
        }
      for (guint i = 0; i < fresh->len; i++)
        {
          RedactPiece *f = &g_array_index (fresh, RedactPiece, i);
          f->start = unmask_offset (pieces, lens, f->start, FALSE);
          f->end = unmask_offset (pieces, lens, f->end, TRUE);
        }
      g_array_append_vals (pieces, fresh->data, fresh->len);
      pieces_merge (pieces);
    }
  r->incomplete = TRUE;
}

Redaction *
redaction_new (const ScanRequest *request, const EngineIndex *index)
{
  Redaction *r = g_new0 (Redaction, 1);
  r->kinds = g_array_new (FALSE, FALSE, sizeof (RedactKind));
  r->text = g_array_new (FALSE, FALSE, sizeof (RedactPiece));
  r->html = g_array_new (FALSE, FALSE, sizeof (RedactPiece));
  if (request->text != NULL)
    pieces_settle (r, index, request->text, FALSE, r->text);
  if (request->html != NULL)
    pieces_settle (r, index, request->html, TRUE, r->html);
  return r;
}

GStrv
redaction_default_placeholders (const Redaction *r)
{
  GStrv out = g_new0 (char *, r->kinds->len + 1);
  for (guint i = 0; i < r->kinds->len; i++)
    {
      const RedactKind *k = &g_array_index (r->kinds, RedactKind, i);
      out[i] = engine_span_placeholder (k->kind, k->name);
    }
  return out;
}

static void
append_escaped (GString *out, const char *s)
{
  for (; *s != '\0'; s++)
    switch (*s)
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      default: g_string_append_c (out, *s);
      }
}

char *
redaction_mask (const char *s, gsize len, const GArray *pieces, const char *const *placeholders,
                gboolean html)
{
  GString *out = g_string_sized_new (len + 16);
  gsize at = 0;
  for (guint i = 0; i < pieces->len; i++)
    {
      const RedactPiece *p = &g_array_index (pieces, RedactPiece, i);
      g_assert (p->start >= at && p->end <= len && p->start <= p->end);
      g_string_append_len (out, s + at, (gssize) (p->start - at));
      if (p->kind >= 0 && html)
        append_escaped (out, placeholders[p->kind]);
      else if (p->kind >= 0)
        g_string_append (out, placeholders[p->kind]);
      at = p->end;
    }
  g_string_append_len (out, s + at, (gssize) (len - at));
  return g_string_free (out, FALSE);
}

/* UTF-16 code units of the UTF-8 bytes s[from..to): one per character, two for one
 * outside the Basic Multilingual Plane (a four-byte sequence). */
static gsize
utf16_units (const char *s, gsize from, gsize to)
{
  gsize n = 0;
  for (gsize i = from; i < to; i++)
    {
      guchar c = (guchar) s[i];
      n += (c & 0xC0) != 0x80;
      n += c >= 0xF0;
    }
  return n;
}

cJSON *
redaction_pieces_json (const char *s, const GArray *pieces)
{
  cJSON *list = cJSON_CreateArray ();
  gsize byte = 0, unit = 0;
  for (guint i = 0; i < pieces->len; i++)
    {
      const RedactPiece *p = &g_array_index (pieces, RedactPiece, i);
      unit += utf16_units (s, byte, p->start);
      gsize length = utf16_units (s, p->start, p->end);
      cJSON *item = cJSON_CreateArray ();
      cJSON_AddItemToArray (item, cJSON_CreateNumber ((double) unit));
      cJSON_AddItemToArray (item, cJSON_CreateNumber ((double) length));
      cJSON_AddItemToArray (item, cJSON_CreateNumber (p->kind));
      cJSON_AddItemToArray (list, item);
      unit += length;
      byte = p->end;
    }
  return list;
}
