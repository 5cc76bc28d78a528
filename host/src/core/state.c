#include "state.h"

#include "weir-error.h"

#include "paths.h"

Store *
state_open_store (GError **error)
{
  if (!paths_ensure_state_dir (error))
    return NULL;
  g_autofree char *path = paths_store_file ();
  return store_open (path, error);
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

gboolean
state_open_audit (Store **store, Audit **audit, GError **error)
{
  g_autoptr (Store) opened = state_open_store (error);
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
  g_autoptr (Store) store = state_open_store (error);
  return store != NULL && store_info_get (store, info, error);
}

gboolean
state_store_check (StoreCheck *check, GError **error)
{
  g_autoptr (Store) store = state_open_store (error);
  return store != NULL && store_check (store, check, error);
}
