/* audit-record.h: the wire format of one audit record, shared by the writer
 * (audit.c), the verifier (audit-verify.c) and the exporters. Internal to audit/.
 *
 * A record is one line of JSON, printed by cJSON without formatting, its fields in a
 * fixed order, the signature last:
 *
 *   {"v":1,"seq":7,"id":"…","time":"…Z","device":"…","user":"…","event":"verdict",
 *    …event fields…,"epoch":0,"key":"<16 hex>","prev":"<64 hex>","sig":"<base64>"}
 *
 * The bytes signed are the line without its signature: everything before ,"sig":"
 * followed by "}". That is exactly the JSON object the writer printed before signing,
 * so a verifier never re-serialises anything. "prev" is the SHA-256 (hex) of the
 * previous record's whole line; the first record has 64 zeros. */
#pragma once

#include <glib.h>

#include "sign/sign.h"

#define AUDIT_SIG_FIELD ",\"sig\":\""
#define AUDIT_SIG_B64_CHARS 88  /* base64 of 64 bytes, padded */
#define AUDIT_HASH_HEX 65       /* 64 hex digits and a NUL */
#define AUDIT_GENESIS_PREV "0000000000000000000000000000000000000000000000000000000000000000"

/* Appends the signature to unsigned_text (a JSON object ending in '}'). Caller frees. */
char *audit_record_seal (const SignSecretKey *sk, const char *unsigned_text);

/* Splits a line into the signed message and the signature. *msg receives the signed
 * bytes (caller frees). FALSE when the line does not end in a well-formed signature. */
gboolean audit_record_open (const char *line, gsize len, char **msg, gsize *msg_len,
                            guint8 sig[SIGN_BYTES]);

/* SHA-256 of the line, as 64 hex digits. */
void audit_record_hash (const char *line, gsize len, char out[AUDIT_HASH_HEX]);

/* "2026-11-27T23:07:23.123456Z" from microseconds since the epoch. Caller frees. */
char *audit_time_format (gint64 unix_us);
/* The inverse; FALSE when text is not such a time. */
gboolean audit_time_parse (const char *text, gint64 *unix_us);

/* "Ed" | key id | public key, base64: the form a key-epoch record carries. Caller frees. */
char *audit_public_key_encode (const SignPublicKey *pk);
gboolean audit_public_key_decode (const char *text, SignPublicKey *out);
