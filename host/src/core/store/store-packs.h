/* store-packs.h: the imported fingerprint packs, in the store's packs table.
 *
 * A pack is kept as the signed bytes it was imported from (verified then), so it can be
 * checked again: in a sealed file of its own in STATE/packdata/ (pack-seal.h) whose name
 * and key the row holds; the other columns are what `weir pack list` shows without
 * opening it. */
#pragma once

#include <glib.h>

#include "store.h"

typedef struct {
  char *name;
  char *label;
  char *key_id;       /* 16 hex digits */
  gint64 version;
  gint64 created;     /* unix seconds, from the pack */
  gint64 imported;    /* unix microseconds */
  gint64 documents;
  gint64 fingerprints;
  gint64 records;
} StorePackInfo;

void store_pack_info_clear (StorePackInfo *info);

/* *version receives the stored version of name, or -1 when there is none. */
gboolean store_pack_version (Store *store, const char *name, gint64 *version, GError **error);

/* Stores pack as info->name, atomically and only when info->version is newer than the
 * stored one (WEIR_ERROR_REFUSED otherwise); the sealed file of the version it replaces
 * is removed. info->imported is set here. */
gboolean store_pack_put (Store *store, const StorePackInfo *info, GBytes *pack, GError **error);

/* Removes the pack name and its sealed file (WEIR_ERROR_NOT_FOUND when absent). */
gboolean store_pack_remove (Store *store, const char *name, GError **error);

/* info is borrowed for the call only. FALSE stops. */
typedef gboolean (*StorePackFunc) (const StorePackInfo *info, gpointer data);
gboolean store_pack_foreach (Store *store, StorePackFunc fn, gpointer data, GError **error);

/* A string that changes whenever a pack is imported or removed, cheap enough to poll
 * between requests. Caller frees; NULL on error. */
char *store_pack_stamp (Store *store, GError **error);

/* The stored bytes of pack name (*pack NULL when there is none), authenticated as they
 * are read: WEIR_ERROR_TAMPERED when its sealed file was changed, WEIR_ERROR_NOT_FOUND
 * when it is gone. */
gboolean store_pack_get (Store *store, const char *name, GBytes **pack, GError **error);

/* Moves every pack still stored in its row (imported by a Weir before the sealed files)
 * into a sealed file, then gives the store's freed pages back (VACUUM); removes sealed
 * files no row names that are older than ten minutes (an import cut short). The
 * store's writable open calls it; a pack it cannot move stays readable in its row. */
gboolean store_pack_move_out (Store *store, GError **error);

/* Reads and authenticates every stored pack's sealed file; *files receives how many. */
gboolean store_pack_check_files (Store *store, guint32 *files, GError **error);

/* The folder of the packs' sealed files, beside the store file. Caller frees. */
char *store_pack_data_dir (Store *store);

/* ---- derived index files (pack/pack-index.c) ---- */

#define STORE_PACK_INDEX_KEY_BYTES 32

/* The folder of the packs' index files, beside the store file. Caller frees. */
char *store_pack_index_dir (Store *store);
/* How the index files in it end (pack/pack-index.c names them). */
#define STORE_PACK_INDEX_SUFFIX ".weiridx"
/* The store's key that authenticates index files, made (random) on first use; it never
 * leaves the store. */
gboolean store_pack_index_key (Store *store, guint8 key[STORE_PACK_INDEX_KEY_BYTES], GError **error);
/* What a host needs of a pack beside its index file (names, keys; pack/pack-index.c),
 * kept per pack name: *skeleton NULL when there is none. Removing a pack removes it. */
gboolean store_pack_skeleton_get (Store *store, const char *name, GBytes **skeleton, GError **error);
gboolean store_pack_skeleton_set (Store *store, const char *name, GBytes *skeleton, GError **error);
