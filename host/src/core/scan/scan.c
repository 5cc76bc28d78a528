#include "scan.h"

#include <string.h>

#include "engine/findings.h"
#include "engine/html.h"
#include "engine/score.h"
#include "scan/text-decode.h"

/* A declared size the host never saw counts at most four times the largest request a
 * browser may send (NM_MAX_REQUEST, 64 MiB): over any policy's limit, never a wrap. */
#define MAX_DECLARED_SIZE ((double) (G_GUINT64_CONSTANT (256) << 20))

gsize
scan_request_readable_size (const ScanRequest *request)
{
  gsize total = (request->text ? strlen (request->text) : 0) + (request->html ? strlen (request->html) : 0);
  for (guint i = 0; i < request->n_files; i++)
    if (request->files[i].bytes != NULL)
      total += request->files[i].bytes_len;
    else if (request->files[i].data != NULL)
      total += strlen (request->files[i].data) / 4 * 3;
  return total;
}

gboolean
scan_request_has_files (const ScanRequest *request)
{
  for (guint i = 0; i < request->n_files; i++)
    if (request->files[i].data != NULL && request->files[i].data[0] != '\0')
      return TRUE;
  return FALSE;
}

gsize
scan_request_size (const ScanRequest *request)
{
  gsize total = (request->text ? strlen (request->text) : 0) + (request->html ? strlen (request->html) : 0);
  for (guint i = 0; i < request->n_files; i++)
    {
      const ScanFile *file = &request->files[i];
      gsize part = 0;
      if (file->bytes != NULL)
        part = file->bytes_len;
      else if (file->data != NULL)
        part = strlen (file->data) / 4 * 3;
      else if (file->size > 0)
        part = (gsize) MIN (file->size, MAX_DECLARED_SIZE);
      total = part > G_MAXSIZE - total ? G_MAXSIZE : total + part;
    }
  return total;
}

/* Keeps one finding per (kind, rule, name, label, file, where), with the largest count
 * and score: the same card in the text and the HTML of one paste is one card; a card
 * in two sheets of a workbook is told for each. */
static void
merge_findings (GPtrArray *into, GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    {
      Finding *f = from->pdata[i];
      gboolean merged = FALSE;
      for (guint j = 0; j < into->len && !merged; j++)
        {
          Finding *g = into->pdata[j];
          if (g->kind == f->kind && !g_strcmp0 (g->rule, f->rule) && !g_strcmp0 (g->name, f->name)
              && !g_strcmp0 (g->label, f->label) && !g_strcmp0 (g->file, f->file)
              && !g_strcmp0 (g->where, f->where))
            {
              g->count = MAX (g->count, f->count);
              g->longest = MAX (g->longest, f->longest);
              g->words = MAX (g->words, f->words);
              g->score = MAX (g->score, f->score);
              g->ocr = g->ocr || f->ocr;
              merged = TRUE;
            }
        }
      if (!merged)
        g_ptr_array_add (into, g_ptr_array_steal_index (from, i--));
    }
}

/* One scan in progress. */
typedef struct {
  const EngineIndex *index;
  AuditDigest digest;
  gboolean digesting;  /* FALSE without an audit log */
  gint64 deadline;     /* monotonic microseconds */
  const ScanExtract *extract;  /* may be NULL */
  ScanResult *out;
} Scan;

/* One part's findings; file and where (both may be NULL) name where it came from.
 * alongside (may be NULL) runs on this thread while the part is scored. */
static void
scan_part_with (Scan *scan, const char *data, gsize len, const char *file, const char *where, gboolean ocr,
                EngineAlongside alongside, gpointer alongside_data)
{
  g_autoptr (GPtrArray) part = findings_new ();
  engine_score_with (scan->index, data, len, part, alongside, alongside_data);
  for (guint i = 0; i < part->len && file != NULL; i++)
    {
      Finding *f = part->pdata[i];
      f->file = g_strdup (file);
      f->where = where != NULL && where[0] != '\0' ? g_strdup (where) : NULL;
      f->ocr = ocr;
    }
  merge_findings (scan->out->findings, part);
}

