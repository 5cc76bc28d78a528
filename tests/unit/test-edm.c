/* Exact data match: values by kind, and records found in the shapes people paste. */
#include <glib.h>
#include <string.h>

#include "engine/edm.h"
#include "engine/findings.h"
#include "engine/index.h"
#include "engine/spans.h"
#include "scan/redact.h"
#include "pack/pack-build.h"
#include "weir-error.h"

static const char csv[] =
  "id,Email,Full Name,Phone,City,Account\r\n"
  "1,ada.lovelace@example.org,Ada Lovelace,+44 20 7946 0018,London,GB29NWBK60161331926819\r\n"
  "2,alan.turing@example.org,\"Turing, Alan\",020 7946 0999,London,GB82WEST12345698765432\r\n"
  "3,grace@navy.example,Grace Hopper,(555) 010-4477,London,US1\r\n"
  "4,edsger@example.nl,Edsger Dijkstra,+31 20 555 0101,London,NL2\r\n"
  "5,barbara@example.com,Barbara Liskov,617-555-0143,London,US3\r\n"
  "6,donald@example.com,Donald Knuth,650-555-0178,London,US4\r\n"
  "7,\"margaret@example.com\",Margaret Hamilton,617-555-0190,Boston,US5\r\n";

static EngineIndex *
make_index (const char *spec, PackStats *stats)
{
  g_autoptr (PackBuilder) b = pack_builder_new ("hr", "restricted");
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_builder_set_edm (b, "customers", csv, strlen (csv), spec, &error));
  g_assert_no_error (error);
  EngineIndex *index = engine_index_new ();
  engine_index_add_pack (index, pack_builder_finish (g_steal_pointer (&b), stats));
  return index;
}

static const Finding *
match (EngineIndex *index, const char *text, GPtrArray *findings)
{
  g_ptr_array_set_size (findings, 0);
  engine_index_match (index, text, strlen (text), findings);
  for (guint i = 0; i < findings->len; i++)
    if (((Finding *) findings->pdata[i])->kind == FINDING_EDM)
      return findings->pdata[i];
  return NULL;
}

static void
check_norm (EdmKind kind, const char *in, const char *expected)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean ok = edm_value_normalize (kind, in, strlen (in), out);
  if (expected == NULL)
    g_assert_false (ok);
  else
    {
      g_assert_true (ok);
      g_assert_cmpstr (out->str, ==, expected);
    }
}

static void
test_normalize_values (void)
{
  check_norm (EDM_KIND_EMAIL, "  Ada.Lovelace@Example.ORG ", "ada.lovelace@example.org");
  check_norm (EDM_KIND_EMAIL, "no at sign", NULL);
  check_norm (EDM_KIND_NUMBER, "+44 (20) 7946-0018", "442079460018");
  check_norm (EDM_KIND_NUMBER, "n/a", NULL);
  check_norm (EDM_KIND_NUMBER, "No. 42", NULL);  /* under EDM_NUMBER_MIN_DIGITS */
  check_norm (EDM_KIND_NUMBER, "No. 421", "421");
  check_norm (EDM_KIND_NAME, "Turing, Alan", "alan turing");
  check_norm (EDM_KIND_NAME, "  ALAN   turing ", "alan turing");
  check_norm (EDM_KIND_TEXT, "Flat 3, 12 High St.", "flat 3 12 high st");
  check_norm (EDM_KIND_TEXT, "", NULL);
  guint8 k1[EDM_KEY_BYTES] = { 1 }, k2[EDM_KEY_BYTES] = { 2 };
  g_assert_cmpuint (edm_value_hash (k1, EDM_KIND_TEXT, "x", 1), !=, edm_value_hash (k2, EDM_KIND_TEXT, "x", 1));
  g_assert_cmpuint (edm_value_hash (k1, EDM_KIND_TEXT, "1", 1), !=, edm_value_hash (k1, EDM_KIND_NUMBER, "1", 1));
}

