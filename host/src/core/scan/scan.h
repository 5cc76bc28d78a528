/* scan.h: what a request asks Weir to read (text, HTML, files) in, findings out.
 *
 * The scan reads; it does not decide. It sniffs files for text, decodes them, keeps a
 * deadline between parts, merges the findings of the parts and digests what it read
 * for the audit record. The verdict module (verdict/) turns the result into a verdict. */
#pragma once

#include <glib.h>

#include "audit/audit.h"
#include "engine/index.h"

/* One file of a request. Strings are borrowed from whoever built the request (the
 * protocol's parsed JSON, the CLI's buffers). */
typedef struct {
  const char *name;
  const char *mime;   /* NULL when not given */
  const char *data;   /* standard base64 as sent (validated); NULL when the host never saw the bytes */
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

/* What the scan found and how it went. */
typedef struct {
  GPtrArray *findings;    /* Finding*, owned */
  guint unreadable;       /* files that are not text (files sent without data are not
                           * read, and not counted here) */
  gboolean overrun;       /* the deadline passed with parts unread */
  char digest[65];        /* keyed SHA-256 hex of what was read; "" without an audit log
                           * or when parts went unread */
} ScanResult;

/* Scans the text, the HTML's visible text (when either reaches min_chars characters)
 * and each file against index, until deadline (monotonic microseconds): a part that
 * would start after it is skipped and out->overrun set. audit keys the content digest;
 * NULL leaves it empty. out is initialised here; clear it with scan_result_clear. */
void scan_run (const ScanRequest *request, const EngineIndex *index, gsize min_chars,
               gint64 deadline, Audit *audit, ScanResult *out);
void scan_result_clear (ScanResult *result);
