/* proto.c end to end below the framing: a temporary WEIR_HOME, the real policy, store
 * and audit log, and proto_handle_frame() fed the bytes a page could send. */
#include <glib/gstdio.h>
#include <string.h>

#include "context.h"
#include "json.h"
#include "nm.h"
#include "proto.h"
#include "testproto.h"
#include "testutil.h"

#define CARD "4666 1760 3137 2159"  /* Luhn-valid Visa range, not a well-known test number */
#define CARD_PART "1760 3137"  /* a space: no hex id or digest can hold it */
#define CANARY "weir-canary-7f3a9c"

typedef struct {
  char *home;
  WeirContext *ctx;
  Proto *proto;
} Fixture;

/* data: the text of policy.json, or NULL for the default policy. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->home = testutil_tmpdir_new ("weir-proto");
  if (data != NULL)
    testutil_write_file (f->home, "policy.json", data);
  g_setenv ("WEIR_HOME", f->home, TRUE);
  f->ctx = context_open (CONTEXT_STRICT, &error);
  g_assert_no_error (error);
  f->proto = proto_new (f->ctx);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  proto_free (f->proto);
  context_free (f->ctx);
  testutil_rmtree (f->home);
  g_free (f->home);
  g_unsetenv ("WEIR_HOME");
}

/* Sends raw bytes; returns the reply parsed, after checking it is one JSON object
 * within Chrome's cap. */
static cJSON *
send_bytes (Fixture *f, const char *buf, gsize len)
{
  g_autofree char *text = proto_handle_frame (f->proto, buf, len);
  g_assert_nonnull (text);
  return testproto_reply_parse (text, strlen (text));
}

static cJSON *
send_json (Fixture *f, const char *json)
{
  return send_bytes (f, json, strlen (json));
}

static void
assert_error (const cJSON *reply, const char *code)
{
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "error");
  const cJSON *err = cJSON_GetObjectItemCaseSensitive (reply, "error");
  g_assert_cmpstr (testproto_str (err, "code"), ==, code);
  g_assert_nonnull (testproto_str (err, "message"));
}

static cJSON *
scan (Fixture *f, const char *origin, const char *text)
{
  g_autofree char *req = testproto_scan_request (7, "paste", origin, text);
  return send_json (f, req);
}

static void
assert_verdict (const cJSON *reply, const char *verdict)
{
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "verdict");
  g_assert_cmpstr (testproto_str (reply, "verdict"), ==, verdict);
  g_assert_nonnull (testproto_str (reply, "audit"));
}

static gboolean
has_reason (const cJSON *reply, const char *kind, const char *rule)
{
  const cJSON *reason;
  cJSON_ArrayForEach (reason, cJSON_GetObjectItemCaseSensitive (reply, "reasons"))
    if (!g_strcmp0 (testproto_str (reason, "kind"), kind) && !g_strcmp0 (testproto_str (reason, "rule"), rule))
      return TRUE;
  return FALSE;
}

static char *
audit_text (Fixture *f)
{
  return testproto_audit_text (context_store (f->ctx));
}

/* ---- hello ---- */

static void
test_hello (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = send_json (f, "{\"type\":\"hello\",\"id\":\"h1\",\"extension_version\":\"1.0.0\"}");
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "hello");
  g_assert_cmpstr (testproto_str (reply, "id"), ==, "h1");
  g_assert_cmpint (cJSON_GetObjectItemCaseSensitive (reply, "protocol")->valueint, ==, 1);
  g_assert_nonnull (testproto_str (reply, "host_version"));
  const cJSON *policy = cJSON_GetObjectItemCaseSensitive (reply, "policy");
  g_assert_cmpstr (testproto_str (policy, "fail_mode"), ==, "block");
  g_assert_cmpint (cJSON_GetObjectItemCaseSensitive (policy, "min_scan_chars")->valueint, ==, 8);
  g_assert_true (cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (policy, "gpu")));
}

/* ---- malformed requests: each gets an error reply, and the next one is served ---- */

typedef struct {
  const char *what;
  const char *json;
  const char *code;
  gboolean id_echoed;  /* the request's id 9 comes back */
} Malformed;

