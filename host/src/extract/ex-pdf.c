/* ex-pdf.c: the text layer of a PDF, page by page, and its attached files, through
 * poppler-glib. Poppler is the PDF library of the free desktop (evince, okular's
 * backend), maintained and fuzzed (OSS-Fuzz); PDF parsers have a long record of
 * memory faults all the same, which is why this runs in a sandboxed child with no
 * files, no network and a memory limit. Poppler is GPL, and so is weir-extract,
 * which links it (debian/copyright). The images a page draws are decoded by poppler and
 * read by OCR (ex-image.c) where the site's policy turns it on: a scanned contract is
 * a PDF of page images. */
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

/* A decoded image as 8-bit grey over white (cairo's ARGB32 is premultiplied); NULL for
 * a format no page image comes in. Caller frees. */
static guint8 *
surface_grey (cairo_surface_t *surface, int *width, int *height)
{
  cairo_format_t format = cairo_image_surface_get_format (surface);
  *width = cairo_image_surface_get_width (surface);
  *height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  if (data == NULL || *width <= 0 || *height <= 0 || (format != CAIRO_FORMAT_ARGB32 && format != CAIRO_FORMAT_RGB24))
    return NULL;
  guint8 *grey = g_try_malloc ((gsize) *width * (gsize) *height);
  if (grey == NULL)
    return NULL;
  for (int y = 0; y < *height; y++)
    {
      const guint32 *row = (const guint32 *) (data + (gsize) y * (gsize) stride);
      guint8 *out = grey + (gsize) y * (gsize) *width;
      for (int x = 0; x < *width; x++)
        {
          guint32 p = row[x];
          guint32 a = format == CAIRO_FORMAT_ARGB32 ? p >> 24 : 255;
          guint32 luma = ((p >> 16 & 255) * 77 + (p >> 8 & 255) * 150 + (p & 255) * 29) >> 8;
          out[x] = (guint8) MIN (luma + (255 - a), 255u);
        }
    }
  return grey;
}

/* A page's images: read by OCR where the site's policy turns it on, else counted. */
static void
pdf_page_images (Ex *ex, const char *page_where, PopplerPage *page, guint *not_read)
{
  GList *mappings = poppler_page_get_image_mapping (page);
  int n = 0;
  for (GList *l = mappings; l != NULL && !ex->stopped; l = l->next)
    {
      PopplerImageMapping *m = l->data;
      double width_pt = m->area.x2 - m->area.x1, height_pt = m->area.y2 - m->area.y1;
      n++;
      if (width_pt < 8 || height_pt < 4)
        continue;  /* a rule or a bullet */
      if (!ex->bounds.ocr)
        {
          (*not_read)++;
          continue;
        }
      g_autofree char *label = g_strdup_printf ("image %d", n);
      g_autofree char *at = ex_where (page_where, label);
      if (!ex_ocr_time_left (ex, at))
        break;  /* not decoded: the file's OCR time is spent */
      cairo_surface_t *surface = poppler_page_get_image (page, m->image_id);
      if (surface == NULL)
        continue;
      int width = 0, height = 0;
      g_autofree guint8 *grey = surface_grey (surface, &width, &height);
      cairo_surface_destroy (surface);
      if (grey == NULL)
        continue;
      /* The image's own resolution, from its pixels and the area it is drawn in. */
      int dpi = (int) (width * 72.0 / width_pt + 0.5);
      ex_image_grey (ex, at, grey, width, height, width, dpi);
    }
  poppler_page_free_image_mapping (mappings);
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
  guint images_not_read = 0;
  for (int i = 0; i < pages && !ex->stopped; i++)
    {
      if ((guint) i >= ex->bounds.max_pages)
        {
          ex_emit (ex, EXTRACT_OVERSIZE, where, "max_pages", 9);
          break;
        }
      PopplerPage *page = poppler_document_get_page (doc, i);
      if (page == NULL)
        continue;
      g_autofree char *text = poppler_page_get_text (page);
      gsize text_len = text != NULL ? strlen (text) : 0;
      g_autofree char *label = g_strdup_printf ("page %d", i + 1);
      g_autofree char *at = ex_where (where, label);
      if (ex_inflate (ex, text_len, 0, 0, where))
        {
          if (text != NULL)
            ex_text (ex, at, text, text_len);
          pdf_page_images (ex, at, page, &images_not_read);
        }
      g_object_unref (page);
    }
  ex_images_not_read (ex, where, images_not_read);
  if (!ex->stopped)
    pdf_attachments (ex, where, doc, len, depth);
  g_object_unref (doc);
}
