/* ex-image.c: the text in an image, read by OCR (issue 26).
 *
 * Tesseract (Apache-2.0) with Leptonica (BSD-2) to decode PNG, JPEG, WebP, GIF (the first
 * frame), BMP and TIFF, both from Debian's packages: OCR is far past what a hand-written
 * reader could do, and these are what every free OCR pipeline on Linux uses. The engine
 * and its language models are loaded once by the launcher (ex_ocr_preload), before any
 * sandbox; each forked child then recognises from memory alone (no file is opened after
 * the models are in), single-threaded (OMP_THREAD_LIMIT=1 from the host: the child's
 * seccomp filter has no clone), within the policy's OCR time and pixel bounds.
 *
 * What comes out is recognised text ('R' records), repaired where OCR's usual confusions
 * would hide a value whose checksum can still tell: runs of digits read with O for 0 or
 * l for 1, a PEM key's dashes read as letters, words broken at line ends. */
#include "ex.h"

#include "weir-config.h"

#include <string.h>

#if WEIR_HAVE_TESSERACT
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>
#endif

#if WEIR_HAVE_TESSERACT
static TessBaseAPI *ocr_api;
static char ocr_error[160];

gboolean
ex_ocr_preload (const char *languages)
{
  if (ocr_api != NULL)
    return TRUE;
  setMsgSeverity (L_SEVERITY_NONE);
  TessBaseAPI *api = TessBaseAPICreate ();
  /* NULL: Tesseract's own data path (TESSDATA_PREFIX, else where Debian installs it). */
  if (TessBaseAPIInit3 (api, NULL, languages) != 0)
    {
      g_snprintf (ocr_error, sizeof ocr_error, "OCR languages \"%s\" are not installed", languages);
      TessBaseAPIDelete (api);
      return FALSE;
    }
  TessBaseAPISetVariable (api, "debug_file", "/dev/null");
  /* A first recognition runs what Tesseract initialises lazily, while files can be read. */
  PIX *blank = pixCreate (64, 32, 8);
  if (blank != NULL)
    {
      pixSetAllArbitrary (blank, 255);
      TessBaseAPISetImage2 (api, blank);
      TessBaseAPISetSourceResolution (api, 96);
      char *text = TessBaseAPIGetUTF8Text (api);
      TessDeleteText (text);
      TessBaseAPIClear (api);
      pixDestroy (&blank);
    }
  ocr_api = api;
  return TRUE;
}
#else
gboolean
ex_ocr_preload (const char *languages)
{
  return FALSE;
}
#endif

/* ---- repairs ---- */

/* A character OCR confuses with a digit, as that digit; -1 when it is none. */
static int
digit_lookalike (char c)
{
  switch (c)
    {
    case 'O': case 'o': case 'D': case 'Q':
      return '0';
    case 'l': case 'I': case 'i': case '|': case '!':
      return '1';
    case 'Z': case 'z':
      return '2';
    case 'S': case 's':
      return '5';
    case 'G': case 'b':
      return '6';
    case 'B':
      return '8';
    case 'g': case 'q':
      return '9';
    default:
      return -1;
    }
}

/* Within runs of digits, spaces and dashes holding at least 8 digits, a lookalike next to
 * a digit becomes that digit ("4lll 1111 llll 1111" -> "4111 1111 1111 1111"). A value
 * read so still has to pass its checksum (Luhn, mod 97) to be a finding. TRUE when
 * anything changed. */
static gboolean
repair_digits (GString *s)
{
  gboolean changed = FALSE;
  gsize i = 0;
  while (i < s->len)
    {
      /* A candidate run: digits, lookalikes, spaces and dashes, starting at a digit. */
      if (!g_ascii_isdigit (s->str[i]) && digit_lookalike (s->str[i]) < 0)
        {
          i++;
          continue;
        }
      gsize start = i, digits = 0, looks = 0;
      while (i < s->len && (g_ascii_isdigit (s->str[i]) || digit_lookalike (s->str[i]) >= 0
                            || s->str[i] == ' ' || s->str[i] == '-'))
        {
          digits += g_ascii_isdigit (s->str[i]) != 0;
          looks += digit_lookalike (s->str[i]) >= 0;
          i++;
        }
      /* Mostly digits: a word such as "Is" or "so" between numbers stays as it is. */
      if (digits < 8 || looks == 0 || looks * 3 > digits)
        continue;
      for (gsize j = start; j < i; j++)
        {
          int d = digit_lookalike (s->str[j]);
          if (d < 0)
            continue;
          gboolean near = (j > start && g_ascii_isdigit (s->str[j - 1]))
                          || (j + 1 < i && (g_ascii_isdigit (s->str[j + 1]) || digit_lookalike (s->str[j + 1]) >= 0));
          if (near)
            {
              s->str[j] = (char) d;
              changed = TRUE;
            }
        }
    }
  return changed;
}