static void
test_shapes_match (void)
{
  PackStats stats;
  g_autoptr (EngineIndex) index = make_index ("Email!,Full Name,Phone,City", &stats);
  g_assert_cmpuint (stats.records, ==, 7);
  g_assert_cmpuint (stats.common, ==, 1);  /* London: six records */
  g_autoptr (GPtrArray) findings = findings_new ();
  static const char *const shapes[] = {
    /* CSV rows as exported */
    "2,alan.turing@example.org,\"Turing, Alan\",020 7946 0999,London\n"
    "3,grace@navy.example,Grace Hopper,(555) 010-4477,London\n",
    /* reordered columns, other separators */
    "Alan Turing;02079460999\nGrace Hopper;555-010-4477\n",
    /* JSON */
    "[{\"phone\": \"020 7946 0999\", \"name\": \"Alan Turing\"},"
    " {\"name\": \"Grace Hopper\", \"phone\": \"(555) 010 4477\"}]",
    /* prose */
    "Can you call Alan Turing back on 020 7946 0999? Grace Hopper also rang from (555) 010-4477.",
    /* upper-cased */
    "ALAN TURING, 020 7946 0999\nGRACE HOPPER, (555) 010-4477",
  };
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const Finding *f = match (index, shapes[i], findings);
      g_assert_nonnull (f);
      g_assert_cmpuint (f->count, ==, 2);
      g_assert_cmpstr (f->name, ==, "customers");
      g_assert_cmpstr (f->label, ==, "restricted");
      g_assert_true (strstr (f->detail, "Full Name") && strstr (f->detail, "Phone"));
      /* Reasons name columns, never values. */
      g_assert_null (strstr (f->detail, "Turing"));
    }
}

/* A number column whose values are too short to identify anyone: those values are
 * dropped, and two-digit numbers in content are never candidates. */
static void
test_short_numbers (void)
{
  static const char rooms[] = "name,room\nAda Lovelace,7\nAlan Turing,12\nGrace Hopper,305\n";
  g_autoptr (PackBuilder) b = pack_builder_new ("hr", "restricted");
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_builder_set_edm (b, "rooms", rooms, strlen (rooms), "name,room:number", &error));
  g_assert_no_error (error);
  PackStats stats;
  g_autoptr (EngineIndex) index = engine_index_new ();
  engine_index_add_pack (index, pack_builder_finish (g_steal_pointer (&b), &stats));
  g_autoptr (GPtrArray) findings = findings_new ();
  g_assert_null (match (index, "Alan Turing, room 12", findings));
  g_assert_null (match (index, "Ada Lovelace, room 7", findings));
  const Finding *f = match (index, "Grace Hopper, room 305", findings);
  g_assert_nonnull (f);
  g_assert_cmpuint (f->count, ==, 1);
}

/* Number runs are looked up only at the digit counts the table's numbers have; the
 * matches stay the same. */
static void
test_number_digits (void)
{
  PackStats stats;
  g_autoptr (EngineIndex) index = make_index ("Full Name,Phone:number", &stats);
  g_autoptr (GPtrArray) findings = findings_new ();
  /* Phones of the table: 12, 11, 10, 11, 10, 10 and 10 digits. */
  const Finding *f = match (index, "Edsger Dijkstra +31 20 555 0101; Grace Hopper (555) 010-4477", findings);
  g_assert_nonnull (f);
  g_assert_cmpuint (f->count, ==, 2);
  const IndexPack *pack = engine_index_find_pack (index, "hr");
  g_assert_nonnull (pack);
  guint64 want = (G_GUINT64_CONSTANT (1) << 10) | (G_GUINT64_CONSTANT (1) << 11) | (G_GUINT64_CONSTANT (1) << 12);
  g_assert_cmphex (pack->edm->number_digits, ==, want);
}

static void
test_unique_alone (void)
{
  g_autoptr (EngineIndex) index = make_index ("Email!,Full Name,Phone,City", NULL);
  g_autoptr (GPtrArray) findings = findings_new ();
  const Finding *f = match (index, "write to ADA.LOVELACE@example.org today", findings);
  g_assert_nonnull (f);
  g_assert_cmpuint (f->count, ==, 1);
  g_assert_cmpstr (f->detail, ==, "Email");
}

