/* policy-private.h: the parsed policy, shared by policy-parse.c (which builds and
 * frees it) and policy.c (which decides with it). Nothing outside policy/ includes it. */
#pragma once

#include "extract.h"
#include "policy.h"

typedef struct {
  char *id;
  GStrv detectors;  /* detector ids; may be empty */
  GStrv labels;     /* pack labels; "*" is any label */
  GStrv sources;    /* issue 25: source groups of copied text; "*" is any source */
  gsize min_words;  /* documents: the rule applies from this many matched words on */
  gsize min_count;  /* patterns and EDM: the rule applies from this many matches on (0: any) */
  VerdictLevel verdict;
  char *message;
  char *learn_more;
  gboolean justification;
  gboolean has_redact;  /* "redact" given: */
  gboolean redact;      /* the user may paste the content with its matches masked */
  char *placeholder;    /* what a masked match becomes; NULL: "[<detector> removed]" */
} Rule;

typedef struct {
  char *id;
  GStrv match;
  gboolean has_max;
  VerdictLevel max_verdict;
  gboolean justification;
  gboolean has_gpu;
  VerdictLevel gpu;
  gboolean has_downloads;
  VerdictLevel downloads;      /* model downloads started by these origins' pages */
  gboolean has_record_url;
  gboolean record_url;    /* audit records keep the full URL, not only the origin */
  gboolean has_ocr;
  gboolean ocr;           /* images from these origins' pages are read by OCR (issue 26) */
  GHashTable *overrides;  /* rule id -> GINT_TO_POINTER (VerdictLevel + 1) */
  char *source;           /* issue 25: text copied here is remembered as from this source; NULL: not a source */
} OriginGroup;

struct Policy {
  cJSON *doc;
  char *digest;
  VerdictLevel fail_mode;
  guint timeout_ms;
  gsize min_scan_chars;
  gsize max_scan_bytes;
  VerdictLevel oversize;
  char *oversize_message;
  VerdictLevel unreadable;
  VerdictLevel encrypted;      /* files Weir cannot open: a password-protected zip entry, PDF, Office file */
  char *encrypted_message;
  gboolean encrypted_justification;
  ExtractBounds extract;       /* the "extract" object: what a hostile file cannot exceed */
  gboolean ocr;                /* "ocr.enabled": OCR where the origin group does not say */
  char *ocr_languages;         /* "ocr.languages" joined with "+" ("eng+deu") */
  VerdictLevel fallback;
  VerdictLevel gpu;
  char *gpu_message;
  VerdictLevel downloads;
  gboolean downloads_audit;
  GStrv download_patterns;
  gboolean record_url;
  gsize retention_days;        /* audit_retention (docs/policy.md) */
  gsize retention_mb;
  gboolean retention_after_export;
  PolicyCopies copies;
  GPtrArray *rules;    /* Rule* */
  GPtrArray *origins;  /* OriginGroup* */
};
