/* sandbox.h: weir-host restricting itself once its context (policy, store) is open.
 *
 * Two layers, each applied where the system has it (docs/hardening.md):
 *  - seccomp (libseccomp): only the system calls the host needs; sockets only
 *    AF_UNIX (the journal, desktop notices); no exec, no fork, no ptrace. Anything
 *    else fails with EPERM instead of killing the host.
 *  - Landlock: files only beneath the state folder (read-write) and the
 *    configuration folder (read-only), plus read-only system folders.
 * Once entered it cannot be left: the process and every thread it starts stay
 * restricted. WEIR_SANDBOX=0 in the environment turns it off for debugging. */
#pragma once

#include <glib.h>

typedef struct {
  const char *state_dir;   /* read-write: store, keys, audit, pack inbox under WEIR_HOME */
  const char *config_dir;  /* read-only: policy, trusted keys, packs; may equal state_dir */
} SandboxPaths;

/* What holds once sandbox_enter() returns; 0 is an unrestricted process. */
typedef enum {
  SANDBOX_SECCOMP = 1 << 0,
  SANDBOX_LANDLOCK = 1 << 1,
} SandboxLayers;

/* FALSE when WEIR_SANDBOX is set to 0, "off", "no" or "false". */
gboolean sandbox_wanted (void);

/* Restricts the calling process. Call it before starting threads: Landlock binds
 * only the calling thread (the seccomp filter is synchronised to every thread).
 * *summary (caller frees) says what holds in one line for the log and the audit
 * record, e.g. "seccomp on; landlock abi 6". Returns the layers in force; a layer
 * the system lacks is skipped and named in the summary; error is set only when a
 * layer the system has could not be applied. */
SandboxLayers sandbox_enter (const SandboxPaths *paths, char **summary, GError **error);
