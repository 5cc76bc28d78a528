/* test-detect: the pattern detectors against golden files and hostile inputs.
 *
 * Golden files (the .txt files in tests/fixtures/detect, written by generate.py there) hold cases:
 *   %% expect: <detector>=<count> ... -- <why>      or   %% expect: none -- <why>
 * followed by the case's text. Each text is scanned alone and every detector's count
 * must equal the expectation (absent means 0). */
#include <glib.h>
#include <string.h>

#include "engine/detect.h"

typedef struct {
  char *why;
  char *expect;   /* "credit-card=1 iban=2" or "none" */
  GString *body;
  guint line;
} DetectCase;

static void
detect_case_free (gpointer data)
{
  DetectCase *c = data;
  g_free (c->why);
  g_free (c->expect);
  g_string_free (c->body, TRUE);
  g_free (c);
}

static char *
fixture_dir (void)
{
  const char *src = g_getenv ("G_TEST_SRCDIR");
  if (src != NULL)
    return g_build_filename (src, "fixtures", "detect", NULL);
  g_autofree char *here = g_path_get_dirname (__FILE__);
  return g_build_filename (here, "..", "fixtures", "detect", NULL);
}

static DetectCase *
case_start (const char *line, guint number)
{
  const char *spec = line + strlen ("%% expect:");
  const char *dash = strstr (spec, " -- ");
  g_assert_nonnull (dash);
  DetectCase *c = g_new0 (DetectCase, 1);
  c->expect = g_strstrip (g_strndup (spec, (gsize) (dash - spec)));
  c->why = g_strdup (dash + 4);
  c->body = g_string_new (NULL);
  c->line = number;
  return c;
}

/* Cases of one golden file, in order. */
static GPtrArray *
cases_load (const char *name)
{
  g_autofree char *dir = fixture_dir ();
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  GPtrArray *cases = g_ptr_array_new_with_free_func (detect_case_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  DetectCase *c = NULL;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "%% expect:"))
        g_ptr_array_add (cases, c = case_start (lines[i], i + 1));
      else if (c != NULL && (lines[i][0] != 0 || lines[i + 1] != NULL))
        g_string_append_printf (c->body, "%s%s", c->body->len ? "\n" : "", lines[i]);
    }
  g_assert_cmpuint (cases->len, >, 0);
  return cases;
}

static guint
hit_count (GArray *hits, const char *id)
{
  for (guint i = 0; i < hits->len; i++)
    if (g_strcmp0 (g_array_index (hits, DetectHit, i).detector->id, id) == 0)
      return g_array_index (hits, DetectHit, i).count;
  return 0;
}

/* Compares every detector's count with the expectation; returns a description of the
 * first difference, or NULL. */
static char *
case_check (const DetectCase *c, GArray *hits)
{
  gsize n;
  const DetectorInfo *all = detect_detectors (&n);
  g_auto (GStrv) items = g_strsplit (c->expect, " ", -1);
  for (gsize d = 0; d < n; d++)
    {
      guint want = 0;
      for (guint k = 0; items[k] != NULL; k++)
        {
          g_auto (GStrv) kv = g_strsplit (items[k], "=", 2);
          if (kv[1] != NULL && g_strcmp0 (kv[0], all[d].id) == 0)
            want = (guint) g_ascii_strtoull (kv[1], NULL, 10);
        }
      guint got = hit_count (hits, all[d].id);
      if (got != want)
        return g_strdup_printf ("line %u (%s): %s counted %u, expected %u", c->line, c->why,
                                all[d].id, got, want);
    }
  return NULL;
}

static void
test_golden (gconstpointer data)
{
  g_autoptr (GPtrArray) cases = cases_load (data);
  for (guint i = 0; i < cases->len; i++)
    {
      const DetectCase *c = g_ptr_array_index (cases, i);
      g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
      detect_scan (c->body->str, c->body->len, hits);
      g_autofree char *diff = case_check (c, hits);
      if (diff != NULL)
        {
          g_test_message ("%s: %s", (const char *) data, diff);
          g_test_fail ();
        }
    }
}

static const char *const golden_files[] = {
  "credit-card.txt", "iban.txt", "us-ssn.txt", "private-key.txt", "tokens.txt", "jwt.txt",
  "generic-secret.txt", "hard-negatives.txt", "vendor-tokens.txt",
  "credentials-in-text.txt", "national-ids.txt", "cloud-keys.txt",
  "domestic-cards.txt", "secret-forms.txt", "personal-data.txt",
};

