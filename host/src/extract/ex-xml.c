/* ex-xml.c: XML through expat.
 *
 * Why expat and not libxml2: the office formats need only elements, attributes and
 * character data, in one streaming pass. Expat does that and nothing more: it never
 * loads an external entity or DTD unless asked, and since 2.4 it refuses the
 * exponential entity expansion ("billion laughs") by default; on top of that we stop
 * at any DOCTYPE, which no OOXML or ODF part has. libxml2 brings XInclude, catalogs,
 * HTML, XPath and network I/O that we would have to switch off one by one. */
#include "ex-xml.h"

#include <expat.h>
#include <string.h>

#define XML_MAX_DEPTH 512  /* nesting a document needs is far less; deeper is hostile */

typedef struct {
  XML_Parser parser;
  Ex *ex;
  const char *where;
  const XmlOptions *options;
  GString *text;
  guint depth;
  guint skip_depth;        /* > 0: inside an element whose text is not content, from this depth */
  gboolean failed;
  /* XML_SHEET */
  gboolean shared_cell;    /* the cell's <v> indexes the shared strings */
  gboolean in_value;
  GString *value;
  guint column;            /* cells written in this row: a sparse row keeps its columns */
  /* XML_ODF tables */
  gsize cell_start;        /* where the current cell's text starts */
  guint cell_repeat;       /* table:number-columns-repeated */
  guint empty_cells;       /* empty cells not yet written: only before a cell with text */
  gsize padded;            /* tabs written for cells that are not there, every row */
  /* XML_ODF */
  char *label;             /* the current sheet or slide; NULL before the first */
  guint pages;
  /* the query walks */
  const char *element, *attr_a, *attr_b;
  GPtrArray *found;
  gboolean in_si;
} Walk;

static const char *
local_name (const char *name)
{
  const char *colon = strrchr (name, ':');
  return colon ? colon + 1 : name;
}

static const char *
attr_value (const char **attrs, const char *local)
{
  for (gsize i = 0; attrs[i] != NULL && attrs[i + 1] != NULL; i += 2)
    if (strcmp (local_name (attrs[i]), local) == 0)
      return attrs[i + 1];
  return NULL;
}

static void
walk_sep (Walk *w, char c)
{
  if (w->text->len > 0 && w->text->str[w->text->len - 1] != c)
    g_string_append_c (w->text, c);
}

