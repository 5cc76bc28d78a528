/* pack-build.h: from documents and a CSV table to an in-memory IndexPack, the content
 * of a pack before it is serialised and signed (pack-file.h).
 *
 * Documents are normalised and hashed into k-grams with a fresh random key. At finish,
 * the k-grams held by PACK_BOILERPLATE_SHARE of the documents or more (at least
 * PACK_BOILERPLATE_MIN) are boilerplate: licence text and headers must never raise a
 * match. Then every document is winnowed passing over boilerplate (engine/winnow.h),
 * so that a window keeps a fingerprint whenever it holds one k-gram that is not
 * boilerplate: the guarantee of docs/packs.md holds next to boilerplate too. */
#pragma once

#include <glib.h>

#include "engine/index.h"

#define PACK_BOILERPLATE_MIN 3      /* documents */
#define PACK_BOILERPLATE_SHARE 0.01 /* of the pack's documents */
/* How many documents of a pack of documents documents make a k-gram boilerplate:
 * max(PACK_BOILERPLATE_MIN, PACK_BOILERPLATE_SHARE of them, rounded). */
guint pack_boilerplate_limit (guint documents);
/* One document's repeated k-gram keeps at most this many positions. */
#define PACK_MAX_REPEATS 4

typedef struct {
  guint documents;
  gsize words;
  gsize fingerprints;   /* kept */
  gsize dropped;        /* distinct boilerplate k-grams, passed over by winnowing */
  guint records;        /* EDM records */
  gsize values;         /* EDM hashed values kept */
  gsize common;         /* EDM values dropped as common */
} PackStats;

typedef struct PackBuilder PackBuilder;

PackBuilder *pack_builder_new (const char *name, const char *label);
void pack_builder_free (PackBuilder *builder);

/* The pack format to build, PACK_FORMAT_OLDEST..PACK_FORMAT (default PACK_FORMAT):
 * an older one for endpoints whose Weir predates the newer (pack/pack-file.h). Before
 * any document and any table. */
gboolean pack_builder_set_format (PackBuilder *builder, guint format);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PackBuilder, pack_builder_free)

void pack_builder_add_document (PackBuilder *builder, const char *name, const char *text, gsize len);

/* Adds an EDM table from CSV text (a header row, then records). spec names the
 * columns: "COL[:KIND][!],..." where KIND is text, email, number or name (guessed from
 * the values when absent) and "!" marks a column unique on its own. The rows are
 * hashed on every core. It touches no part of the builder that
 * pack_builder_add_document does: one thread may add the table while another adds
 * documents. */
gboolean pack_builder_set_edm (PackBuilder *builder, const char *table, const char *csv, gsize len,
                               const char *spec, GError **error);

/* Finds the documents' boilerplate, winnows and sorts their fingerprints: the work of
 * finish that documents need, once they are all added (no document after it). It
 * touches no part of the builder a table does, so it may run while another thread is
 * in pack_builder_set_edm. */
void pack_builder_winnow (PackBuilder *builder);

/* Winnows (unless done already); returns the pack. The builder is spent. */
IndexPack *pack_builder_finish (PackBuilder *builder, PackStats *stats);
