/* extract.h: reading the text inside documents and archives, out of the host's
 * address space.
 *
 * weir-extract (host/src/extract/) parses one file per child process, sandboxed (no
 * open, no socket, no exec, no filesystem; memory and CPU limits), and writes what it
 * found as records on a pipe. An Extractor is the host's and the CLI's end: it starts
 * one weir-extract launcher ("--server") before the host's own sandbox forbids fork
 * and exec, and hands it one job per file, with a wall-clock deadline.
 *
 * Record framing (the extractor's stdout), little-endian, repeated until end of file:
 *   u8 kind ('T' text, 'R' text recognised in an image, 'E' encrypted, 'O' over a
 *   bound, 'U' unreadable, 'N' format not read), u32 where_len, where (UTF-8, "" for the file itself; parts joined by
 *   " › "), u32 data_len, data (the text for 'T', the bound's policy field for 'O',
 *   why for 'U', the format's name for 'N'; nothing for 'E'). */
#pragma once

#include <glib.h>

/* What a hostile file cannot make the extractor exceed. The policy's "extract" object
 * sets them (docs/policy.md); EXTRACT_BOUNDS_DEFAULT are its defaults. Plain data: it
 * crosses the launcher's socket as it is. */
typedef struct {
  guint64 max_inflated;  /* bytes inflated from every member at every depth together */
  guint32 max_members;   /* archive members, every depth together */
  guint32 max_ratio;     /* inflated bytes per byte of the file, past the first 8 MiB */
  guint32 max_depth;     /* archives in archives: the file itself is depth 0 */
  guint32 max_pages;     /* PDF pages read */
  guint32 time_ms;       /* wall clock per file, the launcher kills the child after it */
  guint32 memory_mb;     /* the child's address space (RLIMIT_AS) */
  /* Issue 26: images read by OCR (the policy's "ocr"): on or off for the request's
   * origin, the time one image may take, and its largest size in pixels. */
  guint32 ocr;
  guint32 ocr_time_ms;
  guint64 ocr_max_pixels;
} ExtractBounds;

#define EXTRACT_BOUNDS_DEFAULT \
  ((ExtractBounds) { .max_inflated = 256u << 20, .max_members = 10000, .max_ratio = 100, \
                     .max_depth = 5, .max_pages = 2000, .time_ms = 10000, .memory_mb = 1024, \
                     .ocr = 0, .ocr_time_ms = 2000, .ocr_max_pixels = 40000000 })

typedef enum {
  EXTRACT_TEXT = 'T',
  EXTRACT_ENCRYPTED = 'E',
  EXTRACT_OVERSIZE = 'O',
  EXTRACT_UNREADABLE = 'U',
  EXTRACT_NOT_READ = 'N',
  EXTRACT_OCR_TEXT = 'R',  /* text recognised in an image (issue 26): findings say "ocr" */
} ExtractKind;

#define EXTRACT_WHERE_MAX 4096          /* bytes of a record's where */
#define EXTRACT_SEPARATOR " \xe2\x80\xba "  /* " › " between the parts of a where */

/* The launcher's socket: first a result with EXTRACT_READY_MAGIC once the launcher has
 * loaded what it loads before any sandbox (OCR models take a while); then one job, one
 * result, at a time. */
typedef struct {
  guint32 magic;         /* EXTRACT_JOB_MAGIC */
  ExtractBounds bounds;
  char name[256];        /* the file's name as sent, NUL-terminated, cut */
  char mime[128];        /* "" when not given */
} ExtractJob;            /* with SCM_RIGHTS: the child's stdin and stdout */

typedef struct {
  guint32 magic;
  gint32 status;         /* waitpid status of the child */
  guint32 timed_out;     /* killed at the deadline */
} ExtractResult;

#define EXTRACT_JOB_MAGIC 0x57455831u     /* "WEX1" */
#define EXTRACT_RESULT_MAGIC 0x57455852u  /* "WEXR" */
#define EXTRACT_READY_MAGIC 0x57455859u   /* "WEXY" */

typedef struct Extractor Extractor;

/* Starts weir-extract --server: beside the running program, in the build tree
 * (../extract/), else where it is installed. ocr_languages ("eng", "eng+deu"; NULL: none)
 * are the OCR models it loads before its sandbox. NULL with error when it cannot start. */
Extractor *extractor_new (const char *ocr_languages, GError **error);
void extractor_free (Extractor *extractor);
/* FALSE once the launcher is gone or was given up (it did not answer): start another. */
gboolean extractor_running (const Extractor *extractor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Extractor, extractor_free)

/* One record: where and data are borrowed for the call; data is NUL-terminated. */
typedef void (*ExtractFunc) (ExtractKind kind, const char *where, const char *data, gsize len,
                             gpointer user_data);

/* Extracts one file's text: func gets every record in order. A crash, a timeout or an
 * exceeded limit of the child is told as one more record ('U' naming what stopped it,
 * or 'O' "time_per_file_ms"), and TRUE returned; FALSE with error only when the
 * launcher is gone. Blocks up to bounds->time_ms plus a margin, the launcher's start
 * included: a file it could not finish in that time is 'O' "time_per_file_ms". */
gboolean extractor_run (Extractor *extractor, const ExtractBounds *bounds, const char *name,
                        const char *mime, const guchar *data, gsize len, ExtractFunc func,
                        gpointer user_data, GError **error);