static void
test_not_in_table (void)
{
  g_autoptr (EngineIndex) index = make_index ("Email!,Full Name,Phone,City", NULL);
  g_autoptr (GPtrArray) findings = findings_new ();
  static const char *const negatives[] = {
    "9,john.doe@example.org,John Doe,020 7946 0000,London\n",
    "John Doe;02079460000\nJane Roe;555-010-9999\n",
    "{\"name\": \"John Doe\", \"phone\": \"020 7946 0000\"}",
    "Please call John Doe on 020 7946 0000.",
    /* single fields of real records, and common values */
    "Alan Turing",
    "020 7946 0999",
    "London London London",
    "Grace Hopper lives in London",
    /* two fields of two different records */
    "Alan Turing, (555) 010-4477",
  };
  for (guint i = 0; i < G_N_ELEMENTS (negatives); i++)
    g_assert_null (match (index, negatives[i], findings));
}

static void
test_far_apart (void)
{
  g_autoptr (EngineIndex) index = make_index ("Full Name,Phone", NULL);
  g_autoptr (GPtrArray) findings = findings_new ();
  g_autofree char *filler = g_strnfill (EDM_NEAR_BYTES + 10, ' ');
  g_autofree char *far = g_strdup_printf ("Alan Turing%s020 7946 0999", filler);
  g_assert_null (match (index, far, findings));
  g_assert_nonnull (match (index, "Alan Turing 020 7946 0999", findings));
}

/* The hasher made once per key gives what keyed BLAKE2b of the kind byte and the value
 * gives (the hashes packs hold). */
static void
test_value_hasher (void)
{
  guint8 key[EDM_KEY_BYTES];
  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i * 7 + 1);
  EdmValueHasher hasher;
  edm_value_hasher_init (&hasher, key);
  static const char *const values[] = { "", "a", "ada lovelace", "442079460018", "grace@navy.example" };
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    for (EdmKind kind = EDM_KIND_TEXT; kind <= EDM_KIND_NAME; kind++)
      {
        g_autoptr (GByteArray) message = g_byte_array_new ();
        guint8 kind_byte = (guint8) kind, out[8];
        g_byte_array_append (message, &kind_byte, 1);
        g_byte_array_append (message, (const guint8 *) values[i], (guint) strlen (values[i]));
        crypto_generichash (out, sizeof out, message->data, message->len, key, sizeof key);
        guint64 want;
        memcpy (&want, out, 8);
        want = GUINT64_FROM_LE (want);
        g_assert_cmphex (edm_value_hasher_hash (&hasher, kind, values[i], strlen (values[i])), ==, want);
        g_assert_cmphex (edm_value_hash (key, kind, values[i], strlen (values[i])), ==, want);
      }
}

/* What a table remembers of earlier scans (which words it holds) never changes an
 * answer: one index scanning random mixes of table values and other words in turn
 * gives, for every text, what an index that never scanned before gives. The words
 * repeat across texts, so later texts are answered from what earlier ones left. */
static void
test_word_cache_agrees (void)
{
  static const char *const pieces[] = {
    "Ada", "Lovelace", "Alan", "Turing", "Grace", "Hopper", "Barbara", "Liskov", "London",
    "Boston", "ada.lovelace@example.org", "+44 20 7946 0018", "020 7946 0999", "617-555-0143",
    "John", "Doe", "the", "of", "Turing,", "\n", ";", " ", "lovelace", "HOPPER",
  };
  g_autoptr (EngineIndex) warm = make_index ("Email!,Full Name,Phone,City", NULL);
  g_autoptr (GPtrArray) findings = findings_new ();
  GRand *rand = g_rand_new_with_seed (2828);
  for (guint round = 0; round < 300; round++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 1, 24);
      for (guint i = 0; i < n; i++)
        {
          g_string_append (text, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
          g_string_append_c (text, ' ');
        }
      const Finding *got = match (warm, text->str, findings);
      g_autofree char *got_detail = got != NULL ? g_strdup_printf ("%u %s", got->count, got->detail) : NULL;
      g_autoptr (EngineIndex) cold = make_index ("Email!,Full Name,Phone,City", NULL);
      g_autoptr (GPtrArray) cold_findings = findings_new ();
      const Finding *want = match (cold, text->str, cold_findings);
      g_autofree char *want_detail = want != NULL ? g_strdup_printf ("%u %s", want->count, want->detail) : NULL;
      g_assert_cmpstr (got_detail, ==, want_detail);
    }
  g_rand_free (rand);
}

