/* context.h: everything a front end (the host, the CLI) needs to decide: the policy,
 * the store, the audit log and the protected-content index, opened from paths.h.
 *
 * The host opens it leniently: a broken policy falls back to the default and a broken
 * store leaves store and audit NULL, each noted as a typed problem, so the host can
 * still answer (with the fail verdict). The CLI opens it strictly and reports the
 * error. */
#pragma once

#include <glib.h>

#include "audit/audit.h"
#include "extract.h"
#include "copies/copy-book.h"
#include "engine/index.h"
#include "pack/pack.h"
#include "policy/policy.h"
#include "store/store.h"

typedef enum {
  CONTEXT_LENIENT = 0,
  CONTEXT_STRICT = 1 << 0,
  /* The store opened read-only (state_open_read_only), no audit log, the inbox not imported:
   * for commands that only look (weir pack list), on a full disk too. */
  CONTEXT_READ_ONLY = 1 << 1,
  /* The host: the store's file is authenticated after the open, a slice at a time
   * (context_store_check_step), not before the first verdict (STORE_OPEN_DEFER_CHECK). */
  CONTEXT_DEFER_STORE_CHECK = 1 << 2,
} ContextFlags;

typedef struct WeirContext WeirContext;

WeirContext *context_open (ContextFlags flags, GError **error);
void context_free (WeirContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeirContext, context_free)

/* Borrowed from the context, valid until it changes them (context_retry_store,
 * context_poll_packs) or is freed. */
const Policy *context_policy (const WeirContext *ctx);              /* never NULL */
Store *context_store (const WeirContext *ctx);                      /* NULL: the store did not open */
Audit *context_audit (const WeirContext *ctx);                      /* NULL with the store */
const EngineIndex *context_index (const WeirContext *ctx);          /* never NULL; may be empty */
const char *context_config_dir (const WeirContext *ctx);
/* Issue 25: the copies remembered from source origin groups, opened (and read from the
 * store) on first use; NULL when no origin group of the policy is a source. The limits
 * are the policy's each time. Without a store, or when its copies cannot be read, the
 * book lives in memory only. */
CopyBook *context_copies (WeirContext *ctx);
void context_copy_limits (const WeirContext *ctx, CopyLimits *out);
const char *context_state_dir (const WeirContext *ctx);

/* For benchmarks: puts audit (may be NULL) in place of the context's audit log and
 * returns the one it held, which the caller then owns. */
Audit *context_replace_audit (WeirContext *ctx, Audit *audit);

/* weir-extract's launcher, started on the first call (a problem when it cannot start;
 * later calls do not try again and return NULL). weir-host calls it before its sandbox
 * forbids starting programs; the CLI when a file first needs it. Borrowed. */
Extractor *context_extractor (WeirContext *ctx);

/* What degrades protection, each told to the user as one line. The kind says what it
 * is; code never finds a problem again by its wording. */
typedef enum {
  CONTEXT_PROBLEM_POLICY,  /* the policy is invalid: the default policy applies */
  CONTEXT_PROBLEM_STORE,   /* the store cannot be opened: every check fails safe */
  CONTEXT_PROBLEM_AUDIT,   /* the audit log refuses writes: every check fails safe */
  CONTEXT_PROBLEM_PACK,    /* a trusted key or a pack was refused */
  CONTEXT_PROBLEM_EXTRACT, /* weir-extract would not start: documents are unreadable */
  CONTEXT_PROBLEM_FOLDER,  /* Weir's configuration or state folder is writable by others */
} ContextProblemKind;

typedef struct {
  ContextProblemKind kind;
  char *text;  /* the whole line for the user, e.g. "The policy is invalid, so ...: why" */
} ContextProblem;

/* ContextProblem*, oldest first, borrowed. */
const GPtrArray *context_problems (const WeirContext *ctx);
/* The first problem of kind, or NULL. */
const ContextProblem *context_problem_find (const WeirContext *ctx, ContextProblemKind kind);
/* Adds a problem unless the same one is there: a fault that recurs on every request is
 * still one problem. Returns TRUE when it is new. */
gboolean context_add_problem (WeirContext *ctx, ContextProblemKind kind, const char *text);