/* Every detector has at least one positive golden case. */
static void
test_coverage (void)
{
  gsize n;
  const DetectorInfo *all = detect_detectors (&n);
  g_autoptr (GHashTable) covered = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize f = 0; f < G_N_ELEMENTS (golden_files); f++)
    {
      g_autoptr (GPtrArray) cases = cases_load (golden_files[f]);
      for (guint i = 0; i < cases->len; i++)
        {
          const DetectCase *c = g_ptr_array_index (cases, i);
          for (gsize d = 0; d < n; d++)
            if (strstr (c->expect, all[d].id) != NULL)
              g_hash_table_add (covered, (gpointer) all[d].id);
        }
    }
  for (gsize d = 0; d < n; d++)
    if (!g_hash_table_contains (covered, all[d].id))
      g_error ("no positive golden case for %s", all[d].id);
}

/* The ids policies name (rules/default-policy.json) exist and are unique. */
static void
test_registry (void)
{
  static const char *const ids[] = {
    "private-key", "aws-access-key", "github-token", "slack-token", "stripe-live-key",
    "google-api-key", "llm-api-key", "jwt", "generic-secret", "credit-card", "iban", "us-ssn",
    "gitlab-token", "npm-token", "pypi-token", "docker-hub-token", "sendgrid-key",
    "shopify-token", "digitalocean-token", "hashicorp-token", "databricks-token", "twilio-key",
    "mailgun-key", "atlassian-token", "datadog-key", "heroku-key", "url-credentials",
    "uk-nino", "de-tax-id", "fr-nir", "es-dni", "it-codice-fiscale", "nl-bsn", "be-national-number",
    "pl-pesel", "se-personnummer", "dk-cpr", "fi-hetu", "no-fnr", "ch-ahv", "in-aadhaar", "in-pan",
    "ca-sin", "au-tfn", "au-medicare", "br-cpf", "br-cnpj", "cn-resident-id", "jp-my-number",
    "kr-rrn", "sg-nric", "mx-curp", "us-itin", "us-aba-routing", "azure-key",
    "passport-mrz", "email-list", "phone-list", "people-list",
  };
  gsize n;
  const DetectorInfo *all = detect_detectors (&n);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (ids));
  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      const DetectorInfo *d = detect_lookup (ids[i]);
      g_assert_nonnull (d);
      g_assert_cmpstr (d->id, ==, ids[i]);
      g_assert_nonnull (d->title);
      g_assert_cmpint (d->severity, >=, DETECT_SEVERITY_LOW);
      g_assert_cmpint (d->severity, <=, DETECT_SEVERITY_HIGH);
    }
  g_assert_null (detect_lookup ("no-such-detector"));
  g_assert_null (detect_lookup (NULL));
  g_assert_true (all[0].id != NULL);
}

static GArray *
scan (const char *text, gsize len)
{
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  detect_scan (text, len, hits);
  return hits;
}

/* Values are found across NUL bytes and at the very ends of the text. */
static void
test_edges (void)
{
  static const char text[] = "\0\0password=Xk9#mQ2$vLp7\0AKIAQ3N4TV5S7W2XY6ZD";
  g_autoptr (GArray) hits = scan (text, sizeof text - 1);
  g_assert_cmpuint (hit_count (hits, "generic-secret"), ==, 1);
  g_assert_cmpuint (hit_count (hits, "aws-access-key"), ==, 1);
  g_autoptr (GArray) none = scan ("", 0);
  g_assert_cmpuint (none->len, ==, 0);
  g_autoptr (GArray) cut = scan ("AKIAQ3N4TV5S7W2XY6Z", 19);
  g_assert_cmpuint (cut->len, ==, 0);
}

/* ---- hostile inputs: correct results on a megabyte of repeated anchors ---------- */

#define HOSTILE_SIZE (1 << 20)

static char *
repeat (const char *unit, gsize *len)
{
  gsize n = strlen (unit);
  GString *s = g_string_sized_new (HOSTILE_SIZE + n);
  while (s->len < HOSTILE_SIZE)
    g_string_append_len (s, unit, (gssize) n);
  *len = s->len;
  return g_string_free (s, FALSE);
}

