/* verdict-private.h: what the files of verdict/ share; nothing outside verdict/ includes it. */
#pragma once

#include "verdict.h"

/* Issue 24, after the overrides and before the verdict settles: when the request asked
 * for spans and something was found, fills verdict's redaction, placeholders and offer
 * (findings: the scan's). A redact decision that cannot be offered becomes block. */
void verdict_plan_redaction (Verdict *verdict, const ScanRequest *request, WeirContext *ctx, gint64 deadline,
                             const GPtrArray *findings, PolicyDecision *decision);