static gboolean
name_in (const char *local, const char *const *names)
{
  for (gsize i = 0; names[i] != NULL; i++)
    if (strcmp (local, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static const char *const LINE_ENDS[] = { "p", "h", "tr", "row", "table-row", "si", "list-item",
                                         "line-break", "br", "cr", "page", "sp", NULL };
static const char *const CELL_ENDS[] = { "tc", "c", "table-cell", "covered-table-cell", NULL };

/* Cells are tab-separated and keep their columns: an empty cell is a tab of its own (a
 * workbook's rows become the EDM reader's rows). Runs of empty cells are bounded: a
 * spreadsheet's rows end in thousands of them, and a hostile sheet would put one cell
 * at column XFD of every row. */
#define SHEET_MAX_GAP 1024u
#define SHEET_MAX_PADDING ((gsize) 16 << 20)

static void
tabs (Walk *w, gsize at, guint n)
{
  GString *text = w->text;
  n = (guint) MIN ((gsize) MIN (n, SHEET_MAX_GAP), SHEET_MAX_PADDING - MIN (w->padded, SHEET_MAX_PADDING));
  w->padded += n;
  char run[64];
  memset (run, '\t', sizeof run);
  for (guint done = 0; done < n;)
    {
      guint k = MIN (n - done, (guint) sizeof run);
      g_string_insert_len (text, (gssize) (at + done), run, k);
      done += k;
    }
}

/* "C12" -> 2: the column of an OOXML cell reference; -1 when there is none. */
static gint64
cell_column (const char *ref)
{
  gint64 col = 0;
  gsize i = 0;
  for (; ref != NULL && g_ascii_isalpha (ref[i]) && i < 3; i++)
    col = col * 26 + (g_ascii_toupper (ref[i]) - 'A' + 1);
  return i == 0 ? -1 : col - 1;
}

/* ODF: a sheet or a slide starts a new record. */
static void
walk_odf_flush (Walk *w, char *new_label)
{
  g_autofree char *where = w->label ? ex_where (w->where, w->label) : g_strdup (w->where);
  ex_text (w->ex, where, w->text->str, w->text->len);
  g_string_truncate (w->text, 0);
  g_free (w->label);
  w->label = new_label;
}

static void XMLCALL
walk_start (void *data, const char *name, const char **attrs)
{
  Walk *w = data;
  if (++w->depth > XML_MAX_DEPTH)
    {
      w->failed = TRUE;
      XML_StopParser (w->parser, XML_FALSE);
      return;
    }
  const char *local = local_name (name);
  if (w->skip_depth > 0)
    return;
  if (strcmp (local, "tab") == 0)
    walk_sep (w, '\t');
  else if (strcmp (local, "s") == 0 || strcmp (local, "br") == 0 || strcmp (local, "line-break") == 0)
    walk_sep (w, strcmp (local, "s") == 0 ? ' ' : '\n');
  if (w->options->mode == XML_SHEET)
    {
      if (strcmp (local, "f") == 0)
        w->skip_depth = w->depth;  /* formulas: not what the cell shows */
      else if (strcmp (local, "row") == 0)
        w->column = 0;
      else if (strcmp (local, "c") == 0)
        {
          w->shared_cell = g_strcmp0 (attr_value (attrs, "t"), "s") == 0;
          /* Cells left out of a sparse row: their tabs, so later cells keep their column. */
          gint64 col = cell_column (attr_value (attrs, "r"));
          if (col > (gint64) w->column)
            {
              guint gap = (guint) MIN (col - (gint64) w->column, (gint64) SHEET_MAX_GAP);
              tabs (w, w->text->len, gap);
              w->column += gap;
            }
        }
      else if (strcmp (local, "v") == 0)
        {
          w->in_value = TRUE;
          g_string_truncate (w->value, 0);
        }
    }
  else if (w->options->mode == XML_ODF)
    {
      if (strcmp (name, "table:table") == 0)
        walk_odf_flush (w, g_strdup_printf ("sheet %s", attr_value (attrs, "name") ?: "?"));
      else if (strcmp (name, "draw:page") == 0)
        walk_odf_flush (w, g_strdup_printf ("slide %u", ++w->pages));
      else if (strcmp (local, "table-row") == 0)
        w->empty_cells = 0;
      else if (strcmp (local, "table-cell") == 0 || strcmp (local, "covered-table-cell") == 0)
        {
          guint64 repeat = g_ascii_strtoull (attr_value (attrs, "number-columns-repeated") ?: "1", NULL, 10);
          w->cell_start = w->text->len;
          w->cell_repeat = (guint) CLAMP (repeat, 1, SHEET_MAX_GAP);
        }
    }
}

/* A table cell's end: an empty one is counted, one with text gets the tabs of the empty
 * ones before it, then its own. */
static void
walk_cell_end (Walk *w, const char *local)
{
  gboolean odf_cell = w->options->mode == XML_ODF
                      && (strcmp (local, "table-cell") == 0 || strcmp (local, "covered-table-cell") == 0);
  if (odf_cell && w->text->len == w->cell_start)
    {
      w->empty_cells = MIN (w->empty_cells + w->cell_repeat, SHEET_MAX_GAP);
      return;
    }
  if (odf_cell)
    {
      tabs (w, w->cell_start, w->empty_cells);
      w->empty_cells = 0;
    }
  /* A cell's paragraph (ODF text:p) ends the cell, not the row. */
  if (w->text->len > 0 && w->text->str[w->text->len - 1] == '\n')
    w->text->str[w->text->len - 1] = '\t';
  else if (w->options->mode == XML_SHEET)
    g_string_append_c (w->text, '\t');  /* an empty cell keeps its column too */
  else
    walk_sep (w, '\t');
  if (w->options->mode == XML_SHEET)
    w->column++;
}

static void
walk_sheet_value (Walk *w)
{
  w->in_value = FALSE;
  const char *value = w->value->str;
  if (w->shared_cell)
    {
      char *end = NULL;
      guint64 i = g_ascii_strtoull (value, &end, 10);
      if (end != value && w->options->shared != NULL && i < w->options->shared->len)
        value = w->options->shared->pdata[i];
      else
        value = "";
    }
  g_string_append (w->text, value);
}

static void XMLCALL
walk_end (void *data, const char *name)
{
  Walk *w = data;
  const char *local = local_name (name);
  if (w->skip_depth > 0)
    {
      if (w->skip_depth == w->depth)
        w->skip_depth = 0;
      w->depth--;
      return;
    }
  w->depth--;
  if (w->options->mode == XML_SHEET && w->in_value && strcmp (local, "v") == 0)
    walk_sheet_value (w);
  if (name_in (local, LINE_ENDS))
    walk_sep (w, '\n');
  else if (name_in (local, CELL_ENDS))
    walk_cell_end (w, local);
}

static void XMLCALL
walk_chars (void *data, const char *s, int len)
{
  Walk *w = data;
  if (w->skip_depth > 0 || len <= 0)
    return;
  g_string_append_len (w->in_value ? w->value : w->text, s, len);
}

/* No OOXML or ODF part declares a DTD: one that does is after entity tricks. */
static void XMLCALL
walk_doctype (void *data, const char *name, const char *sysid, const char *pubid, int has_internal)
{
  Walk *w = data;
  w->failed = TRUE;
  XML_StopParser (w->parser, XML_FALSE);
}

static gboolean
walk_parse (Walk *w, const guchar *data, gsize len, XML_StartElementHandler start,
            XML_EndElementHandler end, XML_CharacterDataHandler chars)
{
  w->parser = XML_ParserCreate (NULL);
  if (w->parser == NULL)
    return FALSE;
  XML_SetUserData (w->parser, w);
  XML_SetElementHandler (w->parser, start, end);
  XML_SetCharacterDataHandler (w->parser, chars);
  XML_SetStartDoctypeDeclHandler (w->parser, walk_doctype);
  gboolean ok = TRUE;
  /* Fed in pieces: XML_Parse takes an int length. */
  for (gsize off = 0; ok && off < len;)
    {
      gsize n = MIN (len - off, (gsize) (64u << 20));
      ok = XML_Parse (w->parser, (const char *) data + off, (int) n, FALSE) == XML_STATUS_OK;
      off += n;
    }
  ok = ok && XML_Parse (w->parser, "", 0, TRUE) == XML_STATUS_OK;
  XML_ParserFree (w->parser);
  w->parser = NULL;
  return ok && !w->failed;
}

gboolean
ex_xml_text (Ex *ex, const char *where, const guchar *data, gsize len, const XmlOptions *options)
{
  Walk w = { .ex = ex, .where = where, .options = options, .text = g_string_new (NULL),
             .value = g_string_new (NULL) };
  gboolean ok = walk_parse (&w, data, len, walk_start, walk_end, walk_chars);
  /* What was read before a fault is still told: a truncated part is no hiding place. */
  if (options->mode == XML_ODF)
    walk_odf_flush (&w, NULL);
  else
    ex_text (ex, where, w.text->str, w.text->len);
  g_string_free (w.text, TRUE);
  g_string_free (w.value, TRUE);
  return ok;
}

/* ---- queries ---- */

static void XMLCALL
si_start (void *data, const char *name, const char **attrs)
{
  Walk *w = data;
  const char *local = local_name (name);
  if (++w->depth > XML_MAX_DEPTH)
    {
      w->failed = TRUE;
      XML_StopParser (w->parser, XML_FALSE);
    }
  else if (strcmp (local, "si") == 0)
    {
      w->in_si = TRUE;
      g_string_truncate (w->text, 0);
    }
  else if (strcmp (local, "rPh") == 0 && w->skip_depth == 0)
    w->skip_depth = w->depth;  /* phonetic hints repeat the text */
}

static void XMLCALL
si_end (void *data, const char *name)
{
  Walk *w = data;
  if (w->skip_depth == w->depth)
    w->skip_depth = 0;
  w->depth--;
  if (strcmp (local_name (name), "si") == 0 && w->in_si)
    {
      g_ptr_array_add (w->found, g_strndup (w->text->str, w->text->len));
      w->in_si = FALSE;
    }
}

static void XMLCALL
si_chars (void *data, const char *s, int len)
{
  Walk *w = data;
  if (w->in_si && w->skip_depth == 0 && len > 0)
    g_string_append_len (w->text, s, len);
}

GPtrArray *
ex_xml_shared_strings (const guchar *data, gsize len)
{
  XmlOptions options = { XML_PLAIN, NULL };
  Walk w = { .options = &options, .text = g_string_new (NULL), .found = g_ptr_array_new_with_free_func (g_free) };
  walk_parse (&w, data, len, si_start, si_end, si_chars);
  g_string_free (w.text, TRUE);
  return w.found;
}

static void XMLCALL
pair_start (void *data, const char *name, const char **attrs)
{
  Walk *w = data;
  if (++w->depth > XML_MAX_DEPTH)
    {
      w->failed = TRUE;
      XML_StopParser (w->parser, XML_FALSE);
      return;
    }
  if (strcmp (local_name (name), w->element) != 0)
    return;
  g_ptr_array_add (w->found, g_strdup (w->attr_a ? attr_value (attrs, w->attr_a) ?: "" : ""));
  g_ptr_array_add (w->found, g_strdup (w->attr_b ? attr_value (attrs, w->attr_b) ?: "" : ""));
}

static void XMLCALL
pair_end (void *data, const char *name)
{
  ((Walk *) data)->depth--;
}

static void XMLCALL
pair_chars (void *data, const char *s, int len)
{
}

GPtrArray *
ex_xml_attr_pairs (const guchar *data, gsize len, const char *element, const char *a, const char *b)
{
  XmlOptions options = { XML_PLAIN, NULL };
  Walk w = { .options = &options, .element = element, .attr_a = a, .attr_b = b,
             .found = g_ptr_array_new_with_free_func (g_free) };
  walk_parse (&w, data, len, pair_start, pair_end, pair_chars);
  return w.found;
}

gboolean
ex_xml_has_element (const guchar *data, gsize len, const char *element)
{
  g_autoptr (GPtrArray) found = ex_xml_attr_pairs (data, len, element, NULL, NULL);
  return found->len > 0;
}