static const Malformed malformed[] = {
  { "not JSON", "{\"type\":\"hello\",", "bad_json", FALSE },
  { "trailing bytes", "{\"type\":\"hello\",\"id\":9} {}", "bad_json", FALSE },
  { "array", "[1,2]", "bad_request", FALSE },
  { "number", "42", "bad_request", FALSE },
  { "string", "\"scan\"", "bad_request", FALSE },
  { "null", "null", "bad_request", FALSE },
  { "no id", "{\"type\":\"hello\"}", "bad_request", FALSE },
  { "id of wrong type", "{\"type\":\"hello\",\"id\":true}", "bad_request", FALSE },
  { "id object", "{\"type\":\"hello\",\"id\":{\"a\":1}}", "bad_request", FALSE },
  { "no type", "{\"id\":9}", "bad_request", TRUE },
  { "type of wrong type", "{\"id\":9,\"type\":3}", "bad_request", TRUE },
  { "unknown type", "{\"id\":9,\"type\":\"launch\"}", "unknown_type", TRUE },
  { "hello version not string", "{\"id\":9,\"type\":\"hello\",\"extension_version\":1}", "bad_request", TRUE },
  { "scan without event", "{\"id\":9,\"type\":\"scan\",\"origin\":\"https://a.b\",\"text\":\"x\"}", "bad_request", TRUE },
  { "scan without origin", "{\"id\":9,\"type\":\"scan\",\"event\":\"paste\",\"text\":\"x\"}", "bad_request", TRUE },
  { "scan unknown event", "{\"id\":9,\"type\":\"scan\",\"event\":\"print\",\"origin\":\"https://a.b\"}", "bad_request", TRUE },
  { "scan text number", "{\"id\":9,\"type\":\"scan\",\"event\":\"paste\",\"origin\":\"https://a.b\",\"text\":5}", "bad_request", TRUE },
  { "scan html array", "{\"id\":9,\"type\":\"scan\",\"event\":\"paste\",\"origin\":\"https://a.b\",\"html\":[]}", "bad_request", TRUE },
  { "scan origin null", "{\"id\":9,\"type\":\"scan\",\"event\":\"paste\",\"origin\":null}", "bad_request", TRUE },
  { "files object", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":{}}", "bad_request", TRUE },
  { "file not object", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":[1]}", "bad_request", TRUE },
  { "file without name", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":[{\"data\":\"\"}]}", "bad_request", TRUE },
  { "file size string", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":[{\"name\":\"a\",\"size\":\"1\"}]}", "bad_request", TRUE },
  { "file size negative", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":[{\"name\":\"a\",\"size\":-1}]}", "bad_request", TRUE },
  { "file data not base64", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":[{\"name\":\"a\",\"data\":\"a?b=\"}]}", "bad_request", TRUE },
  { "file data bad padding", "{\"id\":9,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\",\"files\":[{\"name\":\"a\",\"data\":\"QQ=\"}]}", "bad_request", TRUE },
  { "gpu without origin", "{\"id\":9,\"type\":\"gpu\",\"api\":\"requestAdapter\"}", "bad_request", TRUE },
  { "decision without audit", "{\"id\":9,\"type\":\"decision\",\"action\":\"proceed\"}", "bad_request", TRUE },
  { "decision without action", "{\"id\":9,\"type\":\"decision\",\"audit\":\"ab\"}", "bad_request", TRUE },
  { "decision bad action", "{\"id\":9,\"type\":\"decision\",\"audit\":\"ab\",\"action\":\"maybe\"}", "bad_request", TRUE },
  { "decision unknown audit", "{\"id\":9,\"type\":\"decision\",\"audit\":\"0123abcd\",\"action\":\"cancel\"}", "not_found", TRUE },
  { "report unknown event", "{\"id\":9,\"type\":\"report\",\"event\":\"party\"}", "bad_request", TRUE },
  { "report bad verdict", "{\"id\":9,\"type\":\"report\",\"event\":\"timeout\",\"verdict\":\"maybe\"}", "bad_request", TRUE },
};

static void
assert_served (Fixture *f)
{
  g_autoptr (cJSON) next = send_json (f, "{\"type\":\"hello\",\"id\":10}");
  g_assert_cmpstr (testproto_str (next, "type"), ==, "hello");
  g_assert_cmpint (cJSON_GetObjectItemCaseSensitive (next, "id")->valueint, ==, 10);
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_test_message ("%s", malformed[i].what);
      g_autoptr (cJSON) reply = send_json (f, malformed[i].json);
      assert_error (reply, malformed[i].code);
      const cJSON *id = cJSON_GetObjectItemCaseSensitive (reply, "id");
      if (malformed[i].id_echoed)
        g_assert_cmpint (id->valueint, ==, 9);
      else
        g_assert_true (cJSON_IsNull (id));
      assert_served (f);
    }
}

