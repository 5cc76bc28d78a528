#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "file.h"
#include "weir-error.h"

gboolean
cli_parse (const char *name, const char *params, const char *summary,
           const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autofree char *prog = g_strdup_printf ("weir %s", name);
  g_set_prgname (prog);
  g_autoptr (GOptionContext) options = g_option_context_new (params);
  g_option_context_set_summary (options, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (options, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (options, argc, argv, &error))
    {
      fprintf (stderr, "weir %s: %s (see weir %s --help)\n", name, error->message, name);
      return FALSE;
    }
  return TRUE;
}

int
cli_fail (const char *name, int code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "weir %s: %s\n", name, message);
  return code;
}

int
cli_unknown_command (const char *name, const char *word)
{
  if (word == NULL)
    fprintf (stderr, "weir %s: a command is needed\n", name);
  else
    fprintf (stderr, "weir %s: unknown command \"%s\"\n", name, word);
  return CLI_USAGE;
}

static gboolean
read_stream (FILE *in, gsize max, char **out, gsize *len, GError **error)
{
  g_autoptr (GString) buf = g_string_new (NULL);
  char chunk[65536];
  size_t n;
  while ((n = fread (chunk, 1, sizeof chunk, in)) > 0)
    {
      if (buf->len + n > max)
        {
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE,
                       "cannot read standard input: over the limit of %zu bytes", max);
          return FALSE;
        }
      g_string_append_len (buf, chunk, (gssize) n);
    }
  if (ferror (in))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read standard input: %s", g_strerror (errno));
      return FALSE;
    }
  *len = buf->len;
  *out = g_string_free (g_steal_pointer (&buf), FALSE);
  return TRUE;
}

gboolean
cli_read_input (const char *path, gsize max, char **out, gsize *len, GError **error)
{
  if (path == NULL || g_strcmp0 (path, "-") == 0)
    return read_stream (stdin, max, out, len, error);
  return file_read (path, max, out, len, error);
}
