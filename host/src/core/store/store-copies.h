/* store-copies.h: the fingerprints of text copied out of source origin groups (issue 25),
 * in the store's copies table, so a browser restart does not forget them.
 *
 * A row holds the source group's name, when the text was copied, how many words it had
 * and its winnowed k-gram hashes (keyed with a device key, copies/copy-book.c): never the
 * text. The store seals every page like the rest of weir.db. */
#pragma once

#include <glib.h>

#include "store.h"

typedef struct {
  gint64 id;          /* the row's id, increasing with time */
  const char *source; /* borrowed for the call */
  gint64 copied_at;   /* unix seconds */
  guint32 words;
  GBytes *picks;      /* borrowed for the call: the fingerprints, as copy-book.c packs them */
} StoreCopy;

/* Appends a copy; *id receives its row id. */
gboolean store_copy_put (Store *store, const char *source, gint64 copied_at, guint32 words,
                         GBytes *picks, gint64 *id, GError **error);

/* Deletes the copies with an id up to through, and those copied before before (unix
 * seconds; 0 for none: that test reads the whole table, the id the primary key only). */
gboolean store_copies_forget (Store *store, gint64 through, gint64 before, GError **error);

/* Calls fn for each copy copied at or after since with an id over after_id, oldest
 * first; FALSE stops. */
typedef gboolean (*StoreCopyFunc) (const StoreCopy *copy, gpointer data);
gboolean store_copies_foreach (Store *store, gint64 since, gint64 after_id, StoreCopyFunc fn, gpointer data,
                               GError **error);
