/* weir audit: the device's audit key, and its audit log exported and verified.
 *
 *   weir audit key [-o DEVICE.pub]
 *   weir audit export [--format jsonl|ocsf] [-o FILE] [--salvage [-p DEVICE.pub]]
 *   weir audit verify [--file EXPORT.jsonl] [-p DEVICE.pub] [--full]
 *   weir audit prune [--checkpoint]
 *
 * verify exits 0 only when the whole chain holds, else 2 naming the first bad record
 * and why. With --file and -p it needs nothing of this machine: an admin verifies a
 * device's records centrally. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/audit-ocsf.h"
#include "audit/audit-record.h"
#include "audit/audit-verify.h"
#include "cli.h"
#include "context.h"
#include "json.h"
#include "state.h"
#include "weir-error.h"

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
  if (!state_open_audit (&store, &audit, STORE_OPEN_DEFAULT, &error) || !audit_root_key (audit, &pk, &error))
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

/* The seq of the last record exported (the store's lines are in chain order). */
static gint64
export_head (GPtrArray *lines)
{
  if (lines->len == 0)
    return 0;
  g_autoptr (cJSON) json = cJSON_Parse (lines->pdata[lines->len - 1]);
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive (json, "seq");
  return cJSON_IsNumber (seq) ? (gint64) seq->valuedouble : 0;
}

/* ---- salvage ---- */

#define CLI_SALVAGED 3

typedef struct {
  GPtrArray *lines;  /* char*, or NULL for a seq that could not be read */
  GPtrArray *why;    /* const char* (static), for each NULL line */
} Salvaged;

static gboolean
salvage_take (gint64 seq, const char *record, const char *why, gpointer data)
{
  Salvaged *s = data;
  g_ptr_array_add (s->lines, g_strdup (record));
  g_ptr_array_add (s->why, (gpointer) why);
  return TRUE;
}

/* The root key to authenticate with: the pinned one, else the store's own if its page
 * can still be read. */
static gboolean
salvage_root (Store *store, const char *pub, SignPublicKey *root, GError **error)
{
  if (pub != NULL)
    return sign_public_key_load (pub, root, error);
  g_autoptr (GBytes) value = NULL;
  if (!store_setting_get (store, "audit.root_key", &value, error) || value == NULL)
    return g_prefix_error (error, "the store's root key cannot be read (give the pinned key with -p): "), FALSE;
  gsize len = 0;
  const char *data = g_bytes_get_data (value, &len);
  g_autofree char *text = g_strndup (data, len);
  if (audit_public_key_decode (text, root))
    return TRUE;
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_STORE, "the store's root key is damaged (give the pinned key with -p)");
  return FALSE;
}

/* Every record of a damaged store that still authenticates, to out; the gaps named on
 * stderr. Exit 0 when nothing was left out, CLI_SALVAGED when something was. */
static int
audit_salvage_export (const char *out, const char *pub, gboolean ocsf)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = state_open_store_salvage (&error);
  SignPublicKey root;
  Salvaged s = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new () };
  g_autoptr (GPtrArray) lines = s.lines, why = s.why;
  if (store == NULL || !salvage_root (store, pub, &root, &error)
      || !store_audit_salvage (store, salvage_take, &s, &error))
    return cli_fail ("audit export", CLI_FAILURE, "salvage: %s", error->message);
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GPtrArray) kept = audit_salvage (&root, lines, why, &gaps);
  FILE *file = out ? fopen (out, "wx") : stdout;
  if (file == NULL)
    return cli_fail ("audit export", CLI_FAILURE, "cannot create %s: %s", out, g_strerror (errno));
  gboolean ok = write_lines (file, kept, ocsf, &error);
  ok = (out ? fclose (file) == 0 : fflush (file) == 0) && ok;
  if (!ok)
    return cli_fail ("audit export", CLI_FAILURE, "%s", error ? error->message : "writing failed");
  for (guint i = 0; i < gaps->len; i++)
    {
      const AuditGap *gap = gaps->pdata[i];
      fprintf (stderr, "weir audit export: salvage: records %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " left out: %s\n",
               gap->from, gap->to, gap->why);
    }
  fprintf (stderr, "weir audit export: salvage: %u of %u records exported\n", kept->len, lines->len);
  return gaps->len > 0 ? CLI_SALVAGED : CLI_OK;
}