/* "sees BEGIN RSA PRIVATE KEY-----" (OCR reads a row of dashes as letters) becomes
 * "-----BEGIN RSA PRIVATE KEY-----", and the same for END: the key's body still has to
 * look like one for the detector to say so. */
static gboolean
repair_pem_line (GString *line)
{
  static const char *const marks[] = { "BEGIN ", "END " };
  for (gsize m = 0; m < G_N_ELEMENTS (marks); m++)
    {
      const char *at = strstr (line->str, marks[m]);
      const char *key = at ? strstr (at, "PRIVATE KEY") : NULL;
      if (key == NULL || key - at > 40)
        continue;
      gsize label_end = (gsize) (key - line->str) + strlen ("PRIVATE KEY");
      if (strncmp (line->str + label_end, " BLOCK", 6) == 0)
        label_end += 6;
      g_autofree char *label = g_strndup (at, label_end - (gsize) (at - line->str));
      g_autofree char *fixed = g_strdup_printf ("-----%s-----", label);
      if (strcmp (fixed, line->str) == 0)
        return FALSE;
      g_string_assign (line, fixed);
      return TRUE;
    }
  return FALSE;
}

/* Joins a word broken at a line end ("confi-\ndential" -> "confidential\n"), so
 * fingerprints of protected documents see the word they were built from. */
static void
join_broken_words (GString *s)
{
  for (gsize i = 1; i + 2 < s->len; i++)
    {
      if (s->str[i] != '-' || s->str[i + 1] != '\n' || !g_ascii_isalpha (s->str[i - 1])
          || !g_ascii_islower (s->str[i + 2]))
        continue;
      gsize end = i + 2;
      while (end < s->len && !g_ascii_isspace (s->str[end]))
        end++;
      /* "confi" + "dential" then the newline where the word ended */
      g_autofree char *rest = g_strndup (s->str + i + 2, end - (i + 2));
      g_string_erase (s, (gssize) i, (gssize) (end - i));
      g_string_insert (s, (gssize) i, rest);
      g_string_insert_c (s, (gssize) (i + strlen (rest)), '\n');
      if (end < s->len && s->str[i + strlen (rest) + 1] == ' ')
        g_string_erase (s, (gssize) (i + strlen (rest) + 1), 1);
    }
}

/* A PEM body line as OCR reads it ("MIIEvQIB ADAN@gkq‘hki"): only the base64 alphabet
 * stays, so the detector sees a body's shape; OCR's substitutions inside it are not
 * undone (nothing here decodes a key). TRUE when anything changed. */
