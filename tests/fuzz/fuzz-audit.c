/* libFuzzer target: audit records as they arrive from an export or a collector,
 * through the verifier and the OCSF mapping. Input: lines of text. */
#include <glib.h>
#include <string.h>

#include "audit/audit-ocsf.h"
#include "audit/audit-verify.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static SignPublicKey root;
  static gboolean ready;
  if (!ready)
    {
      g_assert (sign_init (NULL));
      SignSecretKey *sk = sign_secret_key_generate (&root);
      sign_secret_key_free (sk);
      ready = TRUE;
    }
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto (GStrv) split = g_strsplit (text, "\n", 64);
  g_autoptr (GPtrArray) lines = g_ptr_array_new ();
  for (char **line = split; *line != NULL; line++)
    {
      g_ptr_array_add (lines, *line);
      cJSON *event = audit_ocsf_event (*line, NULL);
      cJSON_Delete (event);
    }
  AuditReport report;
  audit_verify_lines (&root, lines, &report);
  audit_report_clear (&report);
  return 0;
}
