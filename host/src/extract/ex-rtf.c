/* ex-rtf.c: the text of an RTF document. RTF is a small format (groups, control
 * words, escaped bytes) and a library would add a dependency for forty lines; this
 * reads the text destinations and skips the rest (font and colour tables, pictures,
 * embedded object data, every \* destination it does not know). */
#include "ex.h"

#include <string.h>

#define RTF_MAX_DEPTH 256  /* deeper groups are hostile; their text is still read */

static const char *const SKIP_DESTINATIONS[] = {
  "fonttbl", "colortbl", "stylesheet", "listtable", "listoverridetable", "pict", "object",
  "objdata", "themedata", "colorschememapping", "datastore", "latentstyles", "xmlnstbl",
  "rsidtbl", "generator", "filetbl", "revtbl", "info", "pgdsctbl", "fldinst", "bin", NULL,
};

typedef struct {
  const guchar *p, *end;
  GString *text;
  guint8 skip[RTF_MAX_DEPTH];  /* per group: its text is not content */
  guint8 uc[RTF_MAX_DEPTH];    /* per group: bytes to skip after \uN */
  guint depth;
  guint pending_skip;          /* fallback bytes after \uN still to skip */
  GString *bytes;              /* 8-bit text waiting for conversion (\'hh and plain) */
} Rtf;

static void
rtf_flush_bytes (Rtf *r)
{
  if (r->bytes->len == 0)
    return;
  gsize n = 0;
  g_autofree char *utf8 = ex_cp1252 (r->bytes->str, r->bytes->len, &n);
  if (utf8 != NULL)
    g_string_append_len (r->text, utf8, (gssize) n);
  g_string_truncate (r->bytes, 0);
}

static void
rtf_byte (Rtf *r, guchar c)
{
  if (r->pending_skip > 0)
    {
      r->pending_skip--;
      return;
    }
  if (!r->skip[r->depth])
    g_string_append_c (r->bytes, (char) c);
}

static void
rtf_unichar (Rtf *r, long v)
{
  if (v < 0)
    v += 65536;  /* RTF writes code points above 32767 as negative 16-bit numbers */
  rtf_flush_bytes (r);
  if (!r->skip[r->depth] && v > 0 && g_unichar_validate ((gunichar) v))
    g_string_append_unichar (r->text, (gunichar) v);
  r->pending_skip = r->uc[r->depth];
}

static int
hexval (guchar c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

/* After the backslash: a control word with its number, or a control symbol. */
static void
rtf_control (Rtf *r, gboolean group_start)
{
  if (r->p >= r->end)
    return;
  if (!g_ascii_isalpha (*r->p))
    {
      guchar c = *r->p++;
      if (c == '\'' && r->end - r->p >= 2 && hexval (r->p[0]) >= 0 && hexval (r->p[1]) >= 0)
        {
          rtf_byte (r, (guchar) (hexval (r->p[0]) * 16 + hexval (r->p[1])));
          r->p += 2;
        }
      else if (c == '*' && group_start)
        r->skip[r->depth] = 1;  /* an optional destination we do not know */
      else if (c == '~')
        rtf_byte (r, ' ');
      else if (c == '\\' || c == '{' || c == '}')
        rtf_byte (r, c);
      return;
    }
  char word[32];
  gsize n = 0;
  while (r->p < r->end && g_ascii_isalpha (*r->p))
    {
      if (n < sizeof word - 1)
        word[n++] = (char) *r->p;
      r->p++;
    }
  word[n] = '\0';
  gboolean neg = r->p < r->end && *r->p == '-';
  if (neg)
    r->p++;
  long num = 0;
  gboolean has_num = FALSE;
  while (r->p < r->end && g_ascii_isdigit (*r->p))
    {
      if (num < 1000000)
        num = num * 10 + (*r->p - '0');
      has_num = TRUE;
      r->p++;
    }
  if (neg)
    num = -num;
  if (r->p < r->end && *r->p == ' ')
    r->p++;
  if (strcmp (word, "bin") == 0 && has_num && num > 0)
    r->p += MIN ((gsize) num, (gsize) (r->end - r->p));  /* raw binary data */
  else if (strcmp (word, "u") == 0 && has_num)
    rtf_unichar (r, num);
  else if (strcmp (word, "uc") == 0 && has_num)
    r->uc[r->depth] = (guint8) CLAMP (num, 0, 8);
  else if (strcmp (word, "par") == 0 || strcmp (word, "line") == 0 || strcmp (word, "row") == 0
           || strcmp (word, "sect") == 0 || strcmp (word, "page") == 0)
    rtf_byte (r, '\n');
  else if (strcmp (word, "tab") == 0 || strcmp (word, "cell") == 0)
    rtf_byte (r, '\t');
  else if (group_start)
    for (gsize i = 0; SKIP_DESTINATIONS[i] != NULL; i++)
      if (strcmp (word, SKIP_DESTINATIONS[i]) == 0)
        r->skip[r->depth] = 1;
}

void
ex_rtf (Ex *ex, const char *where, const guchar *data, gsize len)
{
  Rtf r = { .p = data, .end = data + len, .text = g_string_new (NULL), .bytes = g_string_new (NULL) };
  r.uc[0] = 1;
  gboolean group_start = FALSE;
  while (r.p < r.end)
    {
      guchar c = *r.p++;
      gboolean was_start = group_start;
      group_start = FALSE;
      if (c == '{')
        {
          rtf_flush_bytes (&r);
          if (r.depth + 1 < RTF_MAX_DEPTH)
            {
              r.depth++;
              r.skip[r.depth] = r.skip[r.depth - 1];
              r.uc[r.depth] = r.uc[r.depth - 1];
            }
          group_start = TRUE;
        }
      else if (c == '}')
        {
          rtf_flush_bytes (&r);
          if (r.depth > 0)
            r.depth--;
        }
      else if (c == '\\')
        rtf_control (&r, was_start);
      else if (c != '\r' && c != '\n')
        rtf_byte (&r, c);
    }
  rtf_flush_bytes (&r);
  ex_text (ex, where, r.text->str, r.text->len);
  g_string_free (r.text, TRUE);
  g_string_free (r.bytes, TRUE);
}
