/* Bounded resources: the per-scan time budget, and the shapes of input that make
 * naive scanners quadratic (one repeated character, a million short lines, deeply
 * nested HTML, PEM headers without end) still give correct answers. How their time
 * grows is measured by bench/bench-linear, not asserted here. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "context.h"
#include "engine/html.h"
#include "engine/score.h"
#include "json.h"
#include "proto.h"

#define MIB (1024 * 1024)

typedef struct {
  char *home;
  WeirContext *ctx;
  Proto *proto;
} Fixture;

static void
fixture_open (Fixture *f, const char *policy_json)
{
  g_autoptr (GError) error = NULL;
  f->home = g_dir_make_tmp ("weir-bounds-XXXXXX", &error);
  g_assert_no_error (error);
  if (policy_json != NULL)
    {
      g_autofree char *path = g_build_filename (f->home, "policy.json", NULL);
      g_file_set_contents (path, policy_json, -1, &error);
      g_assert_no_error (error);
    }
  g_setenv ("WEIR_HOME", f->home, TRUE);
  f->ctx = context_open (CONTEXT_STRICT, &error);
  g_assert_no_error (error);
  f->proto = proto_new (f->ctx);
  /* Generous: these tests are about answers, and run under ASan on a busy machine. */
  proto_set_scan_budget (f->proto, 120 * G_USEC_PER_SEC);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  fixture_open (f, data);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->proto, proto_free);
  g_clear_pointer (&f->ctx, context_free);
  const char *files[] = { "weir.db", "weir.db-wal", "weir.db-shm", "policy.json" };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (f->home, files[i], NULL);
      g_unlink (path);
    }
  g_rmdir (f->home);
  g_free (f->home);
}

/* Sends a scan with text and/or html (either may be NULL); returns the reply. */
static cJSON *
scan (Fixture *f, const char *text, const char *html)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "event", "paste");
  cJSON_AddStringToObject (req, "origin", "https://chat.example");
  if (text != NULL)
    cJSON_AddStringToObject (req, "text", text);
  if (html != NULL)
    cJSON_AddStringToObject (req, "html", html);
  return proto_handle_request (f->proto, req);
}

static const char *
verdict_of (const cJSON *reply)
{
  return cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (reply, "verdict"));
}

/* TRUE when reasons hold {"kind": kind, "rule": rule}. */
static gboolean
has_reason (const cJSON *reply, const char *kind, const char *rule)
{
  const cJSON *reason;
  cJSON_ArrayForEach (reason, cJSON_GetObjectItemCaseSensitive (reply, "reasons"))
    if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (reason, "kind")), kind) == 0
        && g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (reason, "rule")), rule) == 0)
      return TRUE;
  return FALSE;
}

static char *
repeat (const char *unit, gsize times)
{
  GString *out = g_string_sized_new (strlen (unit) * times + 1);
  for (gsize i = 0; i < times; i++)
    g_string_append (out, unit);
  return g_string_free (out, FALSE);
}

/* ---- the time budget ---- */

/* A budget that has run out before the first part: the policy's fail verdict
 * (block by default), a "timeout" reason, no digest of content never read. */
static void
test_budget_overrun_fails_safe (Fixture *f, gconstpointer data)
{
  g_autofree char *text = repeat ("plain words ", 20000);
  proto_set_scan_budget (f->proto, 1);
  g_autoptr (cJSON) reply = scan (f, text, "<p>more</p>");
  g_assert_cmpstr (verdict_of (reply), ==, "block");
  g_assert_true (has_reason (reply, "policy", "timeout"));
  g_assert_nonnull (cJSON_GetObjectItemCaseSensitive (reply, "audit"));
  /* The default budget (half of timeout_ms) is ample for the same request. */
  proto_set_scan_budget (f->proto, 0);
  g_autoptr (cJSON) again = scan (f, text, "<p>more</p>");
  g_assert_cmpstr (verdict_of (again), ==, "allow");
  g_assert_false (has_reason (again, "policy", "timeout"));
}

/* The fail verdict is the policy's: with fail_mode allow, an overrun allows. */
static void
test_budget_follows_fail_mode (Fixture *f, gconstpointer data)
{
  proto_set_scan_budget (f->proto, 1);
  g_autofree char *text = repeat ("plain words ", 20000);
  g_autoptr (cJSON) reply = scan (f, text, NULL);
  g_assert_cmpstr (verdict_of (reply), ==, "allow");
  g_assert_true (has_reason (reply, "policy", "timeout"));
}

