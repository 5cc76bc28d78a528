#include "pack.h"

#include <errno.h>
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
      if (sign_public_key_load (files->pdata[i], &pk, &error))
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
  if (!store_pack_put (store, &info, bytes, error))
    return FALSE;
  /* The index file is a cache of the stored pack: a host derives it again when it is
   * missing, so failing to write it here fails nothing. */
  g_autoptr (GError) local = NULL;
  if (!pack_index_derive (store, meta, pack, &local))
    g_message ("pack \"%s\": its index file is not written (hosts will load the pack into memory): %s",
               meta->name, local->message);
  return TRUE;
}

static gboolean
collect_info (const StorePackInfo *info, GBytes *bytes, gpointer data)
{
  StorePackInfo copy = *info;
  copy.name = g_strdup (info->name);
  copy.label = g_strdup (info->label);
  copy.key_id = g_strdup (info->key_id);
  g_array_append_val (data, copy);
  return TRUE;
}

/* The pack info names: mapped from its index file when there is a good one, else loaded
 * from the stored pack, and its index file derived for the next host. */
static IndexPack *
load_one (Store *store, const StorePackInfo *info, GArray *keys, GError **error)
{
  g_autoptr (GError) map_error = NULL;
  IndexPack *pack = pack_index_open (store, info, keys, &map_error);
  if (pack != NULL)
    return pack;
  g_auto (PackMeta) meta = { 0 };
  pack = pack_index_load_stored (store, info->name, keys, &meta, error);
  if (pack == NULL)
    return NULL;
  if (!g_error_matches (map_error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND)
      && !g_error_matches (map_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("pack \"%s\": %s; derived again", info->name, map_error->message);
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
  if (!store_pack_foreach (store, FALSE, collect_info, infos, &error) && problems != NULL)
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
  char *snapshot;  /* NULL before the first look */
};

PackInbox *
pack_inbox_new (const char *config_dir)
{
  PackInbox *inbox = g_new0 (PackInbox, 1);
  inbox->config_dir = g_strdup (config_dir);
  inbox->dir = g_build_filename (config_dir, "packs", NULL);
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

gboolean
pack_inbox_changed (PackInbox *inbox)
{
  g_autoptr (GPtrArray) files = inbox_files (inbox);
  g_autoptr (GString) snap = g_string_new ("packs:");
  for (guint i = 0; i < files->len; i++)
    {
      GStatBuf st;
      if (g_stat (files->pdata[i], &st) == 0)
        g_string_append_printf (snap, "%s\t%lld\t%lld.%09ld\t%lld\n", (char *) files->pdata[i],
                                (long long) st.st_size, (long long) st.st_mtim.tv_sec,
                                st.st_mtim.tv_nsec, (long long) st.st_ino);
    }
  if (g_strcmp0 (snap->str, inbox->snapshot) == 0)
    return FALSE;
  g_free (inbox->snapshot);
  inbox->snapshot = g_string_free (g_steal_pointer (&snap), FALSE);
  return TRUE;
}

/* TRUE when the file claims a version newer than the stored one (or cannot be read far
 * enough to tell: then the full import says what is wrong). */
static gboolean
inbox_claims_newer (Store *store, const char *path)
{
  guint8 head[PACK_PEEK_BYTES];
  GStatBuf st;
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return TRUE;
  gsize n = fread (head, 1, sizeof head, f);
  gboolean stat_ok = fstat (fileno (f), &st) == 0;
  fclose (f);
  g_auto (PackMeta) meta = { 0 };
  gint64 stored = -1;
  if (!stat_ok || !pack_file_peek (head, n, (gsize) st.st_size, &meta, NULL)
      || !store_pack_version (store, meta.name, &stored, NULL))
    return TRUE;
  return meta.version > stored;
}

static gboolean
inbox_read (const char *path, GBytes **out, GError **error)
{
  GStatBuf st;
  if (g_stat (path, &st) == 0 && (guint64) st.st_size > PACK_MAX_BYTES)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE, "the pack is over 4 GiB");
      return FALSE;
    }
  char *data = NULL;
  gsize len = 0;
  if (!file_read (path, PACK_MAX_BYTES, &data, &len, error))
    return FALSE;
  *out = g_bytes_new_take (data, len);
  return TRUE;
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
      if (!inbox_claims_newer (store, path))
        continue;
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GError) error = NULL;
      g_auto (PackMeta) meta = { 0 };
      gboolean ok = inbox_read (path, &bytes, &error) && pack_import (store, inbox->config_dir, bytes, &meta, &error);
      imported += ok;
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
imported_one (const StorePackInfo *info, GBytes *pack, gpointer data)
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
  return store_pack_foreach (store, FALSE, imported_one, &walk, error);
}

gboolean
pack_imported_remove (Store *store, const char *name, GError **error)
{
  if (!store_pack_remove (store, name, error))
    return FALSE;
  pack_index_remove (store, name);
  return TRUE;
}