static gboolean
repair_pem_body (GString *line)
{
  gsize kept = 0;
  for (gsize i = 0; i < line->len; i++)
    {
      char c = line->str[i];
      if (g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=')
        line->str[kept++] = c;
    }
  gboolean changed = kept != line->len;
  g_string_truncate (line, kept);
  return changed;
}

/* The text as read, then (when they change anything) its repaired lines: numbers, and a
 * PEM key's header, body and footer together. */
void
ex_ocr_text (Ex *ex, const char *where, const char *text, gsize len)
{
  g_autoptr (GString) s = g_string_new_len (text, (gssize) len);
  join_broken_words (s);
  ex_text_kind (ex, EXTRACT_OCR_TEXT, where, s->str, s->len);
  g_autoptr (GString) repaired = g_string_new (NULL);
  g_autoptr (GString) block = g_string_new (NULL);  /* the PEM block being read */
  gboolean in_pem = FALSE, pem_changed = FALSE;
  g_auto (GStrv) lines = g_strsplit (s->str, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GString) line = g_string_new (lines[i]);
      gboolean header = repair_pem_line (line);
      gboolean is_mark = g_str_has_prefix (line->str, "-----BEGIN ") || g_str_has_prefix (line->str, "-----END ");
      if (is_mark && g_str_has_prefix (line->str, "-----BEGIN "))
        {
          in_pem = TRUE;
          pem_changed = header;
          g_string_truncate (block, 0);
        }
      if (in_pem)
        {
          if (!is_mark && line->len > 0)
            pem_changed |= repair_pem_body (line);
          else
            pem_changed |= header;
          if (line->len > 0)
            {
              g_string_append_len (block, line->str, (gssize) line->len);
              g_string_append_c (block, '\n');
            }
          if (g_str_has_prefix (line->str, "-----END ") || block->len > 64 * 1024)
            {
              if (pem_changed)
                g_string_append_len (repaired, block->str, (gssize) block->len);
              in_pem = FALSE;
            }
          continue;
        }
      if (repair_digits (line))
        {
          g_string_append_len (repaired, line->str, (gssize) line->len);
          g_string_append_c (repaired, '\n');
        }
    }
  if (in_pem && pem_changed)  /* a key cut off at the image's edge */
    g_string_append_len (repaired, block->str, (gssize) block->len);
  if (repaired->len > 0)
    ex_text_kind (ex, EXTRACT_OCR_TEXT, where, repaired->str, repaired->len);
}

/* ---- recognition ---- */

/* Once per image content and file: a logo on every page of a PDF is read once. */
static gboolean
image_first_seen (Ex *ex, const guint8 *data, gsize len)
{
  guint64 h = 14695981039346656037ULL;  /* FNV-1a: equal content, not an adversary's collision */
  for (gsize i = 0; i < len; i++)
    h = (h ^ data[i]) * 1099511628211ULL;
  for (guint i = 0; i < MIN (ex->ocr_seen_n, G_N_ELEMENTS (ex->ocr_seen)); i++)
    if (ex->ocr_seen[i] == h)
      return FALSE;
  ex->ocr_seen[ex->ocr_seen_n++ % G_N_ELEMENTS (ex->ocr_seen)] = h;
  return TRUE;
}

static void
emit_literal (Ex *ex, ExtractKind kind, const char *where, const char *what)
{
  ex_emit (ex, kind, where, what, strlen (what));
}

void
ex_images_not_read (Ex *ex, const char *where, guint count)
{
  if (count == 0)
    return;
  g_autofree char *what = g_strdup_printf ("%u image%s, OCR is off for this site", count, count == 1 ? "" : "s");
  emit_literal (ex, EXTRACT_NOT_READ, where, what);
}

static void
ocr_late (Ex *ex, const char *where)
{
  if (ex->ocr_late_told)
    return;
  ex->ocr_late_told = TRUE;
  /* Not read in time is unreadable, naming the bound (a size bound is oversize). */
  g_autofree char *why = g_strdup_printf ("not read within ocr.time_ms (%u ms)", ex->bounds.ocr_time_ms);
  emit_literal (ex, EXTRACT_UNREADABLE, where, why);
}

gboolean
ex_ocr_time_left (Ex *ex, const char *where)
{
  if (ex->ocr_spent_ms < ex->bounds.ocr_time_ms)
    return TRUE;
  ocr_late (ex, where);
  return FALSE;
}

#if WEIR_HAVE_TESSERACT
/* FALSE (and the record saying why) when OCR cannot read an image now. */
static gboolean
ocr_ready (Ex *ex, const char *where)
{
  if (ocr_api == NULL)
    {
      emit_literal (ex, EXTRACT_UNREADABLE, where, ocr_error[0] ? ocr_error : "OCR is not available");
      return FALSE;
    }
  return ex_ocr_time_left (ex, where);
}

