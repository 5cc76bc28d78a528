#include "notify.h"

#include <glib.h>

#include "weir-config.h"

#if WEIR_HAVE_NOTIFY
#include <libnotify/notify.h>

static gboolean
show_notice (const char *message)
{
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL && g_getenv ("DISPLAY") == NULL
      && g_getenv ("WAYLAND_DISPLAY") == NULL)
    return FALSE;
  if (!notify_is_initted () && !notify_init ("Weir"))
    return FALSE;
  NotifyNotification *notice = notify_notification_new ("Weir protection is degraded", message,
                                                        "dialog-warning");
  gboolean shown = notify_notification_show (notice, NULL);
  g_object_unref (notice);
  return shown;
}
#else
static gboolean
show_notice (const char *message)
{
  (void) message;
  return FALSE;
}
#endif

/* Each problem once per host process: the browser keeps its host for the whole
 * session, and a fault that recurs on every paste must not stack up notices. */
static GHashTable *told;

gboolean
notify_problem (const char *message)
{
  if (told == NULL)
    told = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_hash_table_add (told, g_strdup (message)))
    return FALSE;
  g_warning ("%s", message);
  show_notice (message);
  return TRUE;
}