static void
test_malformed_bytes (Fixture *f, gconstpointer data)
{
  static const char invalid_utf8[] = "{\"id\":9,\"type\":\"hello\",\"x\":\"\xc3\x28\"}";
  static const char nul_byte[] = "{\"id\":9,\"type\":\"hello\"}\0";
  g_autoptr (cJSON) empty = send_bytes (f, "", 0);
  assert_error (empty, "bad_json");
  assert_served (f);
  g_autoptr (cJSON) utf8 = send_bytes (f, invalid_utf8, sizeof invalid_utf8 - 1);
  assert_error (utf8, "bad_json");
  assert_served (f);
  g_autoptr (cJSON) nul = send_bytes (f, nul_byte, sizeof nul_byte);
  assert_error (nul, "bad_json");
  assert_served (f);
}

/* 100,000 nested arrays inside a request: cJSON's nesting cap refuses it without
 * recursing 100,000 deep. */
static void
test_deep_nesting (Fixture *f, gconstpointer data)
{
  GString *req = testproto_nested_request ("{\"id\":9,\"type\":\"hello\",\"x\":", 100000);
  g_autoptr (cJSON) reply = send_bytes (f, req->str, req->len);
  g_string_free (req, TRUE);
  assert_error (reply, "bad_json");
  assert_served (f);
}

/* An id long enough to push the echo over 1 MiB is refused, and not echoed. */
static void
test_long_id (Fixture *f, gconstpointer data)
{
  g_autofree char *id = g_strnfill (2 * 1024 * 1024, 'i');
  g_autofree char *req = g_strdup_printf ("{\"type\":\"hello\",\"id\":\"%s\"}", id);
  g_autoptr (cJSON) reply = send_json (f, req);
  assert_error (reply, "bad_request");
  g_assert_true (cJSON_IsNull (cJSON_GetObjectItemCaseSensitive (reply, "id")));
  assert_served (f);
}

/* Request strings come back in error messages only when short and plain. */
static void
test_error_echo (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = send_json (f, "{\"id\":1,\"type\":\"" CANARY " " CARD "\"}");
  assert_error (reply, "unknown_type");
  g_autofree char *text = cJSON_PrintUnformatted (reply);
  g_assert_null (strstr (text, CANARY));
  g_assert_null (strstr (text, CARD_PART));
  g_autoptr (cJSON) plain = send_json (f, "{\"id\":1,\"type\":\"launch\"}");
  g_assert_nonnull (strstr (testproto_str (cJSON_GetObjectItemCaseSensitive (plain, "error"), "message"), "launch"));
}

/* ---- scan ---- */

static void
test_scan_allow (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = scan (f, "https://chat.example", "Lunch at noon on Friday? " CANARY);
  assert_verdict (reply, "allow");
  g_assert_cmpint (cJSON_GetObjectItemCaseSensitive (reply, "id")->valueint, ==, 7);
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (reply, "reasons")), ==, 0);
  g_assert_null (testproto_str (reply, "message"));
}

static char *
fake_private_key (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  guchar raw[900];
  for (gsize i = 0; i < sizeof raw; i++)
    raw[i] = (guchar) g_rand_int_range (rand, 0, 256);
  /* A DER SEQUENCE header with the right length, as a real PKCS#8 body starts. */
  raw[0] = 0x30;
  raw[1] = 0x82;
  raw[2] = (guchar) ((sizeof raw - 4) >> 8);
  raw[3] = (guchar) ((sizeof raw - 4) & 0xff);
  g_autofree char *b64 = g_base64_encode (raw, sizeof raw);
  GString *pem = g_string_new ("-----BEGIN PRIVATE KEY-----\n");
  for (gsize i = 0, n = strlen (b64); i < n; i += 64)
    g_string_append_printf (pem, "%.64s\n", b64 + i);
  g_string_append (pem, "-----END PRIVATE KEY-----\n");
  return g_string_free (pem, FALSE);
}