static char
luhn_digit (const char *partial, gsize n)
{
  guint sum = 0;
  for (gsize i = 0; i < n; i++)
    {
      guint d = (guint) (partial[n - 1 - i] - '0');
      if (i % 2 == 0)
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
  return (char) ('0' + (10 - sum % 10) % 10);
}

static void
test_hostile_no_match (void)
{
  static const char *const units[] = {
    "0", "1 ", "1-", "1.", "123.45.", "1234 ", "A", "AKIA", "AIza", "DE89 ", "DE89-", "DE", "eyJ", "eyJ-", "eyJ.",
    "eyJhbGciOiJIUzI1NiJ9.eyJ.", "-", "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----\n",
    "password=", "token: ", "=", ":", "sk-", "sk-ant-api03-", "ghp_", "github_pat_",
    "xoxb-", "xoxb-1234567890-", "hooks.slack.com/services/", "sk_live_", "secret=\"", "glpat-", "npm_",
    "pypi-AgEIcHlwaS5vcmc", "SG.", "dapi", "key-", "mailgun key-", ".atlasv1.", "ewog", "ewogICJhbGciOiAiSFMyNTYiCn0.ewo",
    "xoxe.xoxp-1-", "xapp-1-", "A3T", "DD_API_KEY=", "heroku=", "postgres://", "a://b:",
    "://", "x://u:p@", "LS0tLS1CRUdJTi", "PuTTY-User-Key-File-2:", "S1", "X123", "12.", "1-", "BSN ",
    "123456789 ", "AB 12 ", "110105199001011234",
    "ssn 12345678 ", "a=b:c=", "\n",
    /* issue 23's anchors and pairings */
    "<", "<<", "P<", "</", "</password>", "<password></password>", "@", "a@", "a@b.", "x.y@", "+", "+1", "+1 ",
    "(555) ", "555-", "555-123-", "AC", "ACabcdef", "Q~", "1Q~", "abc1Q~", "~", "sig=", "sv=2021&sig=",
    "AccountKey=", "SharedAccessKey=", "\",", "(\"password\", ", "(\"password\", \"", "var x string = ",
    "auth_token=", "twilio ", "ACCA", "AKIA", "?=", ".=", "key1=",
  };
  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    {
      gsize len;
      g_autofree char *text = repeat (units[u], &len);
      g_autoptr (GArray) hits = scan (text, len);
      if (hits->len != 0)
        g_error ("a megabyte of \"%s\" matched %s", units[u],
                 g_array_index (hits, DetectHit, 0).detector->id);
    }
}

/* Repeated values are counted once, however many there are, and a huge key body is
 * accepted without reading it all. */
static void
test_hostile_matches (void)
{
  char card[17] = "453201511283036";
  card[15] = luhn_digit (card, 15);
  card[16] = 0;
  g_autofree char *unit = g_strdup_printf ("%s ", card);
  gsize len;
  g_autofree char *cards = repeat (unit, &len);
  g_autoptr (GArray) hits = scan (cards, len);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpuint (hit_count (hits, "credit-card"), ==, 1);

  /* Pairings look a bounded distance ahead: an AWS key id before many secret-shaped
   * words, a Twilio SID before many tokens, zones and addresses back to back. */
  static const struct {
    const char *unit, *id;
    guint count;
  } pairs[] = {
    { "AKIAQ3N4TV5S7W2XY6ZD Zt6vQ1nB8rKe3pLwq8Lm2Xv9Rk4Pz7Wh7Gf2kLqW ", "aws-access-key", 1 },
    { "ACf5a55cc83cf66ba64749d0a8105e8162 9d0a8105e8162f5a55cc83cf66ba6474 ", "twilio-key", 1 },
    { "anna.berg@mail.example.com, ", "email-list", 0 },
    { "+44 20 7946 0958 ", "phone-list", 0 },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (pairs); k++)
    {
      g_autofree char *many = repeat (pairs[k].unit, &len);
      g_autoptr (GArray) found = scan (many, len);
      g_assert_cmpuint (hit_count (found, pairs[k].id), ==, pairs[k].count);
    }

  g_autofree char *body = repeat ("QUJD", &len);
  g_autofree char *key = g_strconcat ("-----BEGIN PRIVATE KEY-----\n", body, NULL);
  g_autoptr (GArray) key_hits = scan (key, strlen (key));
  g_assert_cmpuint (hit_count (key_hits, "private-key"), ==, 1);
}

/* Many distinct values: each one counts. */
static void
test_distinct_many (void)
{
  GString *s = g_string_new (NULL);
  g_autoptr (GHashTable) made = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  while (g_hash_table_size (made) < 5000)
    {
      /* Visa-range random digits. */
      char card[17] = "4532";
      for (int k = 4; k < 15; k++)
        card[k] = (char) ('0' + g_rand_int_range (rand, 0, 10));
      card[15] = luhn_digit (card, 15);
      if (g_hash_table_add (made, g_strdup (card)))
        g_string_append_printf (s, "%s\n", card);
    }
  g_autoptr (GArray) hits = scan (s->str, s->len);
  g_assert_cmpuint (hit_count (hits, "credit-card"), ==, 5000);
  g_string_free (s, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize f = 0; f < G_N_ELEMENTS (golden_files); f++)
    {
      g_autofree char *name = g_strdup_printf ("/detect/golden/%s", golden_files[f]);
      g_test_add_data_func (name, golden_files[f], test_golden);
    }
  g_test_add_func ("/detect/golden-coverage", test_coverage);
  g_test_add_func ("/detect/registry", test_registry);
  g_test_add_func ("/detect/edges", test_edges);
  g_test_add_func ("/detect/hostile/no-match", test_hostile_no_match);
  g_test_add_func ("/detect/hostile/matches", test_hostile_matches);
  g_test_add_func ("/detect/distinct-many", test_distinct_many);
  return g_test_run ();
}