/* Between two requests the host calls this, at most every CONTEXT_POLL_US unless force:
 * it imports packs dropped into CONFIG/packs/ (newer versions only) and reloads the
 * index when the store's packs changed (an import here, by `weir pack import` or by
 * another host). Refusals are logged and appended to problems (char*, may be NULL).
 * Returns TRUE when the index was replaced. A stat of a few files and one small query:
 * cheap. */
#define CONTEXT_POLL_US (G_USEC_PER_SEC / 2)
gboolean context_poll_packs (WeirContext *ctx, gboolean force, GPtrArray *problems);

/* The audit record of a pack imported (refusal NULL) or refused, the same for
 * `weir pack import` (source "cli") and a host's inbox (source "inbox"): an import
 * records the pack, its version and its signer; a refusal the file's name and the
 * reason, since a refused file's metadata is not to be trusted. Does nothing without
 * an audit log. */
gboolean context_record_pack (WeirContext *ctx, const char *source, const char *path,
                              const PackMeta *meta, const GError *refusal, GError **error);

/* Records a host event (start, stop, a broken stream, the sandbox) with the policy's
 * digest in the audit log, if there is one; a failure is logged. */
void context_record_event (WeirContext *ctx, const char *event, const char *detail);

/* The policy this context enforces, in the audit log: which file (or the default), its
 * digest, and the problem that made it fall back to the default, if any. */
void context_record_policy (WeirContext *ctx);

/* A host whose store could not be opened (corrupt, unreadable, its disk gone) tries
 * again between two requests, at most every CONTEXT_STORE_RETRY_US, so service resumes
 * once the store is repaired without restarting the browser. Returns TRUE when the store
 * opened now; its problem is then dropped. Does nothing while the store is open. */
#define CONTEXT_STORE_RETRY_US G_USEC_PER_SEC
gboolean context_retry_store (WeirContext *ctx);
/* FALSE with an error when the open store's file was deleted or replaced (a host kept
 * writing into a file nobody would read again): the store is then closed, and the next
 * context_retry_store opens the one at the store's path at once. */
gboolean context_check_store (WeirContext *ctx, GError **error);
/* The policy's audit_retention applied (audit_prune): when now, at once; else at most
 * every CONTEXT_RETENTION_US (a host calls it after each reply). result says what was
 * done (all zero: nothing, or not due). */
#define CONTEXT_RETENTION_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
gboolean context_audit_retention (WeirContext *ctx, gboolean now, gboolean force_checkpoint,
                                  AuditPruneResult *result, GError **error);
/* With CONTEXT_DEFER_STORE_CHECK: whether store pages are still to be authenticated,
 * and the next CONTEXT_STORE_CHECK_PAGES of them authenticated (about a millisecond). A
 * page that fails closes the store as one that fails to open is closed: every check
 * then fails safe, a problem says why, and the retries open it with the full check. */
#define CONTEXT_STORE_CHECK_PAGES 256
gboolean context_store_check_pending (const WeirContext *ctx);
void context_store_check_step (WeirContext *ctx);

/* The packs' filters authenticated ahead of the first pastes (engine_index_warm), a
 * slice of CONTEXT_WARM_BLOCKS blocks (1 MiB) a call, for a host while it is idle; the
 * index loaded again (a new pack) is warmed again. */
#define CONTEXT_WARM_BLOCKS 64
gboolean context_index_warmed (const WeirContext *ctx);
void context_warm_index (WeirContext *ctx);

/* What every process that answers requests one after another does after each reply:
 * the store's WAL checkpointed once it has grown (store_maintain: the hook that replaced
 * SQLite's automatic checkpoint leaves it to this), retention when due, and a slice of
 * a deferred store check (so that a stream of requests cannot hold it off). What goes
 * wrong is logged (g_message), never the reply's concern. */
void context_maintain (WeirContext *ctx);

/* Whether context_retry_store or context_poll_packs (without force) would do more than
 * return at once if called now: either may load an index. */
gboolean context_load_due (const WeirContext *ctx);
/* When (monotonic microseconds) context_load_due turns TRUE next. */
gint64 context_load_next (const WeirContext *ctx);