static int
audit_export (int argc, char **argv)
{
  g_autofree char *out = NULL, *format = NULL, *pub = NULL;
  gboolean salvage = FALSE;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "jsonl (the signed records, default) or ocsf", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write to FILE instead of stdout (-: stdout)", "FILE" },
    { "salvage", 0, 0, G_OPTION_ARG_NONE, &salvage, "From a damaged store: every record that still authenticates, "
      "the gaps named on stderr; exit 3 when records were left out", NULL },
    { "pubkey", 'p', 0, G_OPTION_ARG_FILENAME, &pub, "With --salvage: the device's pinned root key "
      "(default: the store's own, when it can be read)", "DEVICE.pub" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("audit export", NULL, "Prints the audit log, one record a line.", entries, &argc, &argv))
    return CLI_USAGE;
  /* "-o -" is standard output, as "-" is standard input to weir scan (it made a file
   * named "-"). */
  if (g_strcmp0 (out, "-") == 0)
    g_clear_pointer (&out, g_free);
  gboolean ocsf = g_strcmp0 (format, "ocsf") == 0;
  if (argc > 1 || (format != NULL && !ocsf && strcmp (format, "jsonl") != 0))
    return cli_fail ("audit export", CLI_USAGE, "--format is jsonl or ocsf (see weir audit export --help)");
  if (pub != NULL && !salvage)
    return cli_fail ("audit export", CLI_USAGE, "-p goes with --salvage (see weir audit export --help)");
  if (salvage)
    return audit_salvage_export (out, pub, ocsf);
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
    return cli_fail ("audit export", CLI_FAILURE, "%s", error ? error->message : "writing failed");
  /* Retention's "taken": records up to here may be pruned (policy audit_retention). */
  /* The export itself read the store read-only (it must work on a full disk); the
   * position is noted by a writing open afterwards, and only warned about when it fails. */
  gint64 last = export_head (lines);
  if (last > 0)
    {
      g_clear_pointer (&store, store_close);
      g_autoptr (Store) wstore = NULL;
      g_autoptr (Audit) audit = NULL;
      if (!state_open_audit (&wstore, &audit, STORE_OPEN_DEFAULT, &error) || !audit_note_export (audit, last, &error))
        fprintf (stderr, "weir audit export: exported, but the export position was not recorded: %s\n",
                 error != NULL ? error->message : "unknown error");
    }
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
verify_inputs (const char *file, const char *pub, gboolean full, GPtrArray **lines, SignPublicKey *root,
               GError **error)
{
  g_autoptr (Store) store = NULL;
  /* Opened for writing where it can be, so a loss found at opening (the chain's marker
   * ahead of the store) is recorded as an audit-gap and reported below; on a full disk,
   * or a store this user cannot write, read-only. */
  if (file == NULL || pub == NULL)
    {
      g_autoptr (Audit) audit = NULL;
      g_autoptr (GError) writing = NULL;
      if (!state_open_audit (&store, &audit, STORE_OPEN_DEFAULT, &writing))
        store = state_open_audit_read_only (error);
      else
        g_clear_pointer (&audit, audit_free);
      if (store == NULL)
        return FALSE;
    }
  if (pub != NULL ? !sign_public_key_load (pub, root, error) : !audit_store_root_key (store, root, error))
    return FALSE;
  *lines = file != NULL ? read_lines (file, error) : audit_store_lines_to_verify (store, full, error);
  return *lines != NULL;
}

static int
audit_verify (int argc, char **argv)
{
  g_autofree char *file = NULL, *pub = NULL;
  gboolean full = FALSE;
  const GOptionEntry entries[] = {
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "Verify an export (or a collector's file) instead of the store", "FILE" },
    { "pubkey", 'p', 0, G_OPTION_ARG_FILENAME, &pub, "The device's pinned root key (default: this device's)", "DEVICE.pub" },
    { "full", 0, 0, G_OPTION_ARG_NONE, &full, "Check every record kept, not only those from the last checkpoint on", NULL },
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
  if (!verify_inputs (file, pub, full, &lines, &root, &error))
    return cli_fail ("audit verify", CLI_FAILURE, "%s", error->message);
  AuditReport report;
  gboolean ok = audit_verify_lines_from (&root, lines, full ? AUDIT_VERIFY_FULL : AUDIT_VERIFY_FROM_CHECKPOINT,
                                         &report);
  g_autofree char *key = sign_key_id_hex (root.id);
  if (ok)
    printf ("ok: %" G_GINT64_FORMAT " records, epoch %" G_GUINT64_FORMAT ", root key %s, head %" G_GINT64_FORMAT
            " sha256 %s\n", report.records, report.epochs, key, report.head_seq, report.head_hash);
  else
    cli_fail ("audit verify", CLI_FAILURE, "%s", report.message);
  for (guint i = 0; i < report.notes->len; i++)
    printf ("note: %s\n", (const char *) report.notes->pdata[i]);
  audit_report_clear (&report);
  if (ok && pub == NULL)
    fprintf (stderr, "weir audit verify: checked against this device's own root key; "
                     "pin it with weir audit key -o and verify with -p for an independent check\n");
  return ok ? CLI_OK : CLI_FAILURE;
}

static int
audit_prune_cmd (int argc, char **argv)
{
  gboolean checkpoint = FALSE;
  const GOptionEntry entries[] = {
    { "checkpoint", 0, 0, G_OPTION_ARG_NONE, &checkpoint, "Write a checkpoint even when nothing is due", NULL },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("audit prune", NULL, "Applies the policy's audit_retention now: records past its age or size "
                  "that an export has taken (or any, with \"prune\": \"always\") are removed, sealed by a signed "
                  "checkpoint record. The host does this by itself every hour.", entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("audit prune", CLI_USAGE, "unexpected argument \"%s\" (see weir audit prune --help)", argv[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT, &error);
  AuditPruneResult done;
  if (ctx == NULL || !context_audit_retention (ctx, TRUE, checkpoint, &done, &error))
    return cli_fail ("audit prune", CLI_FAILURE, "%s", error->message);
  guint days, mb;
  gboolean after_export;
  policy_audit_retention (context_policy (ctx), &days, &mb, &after_export);
  if (done.checkpoint == 0)
    printf ("nothing to prune (retention: %u days, %u MB, %s)\n", days, mb, after_export ? "after export" : "always");
  else if (done.pruned_to == 0)
    printf ("checkpoint: record %" G_GINT64_FORMAT "; nothing removed\n", done.checkpoint);
  else
    printf ("checkpoint: record %" G_GINT64_FORMAT "; %" G_GINT64_FORMAT " records removed now; records up to %"
            G_GINT64_FORMAT " are gone but for key-epoch and checkpoint records\n", done.checkpoint, done.removed,
            done.pruned_to);
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

static const struct {
  const char *name;
  CliCommand run;
} audit_commands[] = {
  { "key", audit_key },
  { "export", audit_export },
  { "verify", audit_verify },
  { "prune", audit_prune_cmd },
};

static int
usage (FILE *out)
{
  fprintf (out, "Usage: weir audit key [-o DEVICE.pub]\n"
                "       weir audit export [--format jsonl|ocsf] [-o FILE] [--salvage [-p DEVICE.pub]]\n"
                "       weir audit verify [--file EXPORT.jsonl] [-p DEVICE.pub] [--full]\n"
                "       weir audit prune [--checkpoint]\n"
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
