/* libFuzzer target: any bytes as a policy file. Either a clear error or a policy that
 * can decide and describe itself. */
#include <stdint.h>
#include <stdlib.h>

#include "engine/findings.h"
#include "json.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_from_data ((const char *) data, size, &error);
  if (policy == NULL)
    {
      if (error == NULL)
        abort ();
      return 0;
    }
  g_autoptr (GPtrArray) findings = findings_new ();
  Finding *card = finding_new (FINDING_PATTERN);
  card->rule = g_strdup ("credit-card");
  card->count = 1;
  g_ptr_array_add (findings, card);
  Finding *doc = finding_new (FINDING_DOCUMENT);
  doc->name = g_strdup ("doc");
  doc->label = g_strdup ("restricted");
  g_ptr_array_add (findings, doc);
  PolicyDecision d;
  policy_decide (policy, "https://chat.example", findings, &d);
  policy_decide_gpu (policy, "https://chat.example", &d);
  g_autoptr (cJSON) hello = policy_to_hello_json (policy);
  g_autofree char *text = cJSON_PrintUnformatted (hello);
  if (text == NULL)
    abort ();
  return 0;
}
