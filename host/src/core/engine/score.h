/* score.h: one entry point from content to findings: every pattern detector, then the
 * protected-content index when one is given. Pure: it cannot fail (without a second
 * thread it scores on one). */
#pragma once

#include <glib.h>

#include "findings.h"
#include "index.h"

/* Appends to findings (see findings_new()). index may be NULL. A paste of 16 KiB or
 * more is scored on two threads when the index holds packs: the detectors on a second
 * thread the engine starts once and keeps, the words on the caller's, then each pack's
 * documents and exact data on whichever thread is free first. The findings and their order are those of one
 * thread. As always, no other thread may use the index during the call. */
void engine_score (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings);

/* engine_score, and alongside (data) called once on the caller's thread before it
 * returns: while the other thread works when the paste is scored on two, else first.
 * Work of the caller's that a verdict waits for anyway (scan.c: the audit digest of
 * the content) then costs no time of its own. */
typedef void (*EngineAlongside) (gpointer data);
void engine_score_with (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings,
                        EngineAlongside alongside, gpointer data);

/* 1: every paste on the caller's thread alone; anything else: as above (the default,
 * unless the environment says WEIR_SCORE_THREADS=1 before the first large paste). */
void engine_score_set_threads (guint threads);

/* How many pastes have been scored on two threads in this process. */
guint engine_score_jobs_beside (void);
