/* scan.h: what a request asks Weir to read (text, HTML, files) in, findings out.
 *
 * The scan reads; it does not decide. It sniffs files for text, decodes them, keeps a
 * deadline between parts, merges the findings of the parts and digests what it read
 * for the audit record. The verdict module (verdict/) turns the result into a verdict. */
#pragma once

#include <glib.h>

#include "audit/audit.h"
#include "engine/index.h"
#include "extract.h"

/* One file of a request. Strings are borrowed from whoever built the request (the
 * protocol's parsed JSON, the CLI's buffers). */
typedef struct {
  const char *name;
  const char *mime;   /* NULL when not given */
  const char *data;   /* standard base64 as sent (validated); NULL when the host never saw the bytes */
  const guchar *bytes;  /* or the bytes themselves, when they came in chunks (upload.h); else NULL */
  gsize bytes_len;
  double size;        /* the declared size in bytes; < 0 when not given */
} ScanFile;

/* A scan request; every string borrowed. event, origin are never NULL. */
typedef struct {
  const char *event;   /* paste, drop, upload or clipboard-read */
  const char *origin;  /* where the content is going */
  const char *url;     /* may be NULL */
  const char *text;    /* may be NULL */
  const char *html;    /* may be NULL */
  const ScanFile *files;
  guint n_files;
  gboolean spans;      /* the sender can mask: tell where the findings are (issue 24) */
} ScanRequest;

/* Bytes the request asks Weir to read, counting base64 as what it decodes to and a
 * file without data at its declared size (saturating, never wrapping). */
gsize scan_request_size (const ScanRequest *request);
/* The bytes Weir would read: text, HTML and the files whose data came (what the
 * policy's max_scan_bytes limits; a file sent without data is oversize by itself). */
gsize scan_request_readable_size (const ScanRequest *request);

/* Whether the request holds a file with bytes to read. */
gboolean scan_request_has_files (const ScanRequest *request);

/* What a file (or a part inside it) could not be read for. */
typedef enum {
  SCAN_NOTE_ENCRYPTED,    /* password-protected: the policy's encrypted verdict */
  SCAN_NOTE_OVERSIZE,     /* over a bound (detail: its policy field): the oversize verdict */
  SCAN_NOTE_UNREADABLE,   /* damaged, a format not read, the extractor stopped (detail: why) */
} ScanNoteKind;

typedef struct {
  ScanNoteKind kind;
  char *file;             /* the name the file was sent with */
  char *where;            /* inside it, or NULL for the file itself */
  char *detail;           /* NULL for encrypted */
} ScanNote;

#define SCAN_MAX_NOTES 256  /* kept per scan; more are counted in notes_dropped */

/* Reading documents and archives: the extractor (NULL: every file that is not text is
 * unreadable) and the policy's bounds. Borrowed. */
typedef struct {
  Extractor *extractor;
  const ExtractBounds *bounds;
} ScanExtract;

/* What the scan found and how it went. */
typedef struct {
  GPtrArray *findings;    /* Finding*, owned; those from files name the file and where */
  GPtrArray *notes;       /* ScanNote*, owned, in order */
  guint notes_dropped;    /* past SCAN_MAX_NOTES, by kind: still decided on */
  guint dropped_kinds;    /* 1 << ScanNoteKind of each dropped note */
  guint unreadable;       /* files that are not text when there is no extractor (files
                           * sent without data are not read, and not counted here) */
  gboolean overrun;       /* the deadline passed with parts unread */
  char digest[65];        /* keyed SHA-256 hex of what was read; "" without an audit log
                           * or when parts went unread */
} ScanResult;

/* Scans the text, the HTML's visible text (when either reaches min_chars characters)
 * and each file against index, until deadline (monotonic microseconds): a part that
 * would start after it is skipped and out->overrun set. audit keys the content digest;
 * NULL leaves it empty. out is initialised here; clear it with scan_result_clear. */
/* Files that are not plain text (and RTF and mail, which are) go to extract's
 * extractor, one at a time, each with the policy's time per file or what is left of the
 * deadline, whichever is shorter; their text is scored like a paste's, each finding
 * naming the file and where in it. extract may be NULL. */
void scan_run (const ScanRequest *request, const EngineIndex *index, gsize min_chars,
               gint64 deadline, Audit *audit, const ScanExtract *extract, ScanResult *out);
void scan_result_clear (ScanResult *result);
