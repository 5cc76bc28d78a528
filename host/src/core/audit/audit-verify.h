/* audit-verify.h: checks a device's whole audit chain against its pinned root key.
 *
 * Walks the records in order and holds each to: a well-formed signed line; the next
 * sequence number; the SHA-256 link to the record before; a signature by the key of
 * the current epoch, where epoch 0 is the pinned root key and each later key is the
 * one certified by a key-epoch record signed by the key before it; a time no earlier
 * than the record before nor than the start of its epoch. The first record that
 * fails names the fault. Nothing here needs the device or its store. */
#pragma once

#include <glib.h>

#include "sign/sign.h"

typedef enum {
  AUDIT_FAULT_NONE,
  AUDIT_FAULT_MALFORMED,   /* not a signed record line */
  AUDIT_FAULT_EDITED,      /* the signature does not cover what the line says */
  AUDIT_FAULT_MISSING,     /* a sequence number was skipped */
  AUDIT_FAULT_ORDER,       /* a later record came before an earlier one */
  AUDIT_FAULT_DUPLICATE,   /* a sequence number came twice */
  AUDIT_FAULT_KEY,         /* signed by a key that is not the pinned key or its certified heir */
  AUDIT_FAULT_CHAIN,       /* does not link to the record before it */
  AUDIT_FAULT_FORGED,      /* validly signed, but dated before its key's epoch began */
  AUDIT_FAULT_EMPTY,       /* no records at all */
} AuditFault;

typedef struct {
  AuditFault fault;
  gint64 line;      /* 1-based line of the first bad record (0 when none) */
  gint64 seq;       /* the sequence number it claims, or expected (missing), or 0 */
  char *message;    /* one sentence, starting with the fault's name */
  gint64 records;   /* records that verified */
  guint64 epochs;   /* epoch of the last verified record */
  gint64 head_seq;
  char head_hash[65];
  GPtrArray *notes; /* char*: what holds but an admin should know (a clock step, a restart) */
} AuditReport;

/* A static name: "edited", "missing", "out of order", "duplicated", "wrong key", ... */
const char *audit_fault_name (AuditFault fault);

/* lines: char*, one record each, in the order given (an export's lines or the store's).
 * Leading blanks (a syslog collector's) and a trailing CR are ignored. TRUE when the
 * whole chain holds; otherwise FALSE with report->fault set. Clear the report after. */
gboolean audit_verify_lines (const SignPublicKey *root, GPtrArray *lines, AuditReport *report);

/* Retention removes old records but keeps the key-epoch and checkpoint records. FULL
 * walks every record kept: from seq 1, or from after the last checkpoint's pruned_to
 * (the first kept record must link to its pruned_head). FROM_CHECKPOINT walks from the
 * last checkpoint record on, so the cost does not grow with history. Either way the
 * key-epoch records before the start are checked first, each signed by the key before
 * it, from the pinned root key. audit_verify_lines is FULL. */
typedef enum { AUDIT_VERIFY_FULL, AUDIT_VERIFY_FROM_CHECKPOINT } AuditVerifyFrom;
gboolean audit_verify_lines_from (const SignPublicKey *root, GPtrArray *lines, AuditVerifyFrom from,
                                  AuditReport *report);
void audit_report_clear (AuditReport *report);

/* Salvage (weir audit export --salvage): lines[i] is record seq i + 1 as read from a
 * damaged store, or NULL with why[i] saying why it could not be read. Returns the lines
 * (borrowed) that still authenticate: signed by the root key or by an epoch key that a
 * key-epoch record signed by the key before it certified. *gaps gets AuditGap*, the seq
 * ranges left out and why, in order; caller unrefs both arrays. Links and dates are not
 * checked: a salvaged log is a set of authentic records, not a whole chain. */
typedef struct {
  gint64 from, to;
  char *why;
} AuditGap;
GPtrArray *audit_salvage (const SignPublicKey *root, GPtrArray *lines, GPtrArray *why, GPtrArray **gaps);
