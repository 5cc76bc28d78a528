/* redact.h: where a request's findings are in its text and HTML, and the content with
 * them masked (issue 24: "Paste without them").
 *
 * Spans are computed on exactly the strings the extension sent: the text, and the HTML
 * itself (a match in its visible text, an attribute, a comment or a script maps back
 * to the HTML's bytes). A match in the HTML that crosses tags becomes several pieces,
 * one per run of text, so masking removes the text and keeps every tag. Files are
 * never rewritten and have no spans. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "engine/findings.h"
#include "engine/index.h"
#include "scan/scan.h"

/* Pieces over this many (text and HTML together) are not told: a reply must stay far
 * under Chrome's 1 MiB (each piece is about 20 bytes of JSON). */
#define REDACT_MAX_PIECES 16384
/* Text and HTML over this many bytes get no spans: finding them costs a few more passes
 * over the content, which must not push a large paste past the extension's timeout, and
 * a paste people want masked is a file's worth of text, not a dump. */
#define REDACT_MAX_BYTES (4u << 20)

/* What a span masks: a detector, or an EDM table. */
typedef struct {
  FindingKind kind;
  const char *name;   /* detector id (static) or table name (the index's, borrowed) */
  guint count;        /* matches of this kind in the text and the HTML */
} RedactKind;

/* A piece of a string to mask: bytes [start, end). kind indexes Redaction.kinds; -1
 * marks a further piece of the match before it, masked to nothing. */
typedef struct {
  gsize start, end;
  gint kind;
} RedactPiece;

typedef struct {
  GArray *kinds;   /* RedactKind, in order of first appearance */
  GArray *text;    /* RedactPiece over request->text, in order, disjoint */
  GArray *html;    /* RedactPiece over request->html, in order, disjoint */
  guint matches;   /* spans in the text plus matches in the HTML */
  gboolean incomplete;  /* masking kept revealing new matches: do not offer it */
} Redaction;

/* The spans of request's text and HTML against index (may be NULL). Never NULL. */
Redaction *redaction_new (const ScanRequest *request, const EngineIndex *index);
void redaction_free (Redaction *redaction);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Redaction, redaction_free)

/* The default placeholder of each kind ("[AWS access key removed]"), in kinds' order,
 * NULL-terminated. Caller frees. */
GStrv redaction_default_placeholders (const Redaction *redaction);

/* s[0..len) with each piece replaced by placeholders[piece->kind] (or by nothing for
 * kind -1); html: placeholders are written with & < > " ' as entities, so that one in
 * an attribute cannot end it. Caller frees. */
char *redaction_mask (const char *s, gsize len, const GArray *pieces, const char *const *placeholders,
                      gboolean html);

/* pieces as protocol 1 tells them: [[start, length, kind], ...] in UTF-16 code units of
 * s (what a JavaScript string indexes). s must be the string the pieces were made on. */
cJSON *redaction_pieces_json (const char *s, const GArray *pieces);
