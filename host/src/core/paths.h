/* paths.h: where Weir's files live.
 *
 * WEIR_HOME=DIR roots everything (configuration and state). Unset: configuration in
 * WEIR_SYSCONFDIR (/etc/weir), per-user state in $XDG_DATA_HOME/weir. */
#pragma once

#include <glib.h>

/* Policy, trusted/ and packs/. Caller frees. */
char *paths_config_dir (void);
/* The store and everything the host writes. Caller frees. */
char *paths_state_dir (void);
/* Creates the state folder (mode 0700) if needed. */
gboolean paths_ensure_state_dir (GError **error);
/* state_dir/weir.db. Caller frees. */
char *paths_store_file (void);
