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
 * and score: the same card in the text and the HTML of one paste is one card; the same
 * card in two files is told for each file. */
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
  ScanResult *out;
  const char *file;    /* the name of the file being read, or NULL for text and HTML */
} Scan;

static void
scan_part (Scan *scan, const char *data, gsize len)
{
  g_autoptr (GPtrArray) part = findings_new ();
  engine_score (scan->index, data, len, part);
  /* What a file held says which file: the dialog and the audit record name it. */
  for (guint i = 0; i < part->len && scan->file != NULL; i++)
    ((Finding *) part->pdata[i])->file = g_strdup (scan->file);
  merge_findings (scan->out->findings, part);
}

static void
scan_digest (Scan *scan, const void *data, gsize len)
{
  if (scan->digesting)
    audit_digest_update (&scan->digest, data, len);
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

/* A file's text: UTF-16 or UTF-32 with a byte-order mark, or a declared charset, is
 * decoded first (a key in UTF-16 is otherwise a NUL between every letter); UTF-8 is read
 * as it is, past a byte-order mark. Anything else is unreadable. */
static void
scan_file_text (Scan *scan, const char *mime, const guchar *bytes, gsize len)
{
  gsize skip = 0, text_len = 0;
  TextEncoding encoding;
  g_autofree char *text = text_decode (mime, bytes, len, &skip, &text_len, &encoding);
  if (text != NULL)
    scan_part (scan, text, text_len);
  else if (looks_textual (mime, bytes + skip, len - skip))
    scan_part (scan, (const char *) bytes + skip, len - skip);
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
      scan->file = file->name;
      if (file->bytes != NULL)
        {
          /* Sent in chunks: the bytes are here already. */
          if (file->bytes_len == 0)
            continue;
          scan_digest (scan, file->bytes, file->bytes_len);
          scan_file_text (scan, file->mime, file->bytes, file->bytes_len);
          continue;
        }
      if (file->data != NULL && file->data[0] == '\0')
        continue;  /* an empty file: nothing to read, nothing hidden */
      if (file->data == NULL)
        continue;  /* sent as its name and size only: the verdict module counts it */
      g_autofree guchar *bytes = g_base64_decode (file->data, &len);
      scan_digest (scan, bytes, len);
      scan_file_text (scan, file->mime, bytes, len);
    }
  scan->file = NULL;
}

static void
scan_content (Scan *scan, const ScanRequest *request, gsize min_chars)
{
  const char *text = request->text, *html = request->html;
  gsize text_len = text ? strlen (text) : 0;
  g_autofree char *html_text = NULL, *hidden = NULL;
  gsize html_len = 0, hidden_len = 0;
  if (text != NULL)
    scan_digest (scan, text, text_len);
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
        scan_part (scan, text, text_len);
      /* The HTML a rich editor inserts can differ from the plain text: scan both. */
      if (html_len > 0 && (text_len != html_len || memcmp (text, html_text, text_len) != 0)
          && scan_in_time (scan))
        scan_part (scan, html_text, html_len);
      if (hidden_len > 0 && scan_in_time (scan))
        scan_part (scan, hidden, hidden_len);
    }
  scan_files (scan, request);
}

void
scan_run (const ScanRequest *request, const EngineIndex *index, gsize min_chars, gint64 deadline,
          Audit *audit, ScanResult *out)
{
  *out = (ScanResult) { .findings = findings_new () };
  Scan scan = { .index = index, .digesting = audit != NULL, .deadline = deadline, .out = out };
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
}
