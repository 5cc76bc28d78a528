#include "context.h"

#include "file.h"
#include "copies/copy-book.h"

#include "json.h"
#include "paths.h"
#include "state.h"
#include "store/store-packs.h"
#include "weir-error.h"

struct WeirContext {
  char *config_dir;
  char *state_dir;
  Policy *policy;       /* never NULL */
  Store *store;         /* NULL when the store could not be opened (lenient only) */
  Audit *audit;         /* NULL with store */
  EngineIndex *index;   /* never NULL; may be empty */
  GPtrArray *problems;  /* ContextProblem*, what degrades protection */
  PackInbox *inbox;     /* CONFIG/packs/ as last seen */
  char *pack_stamp;     /* the store's packs when index was loaded; NULL without store */
  gint64 next_poll;     /* monotonic microseconds */
  gint64 next_store_retry; /* monotonic microseconds */
  gint64 next_retention;   /* monotonic microseconds; 0: at the first chance */
  Extractor *extractor;    /* weir-extract's launcher; NULL until started or when it would not */
  gboolean extractor_tried;
  CopyBook *copies;     /* issue 25: opened on first use; NULL until then */
};

static void
problem_free (ContextProblem *problem)
{
  g_free (problem->text);
  g_free (problem);
}

void
context_free (WeirContext *ctx)
{
  if (ctx == NULL)
    return;
  extractor_free (ctx->extractor);
  copy_book_free (ctx->copies);  /* it borrows the store */
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

const Policy *
context_policy (const WeirContext *ctx)
{
  return ctx->policy;
}

Store *
context_store (const WeirContext *ctx)
{
  return ctx->store;
}

Audit *
context_audit (const WeirContext *ctx)
{
  return ctx->audit;
}

const EngineIndex *
context_index (const WeirContext *ctx)
{
  return ctx->index;
}

void
context_copy_limits (const WeirContext *ctx, CopyLimits *out)
{
  PolicyCopies copies;
  policy_copies (ctx->policy, &copies);
  *out = (CopyLimits) { .max_copies = copies.max_copies, .max_fingerprints = COPY_BOOK_MAX_FINGERPRINTS,
                        .keep_seconds = copies.keep_seconds, .min_words = copies.min_words };
}

/* The book follows the store: one opened while the store was down lives in memory with
 * a key of its own, and is replaced by the store's once the store opens. */
CopyBook *
context_copies (WeirContext *ctx)
{
  if (!policy_has_sources (ctx->policy))
    return NULL;
  CopyLimits limits;
  context_copy_limits (ctx, &limits);
  if (ctx->copies != NULL && copy_book_store (ctx->copies) == ctx->store)
    {
      copy_book_set_limits (ctx->copies, &limits);
      return ctx->copies;
    }
  g_clear_pointer (&ctx->copies, copy_book_free);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (GError) error = NULL;
  ctx->copies = copy_book_open (ctx->store, &limits, now, &error);
  if (ctx->copies == NULL)
    {
      g_warning ("copies: %s; remembered in memory only", error->message);
      ctx->copies = copy_book_open (NULL, &limits, now, NULL);
    }
  return ctx->copies;
}

const char *
context_config_dir (const WeirContext *ctx)
{
  return ctx->config_dir;
}

const char *
context_state_dir (const WeirContext *ctx)
{
  return ctx->state_dir;
}

Audit *
context_replace_audit (WeirContext *ctx, Audit *audit)
{
  Audit *old = ctx->audit;
  ctx->audit = audit;
  return old;
}

/* ---- problems ---- */

const GPtrArray *
context_problems (const WeirContext *ctx)
{
  return ctx->problems;
}

const ContextProblem *
context_problem_find (const WeirContext *ctx, ContextProblemKind kind)
{
  for (guint i = 0; i < ctx->problems->len; i++)
    {
      const ContextProblem *problem = ctx->problems->pdata[i];
      if (problem->kind == kind)
        return problem;
    }
  return NULL;
}

gboolean
context_add_problem (WeirContext *ctx, ContextProblemKind kind, const char *text)
{
  for (guint i = 0; i < ctx->problems->len; i++)
    {
      const ContextProblem *problem = ctx->problems->pdata[i];
      if (problem->kind == kind && g_strcmp0 (problem->text, text) == 0)
        return FALSE;
    }
  ContextProblem *problem = g_new0 (ContextProblem, 1);
  problem->kind = kind;
  problem->text = g_strdup (text);
  g_ptr_array_add (ctx->problems, problem);
  return TRUE;
}

static void
drop_problems (WeirContext *ctx, ContextProblemKind kind)
{
  for (guint i = ctx->problems->len; i-- > 0;)
    if (((const ContextProblem *) ctx->problems->pdata[i])->kind == kind)
      g_ptr_array_remove_index (ctx->problems, i);
}

/* Lines the pack module noted (char*), as problems of the context, each as it came. */
static void
add_pack_problems (WeirContext *ctx, const GPtrArray *lines)
{
  for (guint i = 0; i < lines->len; i++)
    {
      ContextProblem *problem = g_new0 (ContextProblem, 1);
      problem->kind = CONTEXT_PROBLEM_PACK;
      problem->text = g_strdup (lines->pdata[i]);
      g_ptr_array_add (ctx->problems, problem);
    }
}

/* ---- opening ---- */

static Policy *
load_policy (WeirContext *ctx, ContextFlags flags, GError **error)
{
  g_autofree char *path = g_build_filename (ctx->config_dir, "policy.json", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return policy_new_default (error);
  g_autoptr (GError) local = NULL;
  /* A policy someone else could have written is no policy of the admin's. */
  gboolean trusted = file_check_trusted (path, &local);
  if (!trusted)
    g_prefix_error (&local, "policy: ");
  Policy *policy = trusted ? policy_new_from_file (path, &local) : NULL;
  if (policy != NULL)
    return policy;
  if (flags & CONTEXT_STRICT)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  g_autofree char *text = g_strdup_printf ("The policy is %s, so the default policy applies: %s",
                                           trusted ? "invalid" : "not trusted", local->message);
  context_add_problem (ctx, CONTEXT_PROBLEM_POLICY, text);
  return policy_new_default (error);
}

static gboolean
open_store (WeirContext *ctx, StoreOpenFlags flags, GError **error)
{
  return state_open_audit (&ctx->store, &ctx->audit, flags, error);
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

void
context_record_event (WeirContext *ctx, const char *event, const char *detail)
{
  if (ctx->audit == NULL)
    return;
  g_autoptr (cJSON) record = cJSON_CreateObject ();
  if (detail != NULL)
    cJSON_AddStringToObject (record, "detail", detail);
  cJSON_AddStringToObject (record, "policy", policy_digest (ctx->policy));
  g_autoptr (GError) error = NULL;
  g_autofree char *id = audit_append (ctx->audit, event, record, &error);
  if (id == NULL)
    g_warning ("audit: %s", error->message);
}

void
context_record_policy (WeirContext *ctx)
{
  if (ctx->audit == NULL)
    return;
  g_autofree char *path = g_build_filename (ctx->config_dir, "policy.json", NULL);
  gboolean custom = g_file_test (path, G_FILE_TEST_EXISTS);
  const ContextProblem *problem = context_problem_find (ctx, CONTEXT_PROBLEM_POLICY);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = audit_record_policy (ctx->audit, custom ? path : "default",
                                             policy_digest (ctx->policy),
                                             problem != NULL ? problem->text : NULL, &error);
  if (id == NULL)
    g_warning ("audit: %s", error->message);
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
context_retry_store (WeirContext *ctx)
{
  gint64 now = g_get_monotonic_time ();
  if (ctx->store != NULL || now < ctx->next_store_retry)
    return FALSE;
  ctx->next_store_retry = now + CONTEXT_STORE_RETRY_US;
  g_autoptr (GError) error = NULL;
  if (!open_store (ctx, STORE_OPEN_DEFAULT, &error))
    return FALSE;
  drop_problems (ctx, CONTEXT_PROBLEM_STORE);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  load_packs (ctx, lines);
  add_pack_problems (ctx, lines);
  return TRUE;
}

gint64
context_load_next (const WeirContext *ctx)
{
  return ctx->store != NULL ? ctx->next_poll : ctx->next_store_retry;
}

gboolean
context_check_store (WeirContext *ctx, GError **error)
{
  if (ctx->store == NULL || store_check_file (ctx->store, error))
    return TRUE;
  /* The old file is closed first: the last connection to it checkpoints and removes
   * its WAL, which must not be mistaken for the new store's. */
  g_clear_pointer (&ctx->audit, audit_free);
  g_clear_pointer (&ctx->store, store_close);
  ctx->next_store_retry = 0;
  return FALSE;
}

gboolean
context_audit_retention (WeirContext *ctx, gboolean now, gboolean force_checkpoint, AuditPruneResult *result,
                         GError **error)
{
  memset (result, 0, sizeof *result);
  gint64 mono = g_get_monotonic_time ();
  if (ctx->audit == NULL || (!now && mono < ctx->next_retention))
    return TRUE;
  ctx->next_retention = mono + CONTEXT_RETENTION_US;
  AuditRetention r;
  policy_audit_retention (ctx->policy, &r.max_age_days, &r.max_mb, &r.require_export);
  return audit_prune (ctx->audit, &r, force_checkpoint, result, error);
}

gboolean
context_index_warmed (const WeirContext *ctx)
{
  return ctx->index == NULL || engine_index_warmed (ctx->index);
}

void
context_warm_index (WeirContext *ctx)
{
  if (ctx->index != NULL)
    engine_index_warm (ctx->index, CONTEXT_WARM_BLOCKS);
}

/* Without a store every check fails safe: the problem says why, and the store is tried
 * again after CONTEXT_STORE_RETRY_US. */
static void
store_unavailable (WeirContext *ctx, const char *why)
{
  g_autofree char *text = g_strdup_printf ("The store cannot be opened, so every check fails safe: %s", why);
  context_add_problem (ctx, CONTEXT_PROBLEM_STORE, text);
  ctx->next_store_retry = g_get_monotonic_time () + CONTEXT_STORE_RETRY_US;
}

gboolean
context_store_check_pending (const WeirContext *ctx)
{
  return store_check_pending (ctx->store);
}

void
context_store_check_step (WeirContext *ctx)
{
  g_autoptr (GError) error = NULL;
  if (!store_check_pending (ctx->store) || store_check_step (ctx->store, CONTEXT_STORE_CHECK_PAGES, &error))
    return;
  g_message ("%s", error->message);
  g_clear_pointer (&ctx->copies, copy_book_free);  /* it borrows the store */
  g_clear_pointer (&ctx->audit, audit_free);
  g_clear_pointer (&ctx->store, store_close);
  store_unavailable (ctx, error->message);
}

void
context_maintain (WeirContext *ctx)
{
  context_store_check_step (ctx);
  store_maintain (ctx->store);
  g_autoptr (GError) error = NULL;
  AuditPruneResult done;
  if (!context_audit_retention (ctx, FALSE, FALSE, &done, &error))
    g_message ("audit retention: %s", error->message);
  else if (done.removed > 0)
    g_message ("audit retention: %" G_GINT64_FORMAT " records removed, checkpoint %" G_GINT64_FORMAT,
               done.removed, done.checkpoint);
}

gboolean
context_load_due (const WeirContext *ctx)
{
  return g_get_monotonic_time () >= context_load_next (ctx);
}

/* Weir's folders (configuration, state), when they exist, must be no one else's to
 * change: in one a stranger could put a policy, replace the store or remove records.
 * The files in them are judged again as they are read; this says it up front. */
static gboolean
check_folders (WeirContext *ctx, ContextFlags flags, GError **error)
{
  const char *folders[] = { ctx->config_dir, ctx->state_dir };
  for (gsize i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autoptr (GError) local = NULL;
      if (i > 0 && g_strcmp0 (folders[i], folders[0]) == 0)
        continue;
      if (!g_file_test (folders[i], G_FILE_TEST_IS_DIR) || file_check_trusted_folder (folders[i], &local))
        continue;
      if (flags & CONTEXT_STRICT)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_autofree char *text = g_strdup_printf ("Weir's folder is not trusted: %s", local->message);
      context_add_problem (ctx, CONTEXT_PROBLEM_FOLDER, text);
    }
  return TRUE;
}

WeirContext *
context_open (ContextFlags flags, GError **error)
{
  g_autoptr (WeirContext) ctx = g_new0 (WeirContext, 1);
  ctx->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);
  ctx->config_dir = paths_config_dir ();
  ctx->state_dir = paths_state_dir ();
  if (!check_folders (ctx, flags, error))
    return NULL;
  ctx->policy = load_policy (ctx, flags, error);
  if (ctx->policy == NULL)
    return NULL;
  ctx->index = engine_index_new ();
  /* Not at the first paste: a browser starting is busy enough. */
  ctx->next_retention = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autoptr (GError) local = NULL;
  if (flags & CONTEXT_READ_ONLY)
    {
      ctx->store = state_open_read_only (error);
      if (ctx->store == NULL)
        return NULL;
      ctx->inbox = pack_inbox_new (ctx->config_dir);
      g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
      load_packs (ctx, lines);
      add_pack_problems (ctx, lines);
      return g_steal_pointer (&ctx);
    }
  if (!open_store (ctx, (flags & CONTEXT_DEFER_STORE_CHECK) ? STORE_OPEN_DEFER_CHECK : STORE_OPEN_DEFAULT, &local))
    {
      if (flags & CONTEXT_STRICT)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      store_unavailable (ctx, local->message);
    }
  ctx->inbox = pack_inbox_new (ctx->config_dir);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  load_packs (ctx, lines);
  /* The inbox too, for every front end: weir scan must see the packs the host would. */
  context_poll_packs (ctx, TRUE, lines);
  add_pack_problems (ctx, lines);
  return g_steal_pointer (&ctx);
}

Extractor *
context_extractor (WeirContext *ctx)
{
  /* A launcher given up (it stopped, or did not answer in time) is started again. */
  if (ctx->extractor != NULL && !extractor_running (ctx->extractor))
    {
      g_message ("extract: the document reader stopped; starting it again");
      g_clear_pointer (&ctx->extractor, extractor_free);
      ctx->extractor_tried = FALSE;
    }
  if (ctx->extractor_tried)
    return ctx->extractor;
  ctx->extractor_tried = TRUE;
  g_autoptr (GError) error = NULL;
  ctx->extractor = extractor_new (policy_ocr_languages (ctx->policy), &error);
  if (ctx->extractor == NULL)
    {
      g_autofree char *problem = g_strdup_printf ("Documents and archives cannot be read, so files "
                                                  "other than text are unreadable: %s", error->message);
      context_add_problem (ctx, CONTEXT_PROBLEM_EXTRACT, problem);
    }
  return ctx->extractor;
}
