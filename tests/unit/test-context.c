/* context.c: the host's lenient context names each problem by its kind, and drops the
 * store's problem by kind once the store opens, whatever the problem's wording. */
#include <glib/gstdio.h>

#include "context.h"
#include "testutil.h"

static void
test_policy_problem (void)
{
  g_autofree char *home = testutil_tmpdir_new ("weir-context");
  testutil_write_file (home, "policy.json", "{\"version\": 1, \"fail_mode\": \"deny\"}");
  g_setenv ("WEIR_HOME", home, TRUE);
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_LENIENT, NULL);
  g_assert_nonnull (ctx);
  const ContextProblem *problem = context_problem_find (ctx, CONTEXT_PROBLEM_POLICY);
  g_assert_nonnull (problem);
  g_assert_true (g_str_has_prefix (problem->text, "The policy is invalid, so the default policy applies: "));
  g_assert_null (context_problem_find (ctx, CONTEXT_PROBLEM_STORE));
  g_assert_nonnull (context_audit (ctx));
  /* The same problem twice is one problem. */
  g_assert_true (context_add_problem (ctx, CONTEXT_PROBLEM_AUDIT, "audit refuses"));
  g_assert_false (context_add_problem (ctx, CONTEXT_PROBLEM_AUDIT, "audit refuses"));
  g_assert_cmpuint (context_problems (ctx)->len, ==, 2);
  g_clear_pointer (&ctx, context_free);
  testutil_rmtree (home);
  g_unsetenv ("WEIR_HOME");
}

static void
test_store_problem_retried (void)
{
  g_autofree char *home = testutil_tmpdir_new ("weir-context");
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_assert_cmpint (g_mkdir (db, 0700), ==, 0);
  g_setenv ("WEIR_HOME", home, TRUE);
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_LENIENT, NULL);
  g_assert_nonnull (ctx);
  g_assert_null (context_store (ctx));
  g_assert_nonnull (context_problem_find (ctx, CONTEXT_PROBLEM_STORE));
  /* The store is repaired: the next retry opens it and drops its problem. */
  g_assert_cmpint (g_rmdir (db), ==, 0);
  g_usleep (CONTEXT_STORE_RETRY_US + G_USEC_PER_SEC / 10);
  g_assert_true (context_retry_store (ctx));
  g_assert_nonnull (context_store (ctx));
  g_assert_nonnull (context_audit (ctx));
  g_assert_null (context_problem_find (ctx, CONTEXT_PROBLEM_STORE));
  g_assert_cmpuint (context_problems (ctx)->len, ==, 0);
  g_clear_pointer (&ctx, context_free);
  testutil_rmtree (home);
  g_unsetenv ("WEIR_HOME");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/context/policy-problem", test_policy_problem);
  g_test_add_func ("/context/store-problem-retried", test_store_problem_retried);
  return g_test_run ();
}
