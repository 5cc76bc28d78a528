/* copy-book.h: the copies a device remembers (issue 25): the CopyMemory, its key and its
 * rows in the store, and the bounds that keep a page from flooding it.
 *
 * The k-gram key is a device secret, made once and kept in the store's settings: without
 * it a stored fingerprint cannot be checked against a guessed text. With a store every
 * copy is written to its copies table as it is taken and read back when the book opens,
 * so a browser restart (a new host) forgets nothing, and another host on the same store
 * (another browser profile) sees them within a second; without one (the store did not
 * open) the book lives in memory with a key of its own. */
#pragma once

#include <glib.h>

#include "copy-memory.h"
#include "store/store.h"

/* A page may register at most COPY_RATE_BURST copies at once, then one every
 * COPY_RATE_SECONDS seconds on average: far above what a person copies, far below what
 * a script could register to crowd out the copies that matter. Origins are tracked up to
 * COPY_RATE_ORIGINS at a time. */
#define COPY_RATE_BURST 60
#define COPY_RATE_SECONDS 1
#define COPY_RATE_ORIGINS 1024
/* And all origins together (a wildcard source group may hold many origins a page could
 * open): a burst of 240, then four a second. */
#define COPY_RATE_ALL_BURST 240
#define COPY_RATE_ALL_PER_SECOND 4
/* Fingerprints kept at most, whatever the policy's max: at about 20 bytes each with the
 * directory and filter, 40 MB (issue 25's bound is 50 MB for 100,000 copies). */
#define COPY_BOOK_MAX_FINGERPRINTS 2000000
/* Of a copy's text only the first COPY_MAX_BYTES are fingerprinted. */
#define COPY_MAX_BYTES (4 * 1024 * 1024)

typedef enum {
  COPY_KEPT,          /* remembered */
  COPY_TOO_SHORT,     /* fewer words than a k-gram: nothing a paste could match */
  COPY_RATE_LIMITED,  /* the origin registered copies faster than COPY_RATE_* */
} CopyOutcome;

const char *copy_outcome_name (CopyOutcome outcome);

typedef struct CopyBook CopyBook;

/* store may be NULL (memory only); it is borrowed and must outlive the book. Fails only
 * when the store cannot be read or written (the key, the rows). */
CopyBook *copy_book_open (Store *store, const CopyLimits *limits, gint64 now, GError **error);
void copy_book_free (CopyBook *book);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CopyBook, copy_book_free)

Store *copy_book_store (const CopyBook *book);
void copy_book_set_limits (CopyBook *book, const CopyLimits *limits);

/* Remembers text copied by a page of origin in source group source at now (unix
 * seconds); *words receives its word count. A store that refuses the row leaves the copy
 * in memory and sets error (the outcome is still COPY_KEPT). */
CopyOutcome copy_book_add (CopyBook *book, const char *origin, const char *source, const char *text,
                           gsize len, gint64 now, guint32 *words, GError **error);

/* copy_memory_match, after reading what other hosts on the same store remembered (at
 * most once a second) and forgetting what expired. */
void copy_book_match (CopyBook *book, const char *text, gsize len, const char *exclude, gint64 now,
                      GPtrArray *findings);

CopyMemory *copy_book_memory (const CopyBook *book);
