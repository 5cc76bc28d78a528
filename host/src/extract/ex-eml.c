/* ex-eml.c: e-mail (.eml, message/rfc822): the subject, every text part and every
 * attachment, each attachment sniffed again one level deeper (a .docx attached to a
 * forwarded message attached to a mail). Why GMime: MIME as senders really write it
 * (nested multiparts, every transfer encoding, RFC 2047 and 2231 names, broken
 * boundaries) is where hand-written parsers go wrong; GMime is maintained, in Debian,
 * built on GLib (which we already use), and parses from memory. */
#include "ex.h"

#include <gmime/gmime.h>
#include <string.h>

#define EML_MAX_PARTS_DEPTH 64  /* multiparts in multiparts; deeper is hostile */

static void eml_object (Ex *ex, const char *where, GMimeObject *object, guint depth, guint nesting);

/* The decoded bytes of a leaf part, counted against the bounds; NULL past one. */
static GByteArray *
eml_content (Ex *ex, const char *where, GMimePart *part, gsize message_len)
{
  GMimeDataWrapper *content = g_mime_part_get_content (part);
  if (content == NULL)
    return NULL;
  GByteArray *bytes = g_byte_array_new ();
  GMimeStream *stream = g_mime_stream_mem_new_with_byte_array (bytes);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
  g_mime_data_wrapper_write_to_stream (content, stream);
  g_object_unref (stream);
  if (!ex_inflate (ex, bytes->len, bytes->len, message_len, where))
    {
      g_byte_array_unref (bytes);
      return NULL;
    }
  return bytes;
}

static void
eml_text (Ex *ex, const char *where, GMimeObject *object, const GByteArray *bytes)
{
  const char *charset = g_mime_object_get_content_type_parameter (object, "charset");
  if (charset != NULL && g_ascii_strcasecmp (charset, "utf-8") != 0 && g_ascii_strcasecmp (charset, "us-ascii") != 0)
    {
      gsize n = 0;
      g_autofree char *utf8 = g_convert ((const char *) bytes->data, bytes->len, "UTF-8", charset, NULL, &n, NULL);
      if (utf8 == NULL)
        utf8 = ex_cp1252 ((const char *) bytes->data, bytes->len, &n);
      if (utf8 != NULL)
        {
          ex_text (ex, where, utf8, n);
          return;
        }
    }
  ex_plain (ex, where, bytes->data, bytes->len);
}

static void
eml_part (Ex *ex, const char *where, GMimePart *part, guint depth)
{
  GMimeObject *object = GMIME_OBJECT (part);
  GMimeContentType *type = g_mime_object_get_content_type (object);
  const char *filename = g_mime_part_get_filename (part);
  gboolean attachment = filename != NULL || g_mime_part_is_attachment (part);
  g_autofree char *label = attachment ? g_strdup_printf ("attachment %s", filename ?: "(no name)") : NULL;
  g_autofree char *at = label ? ex_where (where, label) : g_strdup (where);
  if (!ex_member (ex, at))
    return;
  GByteArray *bytes = eml_content (ex, at, part, 0);  /* base64 and quoted-printable only shrink */
  if (bytes == NULL)
    return;
  if (!attachment && type != NULL && g_mime_content_type_is_type (type, "text", "*"))
    eml_text (ex, at, object, bytes);
  else if (depth + 1 > ex->bounds.max_depth)
    ex_emit (ex, EXTRACT_OVERSIZE, at, "max_depth", 9);
  else
    {
      g_autofree char *mime = type ? g_mime_content_type_get_mime_type (type) : NULL;
      ex_file (ex, at, filename, mime, bytes->data, bytes->len, depth + 1);
    }
  g_byte_array_unref (bytes);
}

static void
eml_message (Ex *ex, const char *where, GMimeMessage *message, guint depth)
{
  const char *subject = g_mime_message_get_subject (message);
  if (subject != NULL)
    {
      g_autofree char *at = ex_where (where, "subject");
      ex_text (ex, at, subject, strlen (subject));
    }
  GMimeObject *body = g_mime_message_get_mime_part (message);
  if (body != NULL)
    eml_object (ex, where, body, depth, 0);
}

static void
eml_object (Ex *ex, const char *where, GMimeObject *object, guint depth, guint nesting)
{
  if (ex->stopped)
    return;
  if (nesting > EML_MAX_PARTS_DEPTH)
    {
      ex_emit (ex, EXTRACT_OVERSIZE, where, "max_depth", 9);
      return;
    }
  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *multi = GMIME_MULTIPART (object);
      int n = g_mime_multipart_get_count (multi);
      for (int i = 0; i < n && !ex->stopped; i++)
        eml_object (ex, where, g_mime_multipart_get_part (multi, i), depth, nesting + 1);
    }
  else if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));
      const char *subject = inner ? g_mime_message_get_subject (inner) : NULL;
      g_autofree char *label = g_strdup_printf ("attachment %s", subject ?: "(message)");
      g_autofree char *at = ex_where (where, label);
      if (inner == NULL || !ex_member (ex, at))
        return;
      if (depth + 1 > ex->bounds.max_depth)
        ex_emit (ex, EXTRACT_OVERSIZE, at, "max_depth", 9);
      else
        eml_message (ex, at, inner, depth + 1);
    }
  else if (GMIME_IS_PART (object))
    eml_part (ex, where, GMIME_PART (object), depth);
}

void
ex_eml (Ex *ex, const char *where, const guchar *data, gsize len, guint depth)
{
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer ((const char *) data, len);
  GMimeParser *parser = g_mime_parser_new_with_stream (stream);
  GMimeMessage *message = g_mime_parser_construct_message (parser, NULL);
  if (message == NULL)
    ex_plain (ex, where, data, len);  /* not MIME after all: read it as text */
  else
    eml_message (ex, where, message, depth);
  g_clear_object (&message);
  g_object_unref (parser);
  g_object_unref (stream);
}
