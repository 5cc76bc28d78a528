/* notify.h: telling the user, once per session, that protection is degraded.
 * A desktop notice (libnotify) where a desktop session exists; the log otherwise. */
#pragma once

#include <glib.h>

/* Logs message (stderr, which the browser keeps, or the journal) and shows it as a desktop
 * notice when a session bus or display exists, the first time this process is told it.
 * Returns TRUE then, FALSE for a repeat. */
gboolean notify_problem (const char *message);
