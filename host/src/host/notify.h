/* notify.h: telling the user, once per session, that protection is degraded.
 * A desktop notice (libnotify) where a desktop session exists; the log otherwise. */
#pragma once

void notify_problem (const char *message);
