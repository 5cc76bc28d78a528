/* verdict.h: the one place a verdict is made.
 *
 * A Decider takes a request (a scan, a GPU request), has it scanned, asks the policy,
 * applies every override in one sequence (oversize, the scan's time budget, unreadable
 * files, an audit record that cannot be written) and returns one Verdict. The audit
 * record is written from that value before it is returned, and the protocol's reply
 * (proto.c) and weir scan's output are both made from it. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "context.h"
#include "scan/redact.h"
#include "scan/scan.h"

/* Why the policy's verdict was replaced, as flags: more than one can apply. */
typedef enum {
  VERDICT_OVERRIDE_NONE = 0,
  VERDICT_OVERRIDE_OVERSIZE = 1 << 0,   /* too large to scan: the policy's oversize verdict */
  VERDICT_OVERRIDE_TIMEOUT = 1 << 1,    /* the scan ran out of time: the fail verdict, when stricter */
  VERDICT_OVERRIDE_UNREADABLE = 1 << 2, /* a file that is not text: the unreadable verdict, when stricter */
  VERDICT_OVERRIDE_UNRECORDED = 1 << 3, /* no audit record could be written: the fail verdict */
  VERDICT_OVERRIDE_ENCRYPTED = 1 << 4,  /* a file could not be opened: the encrypted verdict, when stricter */
  VERDICT_OVERRIDE_UNREDACTABLE = 1 << 5, /* a redact verdict that masking cannot satisfy: block */
} VerdictOverrides;

/* A reason the policy itself gives (not a finding): "oversize", "timeout",
 * "unreadable" (count: the files), "encrypted", "gpu"; about one file (or a part
 * inside it) when file is set. */
typedef struct {
  const char *rule;   /* static */
  guint count;        /* 0: none to tell */
  char *file;         /* owned; the file's name as sent, or NULL */
  char *where;        /* owned; inside the file, or NULL */
  char *detail;       /* owned; oversize: the bound's policy field; unreadable: why */
} VerdictPolicyReason;

#define VERDICT_MAX_FINDINGS 64  /* reasons told per verdict; keeps a reply far under 1 MiB */
#define VERDICT_MAX_FILE_REASONS 16  /* files (or parts) told by name; the rest decide unnamed */
#define VERDICT_MAX_POLICY_REASONS (5 + VERDICT_MAX_FILE_REASONS)

/* A verdict and everything said about it. Owns every field. */
typedef struct {
  VerdictLevel verdict;
  char *rule;               /* the deciding rule; NULL for the policy's default */
  GPtrArray *findings;      /* Finding*, what was found, in order; told up to VERDICT_MAX_FINDINGS */
  VerdictPolicyReason policy_reasons[VERDICT_MAX_POLICY_REASONS];  /* told after the findings */
  guint n_policy_reasons;
  char *message;            /* for the user; NULL for a plain allow */
  char *learn_more;         /* a URL or NULL */
  gboolean justification;   /* warn only: the user must say why to proceed */
  char *audit;              /* the audit record's id; NULL when unrecorded */
  VerdictOverrides overrides;
  GError *unrecorded;       /* with VERDICT_OVERRIDE_UNRECORDED: why no record was written */
  /* Where the findings are (issue 24), when the request asked and something was found
   * that can be masked; NULL otherwise. */
  Redaction *redaction;
  GStrv placeholders;       /* what each of redaction's kinds becomes */
  gboolean redact_offer;    /* the user may paste the content with them masked */
} Verdict;

void verdict_free (Verdict *verdict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Verdict, verdict_free)

/* The reasons as protocol 1 writes them (the reply's and the audit record's
 * "reasons"): the findings, then the policy's reasons. Caller frees. */
cJSON *verdict_reasons_json (const Verdict *verdict);

/* The placeholder of each of r's kinds, in order, NULL-terminated: the first rule's
 * "placeholder" for a finding of that kind, else "[<detector title> removed]" (EDM:
 * findings give a table's label). Caller frees. */
GStrv verdict_placeholders (const Policy *policy, const Redaction *r, const GPtrArray *findings);

/* The redaction as the reply tells it: the offer, the placeholders and the spans in
 * UTF-16 code units of the request's text and html ({"offer":..., "placeholders":[...],
 * "text":[[start,length,placeholder],...], "html":[...]}; placeholder -1: a further
 * piece of the match before, removed). NULL without one. Caller frees. */