static void
scan_part_from (Scan *scan, const char *data, gsize len, const char *file, const char *where, gboolean ocr)
{
  scan_part_with (scan, data, len, file, where, ocr, NULL, NULL);
}

static void
scan_part_in (Scan *scan, const char *data, gsize len, const char *file, const char *where)
{
  scan_part_from (scan, data, len, file, where, FALSE);
}

static void
scan_part (Scan *scan, const char *data, gsize len)
{
  scan_part_in (scan, data, len, NULL, NULL);
}

static void
scan_digest (Scan *scan, const void *data, gsize len)
{
  if (scan->digesting)
    audit_digest_update (&scan->digest, data, len);
}

typedef struct {
  Scan *scan;
  const char *data;
  gsize len;
} ScanDigestJob;

static void
scan_digest_job (gpointer data)
{
  ScanDigestJob *job = data;
  scan_digest (job->scan, job->data, job->len);
}

/* scan_part, and the part's digest taken on this thread while a large part's detectors
 * run on the engine's other one (engine_score_with): the content's digest is no longer
 * time the verdict waits for. The digest is the same as scan_digest first. */
static void
scan_part_digesting (Scan *scan, const char *data, gsize len)
{
  ScanDigestJob job = { scan, data, len };
  scan_part_with (scan, data, len, NULL, NULL, FALSE, scan_digest_job, &job);
}

/* Checked before each part, so a part that started in time always finishes: the
 * verdict is then complete even if it arrives a little late. */
static gboolean
scan_in_time (Scan *scan)
{
  if (!scan->out->overrun && g_get_monotonic_time () > scan->deadline)
    scan->out->overrun = TRUE;
  return !scan->out->overrun;
}

/* A file is read as text when it says so or when its first 4 KiB are valid UTF-8
 * without NUL bytes; anything else (images, archives, office files) is unreadable. */
static gboolean
looks_textual (const char *mime, const guchar *data, gsize len)
{
  if (mime != NULL && (g_str_has_prefix (mime, "text/") || strstr (mime, "json") || strstr (mime, "xml")
                       || strstr (mime, "csv") || strstr (mime, "javascript")))
    return TRUE;
  gsize head = MIN (len, 4096);
  if (memchr (data, '\0', head) != NULL)
    return FALSE;
  const char *end = NULL;
  /* A multi-byte sequence cut at the 4 KiB boundary is still text. */
  return g_utf8_validate ((const char *) data, (gssize) head, &end) || (head - (gsize) (end - (const char *) data)) < 4;
}

/* Whether s holds at least min characters, counting only as far as min: a full
 * g_utf8_strlen() of a large paste cost a third of the host's time. Any bytes are
 * safe here; a character is a byte that does not continue a UTF-8 sequence. */
static gboolean
reaches_chars (const char *s, gsize len, gsize min)
{
  gsize chars = 0;
  for (gsize i = 0; i < len && chars < min; i++)
    chars += ((guchar) s[i] & 0xC0) != 0x80;
  return chars >= min;
}

/* ---- files through the extractor ---- */

static void
scan_note (Scan *scan, ScanNoteKind kind, const char *file, const char *where, const char *detail)
{
  ScanResult *out = scan->out;
  if (out->notes->len >= SCAN_MAX_NOTES)
    {
      out->notes_dropped++;
      out->dropped_kinds |= 1u << kind;
      return;
    }
  ScanNote *note = g_new0 (ScanNote, 1);
  note->kind = kind;
  note->file = g_strdup (file);
  note->where = where != NULL && where[0] != '\0' ? g_strdup (where) : NULL;
  note->detail = g_strdup (detail);
  g_ptr_array_add (out->notes, note);
}

typedef struct {
  Scan *scan;
  const char *file;
  gboolean cut_by_deadline;  /* the scan's deadline, not the policy's time per file, set the time */
} FileScan;

