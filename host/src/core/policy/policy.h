/* policy.h: the organisation's policy: from findings and a destination to a verdict.
 *
 * The format is documented in docs/policy.md; the default ships in rules/ and is
 * compiled in. A Policy is immutable once loaded, so a host can swap it whole. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "extract.h"
#include "engine/findings.h"

/* In order of severity. REDACT (issue 24): the content goes in with its pattern and
 * exact-data matches masked, without a dialog; only a rule's verdict may be redact. */
typedef enum {
  VERDICT_ALLOW = 0,
  VERDICT_REDACT = 1,
  VERDICT_WARN = 2,
  VERDICT_BLOCK = 3,
} VerdictLevel;

const char *verdict_name (VerdictLevel verdict);
/* allow, warn or block (what fail_mode, oversize, gpu... may be). */
gboolean verdict_parse (const char *name, VerdictLevel *out);
/* allow, redact, warn or block (what a rule and an origin group's overrides may be). */
gboolean verdict_parse_rule (const char *name, VerdictLevel *out);

typedef struct Policy Policy;

/* Parses and validates a policy; every error names the field, e.g. "rules[2].verdict". */
Policy *policy_new_from_data (const char *json, gsize len, GError **error);
Policy *policy_new_from_file (const char *path, GError **error);
/* The default policy compiled in from rules/default-policy.json. */
Policy *policy_new_default (GError **error);
void policy_free (Policy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Policy, policy_free)

/* What the policy says; strings are borrowed from the Policy and live as long as it. */
typedef struct {
  VerdictLevel verdict;
  const char *rule_id;      /* the rule that set the verdict; NULL for the default */
  const char *message;      /* for the user; NULL when allow */
  const char *learn_more;   /* a URL or NULL */
  gboolean justification;   /* warn only: the user must say why to proceed */
} PolicyDecision;

/* Whether the user may be offered the content with its matches masked instead: every
 * finding whose rule (for origin) says more than allow is a pattern or EDM finding and
 * its rule allows redaction (verdict redact; warn unless "redact": false; block only
 * with "redact": true). Documents are never redacted: the paste is the protected text. */
gboolean policy_redaction_allowed (const Policy *policy, const char *origin, const GPtrArray *findings);
/* The placeholder the policy sets for what finding matched (its first rule's
 * "placeholder"), or NULL for the default. Borrowed. */
const char *policy_placeholder (const Policy *policy, const Finding *finding);

/* findings: a GPtrArray of Finding* (engine/findings.h). origin may be NULL. */
void policy_decide (const Policy *policy, const char *origin, const GPtrArray *findings,
                    PolicyDecision *out);
void policy_decide_gpu (const Policy *policy, const char *origin, PolicyDecision *out);
/* A model download started by a page of origin: allow or block (never warn). The
 * extension makes this decision itself from the hello's model_downloads; this is the
 * same rule, for tests and the CLI. */
void policy_decide_download (const Policy *policy, const char *origin, PolicyDecision *out);
/* Whether every model download is reported to the audit log (default yes). */
gboolean policy_download_audit (const Policy *policy);
/* The URL patterns of model downloads (regular expressions); borrowed, NULL-terminated. */
const char *const *policy_download_patterns (const Policy *policy);
void policy_decide_oversize (const Policy *policy, PolicyDecision *out);
void policy_decide_unreadable (const Policy *policy, PolicyDecision *out);
/* A file Weir cannot open (a password-protected archive entry, PDF or Office file). */
void policy_decide_encrypted (const Policy *policy, PolicyDecision *out);
/* What the "extract" object bounds (extract.h). */
const ExtractBounds *policy_extract_bounds (const Policy *policy);
/* The bounds for a request from origin: the policy's, with OCR on where the origin's
 * group (else "ocr.enabled") says so (issue 26). */
void policy_extract_bounds_for (const Policy *policy, const char *origin, ExtractBounds *out);
/* The OCR languages for Tesseract ("eng", "eng+deu"). */
const char *policy_ocr_languages (const Policy *policy);

#define POLICY_ENCRYPTED_MESSAGE \
  "This file is encrypted, so Weir cannot check what it holds. Send it only if it may " \
  "leave your organisation."
/* The verdict the extension applies when the host cannot answer; the host uses it too
 * when it cannot decide (store unreadable). */
void policy_decide_failure (const Policy *policy, PolicyDecision *out);

/* Content shorter than this many characters is allowed unscanned. */
gsize policy_min_scan_chars (const Policy *policy);
/* Content over this many bytes gets the oversize verdict unscanned. */
/* The largest max_scan_bytes a policy may set: 256 MiB. Files past Chrome's 64 MiB per
 * message come in chunks (upload.h), held in memory while they are scanned. */
#define POLICY_MAX_SCAN_BYTES ((gsize) 256 * 1024 * 1024)
gsize policy_max_scan_bytes (const Policy *policy);
/* How long the extension waits for a verdict before it applies the fail mode. */
guint policy_timeout_ms (const Policy *policy);

/* Whether audit records for this origin keep the request's full URL. Off by default:
 * a URL can name a document or a person; the origin is enough to say where. */
gboolean policy_record_url (const Policy *policy, const char *origin);
/* audit_retention: records older than *days and past *mb may be pruned (0: no limit),
 * only once exported when *after_export. Defaults: 90 days, 200 MB, after export. */
void policy_audit_retention (const Policy *policy, guint *days, guint *mb, gboolean *after_export);

/* Issue 25: the source group of origin (the "source" of the first origin group that
 * matches it), or NULL when it is in none. Borrowed from the policy. */
const char *policy_origin_source (const Policy *policy, const char *origin);

/* What the policy's "copies" section says (docs/policy.md). */
typedef struct {
  gint64 keep_seconds;  /* how long a copy is remembered */
  guint max_copies;     /* how many copies at most */
  guint min_words;      /* words a paste must share with a copy to be a finding */
  gboolean audit;       /* every copy event gets an audit record */
} PolicyCopies;
void policy_copies (const Policy *policy, PolicyCopies *out);
/* Whether any origin group is a source: without one nothing is remembered. */
gboolean policy_has_sources (const Policy *policy);

/* The part of the policy the extension needs, for the hello reply. Caller frees. */
cJSON *policy_to_hello_json (const Policy *policy);

/* A SHA-256 hex digest of the policy's source bytes, for audit records. */
const char *policy_digest (const Policy *policy);

/* True when origin (scheme://host[:port]) matches pattern: a star alone matches
 * everything; "https://host" that host; a leading star-dot host part ("https://" then
 * star, dot, "example.com") the host and its subdomains. A pattern without a port
 * matches any port. */
gboolean policy_origin_matches (const char *pattern, const char *origin);

/* TRUE when origin has the shape scheme://host (a scheme, "://", something after it):
 * what policy patterns (besides a star alone) and weir scan --origin must be. */
gboolean policy_origin_wellformed (const char *origin);
