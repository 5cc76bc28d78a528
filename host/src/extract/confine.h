/* confine.h: the sandbox of one extraction child. */
#pragma once

#include <glib.h>

#include "extract.h"

/* Limits (RLIMIT_AS from bounds->memory_mb, RLIMIT_CPU from time_ms, no core files),
 * then Landlock with no path allowed (no filesystem at all, no TCP), then a seccomp
 * filter that allows reading and writing the descriptors already open, memory and
 * exiting: no open, no socket, no exec, no fork. Fills *said with what holds; FALSE
 * when a layer the build has could not be applied (the caller then refuses to parse). */
gboolean confine_child (const ExtractBounds *bounds, char **said);
