/* testproto.h: what the tests of the protocol share, whether they speak to proto.c in
 * process (tests/unit/test-proto.c) or to the real weir-host and weir binaries over
 * pipes (tests/host/): requests, frames, replies checked as Chrome would take them, and
 * the audit log read back. Each helper aborts the test on a failure. */
#pragma once

#include <glib.h>

#include "json.h"
#include "store/store.h"

/* obj[key] when it is a string, else NULL. */
const char *testproto_str (const cJSON *obj, const char *key);
/* obj[key], which must be a number. */
int testproto_num (const cJSON *obj, const char *key);

/* A scan request for text, built with cJSON so that any text is escaped. Caller frees. */
char *testproto_scan_request (int id, const char *event, const char *origin, const char *text);
/* A file-chunk request (docs/protocol.md): bytes[0..len) at offset of upload, whose
 * whole size is size, base64-encoded. Caller frees. */
char *testproto_chunk_request (int id, const char *upload, guint64 size, guint64 offset,
                               const void *bytes, gsize len);
/* A scan request (event drop) of one file that names an upload; size < 0 leaves the
 * size out. Caller frees. */
char *testproto_upload_scan_request (int id, const char *origin, const char *name, const char *upload,
                                     double size);

/* head, e.g. {"type":"hello","id":1,"x": , then depth nested empty lists and the
 * closing brace: a request that a recursive parser would overflow on. */
GString *testproto_nested_request (const char *head, gsize depth);

/* Chrome's framing: the 4-byte length in native byte order, then the bytes. */
GString *testproto_frame (const char *buf, gsize len);
/* Writes all of buf to fd, through short writes and EINTR. */
void testproto_write_all (int fd, const void *buf, gsize len);
/* Writes one frame to fd. */
void testproto_send_frame (int fd, const char *buf, gsize len);

/* A reply as the extension takes it: at most 1 MiB, UTF-8, one JSON object. */
cJSON *testproto_reply_parse (const char *text, gsize len);
/* Reads one reply frame from fd within timeout_ms; *text_out (may be NULL) receives
 * its raw text. */
cJSON *testproto_receive (int fd, int timeout_ms, char **text_out);
/* The first reply frame at the start of buf[0..len) (a host's whole output). */
cJSON *testproto_first_reply (const char *buf, gsize len);

/* Every audit record of store, as JSON text, one a line. Caller frees. */
char *testproto_audit_text (Store *store);