static void
file_record (ExtractKind kind, const char *where, const char *data, gsize len, gpointer user_data)
{
  FileScan *fs = user_data;
  Scan *scan = fs->scan;
  switch (kind)
    {
    case EXTRACT_TEXT:
      scan_part_in (scan, data, len, fs->file, where);
      break;
    case EXTRACT_OCR_TEXT:
      scan_part_from (scan, data, len, fs->file, where, TRUE);
      break;
    case EXTRACT_ENCRYPTED:
      scan_note (scan, SCAN_NOTE_ENCRYPTED, fs->file, where, NULL);
      break;
    case EXTRACT_OVERSIZE:
      if (fs->cut_by_deadline && strcmp (data, "time_per_file_ms") == 0)
        scan->out->overrun = TRUE;  /* the request's time ran out: the timeout override */
      else
        scan_note (scan, SCAN_NOTE_OVERSIZE, fs->file, where, data);
      break;
    case EXTRACT_UNREADABLE:
      scan_note (scan, SCAN_NOTE_UNREADABLE, fs->file, where, data);
      break;
    case EXTRACT_NOT_READ:
      {
        g_autofree char *detail = g_strdup_printf ("format not read: %s", data);
        scan_note (scan, SCAN_NOTE_UNREADABLE, fs->file, where, detail);
      }
      break;
    }
}

static void
scan_file_extract (Scan *scan, const ScanFile *file, const guchar *bytes, gsize len)
{
  const char *name = file->name ? file->name : "";
  ExtractBounds bounds = *scan->extract->bounds;
  gint64 left_ms = (scan->deadline - g_get_monotonic_time ()) / 1000;
  FileScan fs = { scan, name, left_ms < (gint64) bounds.time_ms };
  bounds.time_ms = (guint32) CLAMP (left_ms, 1, (gint64) bounds.time_ms);
  g_autoptr (GError) error = NULL;
  if (!extractor_run (scan->extract->extractor, &bounds, name, file->mime, bytes, len, file_record, &fs, &error))
    {
      g_message ("extract: %s", error->message);
      scan_note (scan, SCAN_NOTE_UNREADABLE, name, NULL, "the document reader is not running");
    }
}

/* RTF and mail are text that must be parsed to be read: a card number in RTF can sit
 * behind escapes, a mail's attachments behind base64. */
static gboolean
needs_parsing (const ScanFile *file, const guchar *bytes, gsize len)
{
  if (len >= 5 && memcmp (bytes, "{\\rtf", 5) == 0)
    return TRUE;
  if (file->mime != NULL && (g_ascii_strcasecmp (file->mime, "message/rfc822") == 0
                             || g_ascii_strcasecmp (file->mime, "application/rtf") == 0))
    return TRUE;
  return file->name != NULL && (g_str_has_suffix (file->name, ".eml") || g_str_has_suffix (file->name, ".EML"));
}

/* A file's text: UTF-16 or UTF-32 with a byte-order mark, or a declared charset, is
 * decoded first (a key in UTF-16 is otherwise a NUL between every letter); UTF-8 is read
 * as it is, past a byte-order mark. Anything else goes to the extractor, or without
 * one is unreadable. */
static void
scan_file_text (Scan *scan, const ScanFile *file, const guchar *bytes, gsize len)
{
  gboolean extract = scan->extract != NULL && scan->extract->extractor != NULL;
  if (extract && needs_parsing (file, bytes, len))
    {
      scan_file_extract (scan, file, bytes, len);
      return;
    }
  const char *name = file->name ? file->name : "";
  gsize skip = 0, text_len = 0;
  TextEncoding encoding;
  g_autofree char *text = text_decode (file->mime, bytes, len, &skip, &text_len, &encoding);
  /* The bytes decide before the type: an Office file's type names "xml" but it is a zip. */
  if (text != NULL)
    scan_part_in (scan, text, text_len, name, NULL);
  else if (looks_textual (NULL, bytes + skip, len - skip))
    scan_part_in (scan, (const char *) bytes + skip, len - skip, name, NULL);
  else if (extract)
    scan_file_extract (scan, file, bytes, len);
  else if (looks_textual (file->mime, bytes + skip, len - skip))
    scan_part_in (scan, (const char *) bytes + skip, len - skip, name, NULL);
  else
    scan->out->unreadable++;
}