/* The reply and the audit log name what matched, never the matched value or the text. */
static void
test_scan_no_content (Fixture *f, gconstpointer data)
{
  g_autofree char *key = fake_private_key ();
  g_autofree char *text = g_strdup_printf ("%s\nmy card %s\n%s", CANARY, CARD, key);
  g_autofree char *req = testproto_scan_request (3, "paste", "https://chat.example", text);
  g_autofree char *reply_text = proto_handle_frame (f->proto, req, strlen (req));
  g_autoptr (cJSON) reply = cJSON_Parse (reply_text);
  assert_verdict (reply, "block");
  g_assert_true (has_reason (reply, "pattern", "private-key"));
  g_assert_true (has_reason (reply, "pattern", "credit-card"));
  g_assert_null (strstr (reply_text, CANARY));
  g_assert_null (strstr (reply_text, CARD_PART));
  g_assert_null (strstr (reply_text, "BEGIN"));
  g_autofree char *records = audit_text (f);
  g_assert_null (strstr (records, CANARY));
  g_assert_null (strstr (records, CARD_PART));
  g_assert_nonnull (strstr (records, testproto_str (reply, "audit")));
  g_assert_nonnull (strstr (records, "\"content_digest\""));
  g_assert_false (testutil_tree_contains (f->home, CANARY));
}

/* \u0000 in the text must not hide what follows it from the detectors. */
static void
test_scan_nul_escape (Fixture *f, gconstpointer data)
{
  static const char req[] = "{\"id\":1,\"type\":\"scan\",\"event\":\"paste\",\"origin\":\"https://a.b\","
                            "\"text\":\"card: \\u0000 " CARD "\"}";
  g_autoptr (cJSON) reply = send_json (f, req);
  assert_verdict (reply, "warn");
  g_assert_true (has_reason (reply, "pattern", "credit-card"));
  /* An escaped backslash followed by "u0000" is literal text, not a NUL. */
  static const char literal[] = "{\"id\":1,\"type\":\"scan\",\"event\":\"paste\",\"origin\":\"https://a.b\","
                                "\"text\":\"path C:\\\\u0000 is fine\"}";
  g_autoptr (cJSON) plain = send_json (f, literal);
  assert_verdict (plain, "allow");
}

/* proto_handle_frame() reads only buf[0..len): an exact-size heap copy with no NUL
 * after it (AddressSanitizer flags any read past the end). */
static void
test_scan_unterminated (Fixture *f, gconstpointer data)
{
  static const char req[] = "{\"id\":1,\"type\":\"scan\",\"event\":\"paste\",\"origin\":\"https://a.b\","
                            "\"text\":\"card \\u0000 " CARD "\"}";
  gsize len = sizeof req - 1;
  g_autofree char *exact = g_malloc (len);
  memcpy (exact, req, len);
  g_autoptr (cJSON) reply = send_bytes (f, exact, len);
  assert_verdict (reply, "warn");
}

/* The card in HTML only (a rich paste whose text part is empty) is still found. */
static void
test_scan_html (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = send_json (f, "{\"id\":1,\"type\":\"scan\",\"event\":\"paste\",\"origin\":\"https://a.b\","
                                          "\"text\":\"\",\"html\":\"<p>card <b>" CARD "</b></p><script>x</script>\"}");
  assert_verdict (reply, "warn");
  g_assert_true (has_reason (reply, "pattern", "credit-card"));
}

static char *
file_request (const char *mime, const void *bytes, gsize len)
{
  g_autofree char *b64 = g_base64_encode (bytes, len);
  return g_strdup_printf ("{\"id\":1,\"type\":\"scan\",\"event\":\"drop\",\"origin\":\"https://a.b\","
                          "\"files\":[{\"name\":\"a\",\"mime\":\"%s\",\"size\":%zu,\"data\":\"%s\"}]}",
                          mime, len, b64);
}

static void
test_scan_files (Fixture *f, gconstpointer data)
{
  static const char csv[] = "name,card\nann," CARD "\n";
  g_autofree char *text_req = file_request ("text/csv", csv, sizeof csv - 1);
  g_autoptr (cJSON) text = send_json (f, text_req);
  assert_verdict (text, "warn");
  g_assert_true (has_reason (text, "pattern", "credit-card"));
  /* No declared type: sniffed as text because it is UTF-8 without NUL bytes. */
  g_autofree char *sniff_req = file_request ("", csv, sizeof csv - 1);
  g_autoptr (cJSON) sniff = send_json (f, sniff_req);
  assert_verdict (sniff, "warn");
  static const guchar png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H' };
  g_autofree char *bin_req = file_request ("image/png", png, sizeof png);
  g_autoptr (cJSON) bin = send_json (f, bin_req);
  assert_verdict (bin, "allow");  /* the default policy allows what it cannot read */
  g_assert_true (has_reason (bin, "policy", "unreadable"));
  g_autoptr (cJSON) empty = send_json (f, "{\"id\":1,\"type\":\"scan\",\"event\":\"upload\",\"origin\":\"https://a.b\","
                                          "\"files\":[{\"name\":\"e\",\"data\":\"\"}]}");
  assert_verdict (empty, "allow");
  g_assert_false (has_reason (empty, "policy", "unreadable"));
}

