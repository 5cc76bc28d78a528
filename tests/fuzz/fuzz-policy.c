/* fuzz-policy: the policy reader (policy.c) on arbitrary bytes.
 *
 * A policy that loads must answer every question without crashing: decisions for
 * each kind of finding and several origins, and a hello object that prints. The
 * origin matcher also gets arbitrary pattern/origin pairs cut from the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/findings.h"
#include "fuzz.h"
#include "json.h"
#include "policy/policy.h"

static GPtrArray *findings_;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  static const char *const rules[] = { "credit-card", "private-key", "no-such-rule" };
  findings_ = findings_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      Finding *f = finding_new (FINDING_PATTERN);
      f->rule = g_strdup (rules[i]);
      f->count = 1;
      g_ptr_array_add (findings_, f);
    }
  Finding *doc = finding_new (FINDING_DOCUMENT);
  doc->name = g_strdup ("doc");
  doc->label = g_strdup ("confidential");
  doc->score = 0.5;
  g_ptr_array_add (findings_, doc);
  return 0;
}

static void
check_verdict (const PolicyDecision *d)
{
  FUZZ_CHECK (d->verdict == VERDICT_ALLOW || d->verdict == VERDICT_WARN || d->verdict == VERDICT_BLOCK);
}

static void
exercise (const Policy *policy)
{
  static const char *const origins[] = { "https://chat.example", "https://a.weir.internal",
                                         "http://127.0.0.1:8080", "", NULL };
  PolicyDecision d;
  for (gsize i = 0; i < G_N_ELEMENTS (origins); i++)
    {
      policy_decide (policy, origins[i], findings_, &d);
      check_verdict (&d);
      if (origins[i] != NULL)
        policy_decide_gpu (policy, origins[i], &d), check_verdict (&d);
    }
  policy_decide_oversize (policy, &d), check_verdict (&d);
  policy_decide_unreadable (policy, &d), check_verdict (&d);
  policy_decide_failure (policy, &d), check_verdict (&d);
  FUZZ_CHECK (strlen (policy_digest (policy)) == 64);
  g_autoptr (cJSON) hello = policy_to_hello_json (policy);
  g_autofree char *text = cJSON_PrintUnformatted (hello);
  FUZZ_CHECK (text != NULL);
  g_autoptr (cJSON) back = cJSON_Parse (text);
  FUZZ_CHECK (cJSON_IsObject (back));
}

/* The input's first line is a pattern, the second an origin. */
static void
match_origins (const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr (data, '\n', MIN (size, 512));
  if (nl == NULL)
    return;
  g_autofree char *pattern = g_strndup ((const char *) data, (gsize) (nl - data));
  g_autofree char *origin = g_strndup ((const char *) nl + 1, MIN (size - (gsize) (nl - data) - 1, 512));
  policy_origin_matches (pattern, origin);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_from_data ((const char *) data, size, &error);
  if (policy == NULL)
    FUZZ_CHECK (error != NULL && error->message != NULL);
  else
    exercise (policy);
  match_origins (data, size);
  return 0;
}