cJSON *verdict_redaction_json (const Verdict *verdict, const ScanRequest *request);
/* What the audit record keeps of it: how many matches and of which kinds, never where
 * or what ({"matches":N,"kinds":[{"kind":"pattern","rule":"aws-access-key","count":1}]}).
 * NULL without one. Caller frees. */
cJSON *verdict_redaction_summary (const Verdict *verdict);

/* What the user reads when the audit log cannot be written, and the reply's error. */
#define VERDICT_UNRECORDED_MESSAGE \
  "Weir cannot write its audit log right now (its store is unavailable or the disk is " \
  "full), so your organisation's fail mode applies."
#define VERDICT_UNRECORDED_ERROR "Weir could not record this decision, so it fails safe."

typedef struct Decider Decider;

/* ctx is borrowed and must outlive the Decider. */
Decider *decider_new (WeirContext *ctx);
void decider_free (Decider *decider);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Decider, decider_free)

/* Marks every verdict record with "source" (a static string), so an admin's test scans
 * ("cli") are not mistaken for users' pastes in the audit log. */
void decider_set_source (Decider *decider, const char *source);

/* A scan checks a monotonic deadline between its parts (text, HTML, each file); a
 * part that would start after it is skipped and the verdict is the policy's fail
 * verdict, so the page gets an answer instead of a hang. By default the budget is
 * half the policy's timeout_ms, leaving the other half for the browser's messaging
 * so the host's answer beats the extension's own timeout. usec <= 0 restores the
 * default. */
void decider_set_scan_budget (Decider *decider, gint64 usec);

/* The verdict on a scan request, recorded ("verdict" record). Never NULL; caller frees. */
Verdict *decider_scan (Decider *decider, const ScanRequest *request);

/* The verdict on a page's use of the GPU (api NULL: requestAdapter), recorded ("gpu"
 * record). Never NULL; caller frees. */
Verdict *decider_gpu (Decider *decider, const char *origin, const char *api);

/* Issue 25: text copied (event: copy, cut, drag or page-copy) by a page of origin. When
 * origin is in a source group of the policy, its fingerprints are remembered as copied
 * from that source; with the policy's copies.audit, a "copy" audit record says so (origin,
 * source, sizes; never the text). FALSE only when that record cannot be written. */
typedef struct {
  gboolean kept;
  const char *source;  /* the origin's source group (borrowed from the policy), or NULL */
  const char *why;     /* not kept: "not-a-source", "too-short" or "rate-limited" (static) */
  guint32 words;
  char *audit;         /* the copy record's id, or NULL; caller frees */
} DeciderCopy;
gboolean decider_copy (Decider *decider, const char *event, const char *origin, const char *text, gsize len,
                       DeciderCopy *out, GError **error);

/* The audit record of the user's answer to a warn verdict (event "decision": the verdict's
 * audit id as ref, proceed or cancel, the justification cut at 2000 bytes, NULL for
 * none); the record's id, or NULL with error (WEIR_ERROR_STORE without an audit log). */
char *decider_record_decision (Decider *decider, const char *ref, const char *action,
                               const char *justification, GError **error);

/* Whether ref is a warn verdict in this store's audit log that no decision answers yet,
 * whichever host process gave it (the browser restarted the host, or the user answered
 * after it stopped); *justification says whether proceeding needs one. FALSE with
 * WEIR_ERROR_NOT_FOUND for an unknown id, a verdict that is not warn, or one already
 * decided. */
gboolean decider_open_warn (Decider *decider, const char *ref, gboolean *justification, GError **error);
/* The audit record of a paste inserted with its findings masked (event "decision",
 * action "redact", the verdict's audit id as ref, and summary: the verdict's
 * verdict_redaction_summary). The record's id, or NULL with error. */
char *decider_record_redaction (Decider *decider, const char *ref, const cJSON *summary, GError **error);

/* The audit record of something the extension saw that the host could not (event
 * "report": fail-mode, timeout, model-download, unguarded); origin, verdict and detail
 * may be NULL, detail is cut at 200 bytes. The record's id, or NULL with error.
 * Each origin and kind gets 50 records a minute (all together 200); past that a report is counted, not
 * recorded (NULL, no error, *held TRUE), and one "report" record with "count" and
 * "since" tells the held ones once the minute is over (or at decider_flush_reports). */
char *decider_record_report (Decider *decider, const char *event, const char *origin,
                             const char *verdict, const char *detail, gboolean *held, GError **error);
/* Writes every held report's summary now (the host calls it before it stops). */
void decider_flush_reports (Decider *decider);
