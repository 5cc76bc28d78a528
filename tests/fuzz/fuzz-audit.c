/* libFuzzer target: audit records as they arrive from an export or a collector,
 * through the verifier and the OCSF mapping.
 *
 * Input: what `weir audit verify --file EXPORT -p DEVICE.pub` reads, concatenated:
 * the pinned key file (two lines, "untrusted comment: ..." then the key), then the
 * record lines. The seeds (make-seeds.py) are a real device's key and export, so
 * the verifier's later checks (chain, epochs, order, duplicates) are reachable: a
 * key generated here could sign nothing the seeds hold. An input without a key file
 * is verified against a fixed key that signs nothing, which stops at the first record. */
#include <glib.h>
#include <string.h>

#include "audit/audit-ocsf.h"
#include "audit/audit-verify.h"
#include "fuzz.h"

#define KEY_PREFIX "untrusted comment:"

/* The pinned key, and where the records start. */
static const char *
pinned_key (const char *text, SignPublicKey *root)
{
  memset (root, 0, sizeof *root);
  if (!g_str_has_prefix (text, KEY_PREFIX))
    return text;
  const char *nl = strchr (text, '\n');
  const char *end = nl != NULL ? strchr (nl + 1, '\n') : NULL;
  if (end == NULL)
    return text;
  if (!sign_public_key_parse (text, (gsize) (end - text), root, NULL))
    memset (root, 0, sizeof *root);
  return end + 1;
}

/* As `weir audit verify --file` reads a file: its non-blank lines. */
static gboolean
blank (const char *line)
{
  return line[strspn (line, " \t\r")] == '\0';
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_assert (sign_init (NULL));
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  SignPublicKey root;
  const char *records = pinned_key (text, &root);
  g_auto (GStrv) split = g_strsplit (records, "\n", 64);
  g_autoptr (GPtrArray) lines = g_ptr_array_new ();
  for (char **line = split; *line != NULL; line++)
    {
      if (blank (*line))
        continue;
      g_ptr_array_add (lines, *line);
      cJSON *event = audit_ocsf_event (*line, NULL);
      cJSON_Delete (event);
    }
  AuditReport report;
  gboolean ok = audit_verify_lines (&root, lines, &report);
  /* The verdict and the report agree; a failure names its record. */
  FUZZ_CHECK (ok == (report.fault == AUDIT_FAULT_NONE));
  FUZZ_CHECK (ok ? report.records <= (gint64) lines->len && report.message == NULL
                 : report.message != NULL && report.line <= (gint64) lines->len
                     && (report.line >= 1 || report.fault == AUDIT_FAULT_EMPTY));
  audit_report_clear (&report);
  /* From the last checkpoint (the lines' own claims pick the start), and salvage. */
  ok = audit_verify_lines_from (&root, lines, AUDIT_VERIFY_FROM_CHECKPOINT, &report);
  FUZZ_CHECK (ok == (report.fault == AUDIT_FAULT_NONE) && ok == (report.message == NULL));
  audit_report_clear (&report);
  g_autoptr (GPtrArray) why = g_ptr_array_new ();
  for (guint i = 0; i < lines->len; i++)
    g_ptr_array_add (why, "unreadable");
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GPtrArray) kept = audit_salvage (&root, lines, why, &gaps);
  FUZZ_CHECK (kept->len <= lines->len);
  return 0;
}
