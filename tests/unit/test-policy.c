#include <glib.h>
#include <string.h>

#include "engine/findings.h"
#include "json.h"
#include "policy/policy.h"
#include "testutil.h"
#include "weir-error.h"

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

static Finding *copied (const char *source, guint words);

static VerdictLevel
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

static gboolean
redactable (const Policy *policy, const char *origin, Finding *a, Finding *b)
{
  g_autoptr (GPtrArray) findings = findings_new ();
  g_ptr_array_add (findings, a);
  if (b != NULL)
    g_ptr_array_add (findings, b);
  return policy_redaction_allowed (policy, origin, findings);
}

/* Issue 24: the redact verdict, "redact" on a rule, placeholders, and who may be
 * masked. */
static void
test_redaction (void)
{
  static const char json[] =
    "{\"rules\":[{\"id\":\"keys\",\"detectors\":[\"aws-access-key\"],\"verdict\":\"block\",\"redact\":true,"
    "              \"placeholder\":\"[key removed]\"},"
    "            {\"id\":\"tokens\",\"detectors\":[\"github-token\"],\"verdict\":\"block\"},"
    "            {\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\"},"
    "            {\"id\":\"ibans\",\"detectors\":[\"iban\"],\"verdict\":\"warn\",\"redact\":false},"
    "            {\"id\":\"ssn\",\"detectors\":[\"us-ssn\"],\"verdict\":\"redact\"},"
    "            {\"id\":\"docs\",\"labels\":[\"*\"],\"verdict\":\"warn\"}],"
    " \"origins\":[{\"id\":\"ai\",\"match\":[\"https://chat.example\"],\"overrides\":{\"tokens\":\"redact\"}}]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_from_data (json, sizeof json - 1, &error);
  g_assert_no_error (error);
  const char *o = "https://x.example";
  g_assert_cmpint (decide (policy, o, pattern ("us-ssn")), ==, VERDICT_REDACT);
  g_assert_cmpint (decide (policy, "https://chat.example", pattern ("github-token")), ==, VERDICT_REDACT);
  g_assert_cmpint (decide (policy, o, pattern ("github-token")), ==, VERDICT_BLOCK);
  g_assert_true (redactable (policy, o, pattern ("aws-access-key"), NULL));     /* block, redact: true */
  g_assert_false (redactable (policy, o, pattern ("github-token"), NULL));      /* block */
  g_assert_true (redactable (policy, "https://chat.example", pattern ("github-token"), NULL));
  g_assert_true (redactable (policy, o, pattern ("credit-card"), NULL));        /* warn */
  g_assert_false (redactable (policy, o, pattern ("iban"), NULL));              /* warn, redact: false */
  g_assert_true (redactable (policy, o, pattern ("us-ssn"), pattern ("jwt")));  /* jwt: no rule */
  g_assert_false (redactable (policy, o, pattern ("credit-card"), document ("confidential")));
  g_assert_false (redactable (policy, o, pattern ("jwt"), NULL));               /* nothing to mask */
  g_autoptr (Finding) key = pattern ("aws-access-key"), card = pattern ("credit-card");
  g_assert_cmpstr (policy_placeholder (policy, key), ==, "[key removed]");
  g_assert_null (policy_placeholder (policy, card));
  /* redact is a rule's verdict only. */
  static const char *const refused[] = { "{\"fail_mode\":\"redact\"}", "{\"default\":{\"verdict\":\"redact\"}}",
                                         "{\"oversize\":{\"verdict\":\"redact\"}}", "{\"gpu\":{\"verdict\":\"redact\"}}" };
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (Policy) p = policy_new_from_data (refused[i], strlen (refused[i]), &e);
      g_assert_null (p);
      g_assert_error (e, WEIR_ERROR, WEIR_ERROR_POLICY);
    }
  g_autofree char *long_one = g_strdup_printf ("{\"rules\":[{\"id\":\"k\",\"detectors\":[\"jwt\"],\"verdict\":\"redact\","
                                               "\"placeholder\":\"%0101d\"}]}", 0);
  g_autoptr (GError) e = NULL;
  g_autoptr (Policy) p = policy_new_from_data (long_one, strlen (long_one), &e);
  g_assert_null (p);
  g_assert_nonnull (strstr (e->message, "rules[0].placeholder: longer than 100 bytes"));
}

static Finding *
pattern_count (const char *rule, guint count)
{
  Finding *f = pattern (rule);
  f->count = count;
  return f;
}

