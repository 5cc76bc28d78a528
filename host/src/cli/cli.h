/* cli.h: what every `weir` subcommand shares. Each cmd_*.c exposes one entry point;
 * main.c only dispatches. Exit status: 0 success, 1 usage error, 2 failure. */
#pragma once

#include <glib.h>

enum { CLI_OK = 0, CLI_USAGE = 1, CLI_FAILURE = 2 };

typedef int (*CliCommand) (int argc, char **argv);

/* Parses options for "weir NAME"; on a usage error prints one line and returns FALSE.
 * --help prints the full help and exits 0. */
gboolean cli_parse (const char *name, const char *params, const char *summary,
                    const GOptionEntry *entries, int *argc, char ***argv);

/* Prints "weir NAME: MESSAGE" on stderr and returns CLI_FAILURE (or code). */
int cli_fail (const char *name, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* For "weir NAME WORD" where WORD is no subcommand: prints "weir NAME: unknown command
 * "WORD"" (or "a command is needed" for none) on stderr, for the caller's usage to
 * follow; returns CLI_USAGE. */
int cli_unknown_command (const char *name, const char *word);

/* Reads a whole file, or stdin for "-", up to max bytes. */
gboolean cli_read_input (const char *path, gsize max, char **out, gsize *len, GError **error);

int cmd_scan (int argc, char **argv);
int cmd_audit (int argc, char **argv);
int cmd_keygen (int argc, char **argv);
int cmd_trust (int argc, char **argv);
int cmd_pack (int argc, char **argv);
int cmd_store (int argc, char **argv);
