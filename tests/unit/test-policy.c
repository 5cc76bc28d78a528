#include <glib.h>
#include <string.h>

#include "engine/findings.h"
#include "policy/policy.h"

static Finding *
pattern (const char *rule)
{
  Finding *f = finding_new (FINDING_PATTERN);
  f->rule = g_strdup (rule);
  f->count = 1;
  return f;
}

static Finding *
document_words (const char *label, guint words)
{
  Finding *f = finding_new (FINDING_DOCUMENT);
  f->name = g_strdup ("Q3 board minutes");
  f->label = g_strdup (label);
  f->words = words;
  f->longest = words;
  return f;
}

static Finding *
document (const char *label)
{
  return document_words (label, 200);
}

static Verdict
decide (const Policy *policy, const char *origin, Finding *finding)
{
  g_autoptr (GPtrArray) findings = findings_new ();
  if (finding != NULL)
    g_ptr_array_add (findings, finding);
  PolicyDecision d;
  policy_decide (policy, origin, findings, &d);
  return d.verdict;
}

/* The defaults the product promises (issue 2). */
static void
test_default_verdicts (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_default (&error);
  g_assert_no_error (error);
  const char *o = "https://chat.example";
  g_assert_cmpint (decide (policy, o, NULL), ==, VERDICT_ALLOW);
  g_assert_cmpint (decide (policy, o, pattern ("private-key")), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (policy, o, pattern ("aws-access-key")), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (policy, o, pattern ("credit-card")), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, pattern ("iban")), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, pattern ("us-ssn")), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, document ("restricted")), ==, VERDICT_BLOCK);
  /* A short run of a restricted document warns; a long one (min_words) blocks. */
  g_assert_cmpint (decide (policy, o, document_words ("restricted", 8)), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, document_words ("restricted", 29)), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, document_words ("restricted", 30)), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (policy, o, document_words ("confidential", 8)), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, document ("confidential")), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, document ("anything")), ==, VERDICT_WARN);
}

static void
test_origin_matching (void)
{
  g_assert_true (policy_origin_matches ("*", "https://a.b"));
  g_assert_true (policy_origin_matches ("https://*.corp.example", "https://wiki.corp.example"));
  g_assert_true (policy_origin_matches ("https://*.corp.example", "https://corp.example"));
  g_assert_false (policy_origin_matches ("https://*.corp.example", "https://evilcorp.example"));
  g_assert_false (policy_origin_matches ("https://*.corp.example", "http://wiki.corp.example"));
  g_assert_true (policy_origin_matches ("http://127.0.0.1", "http://127.0.0.1:8080"));
  g_assert_false (policy_origin_matches ("http://127.0.0.1:80", "http://127.0.0.1:8080"));
  g_assert_false (policy_origin_matches ("https://a.example", NULL));
}

static void
test_origin_cap_and_override (void)
{
  static const char json[] =
    "{\"rules\":[{\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\"}],"
    " \"origins\":[{\"id\":\"own\",\"match\":[\"https://*.corp.example\"],\"max_verdict\":\"allow\"},"
    "              {\"id\":\"ai\",\"match\":[\"https://chat.example\"],\"overrides\":{\"cards\":\"block\"}}]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_from_data (json, sizeof json - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decide (policy, "https://wiki.corp.example", pattern ("credit-card")), ==, VERDICT_ALLOW);
  g_assert_cmpint (decide (policy, "https://chat.example", pattern ("credit-card")), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (policy, "https://other.example", pattern ("credit-card")), ==, VERDICT_WARN);
}

static void
test_invalid_policies (void)
{
  static const char *const bad[] = {
    "", "[]", "{\"fail_mode\":\"maybe\"}", "{\"rules\":{}}", "{\"rules\":[{\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"x\",\"detectors\":[\"no-such\"],\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"x\",\"verdict\":\"warn\",\"labels\":[1]}]}",
    "{\"max_scan_bytes\":-1}", "{\"origins\":[{\"id\":\"o\",\"overrides\":{\"nope\":\"block\"}}]}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (Policy) policy = policy_new_from_data (bad[i], strlen (bad[i]), &error);
      g_assert_null (policy);
      g_assert_nonnull (error);
      g_assert_true (g_str_has_prefix (error->message, "policy"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/policy/default-verdicts", test_default_verdicts);
  g_test_add_func ("/policy/origin-matching", test_origin_matching);
  g_test_add_func ("/policy/origin-cap-and-override", test_origin_cap_and_override);
  g_test_add_func ("/policy/invalid", test_invalid_policies);
  return g_test_run ();
}
