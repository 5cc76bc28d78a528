#include "json-syntax.h"

#include <string.h>

/* cJSON refuses deeper nesting than this too; it also keeps the walk's stack small. */
#define JSON_SYNTAX_MAX_DEPTH 1000

typedef struct {
  const char *text;
  gsize len;
  gsize pos;
  guint depth;
  const char *what;  /* set at the first mistake; pos is where */
} Walk;

static gboolean
walk_value (Walk *w);

static gboolean
walk_fail (Walk *w, const char *what)
{
  w->what = what;
  return FALSE;
}

static void
walk_space (Walk *w)
{
  while (w->pos < w->len && strchr (" \t\r\n", w->text[w->pos]) != NULL && w->text[w->pos] != '\0')
    w->pos++;
}

static gboolean
walk_at_end (const Walk *w)
{
  return w->pos >= w->len;
}

static gboolean
walk_string (Walk *w)
{
  gsize open = w->pos++;
  while (w->pos < w->len)
    {
      unsigned char c = (unsigned char) w->text[w->pos];
      if (c == '"')
        {
          w->pos++;
          return TRUE;
        }
      if (c < 0x20)
        return walk_fail (w, c == '\n' ? "a line break inside a string (close the string, or write \\n)"
                                       : "a control character inside a string (escape it)");
      if (c == '\\')
        {
          char e = w->pos + 1 < w->len ? w->text[w->pos + 1] : '\0';
          if (e == 'u')
            {
              for (gsize i = 2; i < 6; i++)
                if (w->pos + i >= w->len || !g_ascii_isxdigit (w->text[w->pos + i]))
                  return walk_fail (w, "\\u needs four hex digits");
              w->pos += 6;
              continue;
            }
          if (e == '\0' || strchr ("\"\\/bfnrt", e) == NULL)
            return walk_fail (w, "an unknown escape: a backslash is written \\\\");
          w->pos += 2;
          continue;
        }
      w->pos++;
    }
  w->pos = open;
  return walk_fail (w, "a string that is never closed (a missing '\"')");
}

static gboolean
walk_digits (Walk *w)
{
  gsize start = w->pos;
  while (w->pos < w->len && g_ascii_isdigit (w->text[w->pos]))
    w->pos++;
  return w->pos > start || walk_fail (w, "expected a digit");
}

static gboolean
walk_number (Walk *w)
{
  if (w->text[w->pos] == '-')
    w->pos++;
  if (w->pos < w->len && w->text[w->pos] == '0')
    w->pos++;
  else if (!walk_digits (w))
    return FALSE;
  if (w->pos < w->len && w->text[w->pos] == '.')
    {
      w->pos++;
      if (!walk_digits (w))
        return FALSE;
    }
  if (w->pos < w->len && (w->text[w->pos] == 'e' || w->text[w->pos] == 'E'))
    {
      w->pos++;
      if (w->pos < w->len && (w->text[w->pos] == '+' || w->text[w->pos] == '-'))
        w->pos++;
      if (!walk_digits (w))
        return FALSE;
    }
  return TRUE;
}

static gboolean
walk_word (Walk *w)
{
  static const char *const words[] = { "true", "false", "null" };
  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    {
      gsize n = strlen (words[i]);
      if (w->len - w->pos >= n && memcmp (w->text + w->pos, words[i], n) == 0)
        {
          w->pos += n;
          return TRUE;
        }
    }
  return walk_fail (w, "expected a value: a string in double quotes, a number, true, false, null, "
                       "a list [...] or an object {...}");
}

/* The members of an object or the items of a list, after the opening bracket. */
static gboolean
walk_members (Walk *w, char close, gboolean object)
{
  walk_space (w);
  if (!walk_at_end (w) && w->text[w->pos] == close)
    {
      w->pos++;
      return TRUE;
    }
  for (;;)
    {
      walk_space (w);
      if (object)
        {
          if (walk_at_end (w) || w->text[w->pos] != '"')
            return walk_fail (w, walk_at_end (w) ? "the file ends inside an object: a '}' is missing"
                                                 : "expected a field name in double quotes");
          if (!walk_string (w))
            return FALSE;
          walk_space (w);
          if (walk_at_end (w) || w->text[w->pos] != ':')
            return walk_fail (w, "expected ':' after the field name");
          w->pos++;
        }
      if (!walk_value (w))
        return FALSE;
      walk_space (w);
      if (walk_at_end (w))
        return walk_fail (w, object ? "the file ends inside an object: a '}' is missing"
                                    : "the file ends inside a list: a ']' is missing");
      char c = w->text[w->pos];
      if (c == close)
        {
          w->pos++;
          return TRUE;
        }
      if (c != ',')
        return walk_fail (w, object ? "expected ',' or '}'" : "expected ',' or ']'");
      gsize comma = w->pos++;
      walk_space (w);
      if (!walk_at_end (w) && w->text[w->pos] == close)
        {
          w->pos = comma;
          return walk_fail (w, object ? "a comma before '}': remove this ','"
                                      : "a comma before ']': remove this ','");
        }
    }
}

static gboolean
walk_value (Walk *w)
{
  walk_space (w);
  if (walk_at_end (w))
    return walk_fail (w, "the file ends where a value was expected");
  char c = w->text[w->pos];
  if (c == '"')
    return walk_string (w);
  if (c == '-' || g_ascii_isdigit (c))
    return walk_number (w);
  if (c != '{' && c != '[')
    return walk_word (w);
  if (++w->depth > JSON_SYNTAX_MAX_DEPTH)
    return walk_fail (w, "nested too deeply");
  w->pos++;
  gboolean ok = walk_members (w, c == '{' ? '}' : ']', c == '{');
  w->depth--;
  return ok;
}

gboolean
json_syntax_check (const char *text, gsize len, JsonSyntaxError *out)
{
  Walk w = { .text = text, .len = len };
  gboolean ok = walk_value (&w);
  if (ok)
    {
      walk_space (&w);
      if (!walk_at_end (&w))
        ok = walk_fail (&w, "text after the end of the JSON value");
    }
  if (ok)
    return TRUE;
  json_syntax_locate (text, len, w.pos, out);
  out->what = w.what;
  return FALSE;
}

void
json_syntax_locate (const char *text, gsize len, gsize offset, JsonSyntaxError *out)
{
  gsize line_start = 0;
  guint line = 1;
  for (gsize i = 0; i < offset && i < len; i++)
    if (text[i] == '\n')
      {
        line++;
        line_start = i + 1;
      }
  /* Characters, not bytes, as editors count; the text may not be valid UTF-8 here. */
  guint column = 1;
  for (gsize i = line_start; i < offset && i < len; i++)
    column += ((unsigned char) text[i] & 0xC0) != 0x80;
  *out = (JsonSyntaxError) { .offset = offset, .line = line, .column = column, .what = NULL };
}
