/* pack-index.h: a pack's mapped index file (engine/index-map.h), derived from the
 * verified pack when it is imported, and what a host needs beside it (the pack's
 * skeleton: metadata, keys, document and column names) kept in the store.
 *
 * Files live in the store's folder, index/NAMEHASH-VERSION.weiridx (NAMEHASH: 16 hex
 * digits of the keyed hash of the pack's name, engine/index-map.h), mode 0600, written to a temporary name and
 * renamed, so a host never maps a half-written file. A missing or refused file is
 * derived again from the stored pack the next time a host loads it. */
#pragma once

#include <glib.h>

#include "engine/index.h"
#include "pack-file.h"
#include "store/store-packs.h"

/* Writes pack's index file and skeleton (pack as pack_file_open() returned it, with its
 * meta; it is prepared here) and removes the name's files of other versions. */
gboolean pack_index_derive (Store *store, const PackMeta *meta, IndexPack *pack, GError **error);

/* pack_index_derive in two steps, so that the file is written while the caller stores
 * the pack: start reads the key and the path from store on the caller's thread and
 * writes the file on another (or here, when no thread can be had); finish waits, then
 * writes the skeleton and removes the name's files of other versions; abandon waits and
 * removes the file (the pack was not stored after all). pack and meta stay borrowed, and
 * pack untouched by the caller, until finish or abandon. */
typedef struct PackIndexWrite PackIndexWrite;
PackIndexWrite *pack_index_write_start (Store *store, const PackMeta *meta, IndexPack *pack);
gboolean pack_index_write_finish (PackIndexWrite *write, Store *store, GError **error);
void pack_index_write_abandon (PackIndexWrite *write);

/* The pack info names, mapped: its skeleton from the store (signer still among keys)
 * with the file's arrays. NULL with error when there is no skeleton or file, or either
 * is refused: the caller then loads the stored pack. The returned pack repairs itself
 * from the stored pack (IndexPack.repair) if a block of the file fails its check; store
 * must outlive it. */
IndexPack *pack_index_open (Store *store, const StorePackInfo *info, GArray *keys, GError **error);

/* The stored pack name, loaded into memory (the old way, and the fallback). */
IndexPack *pack_index_load_stored (Store *store, const char *name, GArray *keys, PackMeta *meta, GError **error);

/* Removes every index file of the pack name. */
void pack_index_remove (Store *store, const char *name);

/* Writing index files is one Weir process at a time: an import, or a host deriving a
 * missing file. Hosts of several browser profiles start together, and each that
 * derived the file on its own would hold the whole pack in its memory (1.5 GB at its
 * peak at 100 M words) and share the cores with the others, to write the same file;
 * a host that loads packs while an import writes one would do the same. The others
 * wait for the lock instead, then map what its holder wrote. An flock on index/.lock,
 * dropped when its holder exits; waited for at most PACK_INDEX_LOCK_WAIT_S, then the
 * caller goes on without it, as before. Returns what pack_index_unlock takes (-1: no
 * lock). */
#define PACK_INDEX_LOCK_WAIT_S 120
int pack_index_lock (Store *store);
void pack_index_unlock (int lock);
