/* Findings of the fuzzers, one test each, so they stay fixed whatever the corpora
 * become (the inputs themselves are in tests/fuzz/corpus/ too). */
#include <glib.h>
#include <string.h>

#include "policy/policy.h"
#include "weir-error.h"

/* A section that must be an object but is not ("gpu": "block") was reported by
 * setting the error and parsing on: the policy loaded, the error was dropped (and a
 * later error was set over it). It must be refused, naming the field. */
static void
test_policy_section_not_object (void)
{
  static const char *const inputs[] = {
    "{\"gpu\":\"block\"}",
    "{\"oversize\":[1]}",
    "{\"default\":\"allow\",\"rules\":[{}]}",
    "{\"origins\":[{\"id\":\"o\",\"overrides\":[\"x\"]}]}",
  };
  static const char *const fields[] = { "policy: gpu:", "policy: oversize:", "policy: default:",
                                        "origins[0].overrides" };
  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (Policy) policy = policy_new_from_data (inputs[i], strlen (inputs[i]), &error);
      g_assert_null (policy);
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_POLICY);
      g_assert_nonnull (strstr (error->message, fields[i]));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A GError set over another is a GLib warning: make it fail the test. */
  g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/regressions/policy-section-not-object", test_policy_section_not_object);
  return g_test_run ();
}
