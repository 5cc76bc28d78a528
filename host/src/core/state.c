#include "state.h"

#include "weir-error.h"

#include "paths.h"
#include "weir-error.h"

static Store *
open_store (StoreOpenFlags flags, GError **error)
{
  if (!paths_ensure_state_dir (error))
    return NULL;
  g_autofree char *path = paths_store_file ();
  return store_open_full (path, NULL, flags, error);
}

Store *
state_open_store (GError **error)
{
  return open_store (STORE_OPEN_DEFAULT, error);
}

Store *
state_open_store_salvage (GError **error)
{
  g_autofree char *path = paths_store_file ();
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "there is no store at %s", path);
      return NULL;
    }
  return store_open_full (path, NULL, STORE_OPEN_SALVAGE, error);
}

Store *
state_open_read_only (GError **error)
{
  g_autofree char *path = paths_store_file ();
  g_autoptr (GError) local = NULL;
  Store *store = store_open_full (path, NULL, STORE_OPEN_READ_ONLY, &local);
  if (store != NULL)
    return store;
  if (!g_error_matches (local, WEIR_ERROR, WEIR_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  /* No store yet (or one to migrate): it is made, as by every command, so a first weir
   * store info describes the new store. Only a store this Weir reads is never written. */
  return state_open_store (error);
}

Store *
state_open_audit_read_only (GError **error)
{
  g_autoptr (Store) store = state_open_read_only (error);
  SignPublicKey root;
  g_autoptr (GError) local = NULL;
  if (store == NULL || audit_store_root_key (store, &root, &local))
    return g_steal_pointer (&store);
  if (!g_error_matches (local, WEIR_ERROR, WEIR_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  /* A new store (perhaps being made by another process right now): its audit log is
   * started, or waited for, as by every command that records. */
  g_clear_pointer (&store, store_close);
  g_autoptr (Audit) audit = NULL;
  if (!state_open_audit (&store, &audit, STORE_OPEN_DEFAULT, error))
    return NULL;
  return g_steal_pointer (&store);
}

gboolean
state_open_audit (Store **store, Audit **audit, StoreOpenFlags flags, GError **error)
{
  g_autoptr (Store) opened = open_store (flags, error);
  if (opened == NULL)
    return FALSE;
  *audit = audit_new (opened, error);
  if (*audit == NULL)
    return FALSE;
  *store = g_steal_pointer (&opened);
  return TRUE;
}

gboolean
state_rewrap_store_key (gboolean to_keyring, GError **error)
{
  if (!paths_ensure_state_dir (error))
    return FALSE;
  g_autofree char *path = paths_store_file ();
  return store_rewrap_key (path, to_keyring, error);
}

gboolean
state_store_info (StoreInfo *info, GError **error)
{
  g_autoptr (Store) store = state_open_read_only (error);
  return store != NULL && store_info_get (store, info, error);
}

gboolean
state_store_check (StoreCheck *check, GError **error)
{
  g_autoptr (Store) store = state_open_read_only (error);
  return store != NULL && store_check (store, check, error);
}
