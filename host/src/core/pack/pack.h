/* pack.h: fingerprint packs on an endpoint: trusted admin keys, import into the store,
 * loading into the engine's index, and the inbox folder.
 *
 * Trusted keys are CONFIG/trusted/ (*.pub files); the inbox is CONFIG/packs/ (*.weirpack). Import
 * verifies everything (trusted key, signature, every structure, newer version) before
 * the store changes, in one statement, so the active pack survives every failure. */
#pragma once

#include <glib.h>

#include "engine/index.h"
#include "pack-file.h"
#include "store/store.h"

/* CONFIG/trusted. Caller frees. */
char *pack_trusted_dir (const char *config_dir);
/* Every readable trusted key (a GArray of SignPublicKey); unreadable files are noted in
 * problems (may be NULL). A missing folder is no key. */
GArray *pack_trusted_keys (const char *config_dir, GPtrArray *problems);
/* Copies the public key at pub_path into CONFIG/trusted/KEYID.pub. */
gboolean pack_trust_add (const char *config_dir, const char *pub_path, SignPublicKey *added, GError **error);
/* Removes every trusted file holding the key id (16 hex digits). */
gboolean pack_trust_remove (const char *config_dir, const char *key_id, GError **error);

/* Verifies bytes against the trusted keys and stores it when newer. meta receives the
 * pack's metadata (clear it after). */
gboolean pack_import (Store *store, const char *config_dir, GBytes *bytes, PackMeta *meta, GError **error);

/* Loads every stored pack whose signer is still trusted (pack_file_open_stored()) into a
 * new index;
 * a pack that fails is skipped and noted in problems (may be NULL). */
EngineIndex *pack_load_index (Store *store, const char *config_dir, GPtrArray *problems);

/* Reads a pack file (a regular file, never blocking on a FIFO or a device) whose header
 * and size were checked before it is read whole: a file that is no pack costs a few
 * kilobytes of reading, not its size. */
gboolean pack_file_read (const char *path, GBytes **out, GError **error);

/* ---- the inbox ---- */

typedef struct PackInbox PackInbox;

PackInbox *pack_inbox_new (const char *config_dir);
void pack_inbox_free (PackInbox *inbox);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PackInbox, pack_inbox_free)

/* TRUE when CONFIG/packs/ holds other *.weirpack files (names, sizes or times) than at
 * the last call, or the trusted keys changed (which forgets every refusal); the first
 * call is TRUE. A few stat calls: cheap to poll. */
gboolean pack_inbox_changed (PackInbox *inbox);

/* Told of each inbox pack imported (refusal NULL, meta verified) or refused (meta may
 * be empty: a refused file's metadata is not to be trusted). */
typedef void (*PackInboxFunc) (const char *path, const PackMeta *meta, const GError *refusal,
                               gpointer data);

/* Imports every inbox pack newer than the stored one; a pack that is not newer is
 * skipped quietly, a refused one noted in problems (may be NULL) and not read again
 * until the file changes (its inode, size, mtime or ctime) or the trusted keys do.
 * Only a regular file that only the user or root could have written is read, and only
 * after its header (a few kilobytes) says it is a newer pack. func (may be NULL)
 * hears of each import and refusal. Returns how many were imported. */
guint pack_inbox_import (PackInbox *inbox, Store *store, GPtrArray *problems, PackInboxFunc func,
                         gpointer data);

/* ---- the packs imported into a store (weir pack list, weir pack remove) ---- */

/* One imported pack: what the store keeps beside its bytes. Strings borrowed for the
 * call only. */
typedef struct {
  const char *name;
  const char *label;
  const char *key_id;   /* 16 hex digits */
  gint64 version;
  gint64 created;       /* unix seconds, from the pack */
  gint64 imported;      /* unix microseconds */
  gint64 documents;
  gint64 fingerprints;
  gint64 records;
} PackImported;
typedef gboolean (*PackImportedFunc) (const PackImported *info, gpointer data);

/* Calls fn for each imported pack, by name; FALSE from fn stops. */
gboolean pack_imported_foreach (Store *store, PackImportedFunc fn, gpointer data, GError **error);

/* Removes the imported pack name (WEIR_ERROR_NOT_FOUND when absent); a running host
 * stops enforcing it at its next request. */
gboolean pack_imported_remove (Store *store, const char *name, GError **error);
