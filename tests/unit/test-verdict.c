/* verdict/: the Decider's sequence through a real context (policy, store, audit log in
 * a temporary WEIR_HOME): the policy's verdict and every override, each named in the
 * Verdict, and the audit id of the record written from it. */
#include <glib/gstdio.h>
#include <string.h>

#include "context.h"
#include "testutil.h"
#include "engine/findings.h"
#include "verdict/verdict.h"
#include "weir-error.h"

#define CARD "Please charge 4111 1111 1111 1111 for the order"
#define SMALL_POLICY "{\"version\": 1, \"max_scan_bytes\": 100, \"unreadable\": {\"verdict\": \"warn\"}}"

typedef struct {
  char *home;
  WeirContext *ctx;
  Decider *decider;
} Fixture;

/* data: the text of policy.json, or NULL for the default policy. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->home = testutil_tmpdir_new ("weir-verdict");
  if (data != NULL)
    testutil_write_file (f->home, "policy.json", data);
  g_setenv ("WEIR_HOME", f->home, TRUE);
  f->ctx = context_open (CONTEXT_STRICT, &error);
  g_assert_no_error (error);
  f->decider = decider_new (f->ctx);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  decider_free (f->decider);
  context_free (f->ctx);
  testutil_rmtree (f->home);
  g_free (f->home);
  g_unsetenv ("WEIR_HOME");
}

static Verdict *
scan_text (Fixture *f, const char *text)
{
  ScanRequest request = { .event = "paste", .origin = "https://chat.example", .text = text };
  return decider_scan (f->decider, &request);
}

static void
test_policy_verdict (Fixture *f, gconstpointer data)
{
  g_autoptr (Verdict) v = scan_text (f, CARD);
  g_assert_cmpint (v->verdict, ==, VERDICT_WARN);
  g_assert_cmpint (v->overrides, ==, VERDICT_OVERRIDE_NONE);
  g_assert_cmpstr (v->rule, ==, "financial-and-national-ids");
  g_assert_true (v->justification);
  g_assert_nonnull (v->message);
  g_assert_nonnull (v->audit);
  g_assert_cmpuint (v->findings->len, ==, 1);
  g_assert_cmpuint (v->n_policy_reasons, ==, 0);

  g_autoptr (Verdict) allow = scan_text (f, "nothing to see here at all");
  g_assert_cmpint (allow->verdict, ==, VERDICT_ALLOW);
  g_assert_null (allow->message);
  g_assert_null (allow->rule);
  g_assert_false (allow->justification);
}

/* Issue 23's detectors under the default policy: Azure keys block, passport zones warn
 * with the national ids, and e-mail lists warn only from the bulk rule's min_count. */
