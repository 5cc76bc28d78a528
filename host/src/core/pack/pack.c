#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "pack-index.h"
#include "store/store-packs.h"
#include "weir-error.h"

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* ---- trusted keys ---- */

char *
pack_trusted_dir (const char *config_dir)
{
  return g_build_filename (config_dir, "trusted", NULL);
}

/* The *.pub files of the trusted folder, sorted; empty when it does not exist. */
static GPtrArray *
trusted_files (const char *config_dir)
{
  g_autofree char *dir = pack_trusted_dir (config_dir);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".pub"))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (files, compare_paths);
  return files;
}

GArray *
pack_trusted_keys (const char *config_dir, GPtrArray *problems)
{
  g_autoptr (GPtrArray) files = trusted_files (config_dir);
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (SignPublicKey));
  for (guint i = 0; i < files->len; i++)
    {
      SignPublicKey pk;
      g_autoptr (GError) error = NULL;
      if (sign_public_key_load (files->pdata[i], &pk, &error) && file_check_trusted (files->pdata[i], &error))
        g_array_append_val (keys, pk);
      else if (problems != NULL)
        g_ptr_array_add (problems, g_strdup_printf ("A trusted key is unreadable: %s", error->message));
    }
  return keys;
}

gboolean
pack_trust_add (const char *config_dir, const char *pub_path, SignPublicKey *added, GError **error)
{
  if (!sign_public_key_load (pub_path, added, error))
    return FALSE;
  g_autofree char *dir = pack_trusted_dir (config_dir);
  g_autofree char *id = sign_key_id_hex (added->id);
  g_autofree char *base = g_strdup_printf ("%s.pub", id);
  g_autofree char *path = g_build_filename (dir, base, NULL);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  SignPublicKey existing;
  if (g_file_test (path, G_FILE_TEST_EXISTS) && sign_public_key_load (path, &existing, NULL)
      && memcmp (&existing, added, sizeof existing) == 0)
    return TRUE;  /* already trusted */
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "%s already holds another key with id %s; remove it first (weir trust remove %s)",
                   path, id, id);
      return FALSE;
    }
  return sign_public_key_save (added, path, error);
}

static gboolean
valid_key_id (const char *key_id)
{
  if (strlen (key_id) != SIGN_KEY_ID_BYTES * 2)
    return FALSE;
  for (const char *p = key_id; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
pack_trust_remove (const char *config_dir, const char *key_id, GError **error)
{
  if (!valid_key_id (key_id))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
                   "\"%s\" is not a key id (16 hex digits, see weir trust list)", key_id);
      return FALSE;
    }
  g_autoptr (GPtrArray) files = trusted_files (config_dir);
  guint removed = 0;
  for (guint i = 0; i < files->len; i++)
    {
      SignPublicKey pk;
      g_autofree char *id = NULL;
      if (!sign_public_key_load (files->pdata[i], &pk, NULL))
        continue;
      id = sign_key_id_hex (pk.id);
      if (g_ascii_strcasecmp (id, key_id) != 0)
        continue;
      if (g_unlink (files->pdata[i]) != 0)
        {
          int saved = errno;
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot remove %s: %s",
                       (char *) files->pdata[i], g_strerror (saved));
          return FALSE;
        }
      removed++;
    }
  if (removed == 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "no trusted key has id %s", key_id);
      return FALSE;
    }
  return TRUE;
}

/* ---- import and load ---- */

