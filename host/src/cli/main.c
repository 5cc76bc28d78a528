/* weir: the admin and operator command line. main() only dispatches. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "weir-config.h"

static const struct {
  const char *name;
  CliCommand run;
  const char *summary;
} commands[] = {
  { "scan", cmd_scan, "Check content against the policy, as the host would" },
  { "audit", cmd_audit, "Export the device's audit key, export and verify its audit log" },
  { "keygen", cmd_keygen, "Create an admin key pair that signs packs" },
  { "trust", cmd_trust, "Add, list or remove the admin keys whose packs are accepted" },
  { "pack", cmd_pack, "Build, verify, import and list fingerprint packs" },
  { "store", cmd_store, "Show the encrypted store, or authenticate every page of it" },
};

static int
usage (FILE *out)
{
  fprintf (out, "Usage: weir COMMAND [OPTION...]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nweir COMMAND --help shows a command's options.\n"
                "WEIR_HOME=DIR roots every file Weir reads or writes.\n");
  return out == stdout ? CLI_OK : CLI_USAGE;
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE);
  /* A file-size limit (RLIMIT_FSIZE) is a full disk: a write fails with EFBIG and the
   * command says so, instead of dying of SIGXFSZ with nothing said. */
  signal (SIGXFSZ, SIG_IGN);
  /* The user's locale, so GOption's help and GLib's messages read right (UTF-8). */
  setlocale (LC_ALL, "");
  if (argc < 2)
    return usage (stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    return usage (stdout);
  if (strcmp (argv[1], "--version") == 0)
    return printf ("weir %s\n", WEIR_VERSION) < 0 ? CLI_FAILURE : CLI_OK;
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "weir: unknown command \"%s\" (see weir --help)\n", argv[1]);
  return CLI_USAGE;
}