/* Recognises grey (taken) within what is left of the file's OCR time. */
static void
ocr_grey (Ex *ex, const char *where, PIX *grey, int dpi)
{
  guint32 left_ms = ex->bounds.ocr_time_ms - ex->ocr_spent_ms;
  TessBaseAPISetImage2 (ocr_api, grey);
  TessBaseAPISetSourceResolution (ocr_api, dpi);
  ETEXT_DESC *monitor = TessMonitorCreate ();
  TessMonitorSetDeadlineMSecs (monitor, (int) MIN (left_ms, (guint32) G_MAXINT));
  gint64 start = g_get_monotonic_time ();
  int rc = TessBaseAPIRecognize (ocr_api, monitor);
  gint64 spent_ms = (g_get_monotonic_time () - start) / 1000;
  TessMonitorDelete (monitor);
  ex->ocr_spent_ms = (guint32) MIN ((gint64) ex->ocr_spent_ms + spent_ms, (gint64) G_MAXUINT32);
  if (rc != 0 || spent_ms >= (gint64) left_ms)
    {
      if (spent_ms >= (gint64) left_ms)
        ocr_late (ex, where);
      else
        emit_literal (ex, EXTRACT_UNREADABLE, where, "OCR failed");
    }
  else
    {
      char *text = TessBaseAPIGetUTF8Text (ocr_api);
      if (text != NULL)
        ex_ocr_text (ex, where, text, strlen (text));
      TessDeleteText (text);
    }
  TessBaseAPIClear (ocr_api);
  pixDestroy (&grey);
}

static gboolean
pixels_within (Ex *ex, const char *where, guint64 width, guint64 height)
{
  if (width * height <= ex->bounds.ocr_max_pixels)
    return TRUE;
  emit_literal (ex, EXTRACT_OVERSIZE, where, "ocr_max_pixels");
  return FALSE;
}
#endif

void
ex_image (Ex *ex, const char *where, const char *format, const guchar *data, gsize len)
{
  if (!ex->bounds.ocr)
    {
      g_autofree char *what = g_strdup_printf ("%s, OCR is off for this site", format);
      emit_literal (ex, EXTRACT_NOT_READ, where, what);
      return;
    }
#if WEIR_HAVE_TESSERACT
  if (!image_first_seen (ex, data, len) || !ocr_ready (ex, where))
    return;
  l_int32 fmt = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (pixReadHeaderMem (data, len, &fmt, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 || h <= 0)
    {
      emit_literal (ex, EXTRACT_UNREADABLE, where, "damaged image");
      return;
    }
  if (!pixels_within (ex, where, (guint64) w, (guint64) h))
    return;
  PIX *pix = pixReadMem (data, len);
  PIX *grey = pix != NULL ? pixConvertTo8 (pix, FALSE) : NULL;
  pixDestroy (&pix);
  if (grey == NULL)
    {
      emit_literal (ex, EXTRACT_UNREADABLE, where, "damaged image");
      return;
    }
  /* Screenshots carry no resolution; 96 is a screen's, and what Tesseract's models see best
   * for text drawn at a browser's sizes. */
  ocr_grey (ex, where, grey, 96);
#else
  emit_literal (ex, EXTRACT_NOT_READ, where, "this build reads no images (no Tesseract)");
#endif
}

void
ex_image_grey (Ex *ex, const char *where, const guint8 *pixels, int width, int height, int stride,
               int dpi)
{
  /* Too small to hold a word OCR could read: a rule, a bullet, a corner. */
  if (width < 16 || height < 8 || (gint64) width * height < 2048 || stride < width)
    return;
  if (!ex->bounds.ocr)
    {
      ex_images_not_read (ex, where, 1);
      return;
    }
#if WEIR_HAVE_TESSERACT
  if (!image_first_seen (ex, pixels, (gsize) stride * (gsize) height) || !ocr_ready (ex, where)
      || !pixels_within (ex, where, (guint64) width, (guint64) height))
    return;
  PIX *grey = pixCreate (width, height, 8);
  if (grey == NULL)
    {
      emit_literal (ex, EXTRACT_UNREADABLE, where, "image too large to decode");
      return;
    }
  l_uint32 *data = pixGetData (grey);
  l_int32 wpl = pixGetWpl (grey);
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * (gsize) stride;
      l_uint32 *line = data + (gsize) y * (gsize) wpl;
      for (int x = 0; x < width; x++)
        SET_DATA_BYTE (line, x, row[x]);
    }
  ocr_grey (ex, where, grey, CLAMP (dpi, 70, 600));
#else
  emit_literal (ex, EXTRACT_NOT_READ, where, "this build reads no images (no Tesseract)");
#endif
}
