#include "audit-ship.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "json.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define SYSLOG_SOCKET "/dev/log"
#define SYSLOG_TAG "weir-audit"
/* authpriv (10): the facility Debian keeps in /var/log/auth.log, readable by admins only. */
#define SYSLOG_FACILITY 10
#define PRIORITY_NOTICE 5
#define PRIORITY_WARNING 4

typedef enum { SHIP_OFF, SHIP_JOURNAL, SHIP_SYSLOG } ShipTarget;

struct AuditShip {
  ShipTarget target;
  int fd;
  struct sockaddr_un addr;
  guint failures;
};

static gboolean
socket_address (const char *path, struct sockaddr_un *addr)
{
  memset (addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen (path) >= sizeof addr->sun_path)
    return FALSE;
  strcpy (addr->sun_path, path);
  return TRUE;
}

/* auto: the journal when its socket exists, else syslog. */
static ShipTarget
choose_target (const char **path)
{
  const char *mode = g_getenv ("WEIR_AUDIT_SHIP");
  const char *journal = g_getenv ("WEIR_AUDIT_JOURNAL_SOCKET");
  const char *syslog = g_getenv ("WEIR_AUDIT_SYSLOG_SOCKET");
  journal = journal ? journal : JOURNAL_SOCKET;
  syslog = syslog ? syslog : SYSLOG_SOCKET;
  if (g_strcmp0 (mode, "off") == 0)
    return SHIP_OFF;
  if (g_strcmp0 (mode, "journal") == 0 || (g_strcmp0 (mode, "syslog") != 0 && g_file_test (journal, G_FILE_TEST_EXISTS)))
    {
      *path = journal;
      return SHIP_JOURNAL;
    }
  *path = syslog;
  return SHIP_SYSLOG;
}

AuditShip *
audit_ship_new (void)
{
  AuditShip *ship = g_new0 (AuditShip, 1);
  const char *path = NULL;
  ship->fd = -1;
  ship->target = choose_target (&path);
  if (ship->target != SHIP_OFF && !socket_address (path, &ship->addr))
    ship->target = SHIP_OFF;
  if (ship->target != SHIP_OFF)
    ship->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return ship;
}

void
audit_ship_free (AuditShip *ship)
{
  if (ship == NULL)
    return;
  if (ship->fd >= 0)
    close (ship->fd);
  g_free (ship);
}

guint
audit_ship_failures (const AuditShip *ship)
{
  return ship->failures;
}

/* One journal field. Values with a newline use the binary form: name, newline,
 * 64-bit little-endian length, the bytes, newline. */
static void
journal_field (GString *out, const char *name, const char *value)
{
  if (value == NULL)
    return;
  if (strchr (value, '\n') == NULL)
    {
      g_string_append_printf (out, "%s=%s\n", name, value);
      return;
    }
  guint64 len = GUINT64_TO_LE ((guint64) strlen (value));
  g_string_append_printf (out, "%s\n", name);
  g_string_append_len (out, (const char *) &len, sizeof len);
  g_string_append (out, value);
  g_string_append_c (out, '\n');
}

static const char *
string_of (const cJSON *record, const char *name)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (record, name);
  return cJSON_IsString (item) ? item->valuestring : NULL;
}

/* warn and block are warnings; everything else a notice. */
static int
record_priority (const char *verdict)
{
  return g_strcmp0 (verdict, "warn") == 0 || g_strcmp0 (verdict, "block") == 0 ? PRIORITY_WARNING
                                                                                : PRIORITY_NOTICE;
}

GBytes *
audit_ship_journal_datagram (const char *line)
{
  g_autoptr (cJSON) record = cJSON_Parse (line);
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive (record, "seq");
  const char *verdict = string_of (record, "verdict");
  g_autofree char *priority = g_strdup_printf ("%d", record_priority (verdict));
  g_autofree char *facility = g_strdup_printf ("%d", SYSLOG_FACILITY);
  g_autofree char *seq_text = cJSON_IsNumber (seq) ? g_strdup_printf ("%.0f", seq->valuedouble) : NULL;
  GString *out = g_string_new (NULL);
  journal_field (out, "MESSAGE", line);
  journal_field (out, "PRIORITY", priority);
  journal_field (out, "SYSLOG_FACILITY", facility);
  journal_field (out, "SYSLOG_IDENTIFIER", SYSLOG_TAG);
  journal_field (out, "WEIR_SEQ", seq_text);
  journal_field (out, "WEIR_RECORD_ID", string_of (record, "id"));
  journal_field (out, "WEIR_DEVICE", string_of (record, "device"));
  journal_field (out, "WEIR_EVENT", string_of (record, "event"));
  journal_field (out, "WEIR_VERDICT", verdict);
  journal_field (out, "WEIR_ORIGIN", string_of (record, "origin"));
  journal_field (out, "WEIR_KEY", string_of (record, "key"));
  return g_string_free_to_bytes (out);
}

/* RFC 3164, as syslog(3) writes it: <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG. Month names
 * are spelt out here because strftime's follow the locale. */
static char *
syslog_message (const char *line)
{
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (cJSON) record = cJSON_Parse (line);
  int pri = SYSLOG_FACILITY * 8 + record_priority (string_of (record, "verdict"));
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  return g_strdup_printf ("<%d>%s %2d %02d:%02d:%02d %s[%d]: %s", pri,
                          months[g_date_time_get_month (now) - 1], g_date_time_get_day_of_month (now),
                          g_date_time_get_hour (now), g_date_time_get_minute (now),
                          g_date_time_get_second (now), SYSLOG_TAG, (int) getpid (), line);
}

void
audit_ship_send (AuditShip *ship, const char *line)
{
  if (ship == NULL || ship->target == SHIP_OFF)
    return;
  g_autoptr (GBytes) datagram = NULL;
  if (ship->target == SHIP_JOURNAL)
    datagram = audit_ship_journal_datagram (line);
  else
    {
      char *text = syslog_message (line);
      datagram = g_bytes_new_take (text, strlen (text));
    }
  gsize len = 0;
  const void *data = g_bytes_get_data (datagram, &len);
  ssize_t sent = ship->fd < 0 ? -1
                              : sendto (ship->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                                        (const struct sockaddr *) &ship->addr, sizeof ship->addr);
  if (sent != (ssize_t) len)
    ship->failures++;
}
