/* proto.h: protocol 1: a request object in, a reply object out (CONTRACT.md).
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
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proto, proto_free)

/* Handles one frame's bytes buf[0..len) (any bytes; no terminator needed); returns the
 * reply's JSON text, always, at most NM_MAX_REPLY bytes, which the caller frees. */
char *proto_handle_frame (Proto *proto, const char *buf, gsize len);

/* Handles a parsed request; returns the reply object, always, which the caller frees. */
cJSON *proto_handle_request (Proto *proto, const cJSON *request);

/* A scan checks a monotonic deadline between its parts (text, HTML, each file); a
 * part that would start after it is skipped and the verdict is the policy's fail
 * verdict, so the page gets an answer instead of a hang. By default the budget is
 * half the policy's timeout_ms, leaving the other half for the browser's messaging
 * so the host's answer beats the extension's own timeout. usec <= 0 restores the
 * default. */
void proto_set_scan_budget (Proto *proto, gint64 usec);

/* Marks every verdict record this Proto writes with "source" (a static string), so an
 * admin's test scans ("cli") are not mistaken for users' pastes in the audit log. */
void proto_set_source (Proto *proto, const char *source);

/* Records a host event (start, stop, a broken stream) in the audit log, if there is one. */
void proto_record_event (Proto *proto, const char *event, const char *detail);
