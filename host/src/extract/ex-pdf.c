/* ex-pdf.c: the text layer of a PDF, page by page, and its attached files, through
 * poppler-glib. Poppler is the PDF library of the free desktop (evince, okular's
 * backend), maintained and fuzzed (OSS-Fuzz); PDF parsers have a long record of
 * memory faults all the same, which is why this runs in a sandboxed child with no
 * files, no network and a memory limit. Poppler is GPL, and so is weir-extract,
 * which links it (debian/copyright). */
#include "ex.h"

#include <poppler.h>
#include <string.h>

typedef struct {
  GByteArray *buf;
  Ex *ex;
  const char *where;
  gsize pdf_len;
  gboolean over;
} Saved;

static gboolean
save_chunk (const gchar *data, gsize len, gpointer user, GError **error)
{
  Saved *saved = user;
  if (!ex_inflate (saved->ex, len, saved->buf->len + len, saved->pdf_len, saved->where))
    {
      saved->over = TRUE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "over a bound");
      return FALSE;
    }
  g_byte_array_append (saved->buf, (const guint8 *) data, (guint) len);
  return TRUE;
}

static void
pdf_attachments (Ex *ex, const char *where, PopplerDocument *doc, gsize pdf_len, guint depth)
{
  GList *attachments = poppler_document_get_attachments (doc);
  for (GList *l = attachments; l != NULL && !ex->stopped; l = l->next)
    {
      PopplerAttachment *attachment = l->data;
      const char *name = attachment->name ? attachment->name : "?";
      g_autofree char *label = g_strdup_printf ("attachment %s", name);
      g_autofree char *at = ex_where (where, label);
      if (!ex_member (ex, at))
        break;
      Saved saved = { g_byte_array_new (), ex, at, pdf_len, FALSE };
      if (poppler_attachment_save_to_callback (attachment, save_chunk, &saved, NULL))
        ex_file (ex, at, name, NULL, saved.buf->data, saved.buf->len, depth + 1);
      else if (!saved.over)
        ex_emit (ex, EXTRACT_UNREADABLE, at, "damaged attachment", 18);
      g_byte_array_unref (saved.buf);
    }
  g_list_free_full (attachments, g_object_unref);
}

void
ex_pdf (Ex *ex, const char *where, const guchar *data, gsize len, guint depth)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, len);
  PopplerDocument *doc = poppler_document_new_from_bytes (bytes, NULL, &error);
  if (doc == NULL)
    {
      if (g_error_matches (error, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED))
        ex_emit (ex, EXTRACT_ENCRYPTED, where, "", 0);
      else
        ex_emit (ex, EXTRACT_UNREADABLE, where, "damaged PDF", 11);
      return;
    }
  int pages = poppler_document_get_n_pages (doc);
  for (int i = 0; i < pages && !ex->stopped; i++)
    {
      if ((guint) i >= ex->bounds.max_pages)
        {
          ex_emit (ex, EXTRACT_OVERSIZE, where, "max_pages", 9);
          break;
        }
      PopplerPage *page = poppler_document_get_page (doc, i);
      g_autofree char *text = page ? poppler_page_get_text (page) : NULL;
      g_clear_object (&page);
      if (text == NULL)
        continue;
      gsize text_len = strlen (text);
      if (!ex_inflate (ex, text_len, 0, 0, where))
        break;
      g_autofree char *label = g_strdup_printf ("page %d", i + 1);
      g_autofree char *at = ex_where (where, label);
      ex_text (ex, at, text, text_len);
    }
  if (!ex->stopped)
    pdf_attachments (ex, where, doc, len, depth);
  g_object_unref (doc);
}
