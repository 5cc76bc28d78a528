/* ex.c: the records, the shared bounds and the sniffing that picks a parser. */
#include "ex.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void
ex_init (Ex *ex, const ExtractBounds *bounds, guint64 input_len, int out_fd)
{
  *ex = (Ex) { .bounds = *bounds, .input_len = input_len, .out_fd = out_fd };
}

static void
ex_write (Ex *ex, const void *data, gsize len)
{
  const char *p = data;
  while (len > 0 && !ex->out_broken && ex->out_fd >= 0)
    {
      ssize_t n = write (ex->out_fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          ex->out_broken = TRUE;  /* the host gave up on this file: stop reading it */
          ex->stopped = TRUE;
          return;
        }
      p += n;
      len -= (gsize) n;
    }
}

static void
ex_write_u32 (Ex *ex, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  ex_write (ex, &le, sizeof le);
}

void
ex_emit (Ex *ex, ExtractKind kind, const char *where, const char *data, gsize len)
{
  where = where ? where : "";
  gsize where_len = strlen (where);
  /* A where is cut, never refused: it names a path inside the file, which the file
   * chose, and a cut name still says where. Cut on a character boundary. */
  if (where_len > EXTRACT_WHERE_MAX)
    {
      where_len = EXTRACT_WHERE_MAX;
      while (where_len > 0 && ((guchar) where[where_len] & 0xC0) == 0x80)
        where_len--;
    }
  guchar k = (guchar) kind;
  ex_write (ex, &k, 1);
  ex_write_u32 (ex, (guint32) where_len);
  ex_write (ex, where, where_len);
  ex_write_u32 (ex, (guint32) len);
  ex_write (ex, data, len);
}

void
ex_text (Ex *ex, const char *where, const char *text, gsize len)
{
  ex_text_kind (ex, EXTRACT_TEXT, where, text, len);
}

void
ex_text_kind (Ex *ex, ExtractKind kind, const char *where, const char *text, gsize len)
{
  gboolean blank = TRUE;
  for (gsize i = 0; i < len && blank; i++)
    blank = g_ascii_isspace (text[i]);
  if (blank || ex->stopped)
    return;
  if (g_utf8_validate_len (text, len, NULL))
    {
      ex_emit (ex, kind, where, text, len);
      return;
    }
  g_autofree char *valid = g_utf8_make_valid (text, (gssize) len);
  ex_emit (ex, kind, where, valid, strlen (valid));
}

/* Inflation is held to max_ratio times its container, past a first MiB per member,
 * and to max_ratio times the file sent, past a first 8 MiB in all: text and office
 * XML deflate 3 to 30 times, a bomb by a thousand and more, so a bomb is stopped after
 * a few megabytes at whatever depth it starts. */
#define RATIO_FREE_MEMBER (G_GUINT64_CONSTANT (1) << 20)
#define RATIO_FREE_FILE (G_GUINT64_CONSTANT (8) << 20)

gboolean
ex_inflate (Ex *ex, guint64 n, guint64 member_total, gsize container_len, const char *where)
{
  if (ex->stopped)
    return FALSE;
  ex->inflated += n;
  const char *bound = NULL;
  guint64 ratio = ex->bounds.max_ratio;
  if (ex->inflated > ex->bounds.max_inflated)
    bound = "max_inflated_bytes";
  else if (container_len > 0 && member_total > RATIO_FREE_MEMBER && member_total / container_len >= ratio)
    bound = "max_compression_ratio";
  else if (ex->inflated > RATIO_FREE_FILE && ex->inflated / MAX (ex->input_len, 1) >= ratio)
    bound = "max_compression_ratio";
  if (bound == NULL)
    return TRUE;
  ex_emit (ex, EXTRACT_OVERSIZE, where, bound, strlen (bound));
  ex->stopped = TRUE;
  return FALSE;
}

gboolean
ex_member (Ex *ex, const char *where)
{
  if (ex->stopped)
    return FALSE;
  if (++ex->members <= ex->bounds.max_members)
    return TRUE;
  ex_emit (ex, EXTRACT_OVERSIZE, where, "max_members", strlen ("max_members"));
  ex->stopped = TRUE;
  return FALSE;
}

char *
ex_where (const char *parent, const char *part)
{
  if (parent == NULL || parent[0] == '\0')
    return g_strdup (part);
  return g_strconcat (parent, EXTRACT_SEPARATOR, part, NULL);
}

