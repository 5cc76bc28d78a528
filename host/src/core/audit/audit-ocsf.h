/* audit-ocsf.h: audit records as OCSF events, for SIEMs that speak OCSF.
 *
 * Verdicts, GPU verdicts, user decisions and extension reports map to the OCSF class
 * Data Security Finding (class_uid 2006, category Findings): OCSF made it for DLP
 * detections, which is what a Weir verdict is, and it has places for the actor (the
 * OS user), the device and the finding (rule ids, labels). A decision updates the
 * finding of the verdict it answers (activity Update, same finding uid). Host start
 * and stop, policy loads, pack imports and key epochs are Application Lifecycle
 * events (class_uid 6002). Every event carries the exact signed record in raw_data,
 * so a SIEM can still verify the chain (docs/siem.md). */
#pragma once

#include <glib.h>

#include "json.h"

#define AUDIT_OCSF_VERSION "1.3.0"
#define AUDIT_OCSF_DATA_SECURITY_FINDING 2006
#define AUDIT_OCSF_APPLICATION_LIFECYCLE 6002

/* One OCSF event for one signed record line; NULL with error when the line is not a
 * record. Caller frees. */
cJSON *audit_ocsf_event (const char *line, GError **error);