static const char strict_policy[] =
  "{\"version\":1,\"min_scan_chars\":25,\"max_scan_bytes\":100,"
  " \"oversize\":{\"verdict\":\"block\",\"message\":\"Too large to check.\"},"
  " \"unreadable\":{\"verdict\":\"block\"},"
  " \"rules\":[{\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\","
  "            \"message\":\"Cards.\",\"learn_more\":\"https://intranet.example/dlp\"}],"
  " \"origins\":[{\"id\":\"ai\",\"match\":[\"https://chat.example\"],\"justification\":true,\"gpu\":\"block\"}]}";

static void
test_min_size (Fixture *f, gconstpointer data)
{
  /* 24 characters: below the policy's 25, allowed unscanned. */
  g_autoptr (cJSON) small = scan (f, "https://a.b", "card " CARD);
  assert_verdict (small, "allow");
  g_assert_false (has_reason (small, "pattern", "credit-card"));
  g_autoptr (cJSON) enough = scan (f, "https://a.b", "card " CARD ".");
  assert_verdict (enough, "warn");
  /* The minimum counts characters, not bytes: 24 two-byte characters are still 24. */
  g_autoptr (cJSON) wide = scan (f, "https://a.b", "éééééééééééééééééééééééé");
  assert_verdict (wide, "allow");
}

static void
test_oversize (Fixture *f, gconstpointer data)
{
  g_autofree char *at_cap = g_strnfill (100, 'a');
  g_autoptr (cJSON) fits = scan (f, "https://a.b", at_cap);
  assert_verdict (fits, "allow");
  g_autofree char *over = g_strdup_printf ("%s%s", CARD, at_cap);
  g_autoptr (cJSON) reply = scan (f, "https://a.b", over);
  assert_verdict (reply, "block");
  g_assert_true (has_reason (reply, "policy", "oversize"));
  g_assert_false (has_reason (reply, "pattern", "credit-card"));  /* not scanned */
  g_assert_cmpstr (testproto_str (reply, "message"), ==, "Too large to check.");
  /* A file that declares more than it carries counts at its declared size. */
  g_autoptr (cJSON) declared = send_json (f, "{\"id\":1,\"type\":\"scan\",\"event\":\"upload\",\"origin\":\"https://a.b\","
                                             "\"files\":[{\"name\":\"big.zip\",\"size\":5000000}]}");
  assert_verdict (declared, "block");
  g_assert_true (has_reason (declared, "policy", "oversize"));
}

static void
test_unreadable_policy (Fixture *f, gconstpointer data)
{
  static const guchar zip[] = { 'P', 'K', 3, 4, 0, 0, 0, 0 };
  g_autofree char *req = file_request ("application/zip", zip, sizeof zip);
  g_autoptr (cJSON) reply = send_json (f, req);
  assert_verdict (reply, "block");
  g_assert_true (has_reason (reply, "policy", "unreadable"));
}

/* ---- decisions ---- */

static const char *
warn_audit (const cJSON *reply)
{
  assert_verdict (reply, "warn");
  return testproto_str (reply, "audit");
}

static cJSON *
decide (Fixture *f, const char *audit, const char *action, const char *justification)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "decision");
  cJSON_AddNumberToObject (req, "id", 4);
  cJSON_AddStringToObject (req, "audit", audit);
  cJSON_AddStringToObject (req, "action", action);
  if (justification != NULL)
    cJSON_AddStringToObject (req, "justification", justification);
  g_autofree char *text = cJSON_PrintUnformatted (req);
  return send_json (f, text);
}

/* The default policy asks a justification for cards: proceeding without one is
 * refused, with one it is recorded; the same warn cannot be answered twice. */