/* "Warn on 1 card, block on 50": a rule under its min_count passes the finding on. */
static void
test_min_count (void)
{
  static const char json[] =
    "{\"rules\":[{\"id\":\"many\",\"detectors\":[\"credit-card\"],\"min_count\":50,\"verdict\":\"block\"},"
    "           {\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\"},"
    "           {\"id\":\"keys\",\"detectors\":[\"private-key\"],\"min_count\":3,\"verdict\":\"warn\"}]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_from_data (json, sizeof json - 1, &error);
  g_assert_no_error (error);
  const char *o = "https://chat.example";
  g_assert_cmpint (decide (policy, o, pattern_count ("credit-card", 1)), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, pattern_count ("credit-card", 49)), ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, o, pattern_count ("credit-card", 50)), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (policy, o, pattern_count ("private-key", 2)), ==, VERDICT_ALLOW);
  g_assert_cmpint (decide (policy, o, pattern_count ("private-key", 3)), ==, VERDICT_WARN);
  static const char *const bad[] = {
    "{\"rules\":[{\"id\":\"x\",\"detectors\":[\"credit-card\"],\"min_count\":-1,\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"x\",\"detectors\":[\"credit-card\"],\"min_count\":\"5\",\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"x\",\"detectors\":[\"credit-card\"],\"min_count\":1.5,\"verdict\":\"warn\"}]}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (Policy) p = policy_new_from_data (bad[i], strlen (bad[i]), &e);
      g_assert_null (p);
      g_assert_nonnull (e);
    }
}