/* Issue 24: the values of matched records are where their spans say, and masking them
 * leaves no record to find; a value of an unmatched record stays. */
static void
test_spans (void)
{
  PackStats stats;
  g_autoptr (EngineIndex) index = make_index ("Email!,Full Name,Phone,City", &stats);
  const char *text = "Call Alan Turing on 020 7946 0999, or mail grace@navy.example. Barbara Liskov too.";
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (EngineSpan));
  engine_spans (index, text, strlen (text), spans);
  g_autoptr (GString) found = g_string_new (NULL);
  for (guint i = 0; i < spans->len; i++)
    {
      const EngineSpan *s = &g_array_index (spans, EngineSpan, i);
      /* The e-mail address is also a pattern (e-mail lists): the spans merge, and the
       * one that sorts first names them. */
      if (s->kind == FINDING_EDM)
        g_assert_cmpstr (s->name, ==, "customers");
      g_string_append_printf (found, "[%.*s]", (int) (s->end - s->start), text + s->start);
    }
  /* Turing by name and phone, Hopper by the unique e-mail; Liskov's name alone is no record. */
  g_assert_cmpstr (found->str, ==, "[Alan Turing][020 7946 0999][grace@navy.example]");
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = text };
  g_autoptr (Redaction) r = redaction_new (&request, index);
  g_auto (GStrv) placeholders = redaction_default_placeholders (r);
  g_autofree char *masked = redaction_mask (text, strlen (text), r->text, (const char *const *) placeholders, FALSE);
  g_assert_true (g_str_has_prefix (masked, "Call [customers record removed] on [customers record removed], or mail ["));
  g_assert_true (g_str_has_suffix (masked, " removed]. Barbara Liskov too."));
  g_assert_null (strstr (masked, "navy"));
  g_autoptr (GPtrArray) findings = findings_new ();
  g_assert_null (match (index, masked, findings));
}

static void
test_bad_specs (void)
{
  static const char *const specs[] = { "Nope", "Email:colour", "Email,Email", "", " , " };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr (PackBuilder) b = pack_builder_new ("hr", "restricted");
      g_autoptr (GError) error = NULL;
      g_assert_false (pack_builder_set_edm (b, "t", csv, strlen (csv), specs[i], &error));
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_PACK);
    }
  g_autoptr (PackBuilder) b = pack_builder_new ("hr", "restricted");
  g_autoptr (GError) error = NULL;
  g_assert_false (pack_builder_set_edm (b, "t", "a,b\n\"open", 10, "a", &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_PACK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/edm/normalize-values", test_normalize_values);
  g_test_add_func ("/edm/shapes-match", test_shapes_match);
  g_test_add_func ("/edm/unique-alone", test_unique_alone);
  g_test_add_func ("/edm/short-numbers", test_short_numbers);
  g_test_add_func ("/edm/number-digits", test_number_digits);
  g_test_add_func ("/edm/not-in-table", test_not_in_table);
  g_test_add_func ("/edm/far-apart", test_far_apart);
  g_test_add_func ("/edm/spans", test_spans);
  g_test_add_func ("/edm/word-cache-agrees", test_word_cache_agrees);
  g_test_add_func ("/edm/value-hasher", test_value_hasher);
  g_test_add_func ("/edm/bad-specs", test_bad_specs);
  return g_test_run ();
}
