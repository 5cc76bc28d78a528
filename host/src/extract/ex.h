/* ex.h: weir-extract's parsers, one file each, and what they share.
 *
 * Everything here reads untrusted bytes: every length is checked against what is
 * left, every bound (ExtractBounds) is counted in one Ex that all depths share, and
 * what exceeds a bound is told as an 'O' record naming its policy field, never dropped
 * in silence. The parsers only ever see memory: the child that runs them cannot open
 * a file (seccomp, Landlock), so no library can be talked into reading one. */
#pragma once

#include <glib.h>

#include "extract.h"

typedef struct {
  ExtractBounds bounds;
  guint64 input_len;   /* the file as sent */
  guint64 inflated;    /* bytes inflated so far, every depth */
  guint32 members;     /* archive members so far, every depth */
  gboolean stopped;    /* a bound that holds for the whole file was hit: read no more */
  int out_fd;          /* records go here; -1 discards them (the fuzzers) */
  gboolean out_broken; /* the reader went away */
  guint32 ocr_spent_ms;  /* OCR time so far, every image of the file: ocr_time_ms bounds the sum */
  guint32 ocr_seen_n;    /* images read so far, by content: one read of a logo on every page */
  guint64 ocr_seen[64];
  gboolean ocr_late_told; /* "not read within ocr.time_ms" was said: once a file */
} Ex;

void ex_init (Ex *ex, const ExtractBounds *bounds, guint64 input_len, int out_fd);

/* One record (extract.h's framing). */
void ex_emit (Ex *ex, ExtractKind kind, const char *where, const char *data, gsize len);
/* A text record, once the text is valid UTF-8 (invalid bytes become U+FFFD) and holds
 * something other than white space. */
void ex_text (Ex *ex, const char *where, const char *text, gsize len);
/* Counts n more inflated bytes of a member that has now inflated member_total bytes
 * out of a container of container_len bytes (0: no ratio to hold, e.g. a PDF's text);
 * FALSE (and the 'O' record) when that passes max_inflated, or max_ratio times the
 * container (past the first MiB of a member) or the file sent (past its first 8 MiB):
 * the caller stops reading, and so does everything else (ex->stopped). */
gboolean ex_inflate (Ex *ex, guint64 n, guint64 member_total, gsize container_len, const char *where);
/* Counts one more archive member; FALSE (and the 'O' record) past max_members. */
gboolean ex_member (Ex *ex, const char *where);

/* parent › part; parent may be "" or NULL. Caller frees. */
char *ex_where (const char *parent, const char *part);

/* Sniffs one file's bytes (name and mime are hints only) and hands it to its parser.
 * depth: 0 for the file sent, +1 inside each archive or attachment. */
void ex_file (Ex *ex, const char *where, const char *name, const char *mime, const guchar *data,
              gsize len, guint depth);

/* The parsers. */
void ex_zip_document (Ex *ex, const char *where, const guchar *data, gsize len, guint depth);
void ex_archive (Ex *ex, const char *where, const char *name, const guchar *data, gsize len,
                 guint depth);
void ex_pdf (Ex *ex, const char *where, const guchar *data, gsize len, guint depth);
void ex_rtf (Ex *ex, const char *where, const guchar *data, gsize len);
void ex_eml (Ex *ex, const char *where, const guchar *data, gsize len, guint depth);
/* Text of any encoding sniffable by byte-order mark, else UTF-8 (else 'N'). */
void ex_plain (Ex *ex, const char *where, const guchar *data, gsize len);

/* A record of text of the given kind (EXTRACT_TEXT or EXTRACT_OCR_TEXT), as ex_text. */
void ex_text_kind (Ex *ex, ExtractKind kind, const char *where, const char *text, gsize len);

/* Issue 26: an image (format: "image (PNG)"...) read by OCR when the bounds turn it on;
 * ex_ocr_text() is what is done with the text read (also the fuzzers' way in). */
void ex_image (Ex *ex, const char *where, const char *format, const guchar *data, gsize len);
/* An image already decoded (a PDF's, by poppler): 8-bit grey, 0 black, rows stride bytes
 * apart, drawn at dpi dots per inch. */
void ex_image_grey (Ex *ex, const char *where, const guint8 *pixels, int width, int height, int stride,
                    int dpi);
/* "image (PNG)"... for the image formats OCR reads, else NULL. */
const char *ex_image_format (const guchar *data, gsize len);
/* FALSE when the file's OCR time is spent (said once a file, at where): read no more images. */
gboolean ex_ocr_time_left (Ex *ex, const char *where);
/* Images of a document not read because OCR is off for the site: one record for them all. */
void ex_images_not_read (Ex *ex, const char *where, guint count);
void ex_ocr_text (Ex *ex, const char *where, const char *text, gsize len);
/* Loads the OCR engine and languages ("eng+deu") once, in the launcher, with the first
 * job that has OCR on, before its child's sandbox; FALSE when they cannot be (images
 * are then unreadable, saying why). */
gboolean ex_ocr_preload (const char *languages);

/* Windows-1252 to UTF-8 (NULL when iconv cannot); caller frees. */
char *ex_cp1252 (const char *data, gsize len, gsize *out_len);

/* Called once in the launcher, before any sandbox: what the parsers initialise lazily
 * (type systems, tables read from files) is initialised while files can be read. */
void ex_preload (void);
