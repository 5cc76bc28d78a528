#include "context.h"

#include "json.h"
#include "paths.h"
#include "store/store-packs.h"
#include "weir-error.h"

#define STORE_PROBLEM "The store cannot be opened, so every check fails safe: "

void
context_free (WeirContext *ctx)
{
  if (ctx == NULL)
    return;
  audit_free (ctx->audit);
  store_close (ctx->store);
  policy_free (ctx->policy);
  engine_index_free (ctx->index);
  pack_inbox_free (ctx->inbox);
  g_free (ctx->pack_stamp);
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

static gboolean
open_store (WeirContext *ctx, GError **error)
{
  g_autofree char *path = NULL;
  if (!paths_ensure_state_dir (error))
    return FALSE;
  path = g_build_filename (ctx->state_dir, "weir.db", NULL);
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

/* Replaces the index with the store's packs whose signers are still trusted. */
static void
load_packs (WeirContext *ctx, GPtrArray *problems)
{
  if (ctx->store == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_free (ctx->pack_stamp);
  ctx->pack_stamp = store_pack_stamp (ctx->store, &error);
  engine_index_free (ctx->index);
  ctx->index = pack_load_index (ctx->store, ctx->config_dir, problems);
}

gboolean
context_record_pack (WeirContext *ctx, const char *source, const char *path, const PackMeta *meta,
                     const GError *refusal, GError **error)
{
  if (ctx->audit == NULL)
    return TRUE;
  gboolean ok = refusal == NULL;
  g_autofree char *version = ok ? g_strdup_printf ("%" G_GINT64_FORMAT, meta->version) : NULL;
  g_autofree char *key_id = ok ? sign_key_id_hex (meta->key_id) : NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *id = audit_record_pack (ctx->audit, source, ok ? "import" : "refuse",
                                           ok ? meta->name : base, version, key_id,
                                           ok ? NULL : refusal->message, error);
  return id != NULL;
}

static void
record_inbox_pack (const char *path, const PackMeta *meta, const GError *refusal, gpointer data)
{
  g_autoptr (GError) error = NULL;
  if (!context_record_pack (data, "inbox", path, meta, refusal, &error))
    g_warning ("audit: %s", error->message);
}

gboolean
context_poll_packs (WeirContext *ctx, gboolean force, GPtrArray *problems)
{
  gint64 now = g_get_monotonic_time ();
  if (ctx->store == NULL || (!force && now < ctx->next_poll))
    return FALSE;
  ctx->next_poll = now + CONTEXT_POLL_US;
  if (pack_inbox_changed (ctx->inbox))
    {
      g_autoptr (GPtrArray) refused = g_ptr_array_new_with_free_func (g_free);
      pack_inbox_import (ctx->inbox, ctx->store, refused, record_inbox_pack, ctx);
      for (guint i = 0; i < refused->len; i++)
        {
          g_message ("%s", (char *) refused->pdata[i]);
          if (problems != NULL)
            g_ptr_array_add (problems, g_strdup (refused->pdata[i]));
        }
    }
  g_autofree char *stamp = store_pack_stamp (ctx->store, NULL);
  if (stamp == NULL || g_strcmp0 (stamp, ctx->pack_stamp) == 0)
    return FALSE;
  load_packs (ctx, problems);
  return TRUE;
}

gboolean
context_add_problem (WeirContext *ctx, const char *message)
{
  for (guint i = 0; i < ctx->problems->len; i++)
    if (g_strcmp0 (ctx->problems->pdata[i], message) == 0)
      return FALSE;
  g_ptr_array_add (ctx->problems, g_strdup (message));
  return TRUE;
}

gboolean
context_retry_store (WeirContext *ctx)
{
  gint64 now = g_get_monotonic_time ();
  if (ctx->store != NULL || now < ctx->next_store_retry)
    return FALSE;
  ctx->next_store_retry = now + CONTEXT_STORE_RETRY_US;
  g_autoptr (GError) error = NULL;
  if (!open_store (ctx, &error))
    return FALSE;
  for (guint i = ctx->problems->len; i-- > 0;)
    if (g_str_has_prefix (ctx->problems->pdata[i], STORE_PROBLEM))
      g_ptr_array_remove_index (ctx->problems, i);
  load_packs (ctx, ctx->problems);
  return TRUE;
}

gboolean
context_load_due (const WeirContext *ctx)
{
  gint64 now = g_get_monotonic_time ();
  return ctx->store != NULL ? now >= ctx->next_poll : now >= ctx->next_store_retry;
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
      g_ptr_array_add (ctx->problems, g_strdup_printf (STORE_PROBLEM "%s", local->message));
      ctx->next_store_retry = g_get_monotonic_time () + CONTEXT_STORE_RETRY_US;
    }
  ctx->inbox = pack_inbox_new (ctx->config_dir);
  load_packs (ctx, ctx->problems);
  /* The inbox too, for every front end: weir scan must see the packs the host would. */
  context_poll_packs (ctx, TRUE, ctx->problems);
  return g_steal_pointer (&ctx);
}