gboolean
pack_import (Store *store, const char *config_dir, GBytes *bytes, PackMeta *meta, GError **error)
{
  g_autoptr (GArray) keys = pack_trusted_keys (config_dir, NULL);
  g_autoptr (IndexPack) pack = pack_file_open (bytes, keys, meta, error);
  if (pack == NULL)
    return FALSE;
  if (pack->n_entries == 0 && (pack->edm == NULL || pack->edm->n_entries == 0))
    {
      /* Signed but empty: it would silently replace a working pack with nothing. A pack
       * is retired with weir pack remove instead. */
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "pack \"%s\" is empty (no fingerprint "
                   "and no record); the active pack stays", meta->name);
      return FALSE;
    }
  gint64 stored = -1;
  if (!store_pack_version (store, meta->name, &stored, error))
    return FALSE;
  if (stored >= meta->version)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
                   "pack \"%s\" version %" G_GINT64_FORMAT " is not newer than the imported "
                   "version %" G_GINT64_FORMAT "; the active pack stays", meta->name, meta->version, stored);
      return FALSE;
    }
  g_autofree char *key_id = sign_key_id_hex (meta->key_id);
  StorePackInfo info = {
    .name = meta->name, .label = meta->label, .key_id = key_id, .version = meta->version,
    .created = meta->created, .documents = meta->documents, .fingerprints = (gint64) meta->fingerprints,
    .records = meta->records,
  };
  /* The index file is written beside the sealing of the pack, on a second core. It is a
   * cache of the stored pack: a host derives it again when it is missing, so failing
   * to write it fails nothing. A host that sees the stored pack before the file is
   * written waits for the lock, then maps it. */
  int lock = pack_index_lock (store);
  PackIndexWrite *index = pack_index_write_start (store, meta, pack);
  if (!store_pack_put (store, &info, bytes, error))
    {
      pack_index_write_abandon (index);
      pack_index_unlock (lock);
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  if (!pack_index_write_finish (index, store, &local))
    g_message ("pack \"%s\": its index file is not written (hosts will load the pack into memory): %s",
               meta->name, local->message);
  pack_index_unlock (lock);
  return TRUE;
}

static gboolean
collect_info (const StorePackInfo *info, gpointer data)
{
  StorePackInfo copy = *info;
  copy.name = g_strdup (info->name);
  copy.label = g_strdup (info->label);
  copy.key_id = g_strdup (info->key_id);
  g_array_append_val (data, copy);
  return TRUE;
}

/* The pack info names loaded from the stored pack, and its index file derived for the
 * next host (map_error: why it could not be mapped). */
static IndexPack *
derive_one (Store *store, const StorePackInfo *info, GArray *keys, const GError *map_error, GError **error)
{
  g_auto (PackMeta) meta = { 0 };
  IndexPack *pack = pack_index_load_stored (store, info->name, keys, &meta, error);
  if (pack == NULL)
    return NULL;
  if (!g_error_matches (map_error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND)
      && !g_error_matches (map_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("pack \"%s\": %s; derived again", info->name, map_error->message);
  else
    g_message ("pack \"%s\": its index file is missing; derived from the stored pack", info->name);
  g_autoptr (GError) derive_error = NULL;
  if (!pack_index_derive (store, &meta, pack, &derive_error))
    {
      g_message ("pack \"%s\": its index file is not written: %s", info->name, derive_error->message);
      return pack;
    }
  /* Mapped from the file just written, the host keeps no copy of its own. */
  IndexPack *mapped = pack_index_open (store, info, keys, NULL);
  if (mapped == NULL)
    return pack;
  index_pack_free (pack);
  return mapped;
}

/* The pack info names: mapped from its index file when there is a good one, else
 * derived, by this process or (pack_index_lock) by the one already at it. */
static IndexPack *
load_one (Store *store, const StorePackInfo *info, GArray *keys, GError **error)
{
  g_autoptr (GError) map_error = NULL;
  IndexPack *pack = pack_index_open (store, info, keys, &map_error);
  if (pack != NULL)
    return pack;
  int lock = pack_index_lock (store);
  g_clear_error (&map_error);
  pack = pack_index_open (store, info, keys, &map_error);
  if (pack == NULL)
    pack = derive_one (store, info, keys, map_error, error);
  pack_index_unlock (lock);
  return pack;
}

EngineIndex *
pack_load_index (Store *store, const char *config_dir, GPtrArray *problems)
{
  EngineIndex *index = engine_index_new ();
  g_autoptr (GArray) keys = pack_trusted_keys (config_dir, problems);
  g_autoptr (GArray) infos = g_array_new (FALSE, FALSE, sizeof (StorePackInfo));
  g_array_set_clear_func (infos, (GDestroyNotify) store_pack_info_clear);
  g_autoptr (GError) error = NULL;
  /* Names first, then each pack: deriving an index file writes to the store, which is
   * better done with no statement open. */
  if (!store_pack_foreach (store, collect_info, infos, &error) && problems != NULL)
    g_ptr_array_add (problems, g_strdup_printf ("Packs cannot be read: %s", error->message));
  for (guint i = 0; i < infos->len; i++)
    {
      const StorePackInfo *info = &g_array_index (infos, StorePackInfo, i);
      g_autoptr (GError) pack_error = NULL;
      IndexPack *pack = load_one (store, info, keys, &pack_error);
      if (pack != NULL)
        engine_index_add_pack (index, pack);
      else if (problems != NULL)
        g_ptr_array_add (problems, g_strdup_printf ("Pack \"%s\" is not active: %s", info->name,
                                                    pack_error->message));
    }
  return index;
}

/* ---- the inbox ---- */

struct PackInbox {
  char *config_dir;
  char *dir;
  char *snapshot;       /* NULL before the first look */
  char *trusted;        /* the trusted keys' files as last seen */
  GHashTable *refused;  /* file_key() of each file refused, not read again until it changes */
};

PackInbox *
pack_inbox_new (const char *config_dir)
{
  PackInbox *inbox = g_new0 (PackInbox, 1);
  inbox->config_dir = g_strdup (config_dir);
  inbox->dir = g_build_filename (config_dir, "packs", NULL);
  inbox->refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return inbox;
}

void
pack_inbox_free (PackInbox *inbox)
{
  if (inbox == NULL)
    return;
  g_free (inbox->config_dir);
  g_free (inbox->dir);
  g_free (inbox->snapshot);
  g_free (inbox->trusted);
  g_hash_table_unref (inbox->refused);
  g_free (inbox);
}

static GPtrArray *
inbox_files (const PackInbox *inbox)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (inbox->dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".weirpack") && name[0] != '.')
      g_ptr_array_add (files, g_build_filename (inbox->dir, name, NULL));
  g_ptr_array_sort (files, compare_paths);
  return files;
}