/* Fields cut to a maximum length (a justification, a report's detail) that are
 * shorter than it: once an over-read (found by fuzz-proto), caught here by ASan. */
static void
test_short_cut_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) warn = scan (f, "pay 4111 1111 1111 1111 now", NULL);
  g_assert_cmpstr (verdict_of (warn), ==, "warn");
  const char *audit = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (warn, "audit"));
  g_autofree char *decision = g_strdup_printf ("{\"type\":\"decision\",\"id\":2,\"audit\":\"%s\","
                                               "\"action\":\"proceed\",\"justification\":\"ok \u00e9\"}",
                                               audit);
  g_autofree char *ack = proto_handle_frame (f->proto, decision, strlen (decision));
  g_assert_nonnull (strstr (ack, "\"ack\""));
  static const char report[] = "{\"type\":\"report\",\"id\":3,\"event\":\"timeout\",\"detail\":\"x\"}";
  g_autofree char *ack2 = proto_handle_frame (f->proto, report, sizeof report - 1);
  g_assert_nonnull (strstr (ack2, "\"ack\""));
}

/* ---- quadratic-looking shapes ---- */

static guint
card_count (const char *text, gsize len)
{
  g_autoptr (GPtrArray) findings = findings_new ();
  engine_score (NULL, text, len, findings);
  for (guint i = 0; i < findings->len; i++)
    {
      const Finding *finding = findings->pdata[i];
      if (g_strcmp0 (finding->rule, "credit-card") == 0)
        return finding->count;
    }
  return 0;
}

static gboolean
finds (const char *text, gsize len, const char *rule)
{
  g_autoptr (GPtrArray) findings = findings_new ();
  engine_score (NULL, text, len, findings);
  for (guint i = 0; i < findings->len; i++)
    if (g_strcmp0 (((const Finding *) findings->pdata[i])->rule, rule) == 0)
      return TRUE;
  return FALSE;
}