static void
test_default_new_detectors (Fixture *f, gconstpointer data)
{
  g_autoptr (Verdict) azure = scan_text (f, "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
                                         "GTd7FguoV8FWnFbB0JxXujr4qqaaABvvLOzAxzXMcU1vsHiQMaRiNTN9Ox98whGcTZc1"
                                         "UWb5fxzpF7STG7nVLe==;EndpointSuffix=core.windows.net");
  g_assert_cmpint (azure->verdict, ==, VERDICT_BLOCK);
  g_assert_cmpstr (azure->rule, ==, "credentials");
  /* ICAO Doc 9303's specimen passport */
  g_autoptr (Verdict) mrz = scan_text (f, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                                       "L898902C36UTO7408122F1204159ZE184226B<<<<<10");
  g_assert_cmpint (mrz->verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (mrz->rule, ==, "financial-and-national-ids");
  GString *list = g_string_new ("name,email\n");
  for (int k = 0; k < 12; k++)
    {
      if (k == 6)
        {
          g_autoptr (Verdict) few = scan_text (f, list->str);
          g_assert_cmpint (few->verdict, ==, VERDICT_ALLOW);   /* six: under min_count 10 */
        }
      g_string_append_printf (list, "Person %d,person.%d@mail.example.org\n", k, k);
    }
  g_autoptr (Verdict) many = scan_text (f, list->str);
  g_assert_cmpint (many->verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (many->rule, ==, "bulk-personal-data");
  g_assert_true (many->justification);
  g_string_free (list, TRUE);
}

static void
test_oversize (Fixture *f, gconstpointer data)
{
  g_autofree char *text = g_strnfill (200, 'x');
  g_autoptr (Verdict) v = scan_text (f, text);
  g_assert_cmpint (v->overrides, ==, VERDICT_OVERRIDE_OVERSIZE);
  g_assert_cmpint (v->verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (v->rule, ==, "oversize");
  g_assert_cmpuint (v->n_policy_reasons, ==, 1);
  g_assert_cmpstr (v->policy_reasons[0].rule, ==, "oversize");
  g_assert_nonnull (v->audit);
}

static void
test_unreadable (Fixture *f, gconstpointer data)
{
  ScanFile file = { .name = "remote.bin", .size = 10 };
  ScanRequest request = { .event = "upload", .origin = "https://chat.example", .files = &file, .n_files = 1 };
  g_autoptr (Verdict) v = decider_scan (f->decider, &request);
  g_assert_cmpint (v->overrides, ==, VERDICT_OVERRIDE_UNREADABLE);
  g_assert_cmpint (v->verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (v->rule, ==, "unreadable");
  g_assert_cmpstr (v->policy_reasons[0].rule, ==, "unreadable");
  g_assert_cmpuint (v->policy_reasons[0].count, ==, 1);
}

/* A file sent as name and size only, too large to send, beside a small one that was read:
 * the small one is scanned (its card found), the large one gets the oversize verdict on
 * its own. Before, the whole request was oversize and nothing was read. */
static void
test_unsent_beside_read (Fixture *f, gconstpointer data)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) "card 4111 1111 1111 1111", 24);
  ScanFile files[] = {
    { .name = "small.txt", .mime = "text/plain", .data = b64, .size = 24 },
    { .name = "video.mp4", .mime = "video/mp4", .size = 40.0 * 1024 * 1024 },
  };
  ScanRequest request = { .event = "drop", .origin = "https://chat.example", .files = files, .n_files = 2 };
  g_autoptr (Verdict) v = decider_scan (f->decider, &request);
  g_assert_cmpint (v->overrides & VERDICT_OVERRIDE_OVERSIZE, !=, 0);
  g_assert_cmpuint (v->n_policy_reasons, >=, 1);
  g_assert_cmpstr (v->policy_reasons[0].rule, ==, "oversize");
  g_assert_cmpuint (v->policy_reasons[0].count, ==, 1);
  g_assert_cmpuint (v->findings->len, ==, 1);
  g_assert_cmpstr (((Finding *) v->findings->pdata[0])->rule, ==, "credit-card");
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  GString *text = g_string_new (NULL);
  for (int i = 0; i < 20000; i++)
    g_string_append (text, "plain words ");
  decider_set_scan_budget (f->decider, 1);
  g_autoptr (Verdict) v = decider_scan (f->decider, &(ScanRequest) {
    .event = "paste", .origin = "https://chat.example", .text = text->str, .html = "<p>more</p>" });
  g_string_free (text, TRUE);
  g_assert_cmpint (v->overrides, ==, VERDICT_OVERRIDE_TIMEOUT);
  g_assert_cmpint (v->verdict, ==, VERDICT_BLOCK);  /* the default fail mode */
  g_assert_cmpstr (v->rule, ==, "fail-mode");
  g_assert_cmpstr (v->policy_reasons[0].rule, ==, "timeout");
}

static void
test_gpu (Fixture *f, gconstpointer data)
{
  g_autoptr (Verdict) v = decider_gpu (f->decider, "https://chat.example", NULL);
  g_assert_cmpint (v->verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (v->rule, ==, "gpu");
  g_assert_false (v->justification);
  g_assert_cmpstr (v->policy_reasons[0].rule, ==, "gpu");
  g_assert_nonnull (v->audit);
}

/* A store that will not open (its file is a folder): the host's lenient context has no
 * audit log, and every verdict becomes the fail verdict, unrecorded. */
static void
test_unrecorded (void)
{
  g_autofree char *home = testutil_tmpdir_new ("weir-verdict");
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_assert_cmpint (g_mkdir (db, 0700), ==, 0);
  g_setenv ("WEIR_HOME", home, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_LENIENT, &error);
  g_assert_no_error (error);
  g_autoptr (Decider) decider = decider_new (ctx);
  ScanRequest request = { .event = "paste", .origin = "https://chat.example", .text = "nothing to see here" };
  g_test_expect_message ("weir", G_LOG_LEVEL_WARNING, "audit: the store is unavailable");
  g_autoptr (Verdict) v = decider_scan (decider, &request);
  g_test_assert_expected_messages ();
  g_assert_cmpint (v->overrides, ==, VERDICT_OVERRIDE_UNRECORDED);
  g_assert_cmpint (v->verdict, ==, VERDICT_BLOCK);
  g_assert_cmpstr (v->rule, ==, "fail-mode");
  g_assert_cmpstr (v->message, ==, VERDICT_UNRECORDED_MESSAGE);
  g_assert_null (v->audit);
  g_assert_error (v->unrecorded, WEIR_ERROR, WEIR_ERROR_STORE);
  g_clear_pointer (&decider, decider_free);
  g_clear_pointer (&ctx, context_free);
  testutil_rmtree (home);
  g_unsetenv ("WEIR_HOME");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/verdict/policy", Fixture, NULL, fixture_set_up, test_policy_verdict, fixture_tear_down);
  g_test_add ("/verdict/default-new-detectors", Fixture, NULL, fixture_set_up, test_default_new_detectors,
              fixture_tear_down);
  g_test_add ("/verdict/oversize", Fixture, SMALL_POLICY, fixture_set_up, test_oversize, fixture_tear_down);
  g_test_add ("/verdict/unreadable", Fixture, SMALL_POLICY, fixture_set_up, test_unreadable, fixture_tear_down);
  g_test_add ("/verdict/unsent-beside-read", Fixture, SMALL_POLICY, fixture_set_up, test_unsent_beside_read,
              fixture_tear_down);
  g_test_add ("/verdict/timeout", Fixture, NULL, fixture_set_up, test_timeout, fixture_tear_down);
  g_test_add ("/verdict/gpu", Fixture, NULL, fixture_set_up, test_gpu, fixture_tear_down);
  g_test_add_func ("/verdict/unrecorded", test_unrecorded);
  return g_test_run ();
}
