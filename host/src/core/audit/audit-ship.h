/* audit-ship.h: sends each committed record off the machine's own log engines, so
 * journald or rsyslog forwarding carries it to the organisation's SIEM (docs/siem.md).
 *
 * Where the systemd journal runs, records go to it over its native socket protocol
 * with structured fields (WEIR_SEQ, WEIR_EVENT, ...), MESSAGE being the exact signed
 * line; journald passes them on to rsyslog. Without a journal they go to the syslog
 * socket as RFC 3164 messages tagged "weir-audit", facility authpriv.
 *
 * Sends never block: a log daemon that is stuck or absent must not hold up a verdict.
 * A record that could not be sent is still in the store, and the collector's copy
 * shows the gap (weir audit verify names the missing record).
 *
 * Environment, read once: WEIR_AUDIT_SHIP=auto|journal|syslog|off (default auto),
 * WEIR_AUDIT_JOURNAL_SOCKET and WEIR_AUDIT_SYSLOG_SOCKET override the socket paths
 * (/run/systemd/journal/socket, /dev/log). */
#pragma once

#include <glib.h>

typedef struct AuditShip AuditShip;

AuditShip *audit_ship_new (void);
void audit_ship_free (AuditShip *ship);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuditShip, audit_ship_free)

/* line: one signed record. Failures are counted, never reported to the caller. */
void audit_ship_send (AuditShip *ship, const char *line);
/* Records that could not be sent so far. */
guint audit_ship_failures (const AuditShip *ship);

/* The journal's native datagram for line (exposed for tests). Caller frees. */
GBytes *audit_ship_journal_datagram (const char *line);