static void
test_decision_justification (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) warn = scan (f, "https://a.b", "pay with card " CARD);
  g_assert_true (cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (warn, "justification")));
  const char *audit = warn_audit (warn);
  g_autoptr (cJSON) missing = decide (f, audit, "proceed", NULL);
  assert_error (missing, "bad_request");
  g_autoptr (cJSON) blank = decide (f, audit, "proceed", "   ");
  assert_error (blank, "bad_request");
  g_autoptr (cJSON) ack = decide (f, audit, "proceed", "customer asked for a refund");
  g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
  g_assert_cmpint (cJSON_GetObjectItemCaseSensitive (ack, "id")->valueint, ==, 4);
  g_autoptr (cJSON) again = decide (f, audit, "proceed", "again");
  assert_error (again, "not_found");
  g_autofree char *records = audit_text (f);
  g_assert_nonnull (strstr (records, "customer asked for a refund"));
  g_assert_nonnull (strstr (records, "\"action\":\"proceed\""));
}

static void
test_decision_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) warn = scan (f, "https://a.b", "pay with card " CARD);
  g_autoptr (cJSON) ack = decide (f, warn_audit (warn), "cancel", NULL);
  g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
  /* An allow verdict is no open warn: nothing to decide. */
  g_autoptr (cJSON) allow = scan (f, "https://a.b", "nothing to see here");
  g_autoptr (cJSON) refused = decide (f, testproto_str (allow, "audit"), "proceed", "because");
  assert_error (refused, "not_found");
}

/* ---- redaction (issue 24) ---- */

#define AWS_KEY "AKIAQYLPMN5HHHFPZAM2"

static cJSON *
scan_spans (Fixture *f, const char *origin, const char *text, const char *html)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 8);
  cJSON_AddStringToObject (req, "event", "paste");
  cJSON_AddStringToObject (req, "origin", origin);
  cJSON_AddStringToObject (req, "text", text);
  if (html != NULL)
    cJSON_AddStringToObject (req, "html", html);
  cJSON_AddBoolToObject (req, "spans", TRUE);
  g_autofree char *json = cJSON_PrintUnformatted (req);
  return send_json (f, json);
}

/* The default policy: credentials block, with "Paste without them" offered; spans in
 * UTF-16 code units of the text and the HTML; the key itself never in the reply. */
static void
test_redaction_offer (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = scan_spans (f, "https://a.b", "\xF0\x9F\x98\x80 id " AWS_KEY " end",
                                        "<p>id <b>" AWS_KEY "</b></p>");
  assert_verdict (reply, "block");
  g_autofree char *printed = cJSON_PrintUnformatted (reply);
  g_assert_null (strstr (printed, "QYLPMN5HHHFPZAM2"));
  g_assert_nonnull (strstr (printed, "\"redaction\":{\"offer\":true,\"placeholders\":[\"[AWS access key removed]\"],"
                                     "\"text\":[[6,20,0]],\"html\":[[9,20,0]]},\"audit\""));
  const char *audit = testproto_str (reply, "audit");
  g_autoptr (cJSON) proceed = decide (f, audit, "proceed", "because");
  assert_error (proceed, "bad_request");   /* a block is never proceeded */
  g_autoptr (cJSON) ack = decide (f, audit, "redact", NULL);
  g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
  g_autofree char *records = audit_text (f);
  g_assert_nonnull (strstr (records, "\"action\":\"redact\""));
  g_assert_nonnull (strstr (records, "\"redaction\":{\"matches\":2,\"kinds\":[{\"kind\":\"pattern\","
                                     "\"rule\":\"aws-access-key\",\"count\":2}],\"offered\":true}"));
  g_assert_nonnull (strstr (records, "\"redacted\":{\"matches\":2,\"kinds\":[{\"kind\":\"pattern\","
                                     "\"rule\":\"aws-access-key\",\"count\":2}]}"));
  g_assert_null (strstr (records, "QYLPMN5HHHFPZAM2"));
}

/* On an AI assistant the default policy masks credentials at once (verdict redact); an
 * extension that does not ask for spans gets the block it always got. */
