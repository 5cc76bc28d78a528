/* context.h: everything a front end (the host, the CLI) needs to decide: the policy,
 * the store, the audit log and the protected-content index, opened from paths.h.
 *
 * The host opens it leniently: a broken policy falls back to the default and a broken
 * store leaves store and audit NULL, each noted in problems, so the host can still
 * answer (with the fail verdict). The CLI opens it strictly and reports the error. */
#pragma once

#include <glib.h>

#include "audit/audit.h"
#include "engine/index.h"
#include "pack/pack.h"
#include "policy/policy.h"
#include "store/store.h"

typedef enum {
  CONTEXT_LENIENT = 0,
  CONTEXT_STRICT = 1 << 0,
} ContextFlags;

typedef struct {
  char *config_dir;
  char *state_dir;
  Policy *policy;       /* never NULL */
  Store *store;         /* NULL when the store could not be opened (lenient only) */
  Audit *audit;         /* NULL with store */
  EngineIndex *index;   /* never NULL; may be empty */
  GPtrArray *problems;  /* char*: what degrades protection, one line each, for the user */
  PackInbox *inbox;     /* CONFIG/packs/ as last seen */
  char *pack_stamp;     /* the store's packs when index was loaded; NULL without store */
  gint64 next_poll;     /* monotonic microseconds */
  gint64 next_store_retry; /* monotonic microseconds */
} WeirContext;

WeirContext *context_open (ContextFlags flags, GError **error);
void context_free (WeirContext *ctx);

/* Between two requests the host calls this, at most every CONTEXT_POLL_US unless force:
 * it imports packs dropped into CONFIG/packs/ (newer versions only) and reloads the
 * index when the store's packs changed (an import here, by `weir pack import` or by
 * another host). Refusals are logged and appended to problems (may be NULL). Returns
 * TRUE when the index was replaced. A stat of a few files and one small query: cheap. */
#define CONTEXT_POLL_US (G_USEC_PER_SEC / 2)
gboolean context_poll_packs (WeirContext *ctx, gboolean force, GPtrArray *problems);

/* The audit record of a pack imported (refusal NULL) or refused, the same for
 * `weir pack import` (source "cli") and a host's inbox (source "inbox"): an import
 * records the pack, its version and its signer; a refusal the file's name and the
 * reason, since a refused file's metadata is not to be trusted. Does nothing without
 * an audit log. */
gboolean context_record_pack (WeirContext *ctx, const char *source, const char *path,
                              const PackMeta *meta, const GError *refusal, GError **error);

/* Adds a line to problems unless the same line is there: a fault that recurs on every
 * request is still one problem. Returns TRUE when the line is new. */
gboolean context_add_problem (WeirContext *ctx, const char *message);

/* A host whose store could not be opened (corrupt, unreadable, its disk gone) tries
 * again between two requests, at most every CONTEXT_STORE_RETRY_US, so service resumes
 * once the store is repaired without restarting the browser. Returns TRUE when the store
 * opened now; its problem line is then dropped. Does nothing while the store is open. */
#define CONTEXT_STORE_RETRY_US G_USEC_PER_SEC
gboolean context_retry_store (WeirContext *ctx);

/* Whether context_retry_store or context_poll_packs (without force) would do more than
 * return at once if called now: either may load an index. */
gboolean context_load_due (const WeirContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeirContext, context_free)
