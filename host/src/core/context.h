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
} WeirContext;

WeirContext *context_open (ContextFlags flags, GError **error);
void context_free (WeirContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeirContext, context_free)
