/* ex-zipdoc.c: documents that are zip files: Office Open XML (.docx .xlsx .pptx and
 * their macro-enabled variants) and OpenDocument (.odt .ods .odp). Any other zip goes
 * to ex_archive. The zip is read by libarchive, each part's XML by ex-xml.c. */
#include "ex-xml.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

typedef struct {
  GHashTable *parts;   /* name -> GBytes, the parts read */
  GPtrArray *names;    /* every part's name, in the zip's order */
} Zip;

static void
zip_clear (Zip *zip)
{
  g_clear_pointer (&zip->parts, g_hash_table_unref);
  g_clear_pointer (&zip->names, g_ptr_array_unref);
}

typedef gboolean (*WantFunc) (const Ex *ex, const char *name);

/* One part's bytes, each chunk counted against the bounds; NULL past one. */
static GBytes *
zip_read_part (Ex *ex, struct archive *a, gsize zip_len, const char *where)
{
  GByteArray *buf = g_byte_array_new ();
  guchar chunk[65536];
  for (;;)
    {
      la_ssize_t n = archive_read_data (a, chunk, sizeof chunk);
      if (n == 0)
        break;
      if (n < 0 || !ex_inflate (ex, (guint64) n, buf->len + (guint64) n, zip_len, where))
        {
          if (n < 0)
            ex_emit (ex, EXTRACT_UNREADABLE, where, archive_error_string (a) ?: "damaged zip",
                     strlen (archive_error_string (a) ?: "damaged zip"));
          g_byte_array_unref (buf);
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) n);
    }
  return g_byte_array_free_to_bytes (buf);
}

static struct archive *
zip_open (const guchar *data, gsize len)
{
  struct archive *a = archive_read_new ();
  archive_read_support_format_zip (a);
  if (archive_read_open_memory (a, data, len) != ARCHIVE_OK)
    {
      archive_read_free (a);
      return NULL;
    }
  return a;
}

/* Names only (want NULL) or names and the wanted parts. FALSE when the zip cannot be
 * read as a document (the caller then tries it as an archive) or a bound stopped it. */
static gboolean
zip_load (Ex *ex, const char *where, const guchar *data, gsize len, WantFunc want, Zip *zip)
{
  struct archive *a = zip_open (data, len);
  if (a == NULL)
    return FALSE;
  zip->parts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  zip->names = g_ptr_array_new_with_free_func (g_free);
  struct archive_entry *entry;
  gboolean ok = TRUE;
  int rc;
  while (ok && (rc = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      const char *name = archive_entry_pathname_utf8 (entry) ?: archive_entry_pathname (entry) ?: "";
      if (want == NULL)
        ok = ex_member (ex, where);
      g_ptr_array_add (zip->names, g_strdup (name));
      if (want == NULL || !want (ex, name) || archive_entry_is_encrypted (entry))
        continue;
      g_autofree char *part_where = ex_where (where, name);
      GBytes *part = zip_read_part (ex, a, len, part_where);
      ok = part != NULL;
      if (ok)
        g_hash_table_replace (zip->parts, g_strdup (name), part);
    }
  archive_read_free (a);
  return ok && !ex->stopped;
}

static GBytes *
part (const Zip *zip, const char *name)
{
  return g_hash_table_lookup (zip->parts, name);
}

static void
part_text (Ex *ex, const char *where, const char *label, GBytes *bytes, const XmlOptions *options)
{
  if (bytes == NULL || ex->stopped)
    return;
  g_autofree char *at = label ? ex_where (where, label) : g_strdup (where);
  gsize len = 0;
  const guchar *data = g_bytes_get_data (bytes, &len);
  if (!ex_xml_text (ex, at, data, len, options))
    ex_emit (ex, EXTRACT_UNREADABLE, at, "malformed XML", 13);
}

/* The number in "ppt/slides/slide12.xml". */
static guint
part_number (const char *name)
{
  const char *p = name + strlen (name);
  while (p > name && !g_ascii_isdigit (p[-1]))
    p--;
  while (p > name && g_ascii_isdigit (p[-1]))
    p--;
  return (guint) g_ascii_strtoull (p, NULL, 10);
}

static gint
by_number (gconstpointer a, gconstpointer b)
{
  guint x = part_number (*(const char *const *) a), y = part_number (*(const char *const *) b);
  return x < y ? -1 : x > y;
}

/* The parts under prefix ending in .xml, numbered parts in number order. */
static GPtrArray *
parts_under (const Zip *zip, const char *prefix)
{
  GPtrArray *found = g_ptr_array_new ();
  for (guint i = 0; i < zip->names->len; i++)
    {
      const char *name = zip->names->pdata[i];
      if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".xml") && strchr (name + strlen (prefix), '/') == NULL)
        g_ptr_array_add (found, (gpointer) name);
    }
  g_ptr_array_sort (found, by_number);
  return found;
}