static void
scan_files (Scan *scan, const ScanRequest *request)
{
  for (guint i = 0; i < request->n_files; i++)
    {
      const ScanFile *file = &request->files[i];
      gsize len = 0;
      if (!scan_in_time (scan))
        return;
      if (file->bytes != NULL)
        {
          /* Sent in chunks: the bytes are here already. */
          if (file->bytes_len == 0)
            continue;
          scan_digest (scan, file->bytes, file->bytes_len);
          scan_file_text (scan, file, file->bytes, file->bytes_len);
          continue;
        }
      if (file->data != NULL && file->data[0] == '\0')
        continue;  /* an empty file: nothing to read, nothing hidden */
      if (file->data == NULL)
        continue;  /* sent as its name and size only: the verdict module counts it */
      g_autofree guchar *bytes = g_base64_decode (file->data, &len);
      scan_digest (scan, bytes, len);
      scan_file_text (scan, file, bytes, len);
    }
}

static void
scan_content (Scan *scan, const ScanRequest *request, gsize min_chars)
{
  const char *text = request->text, *html = request->html;
  gsize text_len = text ? strlen (text) : 0;
  g_autofree char *html_text = NULL, *hidden = NULL;
  gsize html_len = 0, hidden_len = 0;
  /* The digest covers the text, the HTML, then the files, in that order: a plain
   * paste's text is digested while it is scanned, the text beside HTML first. */
  gboolean text_digested = text == NULL;
  if (text != NULL && html != NULL)
    {
      scan_digest (scan, text, text_len);
      text_digested = TRUE;
    }
  if (html != NULL)
    {
      scan_digest (scan, html, strlen (html));
      html_text = engine_html_to_text (html, strlen (html), &html_len);
      /* The page also receives what the HTML does not show: attributes, comments,
       * scripts, styles, hidden fields. */
      hidden = engine_html_hidden_text (html, strlen (html), &hidden_len);
    }
  if (reaches_chars (text, text_len, min_chars) || reaches_chars (html_text, html_len, min_chars)
      || reaches_chars (hidden, hidden_len, min_chars))
    {
      if (text_len > 0 && scan_in_time (scan))
        {
          if (text_digested)
            scan_part (scan, text, text_len);
          else
            scan_part_digesting (scan, text, text_len);
          text_digested = TRUE;
        }
      /* The HTML a rich editor inserts can differ from the plain text: scan both. */
      if (html_len > 0 && (text_len != html_len || memcmp (text, html_text, text_len) != 0)
          && scan_in_time (scan))
        scan_part (scan, html_text, html_len);
      if (hidden_len > 0 && scan_in_time (scan))
        scan_part (scan, hidden, hidden_len);
    }
  if (!text_digested)
    scan_digest (scan, text, text_len);
  scan_files (scan, request);
}

static void
scan_note_free (ScanNote *note)
{
  g_free (note->file);
  g_free (note->where);
  g_free (note->detail);
  g_free (note);
}

void
scan_run (const ScanRequest *request, const EngineIndex *index, gsize min_chars, gint64 deadline,
          Audit *audit, const ScanExtract *extract, ScanResult *out)
{
  *out = (ScanResult) { .findings = findings_new (),
                        .notes = g_ptr_array_new_with_free_func ((GDestroyNotify) scan_note_free) };
  Scan scan = { .index = index, .digesting = audit != NULL, .deadline = deadline, .extract = extract, .out = out };
  if (scan.digesting)
    audit_digest_init (audit, &scan.digest);
  scan_content (&scan, request, min_chars);
  if (scan.digesting)
    audit_digest_finish (&scan.digest, out->digest);
  /* The digest would cover only part of the content: it is left out. */
  if (out->overrun)
    out->digest[0] = '\0';
}

void
scan_result_clear (ScanResult *result)
{
  g_clear_pointer (&result->findings, g_ptr_array_unref);
  g_clear_pointer (&result->notes, g_ptr_array_unref);
}