static void
test_redaction_verdict (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) redact = scan_spans (f, "https://chatgpt.com", "key " AWS_KEY, NULL);
  assert_verdict (redact, "redact");
  g_autoptr (cJSON) ack = decide (f, testproto_str (redact, "audit"), "redact", NULL);
  g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
  g_autoptr (cJSON) old = scan (f, "https://chatgpt.com", "key " AWS_KEY);
  assert_verdict (old, "block");
  g_assert_null (cJSON_GetObjectItemCaseSensitive (old, "redaction"));
  g_assert_false (has_reason (old, "policy", "unredactable"));
  /* A key in a file cannot be masked: redact falls back to block, and says why. */
  g_autoptr (cJSON) req = cJSON_Parse ("{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"origin\":\"https://chatgpt.com\","
                                       "\"text\":\"key " AWS_KEY "\",\"spans\":true,\"files\":[{\"name\":\"k.txt\","
                                       "\"data\":\"QUtJQVFZTFBNTjVISEhGUFpBTTIK\"}]}");
  g_autofree char *json = cJSON_PrintUnformatted (req);
  g_autoptr (cJSON) file = send_json (f, json);
  assert_verdict (file, "block");
  g_assert_true (has_reason (file, "policy", "unredactable"));
  const cJSON *offer = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (file, "redaction"), "offer");
  g_assert_true (cJSON_IsFalse (offer));
}

/* The strict policy's cards rule asks no justification, but its AI origin group does. */
static void
test_decision_origin_justification (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) plain = scan (f, "https://a.b", "pay with card " CARD);
  g_assert_false (cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (plain, "justification")));
  g_assert_cmpstr (testproto_str (plain, "learn_more"), ==, "https://intranet.example/dlp");
  g_assert_cmpstr (testproto_str (plain, "message"), ==, "Cards.");
  g_autoptr (cJSON) ok = decide (f, warn_audit (plain), "proceed", NULL);
  g_assert_cmpstr (testproto_str (ok, "type"), ==, "ack");
  g_autoptr (cJSON) ai = scan (f, "https://chat.example", "pay with card " CARD);
  g_assert_true (cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ai, "justification")));
  g_autoptr (cJSON) refused = decide (f, warn_audit (ai), "proceed", NULL);
  assert_error (refused, "bad_request");
}

/* ---- gpu, report ---- */

static void
test_gpu (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) other = send_json (f, "{\"id\":1,\"type\":\"gpu\",\"origin\":\"https://a.b\",\"api\":\"requestAdapter\"}");
  assert_verdict (other, "warn");
  g_assert_true (has_reason (other, "policy", "gpu"));
  g_autoptr (cJSON) own = send_json (f, "{\"id\":1,\"type\":\"gpu\",\"origin\":\"https://wiki.weir.internal\"}");
  assert_verdict (own, "allow");
}

static void
test_gpu_origin (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) ai = send_json (f, "{\"id\":1,\"type\":\"gpu\",\"origin\":\"https://chat.example\"}");
  assert_verdict (ai, "block");
}

static void
test_report (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = send_json (f, "{\"id\":1,\"type\":\"report\",\"event\":\"fail-mode\","
                                          "\"origin\":\"https://a.b\",\"verdict\":\"block\"}");
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "ack");
  g_assert_nonnull (testproto_str (reply, "audit"));
  g_autofree char *records = audit_text (f);
  g_assert_nonnull (strstr (records, "\"reported\":\"fail-mode\""));
}

/* ---- caps and failure ---- */

/* A policy whose hello would be over 1 MiB (a huge model_downloads block): the host
 * answers a too_large error instead of a frame Chrome would drop. */
static void
test_reply_cap (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) reply = send_json (f, "{\"id\":5,\"type\":\"hello\"}");
  assert_error (reply, "too_large");
  g_assert_cmpint (cJSON_GetObjectItemCaseSensitive (reply, "id")->valueint, ==, 5);
}

static char *
huge_policy (void)
{
  /* 800 patterns of 1990 bytes: 1.5 MiB of hello, each pattern valid on its own. */
  g_autoptr (GString) policy = g_string_new ("{\"model_downloads\":{\"verdict\":\"allow\",\"patterns\":[");
  g_autofree char *pattern = g_strnfill (1990, 'm');
  for (int i = 0; i < 800; i++)
    g_string_append_printf (policy, "%s\"%s\"", i ? "," : "", pattern);
  g_string_append (policy, "]}}");
  return g_string_free (g_steal_pointer (&policy), FALSE);
}

/* A store that cannot open (weir.db is a folder) leaves no audit log: every verdict
 * is the fail-mode verdict with an error, because a verdict must leave a record. */