static void
parts_text (Ex *ex, const char *where, const Zip *zip, const char *prefix, const char *label,
            gboolean numbered)
{
  g_autoptr (GPtrArray) names = parts_under (zip, prefix);
  static const XmlOptions plain = { XML_PLAIN, NULL };
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *at = numbered ? g_strdup_printf ("%s %u", label, part_number (names->pdata[i]))
                                     : g_strdup (label);
      part_text (ex, where, at, part (zip, names->pdata[i]), &plain);
    }
}

/* ---- Office Open XML ---- */

/* ---- pictures, read by OCR where the site's policy turns it on ---- */

/* word/media/image1.png, ppt/media/..., xl/media/...; Pictures/... in OpenDocument. */
static gboolean
is_picture (const char *name)
{
  const char *slash = strrchr (name, '/');
  if (slash == NULL || !(g_str_has_prefix (name, "Pictures/") || g_strstr_len (name, slash - name + 1, "/media/")))
    return FALSE;
  static const char *const kinds[] = { ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", NULL };
  g_autofree char *lower = g_ascii_strdown (slash, -1);
  for (gsize i = 0; kinds[i] != NULL; i++)
    if (g_str_has_suffix (lower, kinds[i]))
      return TRUE;
  return FALSE;
}

static void
pictures (Ex *ex, const char *where, const Zip *zip)
{
  guint not_read = 0;
  for (guint i = 0; i < zip->names->len && !ex->stopped; i++)
    {
      const char *name = zip->names->pdata[i];
      if (!is_picture (name))
        continue;
      if (!ex->bounds.ocr)
        {
          not_read++;
          continue;
        }
      GBytes *bytes = part (zip, name);
      if (bytes == NULL)
        continue;  /* not read: a bound, told where it was hit */
      gsize len = 0;
      const guchar *data = g_bytes_get_data (bytes, &len);
      const char *format = ex_image_format (data, len);
      if (format == NULL)
        continue;  /* named as a picture, is none: nothing OCR reads */
      g_autofree char *label = g_strdup_printf ("picture %s", strrchr (name, '/') + 1);
      g_autofree char *at = ex_where (where, label);
      ex_image (ex, at, format, data, len);
    }
  ex_images_not_read (ex, where, not_read);
}

static gboolean
ooxml_wanted (const Ex *ex, const char *name)
{
  if (strstr (name, "/embeddings/") != NULL || (ex->bounds.ocr && is_picture (name)))
    return TRUE;
  static const char *const skip[] = { "/theme/", "/slideLayouts/", "/slideMasters/", "/notesMasters/",
                                      "/handoutMasters/", "/printerSettings/", "/media/", NULL };
  for (gsize i = 0; skip[i] != NULL; i++)
    if (strstr (name, skip[i]) != NULL)
      return FALSE;
  return g_str_has_suffix (name, ".xml") || g_str_has_suffix (name, ".rels");
}

/* "worksheets/sheet1.xml" relative to xl/, or "/xl/worksheets/sheet1.xml". */
static char *
xlsx_target (const char *target)
{
  return target[0] == '/' ? g_strdup (target + 1) : g_strconcat ("xl/", target, NULL);
}

static void
xlsx_sheets (Ex *ex, const char *where, const Zip *zip)
{
  GBytes *book = part (zip, "xl/workbook.xml"), *rels = part (zip, "xl/_rels/workbook.xml.rels");
  GBytes *strings = part (zip, "xl/sharedStrings.xml");
  gsize len = 0;
  const guchar *data;
  g_autoptr (GPtrArray) shared = NULL, sheets = NULL, targets = NULL;
  if (strings != NULL)
    data = g_bytes_get_data (strings, &len), shared = ex_xml_shared_strings (data, len);
  if (book != NULL)
    data = g_bytes_get_data (book, &len), sheets = ex_xml_attr_pairs (data, len, "sheet", "name", "id");
  if (rels != NULL)
    data = g_bytes_get_data (rels, &len), targets = ex_xml_attr_pairs (data, len, "Relationship", "Id", "Target");
  XmlOptions options = { XML_SHEET, shared };
  g_autoptr (GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; sheets && targets && i + 1 < sheets->len; i += 2)
    for (guint j = 0; j + 1 < targets->len; j += 2)
      if (strcmp (sheets->pdata[i + 1], targets->pdata[j]) == 0)
        {
          char *path = xlsx_target (targets->pdata[j + 1]);
          g_autofree char *label = g_strdup_printf ("sheet %s", (char *) sheets->pdata[i]);
          part_text (ex, where, label, part (zip, path), &options);
          g_hash_table_add (done, path);
        }
  /* Sheets the workbook does not name (a damaged or hostile file) are read too. */
  g_autoptr (GPtrArray) all = parts_under (zip, "xl/worksheets/");
  for (guint i = 0; i < all->len; i++)
    if (!g_hash_table_contains (done, all->pdata[i]))
      {
        g_autofree char *label = g_strdup_printf ("sheet %u", part_number (all->pdata[i]));
        part_text (ex, where, label, part (zip, all->pdata[i]), &options);
      }
}

static void
ooxml_embedded (Ex *ex, const char *where, const Zip *zip, guint depth)
{
  for (guint i = 0; i < zip->names->len && !ex->stopped; i++)
    {
      const char *name = zip->names->pdata[i];
      GBytes *bytes = part (zip, name);
      if (strstr (name, "/embeddings/") == NULL || bytes == NULL)
        continue;
      g_autofree char *label = g_strdup_printf ("embedded %s", strrchr (name, '/') + 1);
      g_autofree char *at = ex_where (where, label);
      gsize len = 0;
      const guchar *data = g_bytes_get_data (bytes, &len);
      ex_file (ex, at, name, NULL, data, len, depth + 1);
    }
}

static void
ooxml (Ex *ex, const char *where, const Zip *zip, guint depth)
{
  static const XmlOptions plain = { XML_PLAIN, NULL };
  part_text (ex, where, NULL, part (zip, "word/document.xml"), &plain);
  parts_text (ex, where, zip, "word/header", "header", FALSE);
  parts_text (ex, where, zip, "word/footer", "footer", FALSE);
  part_text (ex, where, "comments", part (zip, "word/comments.xml"), &plain);
  part_text (ex, where, "footnotes", part (zip, "word/footnotes.xml"), &plain);
  part_text (ex, where, "endnotes", part (zip, "word/endnotes.xml"), &plain);
  xlsx_sheets (ex, where, zip);
  parts_text (ex, where, zip, "xl/comments", "comments", FALSE);
  parts_text (ex, where, zip, "xl/threadedComments/", "comments", FALSE);
  parts_text (ex, where, zip, "ppt/slides/", "slide", TRUE);
  parts_text (ex, where, zip, "ppt/notesSlides/", "notes", TRUE);
  parts_text (ex, where, zip, "ppt/comments/", "comments", FALSE);
  parts_text (ex, where, zip, "word/charts/", "chart", TRUE);
  parts_text (ex, where, zip, "xl/charts/", "chart", TRUE);
  parts_text (ex, where, zip, "ppt/charts/", "chart", TRUE);
  parts_text (ex, where, zip, "ppt/diagrams/data", "diagram", TRUE);
  parts_text (ex, where, zip, "customXml/item", "custom XML", TRUE);
  parts_text (ex, where, zip, "docProps/", "properties", FALSE);
  ooxml_embedded (ex, where, zip, depth);
  pictures (ex, where, zip);
}

/* ---- OpenDocument ---- */

static gboolean
odf_wanted (const Ex *ex, const char *name)
{
  if (ex->bounds.ocr && is_picture (name))
    return TRUE;
  return g_str_has_suffix (name, ".xml") && !g_str_has_suffix (name, "settings.xml");
}

static void
odf (Ex *ex, const char *where, const Zip *zip)
{
  GBytes *manifest = part (zip, "META-INF/manifest.xml");
  gsize len = 0;
  if (manifest != NULL)
    {
      const guchar *data = g_bytes_get_data (manifest, &len);
      if (ex_xml_has_element (data, len, "encryption-data"))
        {
          ex_emit (ex, EXTRACT_ENCRYPTED, where, "", 0);
          return;
        }
    }
  static const XmlOptions odf_content = { XML_ODF, NULL }, plain = { XML_PLAIN, NULL };
  part_text (ex, where, NULL, part (zip, "content.xml"), &odf_content);
  part_text (ex, where, "header", part (zip, "styles.xml"), &plain);
  part_text (ex, where, "properties", part (zip, "meta.xml"), &plain);
  /* Embedded objects (a chart, a formula, a sheet in a text): "Object 1/content.xml". */
  for (guint i = 0; i < zip->names->len; i++)
    {
      const char *name = zip->names->pdata[i];
      if (strchr (name, '/') != NULL && g_str_has_suffix (name, "/content.xml") && !g_str_has_prefix (name, "META-INF/"))
        {
          g_autofree char *label = g_strdup_printf ("embedded %.*s", (int) (strchr (name, '/') - name), name);
          part_text (ex, where, label, part (zip, name), &plain);
        }
    }
  pictures (ex, where, zip);
}

static gboolean
has_name (const Zip *zip, const char *name)
{
  for (guint i = 0; i < zip->names->len; i++)
    if (strcmp (zip->names->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

void
ex_zip_document (Ex *ex, const char *where, const guchar *data, gsize len, guint depth)
{
  Zip zip = { 0 };
  gboolean listed = zip_load (ex, where, data, len, NULL, &zip);
  if (ex->stopped)
    return zip_clear (&zip);
  WantFunc want = NULL;
  if (listed && has_name (&zip, "[Content_Types].xml"))
    want = ooxml_wanted;
  else if (listed && has_name (&zip, "mimetype") && has_name (&zip, "content.xml"))
    want = odf_wanted;
  zip_clear (&zip);
  if (want == NULL)
    {
      ex_archive (ex, where, NULL, data, len, depth);
      return;
    }
  /* The members were counted as the zip was listed; the parts are read once. */
  if (zip_load (ex, where, data, len, want, &zip) || !ex->stopped)
    {
      if (want == ooxml_wanted)
        ooxml (ex, where, &zip, depth);
      else
        odf (ex, where, &zip);
    }
  zip_clear (&zip);
}
