/* weir audit: the device's audit key, and its audit log exported and verified.
 *
 *   weir audit key [-o DEVICE.pub]
 *   weir audit export [--format jsonl|ocsf] [-o FILE]
 *   weir audit verify [--file EXPORT.jsonl] [-p DEVICE.pub]
 *
 * verify exits 0 only when the whole chain holds, else 2 naming the first bad record
 * and why. With --file and -p it needs nothing of this machine: an admin verifies a
 * device's records centrally. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/audit-ocsf.h"
#include "audit/audit-verify.h"
#include "cli.h"
#include "json.h"
#include "state.h"

/* Exports and collector files can be large; this bounds what verify reads at once. */
#define AUDIT_FILE_MAX ((gsize) 4 << 30)

static int
audit_key (int argc, char **argv)
{
  g_autofree char *out = NULL;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the public key to FILE (never overwrites)", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("audit key", NULL, "Exports this device's root audit public key, the key admins pin.",
                  entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("audit key", CLI_USAGE, "unexpected argument \"%s\" (see weir audit key --help)", argv[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  g_autoptr (Audit) audit = NULL;
  SignPublicKey pk;
  if (!state_open_audit (&store, &audit, &error) || !audit_root_key (audit, &pk, &error))
    return cli_fail ("audit key", CLI_FAILURE, "%s", error->message);
  if (out != NULL)
    return sign_public_key_save (&pk, out, &error) ? CLI_OK
                                                  : cli_fail ("audit key", CLI_FAILURE, "%s", error->message);
  g_autofree char *text = sign_public_key_to_text (&pk);
  fputs (text, stdout);
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

static gboolean
write_lines (FILE *out, GPtrArray *lines, gboolean ocsf, GError **error)
{
  for (guint i = 0; i < lines->len; i++)
    {
      if (!ocsf)
        {
          fprintf (out, "%s\n", (const char *) lines->pdata[i]);
          continue;
        }
      g_autoptr (cJSON) event = audit_ocsf_event (lines->pdata[i], error);
      if (event == NULL)
        return g_prefix_error (error, "record %u: ", i + 1), FALSE;
      g_autofree char *text = cJSON_PrintUnformatted (event);
      fprintf (out, "%s\n", text);
    }
  return TRUE;
}

static int
audit_export (int argc, char **argv)
{
  g_autofree char *out = NULL, *format = NULL;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "jsonl (the signed records, default) or ocsf", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write to FILE instead of stdout", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("audit export", NULL, "Prints the audit log, one record a line.", entries, &argc, &argv))
    return CLI_USAGE;
  gboolean ocsf = g_strcmp0 (format, "ocsf") == 0;
  if (argc > 1 || (format != NULL && !ocsf && strcmp (format, "jsonl") != 0))
    return cli_fail ("audit export", CLI_USAGE, "--format is jsonl or ocsf (see weir audit export --help)");
  g_autoptr (GError) error = NULL;
  /* Read-only: an admin can export on a full disk, before freeing space. */
  g_autoptr (Store) store = state_open_audit_read_only (&error);
  g_autoptr (GPtrArray) lines = store != NULL ? audit_store_lines (store, &error) : NULL;
  if (lines == NULL)
    return cli_fail ("audit export", CLI_FAILURE, "%s", error->message);
  FILE *file = out ? fopen (out, "w") : stdout;
  if (file == NULL)
    return cli_fail ("audit export", CLI_FAILURE, "cannot create %s: %s", out, g_strerror (errno));
  errno = 0;
  gboolean ok = write_lines (file, lines, ocsf, &error);
  /* A write refused (a full disk, a file-size limit) shows at a flush or in the error
   * flag; errno says why. */
  int saved = errno;
  gboolean failed = fflush (file) != 0 || ferror (file);
  saved = failed && errno != 0 ? errno : saved;
  if ((out ? fclose (file) != 0 : FALSE) || failed)
    ok = FALSE;
  if (!ok && error == NULL)
    return cli_fail ("audit export", CLI_FAILURE, "cannot write %s: %s", out ? out : "standard output",
                     saved != 0 ? g_strerror (saved) : "writing failed");
  if (!ok)
    return cli_fail ("audit export", CLI_FAILURE, "%s", error->message);
  return CLI_OK;
}

/* The non-blank lines of a file. */
static GPtrArray *
read_lines (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!cli_read_input (path, AUDIT_FILE_MAX, &data, &len, error))
    return NULL;
  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s holds NUL bytes: not an audit export", path);
      return NULL;
    }
  g_auto (GStrv) split = g_strsplit (data, "\n", -1);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  for (char **line = split; *line != NULL; line++)
    if ((*line)[strspn (*line, " \t\r")] != '\0')
      g_ptr_array_add (lines, g_strdup (*line));
  return lines;
}

/* The records and the key to hold them to: a file and a pinned key need no store. */
static gboolean
verify_inputs (const char *file, const char *pub, GPtrArray **lines, SignPublicKey *root, GError **error)
{
  g_autoptr (Store) store = NULL;
  if ((file == NULL || pub == NULL) && (store = state_open_audit_read_only (error)) == NULL)
    return FALSE;
  if (pub != NULL ? !sign_public_key_load (pub, root, error) : !audit_store_root_key (store, root, error))
    return FALSE;
  *lines = file != NULL ? read_lines (file, error) : audit_store_lines (store, error);
  return *lines != NULL;
}

static int
audit_verify (int argc, char **argv)
{
  g_autofree char *file = NULL, *pub = NULL;
  const GOptionEntry entries[] = {
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "Verify an export (or a collector's file) instead of the store", "FILE" },
    { "pubkey", 'p', 0, G_OPTION_ARG_FILENAME, &pub, "The device's pinned root key (default: this device's)", "DEVICE.pub" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("audit verify", NULL, "Checks every record, signature, chain link and epoch key; exit 0 only "
                  "when the whole chain holds.", entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("audit verify", CLI_USAGE, "unexpected argument \"%s\" (see weir audit verify --help)", argv[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  SignPublicKey root;
  if (!verify_inputs (file, pub, &lines, &root, &error))
    return cli_fail ("audit verify", CLI_FAILURE, "%s", error->message);
  AuditReport report;
  gboolean ok = audit_verify_lines (&root, lines, &report);
  g_autofree char *key = sign_key_id_hex (root.id);
  if (ok)
    printf ("ok: %" G_GINT64_FORMAT " records, epoch %" G_GUINT64_FORMAT ", root key %s, head %" G_GINT64_FORMAT
            " sha256 %s\n", report.records, report.epochs, key, report.head_seq, report.head_hash);
  else
    cli_fail ("audit verify", CLI_FAILURE, "%s", report.message);
  audit_report_clear (&report);
  if (ok && pub == NULL)
    fprintf (stderr, "weir audit verify: checked against this device's own root key; "
                     "pin it with weir audit key -o and verify with -p for an independent check\n");
  return ok ? CLI_OK : CLI_FAILURE;
}

static const struct {
  const char *name;
  CliCommand run;
} audit_commands[] = {
  { "key", audit_key },
  { "export", audit_export },
  { "verify", audit_verify },
};

static int
usage (FILE *out)
{
  fprintf (out, "Usage: weir audit key [-o DEVICE.pub]\n"
                "       weir audit export [--format jsonl|ocsf] [-o FILE]\n"
                "       weir audit verify [--file EXPORT.jsonl] [-p DEVICE.pub]\n"
                "weir audit COMMAND --help shows a command's options.\n");
  return out == stdout ? CLI_OK : CLI_USAGE;
}

int
cmd_audit (int argc, char **argv)
{
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    return usage (stdout);
  for (gsize i = 0; argc >= 2 && i < G_N_ELEMENTS (audit_commands); i++)
    if (strcmp (argv[1], audit_commands[i].name) == 0)
      return audit_commands[i].run (argc - 1, argv + 1);
  cli_unknown_command ("audit", argc >= 2 ? argv[1] : NULL);
  return usage (stderr);
}
