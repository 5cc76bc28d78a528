/* score.h: one entry point from content to findings: every pattern detector, then the
 * protected-content index when one is given. Pure: it cannot fail. */
#pragma once

#include <glib.h>

#include "findings.h"
#include "index.h"

/* Appends to findings (see findings_new()). index may be NULL. */
void engine_score (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings);
