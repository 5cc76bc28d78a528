#include "paths.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "weir-config.h"
#include "weir-error.h"

static const char *
weir_home (void)
{
  const char *home = g_getenv ("WEIR_HOME");
  return home != NULL && home[0] != '\0' ? home : NULL;
}

char *
paths_config_dir (void)
{
  const char *home = weir_home ();
  return g_strdup (home != NULL ? home : WEIR_SYSCONFDIR);
}

char *
paths_state_dir (void)
{
  const char *home = weir_home ();
  if (home != NULL)
    return g_strdup (home);
  return g_build_filename (g_get_user_data_dir (), "weir", NULL);
}

gboolean
paths_ensure_state_dir (GError **error)
{
  g_autofree char *dir = paths_state_dir ();
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

char *
paths_store_file (void)
{
  g_autofree char *dir = paths_state_dir ();
  return g_build_filename (dir, "weir.db", NULL);
}
