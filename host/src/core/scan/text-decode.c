#include "text-decode.h"

#include <string.h>

/* Appends code point c as UTF-8; U+FFFD for a surrogate or past U+10FFFF. */
static void
put_utf8 (GString *out, gunichar c)
{
  if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
    c = 0xFFFD;
  g_string_append_unichar (out, c);
}

static guint32
unit16 (const guchar *p, gboolean big)
{
  return big ? ((guint32) p[0] << 8) | p[1] : ((guint32) p[1] << 8) | p[0];
}

static char *
from_utf16 (const guchar *p, gsize len, gboolean big, gsize *out_len)
{
  GString *out = g_string_sized_new (len / 2 * 3 + 1);
  gsize i = 0;
  while (i + 1 < len)
    {
      guint32 u = unit16 (p + i, big);
      i += 2;
      if (u >= 0xD800 && u <= 0xDBFF && i + 1 < len)
        {
          guint32 low = unit16 (p + i, big);
          if (low >= 0xDC00 && low <= 0xDFFF)
            {
              i += 2;
              put_utf8 (out, 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
              continue;
            }
        }
      put_utf8 (out, u);  /* a lone surrogate becomes U+FFFD */
    }
  if (i < len)
    put_utf8 (out, 0xFFFD);  /* an odd last byte */
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

static char *
from_utf32 (const guchar *p, gsize len, gboolean big, gsize *out_len)
{
  GString *out = g_string_sized_new (len / 4 * 3 + 1);
  gsize i = 0;
  for (; i + 3 < len; i += 4)
    {
      guint32 c = big ? ((guint32) p[i] << 24) | ((guint32) p[i + 1] << 16) | ((guint32) p[i + 2] << 8) | p[i + 3]
                      : ((guint32) p[i + 3] << 24) | ((guint32) p[i + 2] << 16) | ((guint32) p[i + 1] << 8) | p[i];
      put_utf8 (out, c);
    }
  if (i < len)
    put_utf8 (out, 0xFFFD);
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

/* The charset parameter of a MIME type, lower-cased, or NULL. */
static char *
declared_charset (const char *mime)
{
  const char *at = mime ? strstr (mime, "charset=") : NULL;
  if (at == NULL)
    return NULL;
  at += strlen ("charset=");
  if (*at == '"')
    at++;
  gsize n = strcspn (at, "\"; \t");
  return n > 0 && n < 64 ? g_ascii_strdown (at, (gssize) n) : NULL;
}

static gboolean
is_utf8_name (const char *cs)
{
  return strcmp (cs, "utf-8") == 0 || strcmp (cs, "utf8") == 0 || strcmp (cs, "us-ascii") == 0;
}

/* Decodes by the encoding found, noting it. */
static char *
decode (TextEncoding found, const guchar *p, gsize len, gsize *out_len, TextEncoding *encoding)
{
  *encoding = found;
  switch (found)
    {
    case TEXT_UTF16LE: return from_utf16 (p, len, FALSE, out_len);
    case TEXT_UTF16BE: return from_utf16 (p, len, TRUE, out_len);
    case TEXT_UTF32LE: return from_utf32 (p, len, FALSE, out_len);
    case TEXT_UTF32BE: return from_utf32 (p, len, TRUE, out_len);
    default: g_assert_not_reached ();
    }
}

char *
text_decode (const char *mime, const guchar *data, gsize len, gsize *skip, gsize *out_len,
             TextEncoding *encoding)
{
  *skip = 0;
  *out_len = 0;
  *encoding = TEXT_UTF8;
  /* A byte-order mark decides; UTF-32 LE's begins like UTF-16 LE's, so it goes first. */
  if (len >= 4 && memcmp (data, "\xFF\xFE\0\0", 4) == 0)
    return decode (TEXT_UTF32LE, data + 4, len - 4, out_len, encoding);
  if (len >= 4 && memcmp (data, "\0\0\xFE\xFF", 4) == 0)
    return decode (TEXT_UTF32BE, data + 4, len - 4, out_len, encoding);
  if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE)
    return decode (TEXT_UTF16LE, data + 2, len - 2, out_len, encoding);
  if (len >= 2 && data[0] == 0xFE && data[1] == 0xFF)
    return decode (TEXT_UTF16BE, data + 2, len - 2, out_len, encoding);
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    {
      *skip = 3;
      *encoding = TEXT_UTF8_BOM;
      return NULL;
    }
  g_autofree char *cs = declared_charset (mime);
  if (cs == NULL || is_utf8_name (cs))
    return NULL;
  if (strcmp (cs, "utf-16le") == 0 || strcmp (cs, "utf-16") == 0)
    return decode (TEXT_UTF16LE, data, len, out_len, encoding);
  if (strcmp (cs, "utf-16be") == 0)
    return decode (TEXT_UTF16BE, data, len, out_len, encoding);
  if (strcmp (cs, "utf-32le") == 0 || strcmp (cs, "utf-32") == 0)
    return decode (TEXT_UTF32LE, data, len, out_len, encoding);
  if (strcmp (cs, "utf-32be") == 0)
    return decode (TEXT_UTF32BE, data, len, out_len, encoding);
  /* Single- and multi-byte legacy charsets (windows-1252, iso-8859-*, shift_jis, gb18030):
   * glibc's iconv, whatever it cannot map becomes "?". An unknown name gives NULL. */
  gsize read = 0;
  char *out = g_convert_with_fallback ((const char *) data, (gssize) len, "UTF-8", cs, "?", &read,
                                       out_len, NULL);
  if (out != NULL)
    *encoding = TEXT_DECLARED;
  return out;
}