static void
test_invalid_policies (void)
{
  static const char *const bad[] = {
    "", "[]", "{\"fail_mode\":\"maybe\"}", "{\"rules\":{}}", "{\"rules\":[{\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"x\",\"detectors\":[\"no-such\"],\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"x\",\"verdict\":\"warn\",\"labels\":[1]}]}",
    "{\"max_scan_bytes\":-1}",
    "{\"rules\":[{\"id\":\"x\",\"verdict\":\"warn\",\"labels\":[\"*\"]},"
    " {\"id\":\"x\",\"verdict\":\"block\",\"labels\":[\"*\"]}]}",
    "{\"origins\":[{\"id\":\"o\",\"match\":[\"*\"],\"overrides\":{\"nope\":\"block\"}}]}",
    /* A misspelt field must not silently switch a rule or a group off. */
    "{\"rules\":[{\"id\":\"cards\",\"detector\":[\"credit-card\"],\"verdict\":\"warn\"}]}",
    "{\"rules\":[{\"id\":\"cards\",\"verdict\":\"warn\"}]}",
    "{\"origins\":[{\"id\":\"ai\",\"matches\":[\"https://chatgpt.com\"],\"max_verdict\":\"allow\"}]}",
    "{\"rulez\":[]}", "{\"gpu\":{\"verdikt\":\"block\"}}",
    /* An origin without a scheme would match nothing. */
    "{\"origins\":[{\"id\":\"ai\",\"match\":[\"chatgpt.com\"]}]}",
    "{\"origins\":[{\"id\":\"ai\",\"match\":[]}]}",
    /* Retention: a misspelt field or prune mode must not keep or drop records silently. */
    "{\"audit_retention\":{\"max_days\":30}}", "{\"audit_retention\":{\"prune\":\"never\"}}",
    "{\"audit_retention\":{\"max_mb\":-1}}", "{\"audit_retention\":[]}",
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

static Policy *
parse (const char *json)
{
  g_autoptr (GError) error = NULL;
  Policy *policy = policy_new_from_data (json, strlen (json), &error);
  g_assert_no_error (error);
  return policy;
}

static void
test_size_defaults (void)
{
  g_autoptr (Policy) empty = parse ("{}");
  g_assert_cmpuint (policy_min_scan_chars (empty), ==, 8);
  g_assert_cmpuint (policy_max_scan_bytes (empty), ==, 32 * 1024 * 1024);
  PolicyDecision d;
  policy_decide_oversize (empty, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (d.rule_id, ==, "oversize");
  policy_decide_failure (empty, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  policy_decide_unreadable (empty, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  g_autoptr (Policy) custom = parse ("{\"min_scan_chars\":0,\"max_scan_bytes\":67108864,"
                                     "\"oversize\":{\"verdict\":\"block\",\"message\":\"Too big.\"},"
                                     "\"fail_mode\":\"allow\",\"unreadable\":{\"verdict\":\"warn\"}}");
  g_assert_cmpuint (policy_min_scan_chars (custom), ==, 0);
  g_assert_cmpuint (policy_max_scan_bytes (custom), ==, 64 * 1024 * 1024);
  policy_decide_oversize (custom, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_assert_cmpstr (d.message, ==, "Too big.");
  policy_decide_failure (custom, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  policy_decide_unreadable (custom, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
}

static void
test_size_limits (void)
{
  static const char *const bad[] = {
    "{\"max_scan_bytes\":268435457}", "{\"max_scan_bytes\":1.5}", "{\"max_scan_bytes\":\"1\"}",
    "{\"min_scan_chars\":1000001}", "{\"timeout_ms\":600001}", "{\"oversize\":\"block\"}",
    "{\"oversize\":{\"verdict\":\"deny\"}}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (Policy) policy = policy_new_from_data (bad[i], strlen (bad[i]), &error);
      g_assert_null (policy);
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_POLICY);
    }
}

/* The most severe rule decides, and its message, link and justification come along. */
static void
test_deciding_rule (void)
{
  g_autoptr (Policy) policy = parse (
    "{\"rules\":[{\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\",\"message\":\"Cards.\","
    "             \"learn_more\":\"https://intranet.example/cards\",\"justification\":true},"
    "            {\"id\":\"keys\",\"detectors\":[\"private-key\"],\"verdict\":\"block\",\"message\":\"Keys.\"}]}");
  g_autoptr (GPtrArray) findings = findings_new ();
  g_ptr_array_add (findings, pattern ("credit-card"));
  PolicyDecision d;
  policy_decide (policy, "https://a.example", findings, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
  g_assert_cmpstr (d.rule_id, ==, "cards");
  g_assert_cmpstr (d.message, ==, "Cards.");
  g_assert_cmpstr (d.learn_more, ==, "https://intranet.example/cards");
  g_assert_true (d.justification);
  g_ptr_array_add (findings, pattern ("private-key"));
  policy_decide (policy, "https://a.example", findings, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_assert_cmpstr (d.rule_id, ==, "keys");
  g_assert_cmpstr (d.message, ==, "Keys.");
  g_assert_null (d.learn_more);
  g_assert_false (d.justification);  /* justification belongs to warn only */
}

/* With a default verdict of warn, a rule that allows cannot lower it, nor lend its
 * message to the warn. */
static void
test_default_verdict_floor (void)
{
  g_autoptr (Policy) policy = parse (
    "{\"default\":{\"verdict\":\"warn\"},"
    " \"rules\":[{\"id\":\"cards-ok\",\"detectors\":[\"credit-card\"],\"verdict\":\"allow\",\"message\":\"Fine.\"}]}");
  PolicyDecision d;
  g_autoptr (GPtrArray) none = findings_new ();
  policy_decide (policy, "https://a.example", none, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
  g_assert_cmpint (decide (policy, "https://a.example", pattern ("credit-card")), ==, VERDICT_WARN);
  g_autoptr (GPtrArray) cards = findings_new ();
  g_ptr_array_add (cards, pattern ("credit-card"));
  policy_decide (policy, "https://a.example", cards, &d);
  g_assert_null (d.rule_id);
  g_assert_null (d.message);
}

static void
test_origin_justification_and_gpu (void)
{
  g_autoptr (Policy) policy = parse (
    "{\"gpu\":{\"verdict\":\"warn\",\"message\":\"GPU.\"},"
    " \"rules\":[{\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\"}],"
    " \"origins\":[{\"id\":\"own\",\"match\":[\"https://*.corp.example\"],\"gpu\":\"allow\"},"
    "              {\"id\":\"ai\",\"match\":[\"https://chat.example\",\"https://*.ai.example\"],"
    "               \"justification\":true,\"gpu\":\"block\"}]}");
  g_autoptr (GPtrArray) cards = findings_new ();
  g_ptr_array_add (cards, pattern ("credit-card"));
  PolicyDecision d;
  policy_decide (policy, "https://chat.example", cards, &d);
  g_assert_true (d.justification);
  policy_decide (policy, "https://other.example", cards, &d);
  g_assert_false (d.justification);
  policy_decide_gpu (policy, "https://wiki.corp.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  g_assert_null (d.message);
  policy_decide_gpu (policy, "https://x.ai.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_assert_cmpstr (d.message, ==, "GPU.");
  policy_decide_gpu (policy, "https://other.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
}

static void
test_hello_json (void)
{
  g_autoptr (Policy) policy = parse ("{\"fail_mode\":\"warn\",\"timeout_ms\":1500,\"min_scan_chars\":4,"
                                     "\"model_downloads\":{\"verdict\":\"block\"}}");
  g_autoptr (cJSON) hello = policy_to_hello_json (policy);
  g_assert_cmpstr (cJSON_GetObjectItem (hello, "fail_mode")->valuestring, ==, "warn");
  g_assert_cmpint (cJSON_GetObjectItem (hello, "timeout_ms")->valueint, ==, 1500);
  g_assert_cmpint (cJSON_GetObjectItem (hello, "min_scan_chars")->valueint, ==, 4);
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetObjectItem (hello, "model_downloads"), "verdict")->valuestring,
                   ==, "block");
  g_assert_cmpstr (cJSON_GetObjectItem (hello, "digest")->valuestring, ==, policy_digest (policy));
}

/* Issue 7: model downloads. The default watches the known model files and only audits;
 * an origin group overrides the verdict; warn is refused (a download cannot wait). */
static void
test_downloads_default (void)
{
  g_autoptr (Policy) policy = parse ("{}");
  PolicyDecision d;
  policy_decide_download (policy, "https://any.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  g_assert_true (policy_download_audit (policy));
  const char *const *patterns = policy_download_patterns (policy);
  static const char *const hits[] = {
    "https://huggingface.co/mlc-ai/Llama-3-8B-q4f16_1-MLC/resolve/main/params_shard_0.bin",
    "http://127.0.0.1:8080/models/x/params_shard_12.bin?download=1",
    "https://cdn.example/m/tensor-cache.json", "https://cdn.example/m/ndarray-cache.json",
    "https://cdn.example/m/mlc-chat-config.json", "https://x.example/a/model-Q4_K_M.GGUF",
    "https://x.example/onnx/model_quantized.onnx", "https://x.example/model.safetensors#x",
    "https://x.example/gemma3-1b-it-int4.task", "https://x.example/gemma.litertlm",
    "https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_48/"
    "Llama-3-8B-Instruct-q4f16_1-ctx4k_cs1k-webgpu.wasm",
  };
  static const char *const misses[] = {
    "https://x.example/index.html", "https://x.example/app.wasm", "https://x.example/task/list",
    "https://x.example/shard.bin", "https://x.example/config.json",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (hits) + G_N_ELEMENTS (misses); i++)
    {
      gboolean expect = i < G_N_ELEMENTS (hits);
      const char *url = expect ? hits[i] : misses[i - G_N_ELEMENTS (hits)];
      gboolean matched = FALSE;
      for (const char *const *p = patterns; *p != NULL; p++)
        matched |= g_regex_match_simple (*p, url, G_REGEX_CASELESS, 0);
      g_assert_true (matched == expect);
    }
}

static void
test_downloads_origins (void)
{
  g_autoptr (Policy) policy = parse (
    "{\"model_downloads\":{\"verdict\":\"block\",\"audit\":false,\"patterns\":[\"\\\\.gguf$\"]},"
    " \"origins\":[{\"id\":\"own\",\"match\":[\"https://*.corp.example\"],\"model_downloads\":\"allow\"},"
    "              {\"id\":\"other\",\"match\":[\"https://x.example\"]}]}");
  PolicyDecision d;
  policy_decide_download (policy, "https://wiki.corp.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  policy_decide_download (policy, "https://x.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_assert_false (policy_download_audit (policy));
  g_autoptr (cJSON) hello = policy_to_hello_json (policy);
  cJSON *models = cJSON_GetObjectItem (hello, "model_downloads");
  g_assert_cmpstr (cJSON_GetObjectItem (models, "verdict")->valuestring, ==, "block");
  g_assert_true (cJSON_IsFalse (cJSON_GetObjectItem (models, "audit")));
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (models, "patterns")), ==, 1);
  cJSON *origins = cJSON_GetObjectItem (models, "origins");
  g_assert_cmpint (cJSON_GetArraySize (origins), ==, 2);
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetArrayItem (origins, 0), "verdict")->valuestring, ==, "allow");
  g_assert_null (cJSON_GetObjectItem (cJSON_GetArrayItem (origins, 1), "verdict"));
}

static void
test_downloads_refused (void)
{
  static const struct { const char *json; const char *where; } bad[] = {
    { "{\"model_downloads\":{\"verdict\":\"warn\"}}", "model_downloads.verdict" },
    { "{\"model_downloads\":{\"audit\":\"yes\"}}", "model_downloads.audit" },
    { "{\"model_downloads\":{\"patterns\":[\"(unclosed\"]}}", "model_downloads.patterns[0]" },
    { "{\"model_downloads\":{\"patterns\":[\"ok\",\"\"]}}", "model_downloads.patterns[1]" },
    { "{\"model_downloads\":{\"patterns\":[\"a(?=b)\"]}}", "model_downloads.patterns[0]" },
    { "{\"model_downloads\":{\"patterns\":\"\\\\.gguf\"}}", "model_downloads.patterns" },
    { "{\"origins\":[{\"match\":[\"*\"],\"model_downloads\":\"warn\"}]}", "origins[0].model_downloads" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (Policy) policy = policy_new_from_data (bad[i].json, strlen (bad[i].json), &error);
      g_assert_null (policy);
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_POLICY);
      g_assert_nonnull (strstr (error->message, bad[i].where));
    }
}

static void
test_digest (void)
{
  g_autoptr (Policy) a = parse ("{}");
  g_autoptr (Policy) b = parse ("{ }");
  g_autoptr (Policy) a2 = parse ("{}");
  g_assert_cmpuint (strlen (policy_digest (a)), ==, 64);
  g_assert_cmpstr (policy_digest (a), ==, policy_digest (a2));
  g_assert_cmpstr (policy_digest (a), !=, policy_digest (b));
}

/* Fields that reach replies are bounded and valid UTF-8; the version is checked. */
static void
test_reply_safety (void)
{
  g_autofree char *filler = g_strnfill (2001, 'm');
  g_autofree char *long_message = g_strdup_printf (
    "{\"rules\":[{\"id\":\"x\",\"detectors\":[],\"verdict\":\"warn\",\"message\":\"%s\"}]}", filler);
  const char *const bad[] = { long_message, "{\"version\":2}", "{\"version\":\"1\"}",
                              "{\"gpu\":{\"message\":\"\xff\"}}" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (Policy) policy = policy_new_from_data (bad[i], strlen (bad[i]), &error);
      g_assert_null (policy);
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_POLICY);
    }
  g_autoptr (Policy) v1 = parse ("{\"version\":1}");
  g_assert_nonnull (v1);
  /* A caller that does not want the reason may pass NULL. */
  g_assert_null (policy_new_from_data ("{\"rules\":{}}", 12, NULL));
}

static void
test_from_file (void)
{
  g_autofree char *dir = testutil_tmpdir_new ("weir-policy");
  testutil_write_file (dir, "good.json", "{\"fail_mode\":\"warn\"}");
  testutil_write_file (dir, "bad.json", "{\"fail_mode\":\"maybe\"}");
  g_autofree char *good_path = g_build_filename (dir, "good.json", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *missing_path = g_build_filename (dir, "missing.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) good = policy_new_from_file (good_path, &error);
  g_assert_no_error (error);
  PolicyDecision d;
  policy_decide_failure (good, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
  g_autoptr (Policy) bad = policy_new_from_file (bad_path, &error);
  g_assert_null (bad);
  g_autofree char *prefix = g_strdup_printf ("policy %s: fail_mode: ", bad_path);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_clear_error (&error);
  g_autoptr (Policy) missing = policy_new_from_file (missing_path, &error);
  g_assert_null (missing);
  g_assert_nonnull (error);
  testutil_rmtree (dir);
}

/* json is refused with a message that starts with prefix. */
static void
assert_refused (const char *json, const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) policy = policy_new_from_data (json, strlen (json), &error);
  g_assert_null (policy);
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_POLICY);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("%s: got \"%s\", want \"%s...\"", json, error->message, prefix);
}

/* Every refusal names the field's path from the top, and what would be accepted. */
static void
test_messages (void)
{
  static const struct { const char *json; const char *message; } bad[] = {
    { "{\"rules\":[{\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\"}],"
      " \"origins\":[{\"match\":[\"*\"]},{\"id\":\"ai\",\"match\":[\"*\"],\"overrides\":{\"cards\":\"block\",\"keys\":\"block\"}}]}",
      "policy: origins[1].overrides: origin group \"ai\" overrides rule \"keys\", but no rule has that id (rules: cards)" },
    { "{\"rules\":[{\"id\":\"cards\",\"detectors\":[\"credit-card\"],\"verdict\":\"warn\"}],"
      " \"origins\":[{\"id\":\"ai\",\"match\":[\"*\"],\"overrides\":{\"cards\":\"deny\"}}]}",
      "policy: origins[0].overrides.cards: expected \"allow\", \"redact\", \"warn\" or \"block\", not \"deny\"" },
    { "{\"fail_mode\":\"maybe\"}", "policy: fail_mode: expected \"allow\", \"warn\" or \"block\", not \"maybe\"" },
    { "{\"gpu\":{\"verdict\":2}}", "policy: gpu.verdict: expected \"allow\", \"warn\" or \"block\", not 2" },
    { "{\"timeout_ms\":600001}", "policy: timeout_ms: expected a whole number from 0 to 600000, not 600001" },
    { "{\"max_scan_bytes\":-1}", "policy: max_scan_bytes: expected a whole number from 0 to 268435456, not -1" },
    { "{\"min_scan_chars\":\"8\"}", "policy: min_scan_chars: expected a whole number from 0 to 1000000, not \"8\"" },
    { "{\"rules\":[{\"id\":\"x\",\"verdict\":\"warn\",\"labels\":[\"a\",1]}]}",
      "policy: rules[0].labels[1]: expected a string" },
    { "{\"rules\":[{\"id\":\"x\",\"detectors\":[\"iban\",\"no-such\"],\"verdict\":\"warn\"}]}",
      "policy: rules[0].detectors[1]: unknown detector \"no-such\" (detectors: " },
    { "{\"rules\":[{\"id\":\"x\",\"verdict\":\"warn\",\"labels\":[\"*\"]},"
      " {\"id\":\"x\",\"verdict\":\"block\",\"labels\":[\"*\"]}]}",
      "policy: rules[1].id: \"x\" is already the id of rules[0]" },
    { "{\"rules\":{}}", "policy: rules: expected a list [...]" },
    { "{\"rulez\":[]}", "policy: top level: unknown field \"rulez\" (known here: version, " },
    { "{\"version\":2}", "policy: version: this host reads policy version 1, not 2" },
    { "{\"oversize\":\"block\"}", "policy: oversize: expected an object {...}" },
    { "{\"origins\":[{\"id\":\"ai\",\"match\":[\"https://a.example\",\"chatgpt.com\"]}]}",
      "policy: origins[0].match[1]: \"chatgpt.com\" is not an origin" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (bad[i].json, bad[i].message);
}

/* A syntax error names the line and the column of the mistake, and what was expected. */
static void
test_syntax_errors (void)
{
  static const struct { const char *json; const char *message; } bad[] = {
    { "{\n  \"fail_mode\": \"warn\"\n  \"timeout_ms\": 10\n}",
      "policy: line 3, column 3: expected ',' or '}'" },
    { "{\"rules\": [\n  {\"id\": \"a\"},\n]}", "policy: line 2, column 14: a comma before ']'" },
    { "{\"a\": 1,}", "policy: line 1, column 8: a comma before '}'" },
    { "{\"fail_mode\" \"warn\"}", "policy: line 1, column 14: expected ':' after the field name" },
    { "{fail_mode: 1}", "policy: line 1, column 2: expected a field name in double quotes" },
    { "{\"x\": tru}", "policy: line 1, column 7: expected a value" },
    { "{\n\"x\": [1, 2\n", "policy: line 3, column 1: the file ends inside a list" },
    { "{\"x\": 1", "policy: line 1, column 8: the file ends inside an object" },
    { "{\"x\": \"abc}", "policy: line 1, column 7: a string that is never closed" },
    { "{\"x\": \"a\\qb\"}", "policy: line 1, column 9: an unknown escape" },
    { "{\"x\": \"a\nb\"}", "policy: line 1, column 9: a line break inside a string" },
    { "{\"x\": 01}", "policy: line 1, column 8: expected ',' or '}'" },
    { "{} {}", "policy: line 1, column 4: text after the end" },
    /* Columns count characters, as editors do, not bytes. */
    { "{\"\xc3\xa9t\xc3\xa9\": 1 2}", "policy: line 1, column 11: expected ',' or '}'" },
    { "{\"x\": \"\xff\"}", "policy: line 1, column 8: not UTF-8 text" },
    { "", "policy: line 1, column 1: the file ends where a value was expected" },
    { "[]", "policy: a policy is one JSON object" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (bad[i].json, bad[i].message);
  /* Nesting deeper than the parsers take is refused, not a stack overflow. */
  g_autoptr (GString) deep = g_string_new ("{\"x\":");
  for (int i = 0; i < 5000; i++)
    g_string_append_c (deep, '[');
  g_autoptr (GError) error = NULL;
  g_assert_null (policy_new_from_data (deep->str, deep->len, &error));
  g_assert_nonnull (strstr (error->message, "nested too deeply"));
}

/* The documented examples (docs/policy.md, rules/examples/) load and mean what the
 * documentation says. */
static void
test_examples (void)
{
  const char *root = g_getenv ("WEIR_SOURCE_ROOT");
  g_assert_nonnull (root);
  g_autofree char *shipped = g_build_filename (root, "rules", "default-policy.json", NULL);
  g_autofree char *allowlist = g_build_filename (root, "rules", "examples", "organisation-allowlist.json", NULL);
  g_autofree char *ai = g_build_filename (root, "rules", "examples", "ai-strict.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Policy) def = policy_new_from_file (shipped, &error);
  g_assert_no_error (error);
  g_autoptr (Policy) compiled = policy_new_default (&error);
  g_assert_cmpstr (policy_digest (def), ==, policy_digest (compiled));
  g_autoptr (Policy) own = policy_new_from_file (allowlist, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decide (own, "https://wiki.corp.example", pattern ("private-key")), ==, VERDICT_ALLOW);
  g_assert_cmpint (decide (own, "https://chat.example", pattern ("private-key")), ==, VERDICT_BLOCK);
  g_autoptr (Policy) strict = policy_new_from_file (ai, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decide (strict, "https://chatgpt.com", pattern ("credit-card")), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (strict, "https://chatgpt.com", document ("confidential")), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (strict, "https://news.example", pattern ("credit-card")), ==, VERDICT_WARN);
  g_assert_cmpint (decide (strict, "https://hr.corp.example", pattern ("credit-card")), ==, VERDICT_ALLOW);
  PolicyDecision d;
  policy_decide_gpu (strict, "https://claude.ai", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_autofree char *models = g_build_filename (root, "rules", "examples", "no-local-models.json", NULL);
  g_autoptr (Policy) none = policy_new_from_file (models, &error);
  g_assert_no_error (error);
  policy_decide_gpu (none, "https://webllm.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  policy_decide_gpu (none, "https://lab.corp.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  policy_decide_download (none, "https://webllm.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  policy_decide_download (none, "https://lab.corp.example", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_ALLOW);
  /* The hub group sets only gpu: downloads its pages start get the default, block. */
  policy_decide_download (none, "https://huggingface.co", &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_assert_cmpuint (g_strv_length ((char **) policy_download_patterns (none)), ==, 8);
  /* Issue 25: the HR source blocks, other internal sources warn from 30 words. */
  g_autofree char *copied_path = g_build_filename (root, "rules", "examples", "copied-out.json", NULL);
  g_autoptr (Policy) out = policy_new_from_file (copied_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (policy_origin_source (out, "https://hr.corp.example"), ==, "hr");
  g_assert_cmpint (decide (out, "https://chat.example", copied ("hr", 10)), ==, VERDICT_BLOCK);
  g_assert_cmpint (decide (out, "https://chat.example", copied ("internal", 29)), ==, VERDICT_ALLOW);
  g_assert_cmpint (decide (out, "https://chat.example", copied ("internal", 30)), ==, VERDICT_WARN);
}

/* Issue 25: source groups, rules by source, the copies section, and the refusals. */
static Finding *
copied (const char *source, guint words)
{
  Finding *f = finding_new (FINDING_COPIED);
  f->name = g_strdup (source);
  f->words = words;
  return f;
}

static void
test_sources (void)
{
  g_autoptr (Policy) p = parse (
    "{\"version\":1,\"rules\":["
    " {\"id\":\"hr\",\"sources\":[\"hr\"],\"verdict\":\"block\"},"
    " {\"id\":\"long\",\"sources\":[\"*\"],\"min_words\":50,\"verdict\":\"warn\"},"
    " {\"id\":\"any-label\",\"labels\":[\"*\"],\"verdict\":\"block\"}],"
    " \"origins\":[{\"id\":\"hr\",\"match\":[\"https://hr.corp.example\"],\"source\":\"hr\"},"
    "  {\"id\":\"corp\",\"match\":[\"https://*.corp.example\"],\"source\":\"internal\"}],"
    " \"copies\":{\"keep_hours\":2,\"max\":500,\"min_words\":12,\"audit\":true}}");
  g_assert_cmpstr (policy_origin_source (p, "https://hr.corp.example"), ==, "hr");
  g_assert_cmpstr (policy_origin_source (p, "https://wiki.corp.example"), ==, "internal");
  g_assert_null (policy_origin_source (p, "https://chat.example"));
  g_assert_true (policy_has_sources (p));
  g_assert_cmpint (decide (p, "https://chat.example", copied ("hr", 20)), ==, VERDICT_BLOCK);
  /* The "*" source from 50 words on; a labels rule never takes a copied finding. */
  g_assert_cmpint (decide (p, "https://chat.example", copied ("internal", 49)), ==, VERDICT_ALLOW);
  g_assert_cmpint (decide (p, "https://chat.example", copied ("internal", 50)), ==, VERDICT_WARN);
  PolicyCopies c;
  policy_copies (p, &c);
  g_assert_cmpint (c.keep_seconds, ==, 7200);
  g_assert_cmpuint (c.max_copies, ==, 500);
  g_assert_cmpuint (c.min_words, ==, 12);
  g_assert_true (c.audit);
  /* The hello lists every group in order, with its source. */
  g_autoptr (cJSON) hello = policy_to_hello_json (p);
  const cJSON *origins = cJSON_GetObjectItem (cJSON_GetObjectItem (hello, "copies"), "origins");
  g_assert_cmpint (cJSON_GetArraySize (origins), ==, 2);
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetArrayItem (origins, 1), "source")->valuestring, ==, "internal");

  g_autoptr (Policy) d = policy_new_default (NULL);
  policy_copies (d, &c);
  g_assert_cmpint (c.keep_seconds, ==, 8 * 3600);
  g_assert_cmpuint (c.max_copies, ==, 100000);
  g_assert_false (c.audit);
  g_assert_false (policy_has_sources (d));

  static const char *const bad[] = {
    "{\"rules\":[{\"id\":\"x\",\"sources\":[\"hr\"],\"verdict\":\"block\"}]}",  /* no such source */
    "{\"origins\":[{\"match\":[\"*\"],\"source\":\"\"}]}",
    "{\"origins\":[{\"match\":[\"*\"],\"source\":\"*\"}]}",
    "{\"origins\":[{\"match\":[\"*\"],\"source\":\"a b\"}]}",
    "{\"origins\":[{\"match\":[\"*\"],\"source\":7}]}",
    "{\"copies\":{\"keep_hours\":0}}", "{\"copies\":{\"keep_hours\":721}}",
    "{\"copies\":{\"min_words\":7}}", "{\"copies\":{\"kept\":1}}", "{\"copies\":[]}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (Policy) policy = policy_new_from_data (bad[i], strlen (bad[i]), &error);
      g_assert_null (policy);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "policy: "));
    }
}

/* audit_retention: the defaults (90 days, 200 MB, after export) and what a policy sets. */
static void
test_audit_retention (void)
{
  guint days, mb;
  gboolean after_export;
  g_autoptr (Policy) defaults = parse ("{\"version\":1}");
  policy_audit_retention (defaults, &days, &mb, &after_export);
  g_assert_cmpuint (days, ==, 90);
  g_assert_cmpuint (mb, ==, 200);
  g_assert_true (after_export);
  g_autoptr (Policy) set = parse ("{\"audit_retention\":{\"max_age_days\":0,\"max_mb\":5,\"prune\":\"always\"}}");
  policy_audit_retention (set, &days, &mb, &after_export);
  g_assert_cmpuint (days, ==, 0);
  g_assert_cmpuint (mb, ==, 5);
  g_assert_false (after_export);
}

/* The encrypted class and the extract bounds: defaults, overrides, refusals by field. */
static void
test_encrypted_and_extract (void)
{
  g_autoptr (GError) error = NULL;
  static const char empty[] = "{\"version\":1}";
  g_autoptr (Policy) plain = policy_new_from_data (empty, strlen (empty), &error);
  g_assert_no_error (error);
  PolicyDecision d;
  policy_decide_encrypted (plain, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_WARN);
  g_assert_true (d.justification);
  g_assert_cmpstr (d.rule_id, ==, "encrypted");
  g_assert_nonnull (strstr (d.message, "encrypted"));
  g_assert_cmpuint (policy_extract_bounds (plain)->max_depth, ==, 5);
  static const char set[] = "{\"encrypted\":{\"verdict\":\"block\",\"message\":\"No locked files.\"},"
                            "\"extract\":{\"max_depth\":2,\"max_compression_ratio\":50,\"memory_mb\":256}}";
  g_autoptr (Policy) strict = policy_new_from_data (set, strlen (set), &error);
  g_assert_no_error (error);
  policy_decide_encrypted (strict, &d);
  g_assert_cmpint (d.verdict, ==, VERDICT_BLOCK);
  g_assert_false (d.justification);
  g_assert_cmpstr (d.message, ==, "No locked files.");
  const ExtractBounds *b = policy_extract_bounds (strict);
  g_assert_cmpuint (b->max_depth, ==, 2);
  g_assert_cmpuint (b->max_ratio, ==, 50);
  g_assert_cmpuint (b->memory_mb, ==, 256);
  g_assert_cmpuint (b->max_pages, ==, 2000);  /* unset fields keep their defaults */
  assert_refused ("{\"extract\":{\"max_depth\":99}}", "policy: extract.max_depth");
  assert_refused ("{\"extract\":{\"memory_mb\":8}}", "policy: extract.memory_mb");
  assert_refused ("{\"extract\":{\"depth\":1}}", "policy: extract");
  assert_refused ("{\"encrypted\":{\"verdict\":\"maybe\"}}", "policy: encrypted.verdict");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/policy/encrypted-and-extract", test_encrypted_and_extract);
  g_test_add_func ("/policy/default-verdicts", test_default_verdicts);
  g_test_add_func ("/policy/sources", test_sources);
  g_test_add_func ("/policy/origin-matching", test_origin_matching);
  g_test_add_func ("/policy/origin-cap-and-override", test_origin_cap_and_override);
  g_test_add_func ("/policy/invalid", test_invalid_policies);
  g_test_add_func ("/policy/min-count", test_min_count);
  g_test_add_func ("/policy/redaction", test_redaction);
  g_test_add_func ("/policy/size-defaults", test_size_defaults);
  g_test_add_func ("/policy/size-limits", test_size_limits);
  g_test_add_func ("/policy/deciding-rule", test_deciding_rule);
  g_test_add_func ("/policy/default-verdict-floor", test_default_verdict_floor);
  g_test_add_func ("/policy/origin-justification-and-gpu", test_origin_justification_and_gpu);
  g_test_add_func ("/policy/downloads/default", test_downloads_default);
  g_test_add_func ("/policy/downloads/origins", test_downloads_origins);
  g_test_add_func ("/policy/downloads/refused", test_downloads_refused);
  g_test_add_func ("/policy/hello-json", test_hello_json);
  g_test_add_func ("/policy/digest", test_digest);
  g_test_add_func ("/policy/reply-safety", test_reply_safety);
  g_test_add_func ("/policy/from-file", test_from_file);
  g_test_add_func ("/policy/syntax-errors", test_syntax_errors);
  g_test_add_func ("/policy/messages", test_messages);
  g_test_add_func ("/policy/examples", test_examples);
  g_test_add_func ("/policy/audit-retention", test_audit_retention);
  return g_test_run ();
}