static void
test_store_unavailable (void)
{
  g_autofree char *home = testutil_tmpdir_new ("weir-proto");
  g_autofree char *db = g_build_filename (home, "weir.db", NULL);
  g_assert_cmpint (g_mkdir (db, 0700), ==, 0);
  g_setenv ("WEIR_HOME", home, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) strict = context_open (CONTEXT_STRICT, &error);
  g_assert_null (strict);
  g_assert_nonnull (error);
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_LENIENT, NULL);
  g_assert_nonnull (ctx);
  g_assert_null (context_audit (ctx));
  g_assert_cmpuint (context_problems (ctx)->len, ==, 1);
  g_autoptr (Proto) proto = proto_new (ctx);
  g_autofree char *req = testproto_scan_request (1, "paste", "https://a.b", "nothing secret here");
  g_test_expect_message ("weir", G_LOG_LEVEL_WARNING, "audit: the store is unavailable");
  g_autofree char *text = proto_handle_frame (proto, req, strlen (req));
  g_test_assert_expected_messages ();
  g_autoptr (cJSON) reply = cJSON_Parse (text);
  g_assert_cmpstr (testproto_str (reply, "verdict"), ==, "block");
  g_assert_cmpstr (testproto_str (cJSON_GetObjectItemCaseSensitive (reply, "error"), "code"), ==, "store");
  g_assert_null (testproto_str (reply, "audit"));
  testutil_rmtree (home);
  g_unsetenv ("WEIR_HOME");
}

#define ADD(path, fn, policy) \
  g_test_add ("/proto/" path, Fixture, policy, fixture_set_up, fn, fixture_tear_down)

/* Audit records keep the origin; the full URL only where the policy asks for it. */
static const char url_policy[] =
  "{\"origins\":[{\"id\":\"wiki\",\"match\":[\"https://wiki.example\"],\"record_url\":true}]}";

static void
test_record_url (Fixture *f, gconstpointer data)
{
  g_autoptr (cJSON) a = send_json (f, "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\","
                                   "\"origin\":\"https://wiki.example\",\"url\":\"https://wiki.example/p/kept-path\","
                                   "\"text\":\"hello there\"}");
  g_autoptr (cJSON) b = send_json (f, "{\"type\":\"scan\",\"id\":2,\"event\":\"paste\","
                                   "\"origin\":\"https://chat.example\",\"url\":\"https://chat.example/c/dropped-path\","
                                   "\"text\":\"hello there\"}");
  g_assert_cmpstr (testproto_str (a, "type"), ==, "verdict");
  g_assert_cmpstr (testproto_str (b, "type"), ==, "verdict");
  g_autofree char *log = audit_text (f);
  g_assert_nonnull (strstr (log, "kept-path"));
  g_assert_null (strstr (log, "dropped-path"));
  g_assert_nonnull (strstr (log, "https://chat.example"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autofree char *huge = huge_policy ();
  ADD ("hello", test_hello, NULL);
  ADD ("malformed/json", test_malformed, NULL);
  ADD ("malformed/bytes", test_malformed_bytes, NULL);
  ADD ("malformed/deep-nesting", test_deep_nesting, NULL);
  ADD ("malformed/long-id", test_long_id, NULL);
  ADD ("malformed/error-echo", test_error_echo, NULL);
  ADD ("scan/allow", test_scan_allow, NULL);
  ADD ("scan/no-content", test_scan_no_content, NULL);
  ADD ("scan/nul-escape", test_scan_nul_escape, NULL);
  ADD ("scan/html", test_scan_html, NULL);
  ADD ("scan/unterminated", test_scan_unterminated, NULL);
  ADD ("scan/files", test_scan_files, NULL);
  ADD ("scan/min-size", test_min_size, strict_policy);
  ADD ("scan/oversize", test_oversize, strict_policy);
  ADD ("scan/unreadable", test_unreadable_policy, strict_policy);
  ADD ("decision/justification", test_decision_justification, NULL);
  ADD ("decision/cancel", test_decision_cancel, NULL);
  ADD ("redaction/offer", test_redaction_offer, NULL);
  ADD ("redaction/verdict", test_redaction_verdict, NULL);
  ADD ("decision/origin-justification", test_decision_origin_justification, strict_policy);
  ADD ("gpu/default", test_gpu, NULL);
  ADD ("gpu/origin", test_gpu_origin, strict_policy);
  ADD ("report", test_report, NULL);
  ADD ("record-url", test_record_url, url_policy);
  ADD ("reply-cap", test_reply_cap, huge);
  g_test_add_func ("/proto/store-unavailable", test_store_unavailable);
  return g_test_run ();
}