/* ---- sniffing ---- */

static gboolean
has_prefix (const guchar *data, gsize len, const char *magic, gsize magic_len)
{
  return len >= magic_len && memcmp (data, magic, magic_len) == 0;
}

static gboolean
is_pdf (const guchar *data, gsize len)
{
  /* Readers accept %PDF- anywhere in the first KiB (junk before the header). */
  gsize head = MIN (len, 1024);
  for (gsize i = 0; i + 5 <= head; i++)
    if (memcmp (data + i, "%PDF-", 5) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_archive (const guchar *data, gsize len)
{
  static const struct { const char *magic; gsize len; gsize at; } magics[] = {
    { "\x1f\x8b", 2, 0 },                  /* gzip */
    { "BZh", 3, 0 },                       /* bzip2 */
    { "\xfd" "7zXZ\x00", 6, 0 },           /* xz */
    { "\x28\xb5\x2f\xfd", 4, 0 },          /* zstd */
    { "7z\xbc\xaf\x27\x1c", 6, 0 },        /* 7z */
    { "PK\x03\x04", 4, 0 },                /* zip */
    { "PK\x05\x06", 4, 0 },                /* empty zip */
    { "Rar!\x1a\x07", 6, 0 },              /* rar (libarchive reads most) */
    { "ustar", 5, 257 },                   /* tar */
    { "\x5d\x00\x00", 3, 0 },              /* lzma alone */
  };
  for (gsize i = 0; i < G_N_ELEMENTS (magics); i++)
    if (len >= magics[i].at + magics[i].len
        && memcmp (data + magics[i].at, magics[i].magic, magics[i].len) == 0)
      return TRUE;
  return FALSE;
}

/* An OLE2 compound file holds either a legacy Office document or an encrypted OOXML
 * one (its EncryptedPackage stream); the directory names the streams in UTF-16. */
static gboolean
ole_is_encrypted (const guchar *data, gsize len)
{
  static const char name[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
  return memmem (data, len, name, sizeof name - 1) != NULL;
}

static const char *
ole_format (const char *name)
{
  const char *dot = name ? strrchr (name, '.') : NULL;
  if (dot && g_ascii_strcasecmp (dot, ".doc") == 0)
    return "legacy Word document (.doc)";
  if (dot && g_ascii_strcasecmp (dot, ".xls") == 0)
    return "legacy Excel workbook (.xls)";
  if (dot && g_ascii_strcasecmp (dot, ".ppt") == 0)
    return "legacy PowerPoint presentation (.ppt)";
  if (dot && g_ascii_strcasecmp (dot, ".msg") == 0)
    return "Outlook message (.msg)";
  return "legacy Office file (OLE2)";
}

static gboolean
name_ends (const char *name, const char *suffix)
{
  return name != NULL && g_str_has_suffix (name, suffix);
}

/* Mail: by name or type, or headers a message starts with. */
static gboolean
is_eml (const char *name, const char *mime, const guchar *data, gsize len)
{
  if ((mime && g_ascii_strcasecmp (mime, "message/rfc822") == 0) || name_ends (name, ".eml"))
    return TRUE;
  static const char *const starts[] = { "Received: ", "Return-Path: ", "From: ", "MIME-Version: ",
                                        "Message-ID: ", "Delivered-To: ", "From " };
  gboolean header = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (starts) && !header; i++)
    header = has_prefix (data, len, starts[i], strlen (starts[i]));
  return header && memmem (data, MIN (len, 65536), "\nContent-Type:", 14) != NULL;
}

const char *
ex_image_format (const guchar *data, gsize len)
{
  if (has_prefix (data, len, "\x89PNG", 4))
    return "image (PNG)";
  if (has_prefix (data, len, "\xff\xd8\xff", 3))
    return "image (JPEG)";
  if (has_prefix (data, len, "GIF8", 4))
    return "image (GIF)";
  if (len >= 12 && has_prefix (data, len, "RIFF", 4) && memcmp (data + 8, "WEBP", 4) == 0)
    return "image (WebP)";
  /* "BM", then the file's size and two reserved zero words. */
  if (len >= 26 && has_prefix (data, len, "BM", 2) && memcmp (data + 6, "\0\0\0\0", 4) == 0)
    return "image (BMP)";
  if (has_prefix (data, len, "II*\0", 4) || has_prefix (data, len, "MM\0*", 4))
    return "image (TIFF)";
  return NULL;
}

void
ex_file (Ex *ex, const char *where, const char *name, const char *mime, const guchar *data,
         gsize len, guint depth)
{
  if (ex->stopped || len == 0)
    return;
  if (depth > ex->bounds.max_depth)
    {
      ex_emit (ex, EXTRACT_OVERSIZE, where, "max_depth", strlen ("max_depth"));
      return;
    }
  const char *image = ex_image_format (data, len);
  if (is_pdf (data, len))
    ex_pdf (ex, where, data, len, depth);
  else if (has_prefix (data, len, "PK\x03\x04", 4))
    ex_zip_document (ex, where, data, len, depth);  /* OOXML, ODF, else any zip */
  else if (is_archive (data, len))
    ex_archive (ex, where, name, data, len, depth);
  else if (has_prefix (data, len, "{\\rtf", 5))
    ex_rtf (ex, where, data, len);
  else if (has_prefix (data, len, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
    {
      if (ole_is_encrypted (data, len))
        ex_emit (ex, EXTRACT_ENCRYPTED, where, "", 0);
      else
        ex_emit (ex, EXTRACT_NOT_READ, where, ole_format (name), strlen (ole_format (name)));
    }
  else if (image != NULL)
    ex_image (ex, where, image, data, len);
  else if (is_eml (name, mime, data, len))
    ex_eml (ex, where, data, len, depth);
  else
    ex_plain (ex, where, data, len);
}

/* ---- plain text ---- */

static gboolean
looks_binary (const guchar *data, gsize len)
{
  gsize head = MIN (len, 4096), odd = 0;
  for (gsize i = 0; i < head; i++)
    if (data[i] == 0 || (data[i] < 0x20 && data[i] != '\n' && data[i] != '\r' && data[i] != '\t'
                         && data[i] != '\f' && data[i] != 0x1b))
      odd++;
  return odd * 20 > head;  /* over 5% control bytes */
}

void
ex_plain (Ex *ex, const char *where, const guchar *data, gsize len)
{
  static const struct { const char *bom; gsize len; const char *charset; } boms[] = {
    { "\x00\x00\xfe\xff", 4, "UTF-32BE" }, { "\xff\xfe\x00\x00", 4, "UTF-32LE" },
    { "\xfe\xff", 2, "UTF-16BE" }, { "\xff\xfe", 2, "UTF-16LE" }, { "\xef\xbb\xbf", 3, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (boms); i++)
    if (has_prefix (data, len, boms[i].bom, boms[i].len))
      {
        if (boms[i].charset == NULL)
          {
            ex_text (ex, where, (const char *) data + 3, len - 3);
            return;
          }
        gsize out_len = 0;
        g_autofree char *utf8 = g_convert ((const char *) data + boms[i].len, (gssize) (len - boms[i].len),
                                           "UTF-8", boms[i].charset, NULL, &out_len, NULL);
        if (utf8 != NULL)
          ex_text (ex, where, utf8, out_len);
        else
          ex_emit (ex, EXTRACT_UNREADABLE, where, "invalid text encoding", 21);
        return;
      }
  if (looks_binary (data, len))
    {
      ex_emit (ex, EXTRACT_NOT_READ, where, "binary data", 11);
      return;
    }
  if (g_utf8_validate_len ((const char *) data, len, NULL))
    {
      ex_text (ex, where, (const char *) data, len);
      return;
    }
  /* Not UTF-8: Windows-1252, the usual 8-bit charset of documents people write. */
  gsize out_len = 0;
  g_autofree char *utf8 = ex_cp1252 ((const char *) data, len, &out_len);
  if (utf8 != NULL)
    ex_text (ex, where, utf8, out_len);
  else
    ex_text (ex, where, (const char *) data, len);
}

/* iconv loads the Windows-1252 table from a gconv module on first use, which the
 * sandboxed child could not open: the launcher opens it once (ex_preload) and every
 * child inherits it. */
static GIConv cp1252 = (GIConv) -1;

char *
ex_cp1252 (const char *data, gsize len, gsize *out_len)
{
  if (cp1252 == (GIConv) -1)
    cp1252 = g_iconv_open ("UTF-8", "WINDOWS-1252");
  if (cp1252 == (GIConv) -1)
    return NULL;
  return g_convert_with_iconv (data, (gssize) len, cp1252, NULL, out_len, NULL);
}