/* A distinct Visa-range number with a valid Luhn check digit. */
static void
append_card (GString *out, guint serial)
{
  char digits[17];
  g_snprintf (digits, sizeof digits, "4%014u", serial);
  guint sum = 0;
  for (int i = 14; i >= 0; i--)
    {
      guint d = (guint) (digits[i] - '0');
      if ((14 - i) % 2 == 0)
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
  digits[15] = (char) ('0' + (10 - sum % 10) % 10);
  digits[16] = '\0';
  g_string_append_printf (out, "%.4s %.4s %.4s %.4s", digits, digits + 4, digits + 8, digits + 12);
}

static void
test_one_repeated_character (void)
{
  g_autofree char *a = repeat ("a", MIB);
  g_autofree char *four = repeat ("4", MIB);
  g_assert_cmpuint (card_count (a, MIB), ==, 0);
  g_assert_cmpuint (card_count (four, MIB), ==, 0);  /* one run of a million digits is no card */
  gsize len = 0;
  g_autofree char *text = engine_html_to_text (a, MIB, &len);
  g_assert_cmpuint (len, ==, MIB);
}

/* A million short lines, 500 distinct cards among them: every one is counted. */
static void
test_million_short_lines (void)
{
  GString *text = g_string_sized_new (4 * MIB);
  for (guint i = 0; i < 1000000; i++)
    {
      if (i % 2000 == 1000)
        {
          /* On a line of its own: a number glued to a letter is no card. */
          append_card (text, i);
          g_string_append_c (text, '\n');
        }
      g_string_append (text, "x\n");
    }
  g_assert_cmpuint (card_count (text->str, text->len), ==, 500);
  g_string_free (text, TRUE);
}

/* A megabyte of PEM header starts without an end of line is no key; a real key
 * after them is still found. */
static void
test_pem_begins_without_end (void)
{
  GString *text = g_string_new (NULL);
  g_autofree char *begins = repeat ("-----BEGIN ", MIB / 11);
  g_string_append (text, begins);
  g_assert_false (finds (text->str, text->len, "private-key"));
  g_string_append (text, "\n-----BEGIN RSA PRIVATE KEY-----\n"
                         "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                         "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n"
                         "-----END RSA PRIVATE KEY-----\n");
  g_assert_true (finds (text->str, text->len, "private-key"));
  g_string_free (text, TRUE);
}

/* 200,000 levels of <div> around a card: the text comes out, the card is found,
 * and the whole request is answered (warn) through the protocol. */
static void
test_deeply_nested_html (Fixture *f, gconstpointer data)
{
  g_autofree char *open = repeat ("<div><span>", 100000);
  g_autofree char *close = repeat ("</span></div>", 100000);
  GString *card = g_string_new (NULL);
  append_card (card, 12345);
  g_autofree char *html = g_strconcat (open, "<p>card ", card->str, "</p>", close, NULL);
  gsize len = 0;
  g_autofree char *text = engine_html_to_text (html, strlen (html), &len);
  g_assert_nonnull (strstr (text, card->str));
  g_assert_cmpuint (card_count (text, len), ==, 1);
  g_autoptr (cJSON) reply = scan (f, "see attached", html);
  g_assert_cmpstr (verdict_of (reply), ==, "warn");
  g_assert_true (has_reason (reply, "pattern", "credit-card"));
  g_string_free (card, TRUE);
}

/* What pasted HTML carries but does not show is scanned too: a card in an attribute,
 * a key in a comment, a secret in a hidden field (the visible text holds none). */
static void
test_hidden_html_parts (Fixture *f, gconstpointer data)
{
  GString *card = g_string_new (NULL);
  append_card (card, 4242);
  g_autofree char *attr = g_strdup_printf ("<p title=\"%s\">see the card</p>", card->str);
  g_autoptr (cJSON) r1 = scan (f, "see the card", attr);
  g_assert_true (has_reason (r1, "pattern", "credit-card"));
  g_autoptr (cJSON) r2 = scan (f, "nothing here", "<p>nothing here</p><!-- AKIAQ3N4TV5S7W2XY6ZD -->");
  g_assert_true (has_reason (r2, "pattern", "aws-access-key"));
  g_autoptr (cJSON) r3 = scan (f, "send", "<form><input type=\"hidden\" name=\"db_password\" "
                                         "value=\"Xk9#mQ2$vLp7\">send</form>");
  g_assert_true (has_reason (r3, "pattern", "generic-secret"));
  g_autoptr (cJSON) r4 = scan (f, "x", "<img alt=\"x\" src=\"a.png\">");
  g_assert_cmpstr (verdict_of (r4), ==, "allow");
  g_string_free (card, TRUE);
}

/* A megabyte of one character through the protocol: allowed, and recorded. */
static void
test_large_plain_scan (Fixture *f, gconstpointer data)
{
  g_autofree char *text = repeat ("a", MIB);
  g_autoptr (cJSON) reply = scan (f, text, NULL);
  g_assert_cmpstr (verdict_of (reply), ==, "allow");
  g_assert_nonnull (cJSON_GetObjectItemCaseSensitive (reply, "audit"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const char allow_on_failure[] = "{\"fail_mode\":\"allow\"}";
  g_test_add ("/bounds/budget-overrun-fails-safe", Fixture, NULL, fixture_set_up,
              test_budget_overrun_fails_safe, fixture_tear_down);
  g_test_add ("/bounds/budget-follows-fail-mode", Fixture, allow_on_failure, fixture_set_up,
              test_budget_follows_fail_mode, fixture_tear_down);
  g_test_add ("/bounds/short-cut-fields", Fixture, NULL, fixture_set_up, test_short_cut_fields,
              fixture_tear_down);
  g_test_add_func ("/bounds/one-repeated-character", test_one_repeated_character);
  g_test_add_func ("/bounds/million-short-lines", test_million_short_lines);
  g_test_add_func ("/bounds/pem-begins-without-end", test_pem_begins_without_end);
  g_test_add ("/bounds/hidden-html-parts", Fixture, NULL, fixture_set_up, test_hidden_html_parts,
              fixture_tear_down);
  g_test_add ("/bounds/deeply-nested-html", Fixture, NULL, fixture_set_up, test_deeply_nested_html,
              fixture_tear_down);
  g_test_add ("/bounds/large-plain-scan", Fixture, NULL, fixture_set_up, test_large_plain_scan,
              fixture_tear_down);
  return g_test_run ();
}