/* What a file is now: which file (device, inode), its size and its last change (a
 * write moves mtime, a chmod or chown ctime). stat(2) never blocks, even on a FIFO. */
static char *
file_key (const char *path)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%s\t%llu:%llu\t%lld\t%lld.%09ld\t%lld.%09ld", path, (unsigned long long) st.st_dev,
                          (unsigned long long) st.st_ino, (long long) st.st_size,
                          (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                          (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

static char *
files_snapshot (GPtrArray *files)
{
  GString *snap = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *key = file_key (files->pdata[i]);
      if (key != NULL)
        g_string_append_printf (snap, "%s\n", key);
    }
  return g_string_free (snap, FALSE);
}

gboolean
pack_inbox_changed (PackInbox *inbox)
{
  /* A change of trust may make a refused pack acceptable: the refusals are forgotten. */
  g_autoptr (GPtrArray) keys = trusted_files (inbox->config_dir);
  g_autofree char *trusted = files_snapshot (keys);
  gboolean trust_changed = g_strcmp0 (trusted, inbox->trusted) != 0;
  if (trust_changed)
    {
      g_hash_table_remove_all (inbox->refused);
      g_free (inbox->trusted);
      inbox->trusted = g_steal_pointer (&trusted);
    }
  g_autoptr (GPtrArray) files = inbox_files (inbox);
  g_autofree char *snap = files_snapshot (files);
  if (!trust_changed && g_strcmp0 (snap, inbox->snapshot) == 0)
    return FALSE;
  g_free (inbox->snapshot);
  inbox->snapshot = g_steal_pointer (&snap);
  return TRUE;
}

/* The pack's header and metadata, read from at most PACK_PEEK_BYTES at the start of fd
 * and checked against the file's size: a file that is no pack (a sparse 2 GB file, a
 * truncated copy) is refused without being read whole. */
static gboolean
peek_fd (int fd, const char *path, gsize size, PackMeta *meta, GError **error)
{
  gsize want = MIN (size, (gsize) PACK_PEEK_BYTES);
  g_autofree guint8 *head = g_malloc (want + 1);
  errno = 0;
  if (!file_read_exact (fd, head, want))
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read %s: %s", path,
                   saved != 0 ? g_strerror (saved) : "it shrank while being read");
      return FALSE;
    }
  return pack_file_peek (head, want, size, meta, error);
}

/* Reads the rest of the file after the header peek_fd read. */
static gboolean
read_rest (int fd, const char *path, gsize size, GBytes **out, GError **error)
{
  if (lseek (fd, 0, SEEK_SET) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  guint8 *data = g_try_malloc (MAX (size, 1));
  if (data == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "cannot read %s: out of memory", path);
      return FALSE;
    }
  errno = 0;
  if (!file_read_exact (fd, data, size))
    {
      int saved = errno;
      g_free (data);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read %s: %s", path,
                   saved != 0 ? g_strerror (saved) : "it shrank while being read");
      return FALSE;
    }
  *out = g_bytes_new_take (data, size);
  return TRUE;
}

