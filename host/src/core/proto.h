/* proto.h: protocol 1: a request object in, a reply object out (the README's
 * "Protocol 1" section).
 *
 * Every request gets exactly one reply; anything malformed gets an "error" reply and
 * the caller reads on. Replies never hold content or matched values. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "context.h"

#define PROTO_VERSION 1

typedef struct Proto Proto;

/* ctx is borrowed and must outlive the Proto. */
Proto *proto_new (WeirContext *ctx);
void proto_free (Proto *proto);
/* Records the summaries of reports held back by the flood limit (before a host stops). */
void proto_flush_reports (Proto *proto);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proto, proto_free)

/* Handles one frame's bytes buf[0..len) (any bytes; no terminator needed); returns the
 * reply's JSON text, always, at most NM_MAX_REPLY bytes, which the caller frees. */
char *proto_handle_frame (Proto *proto, const char *buf, gsize len);

/* Handles a parsed request; returns the reply object, always, which the caller frees. */
cJSON *proto_handle_request (Proto *proto, const cJSON *request);

/* The scan budget of decider_set_scan_budget (verdict/verdict.h). */
void proto_set_scan_budget (Proto *proto, gint64 usec);

/* Lowers how long an upload may sit idle before it is dropped (upload.h; tests). */
void proto_set_upload_idle (Proto *proto, gint64 usec);

/* Marks every verdict record this Proto writes with "source": decider_set_source. */
void proto_set_source (Proto *proto, const char *source);
