#include "context.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "paths.h"
#include "weir-error.h"

void
context_free (WeirContext *ctx)
{
  if (ctx == NULL)
    return;
  audit_free (ctx->audit);
  store_close (ctx->store);
  policy_free (ctx->policy);
  engine_index_free (ctx->index);
  g_clear_pointer (&ctx->problems, g_ptr_array_unref);
  g_free (ctx->config_dir);
  g_free (ctx->state_dir);
  g_free (ctx);
}

static Policy *
load_policy (WeirContext *ctx, ContextFlags flags, GError **error)
{
  g_autofree char *path = g_build_filename (ctx->config_dir, "policy.json", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return policy_new_default (error);
  g_autoptr (GError) local = NULL;
  Policy *policy = policy_new_from_file (path, &local);
  if (policy != NULL)
    return policy;
  if (flags & CONTEXT_STRICT)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  g_ptr_array_add (ctx->problems,
                   g_strdup_printf ("The policy is invalid, so the default policy applies: %s",
                                    local->message));
  return policy_new_default (error);
}

/* The store holds the device's digest key and the audit log: only its owner may read
 * it, whatever the umask or the mode of a WEIR_HOME made by someone else. SQLite gives
 * the -wal and -shm files the mode of the database file. An empty file is a new store. */
static gboolean
create_private (const char *path, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
open_store (WeirContext *ctx, GError **error)
{
  g_autofree char *path = NULL;
  if (!paths_ensure_state_dir (error))
    return FALSE;
  path = g_build_filename (ctx->state_dir, "weir.db", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !create_private (path, error))
    return FALSE;
  ctx->store = store_open (path, error);
  if (ctx->store == NULL)
    return FALSE;
  ctx->audit = audit_new (ctx->store, error);
  if (ctx->audit == NULL)
    {
      g_clear_pointer (&ctx->store, store_close);
      return FALSE;
    }
  return TRUE;
}

WeirContext *
context_open (ContextFlags flags, GError **error)
{
  g_autoptr (WeirContext) ctx = g_new0 (WeirContext, 1);
  ctx->problems = g_ptr_array_new_with_free_func (g_free);
  ctx->config_dir = paths_config_dir ();
  ctx->state_dir = paths_state_dir ();
  ctx->policy = load_policy (ctx, flags, error);
  if (ctx->policy == NULL)
    return NULL;
  ctx->index = engine_index_new ();
  g_autoptr (GError) local = NULL;
  if (!open_store (ctx, &local))
    {
      if (flags & CONTEXT_STRICT)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      g_ptr_array_add (ctx->problems,
                       g_strdup_printf ("The store cannot be opened, so every check fails "
                                        "safe: %s", local->message));
    }
  return g_steal_pointer (&ctx);
}