gboolean
pack_file_read (const char *path, GBytes **out, GError **error)
{
  struct stat st;
  int fd = file_open_regular (path, PACK_MAX_BYTES, &st, error);
  if (fd < 0)
    return FALSE;
  g_auto (PackMeta) meta = { 0 };
  gboolean ok = peek_fd (fd, path, (gsize) st.st_size, &meta, error)
                && read_rest (fd, path, (gsize) st.st_size, out, error);
  close (fd);
  return ok;
}

typedef enum { INBOX_READ, INBOX_SKIP, INBOX_REFUSED } InboxRead;

/* One inbox file: only a regular file that only the user or root could have written,
 * whose header is a pack's that claims a version newer than the stored one, is read
 * whole. A file refused once is not opened again until it changes (key). */
static InboxRead
inbox_read (PackInbox *inbox, Store *store, const char *path, const char *key, GBytes **out,
            GError **error)
{
  if (key == NULL || g_hash_table_contains (inbox->refused, key))
    return INBOX_SKIP;
  struct stat st;
  int fd = file_open_regular (path, PACK_MAX_BYTES, &st, error);
  if (fd < 0)
    return INBOX_REFUSED;
  if (!file_check_trusted (path, error))
    {
      close (fd);
      return INBOX_REFUSED;
    }
  g_auto (PackMeta) meta = { 0 };
  gint64 stored = -1;
  InboxRead result = INBOX_REFUSED;
  if (!peek_fd (fd, path, (gsize) st.st_size, &meta, error))
    result = INBOX_REFUSED;
  else if (!store_pack_version (store, meta.name, &stored, NULL) || meta.version > stored)
    result = read_rest (fd, path, (gsize) st.st_size, out, error) ? INBOX_READ : INBOX_REFUSED;
  else
    result = INBOX_SKIP;  /* not newer: the stored pack stays, quietly */
  close (fd);
  return result;
}

guint
pack_inbox_import (PackInbox *inbox, Store *store, GPtrArray *problems, PackInboxFunc func,
                   gpointer data)
{
  g_autoptr (GPtrArray) files = inbox_files (inbox);
  guint imported = 0;
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      g_autofree char *key = file_key (path);
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GError) error = NULL;
      g_auto (PackMeta) meta = { 0 };
      InboxRead read = inbox_read (inbox, store, path, key, &bytes, &error);
      if (read == INBOX_SKIP)
        continue;
      gboolean ok = read == INBOX_READ && pack_import (store, inbox->config_dir, bytes, &meta, &error);
      imported += ok;
      /* A store that failed is no fault of the file's: it is tried again. */
      if (!ok && !g_error_matches (error, WEIR_ERROR, WEIR_ERROR_STORE))
        g_hash_table_add (inbox->refused, g_steal_pointer (&key));
      if (!ok && problems != NULL)
        g_ptr_array_add (problems, g_strdup_printf ("The pack %s was refused: %s", path, error->message));
      if (func != NULL)
        func (path, &meta, error, data);
    }
  return imported;
}

typedef struct {
  PackImportedFunc fn;
  gpointer data;
} ImportedWalk;

static gboolean
imported_one (const StorePackInfo *info, gpointer data)
{
  const ImportedWalk *walk = data;
  const PackImported pack_info = {
    .name = info->name, .label = info->label, .key_id = info->key_id, .version = info->version,
    .created = info->created, .imported = info->imported, .documents = info->documents,
    .fingerprints = info->fingerprints, .records = info->records,
  };
  return walk->fn (&pack_info, walk->data);
}

gboolean
pack_imported_foreach (Store *store, PackImportedFunc fn, gpointer data, GError **error)
{
  ImportedWalk walk = { fn, data };
  return store_pack_foreach (store, imported_one, &walk, error);
}

gboolean
pack_imported_remove (Store *store, const char *name, GError **error)
{
  if (!store_pack_remove (store, name, error))
    return FALSE;
  pack_index_remove (store, name);
  return TRUE;
}
