/* Exact data match: values by kind, and records found in the shapes people paste. */
#include <glib.h>
#include <string.h>

#include "engine/edm.h"
#include "engine/findings.h"
#include "engine/index.h"
#include "engine/normalize.h"
#include "engine/spans.h"
#include "scan/redact.h"
#include "pack/csv.h"
#include "pack/pack-build.h"
#include "pack/pack-file.h"
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
  for (EdmValueHash how = EDM_VALUE_HASH_BLAKE2B; how <= EDM_VALUE_HASH_SIPHASH; how += 2)
    {
      g_assert_cmpuint (edm_value_hash (how, k1, EDM_KIND_TEXT, "x", 1), !=, edm_value_hash (how, k2, EDM_KIND_TEXT, "x", 1));
      g_assert_cmpuint (edm_value_hash (how, k1, EDM_KIND_TEXT, "1", 1), !=,
                        edm_value_hash (how, k1, EDM_KIND_NUMBER, "1", 1));
    }
  /* Only the second half of a key changed: the word hashes (SipHash under the first
   * half) stay, the value hashes of format 3 change with it. */
  guint8 k3[EDM_KEY_BYTES] = { 1 };
  k3[EDM_KEY_BYTES - 1] = 9;
  g_assert_cmpuint (edm_word_hash (k1, "x", 1), ==, edm_word_hash (k3, "x", 1));
  g_assert_cmpuint (edm_value_hash (EDM_VALUE_HASH_SIPHASH, k1, EDM_KIND_TEXT, "x", 1), !=,
                    edm_value_hash (EDM_VALUE_HASH_SIPHASH, k3, EDM_KIND_TEXT, "x", 1));
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

/* The value hashes packs hold, as pack/pack-file.h and engine/edm.h define them, made
 * here from libsodium's one-shot functions: format 1 and 2's keyed BLAKE2b of the kind
 * byte and the value, format 3's SipHash of the value under a key per kind. */
static guint64
reference_value_hash (EdmValueHash how, const guint8 key[EDM_KEY_BYTES], EdmKind kind, const char *value)
{
  guint8 out[8];
  g_autoptr (GByteArray) message = g_byte_array_new ();
  guint8 kind_byte = (guint8) kind;
  if (how == EDM_VALUE_HASH_BLAKE2B)
    {
      g_byte_array_append (message, &kind_byte, 1);
      g_byte_array_append (message, (const guint8 *) value, (guint) strlen (value));
      crypto_generichash (out, sizeof out, message->data, message->len, key, EDM_KEY_BYTES);
    }
  else
    {
      guint8 kind_key[crypto_shorthash_KEYBYTES];
      g_byte_array_append (message, (const guint8 *) "weir edm value key", 18);
      g_byte_array_append (message, &kind_byte, 1);
      crypto_generichash (kind_key, sizeof kind_key, message->data, message->len, key, EDM_KEY_BYTES);
      crypto_shorthash (out, (const guint8 *) value, strlen (value), kind_key);
    }
  guint64 h;
  memcpy (&h, out, 8);
  return GUINT64_FROM_LE (h);
}

/* The hasher made once per key gives the hashes packs hold, in both definitions, and
 * the two definitions differ. */
static void
test_value_hasher (void)
{
  guint8 key[EDM_KEY_BYTES];
  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i * 7 + 1);
  static const char *const values[] = { "", "a", "ada lovelace", "442079460018", "grace@navy.example" };
  for (EdmValueHash how = EDM_VALUE_HASH_BLAKE2B; how <= EDM_VALUE_HASH_SIPHASH; how += 2)
    {
      EdmValueHasher hasher;
      edm_value_hasher_init (&hasher, how, key);
      for (guint i = 0; i < G_N_ELEMENTS (values); i++)
        for (EdmKind kind = EDM_KIND_TEXT; kind <= EDM_KIND_NAME; kind++)
          {
            guint64 want = reference_value_hash (how, key, kind, values[i]);
            g_assert_cmphex (edm_value_hasher_hash (&hasher, kind, values[i], strlen (values[i])), ==, want);
            g_assert_cmphex (edm_value_hash (how, key, kind, values[i], strlen (values[i])), ==, want);
          }
    }
  g_assert_cmphex (reference_value_hash (EDM_VALUE_HASH_BLAKE2B, key, EDM_KIND_EMAIL, "grace@navy.example"), !=,
                   reference_value_hash (EDM_VALUE_HASH_SIPHASH, key, EDM_KIND_EMAIL, "grace@navy.example"));
}

/* A table built in each format is found in the same content, and only there: what the
 * matcher hashes follows the table's format. */
static void
test_formats_match (void)
{
  for (guint format = PACK_FORMAT_OLDEST; format <= PACK_FORMAT; format++)
    {
      g_autoptr (PackBuilder) b = pack_builder_new ("hr", "restricted");
      g_assert_true (pack_builder_set_format (b, format));
      g_autoptr (GError) error = NULL;
      g_assert_true (pack_builder_set_edm (b, "customers", csv, strlen (csv), "Email!,Full Name:name,Phone:number",
                                           &error));
      g_assert_no_error (error);
      IndexPack *pack = pack_builder_finish (g_steal_pointer (&b), NULL);
      g_assert_cmpuint (pack_file_format (pack), ==, format);
      g_assert_cmpint (pack->edm->value_hash, ==, format < 3 ? EDM_VALUE_HASH_BLAKE2B : EDM_VALUE_HASH_SIPHASH);
      g_autoptr (EngineIndex) index = engine_index_new ();
      engine_index_add_pack (index, pack);
      g_autoptr (GPtrArray) findings = findings_new ();
      const Finding *f = match (index, "Please call Ada Lovelace on +44 20 7946 0018.", findings);
      g_assert_nonnull (f);
      g_assert_cmpuint (f->count, ==, 1);
      g_assert_nonnull (match (index, "write to grace@navy.example", findings));
      g_assert_null (match (index, "Ada Lovelace wrote the first program; Grace Hopper a compiler.", findings));
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

/* ---- the build against a plain reference ----
 * What the build did before it read tables in batches on every core, normalised
 * without allocations and sorted by radix, written the simple way: a table built by
 * the builder must hold exactly what this gives. */

static void
ref_collect (const char *word, gsize len, gsize start, gsize end, gpointer data)
{
  g_ptr_array_add (data, g_strndup (word, len));
}

static int
ref_compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
ref_normalize (EdmKind kind, const char *value, gsize len, GString *out)
{
  g_string_truncate (out, 0);
  if (kind == EDM_KIND_NUMBER)
    {
      for (gsize i = 0; i < len; i++)
        if (g_ascii_isdigit (value[i]))
          g_string_append_c (out, value[i]);
      return out->len >= EDM_NUMBER_MIN_DIGITS;
    }
  if (kind == EDM_KIND_EMAIL)
    {
      g_autofree char *copy = g_strstrip (g_strndup (value, len));
      g_autofree char *lower = g_ascii_strdown (copy, -1);
      const char *at = strchr (lower, '@');
      if (at == NULL || at == lower || at[1] == '\0' || strlen (lower) > 254)
        return FALSE;
      g_string_assign (out, lower);
      return TRUE;
    }
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  normalize_foreach_word (value, len, ref_collect, words);
  if (words->len == 0 || words->len > EDM_MAX_WORDS)
    return FALSE;
  if (kind == EDM_KIND_NAME)
    g_ptr_array_sort (words, ref_compare_strings);
  for (guint i = 0; i < words->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, words->pdata[i]);
    }
  return TRUE;
}

/* A random cell: words of ASCII and not, digits, blanks, punctuation, an "@" now and
 * then, sometimes a NUL byte or too many words. */
static char *
random_cell (GRand *rng, gsize *len)
{
  static const char *const pieces[] = {
    "Ada", "lovelace", "GRACE", "hopper", "Zoë", "ÉCOLE", "東京都", "ǅemal", "ﬁle", "x",
    "555", "0101", "+44", "(20)", "-", ".", ",", "'", "@", "@example.org", "ada@Example.ORG",
    " ", "  ", "\t", "_", "é", "a", "b", "ab", "aa",
  };
  GString *cell = g_string_new (NULL);
  guint n = g_rand_int_range (rng, 0, 10);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0 && g_rand_boolean (rng))
        g_string_append_c (cell, ' ');
      g_string_append (cell, pieces[g_rand_int_range (rng, 0, G_N_ELEMENTS (pieces))]);
    }
  if (g_rand_int_range (rng, 0, 40) == 0)
    g_string_insert_c (cell, g_rand_int_range (rng, 0, (gint32) cell->len + 1), '\0');
  *len = cell->len;
  return g_string_free (cell, FALSE);
}

static void
test_normalize_agrees (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (28);
  g_autoptr (GString) got = g_string_new ("left over");
  g_autoptr (GString) want = g_string_new (NULL);
  for (guint i = 0; i < 20000; i++)
    {
      gsize len;
      g_autofree char *cell = random_cell (rng, &len);
      for (EdmKind kind = EDM_KIND_TEXT; kind <= EDM_KIND_NAME; kind++)
        {
          gboolean ok = edm_value_normalize (kind, cell, len, got);
          g_assert_cmpint (ok, ==, ref_normalize (kind, cell, len, want));
          if (ok)
            g_assert_cmpstr (got->str, ==, want->str);
        }
    }
}

/* A field as CSV: quoted at random (always when it must be), quotes doubled. */
static void
append_field (GString *out, const char *field, GRand *rng)
{
  if (strpbrk (field, ",\"\r\n") == NULL && g_rand_int_range (rng, 0, 4) != 0)
    {
      g_string_append (out, field);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = field; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static int
ref_compare_entries (gconstpointer a, gconstpointer b)
{
  const EdmEntry *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  if (x->record != y->record)
    return x->record < y->record ? -1 : 1;
  return (int) x->column - (int) y->column;
}

static int
ref_compare_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return (x > y) - (x < y);
}

/* 40 000 records (several batches of rows, hashed on every core): every value, word,
 * digit count and common value as the simple single-threaded build has them. */
static void
test_table_agrees (void)
{
  enum { ROWS = 40000 };
  static const EdmKind kinds[] = { EDM_KIND_EMAIL, EDM_KIND_NAME, EDM_KIND_NUMBER, EDM_KIND_TEXT };
  static const char *const cities[] = { "London", "Paris", "Zürich", "New York", "東京" };
  g_autoptr (GRand) rng = g_rand_new_with_seed (2828);
  g_autoptr (GString) text = g_string_new ("email,name,phone,city,note\n");
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);  /* ROWS x 4 */
  for (guint r = 0; r < ROWS; r++)
    {
      gsize len;
      g_autofree char *noise = random_cell (rng, &len);
      char *row[4] = {
        g_strdup_printf (" Person.%u@Example.org ", r % 1000 == 7 ? 7 : r),
        r % 50 == 0 ? g_strdup ("") : g_strdup_printf ("Name%u %s", r / 3, cities[r % 5]),
        g_strdup_printf ("+44 (20) %04u-%04u", r / 10000, r % 10000),
        g_strdup (cities[g_rand_int_range (rng, 0, G_N_ELEMENTS (cities))]),
      };
      if (r % 97 == 0)
        g_free (row[3]), row[3] = g_strdelimit (g_strndup (noise, strlen (noise)), ",\"\r\n", ' ');
      for (guint c = 0; c < 4; c++)
        {
          if (c > 0)
            g_string_append_c (text, ',');
          append_field (text, row[c], rng);
          g_ptr_array_add (cells, row[c]);
        }
      g_string_append (text, r % 3 == 0 ? ",x\r\n" : r % 7 == 0 ? "\n\n" : ",\n");
    }
  g_autoptr (PackBuilder) b = pack_builder_new ("hr", "restricted");
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_builder_set_edm (b, "people", text->str, text->len, "email!,name:name,phone:number,city:text",
                                       &error));
  g_assert_no_error (error);
  PackStats stats;
  g_autoptr (IndexPack) pack = pack_builder_finish (g_steal_pointer (&b), &stats);
  const EdmTable *t = pack->edm;
  g_assert_cmpuint (t->n_records, ==, ROWS);

  g_autoptr (GArray) want = g_array_new (FALSE, FALSE, sizeof (EdmEntry));
  g_autoptr (GArray) words = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GString) norm = g_string_new (NULL);
  guint64 digits = 0;
  for (guint r = 0; r < ROWS; r++)
    for (guint c = 0; c < 4; c++)
      {
        const char *v = cells->pdata[r * 4 + c];
        if (!ref_normalize (kinds[c], v, strlen (v), norm))
          continue;
        if (kinds[c] == EDM_KIND_NAME || kinds[c] == EDM_KIND_TEXT)
          {
            g_auto (GStrv) parts = g_strsplit (norm->str, " ", -1);
            for (guint i = 0; parts[i] != NULL; i++)
              if (parts[i][0] != '\0')
                {
                  guint64 h = edm_word_hash (t->key, parts[i], strlen (parts[i]));
                  g_array_append_val (words, h);
                }
          }
        if (kinds[c] == EDM_KIND_NUMBER)
          digits |= edm_digits_bit (norm->len);
        EdmEntry e = { edm_value_hash (t->value_hash, t->key, kinds[c], norm->str, norm->len), r, (guint16) c, 0 };
        g_array_append_val (want, e);
      }
  g_array_sort (want, ref_compare_entries);
  /* values of more than EDM_COMMON_RECORDS records dropped, and repeats */
  EdmEntry *e = (EdmEntry *) want->data;
  gsize kept = 0, common = 0;
  for (gsize i = 0; i < want->len;)
    {
      gsize j = i;
      guint records = 0;
      for (; j < want->len && e[j].hash == e[i].hash; j++)
        records += j == i || e[j].record != e[j - 1].record;
      if (records > EDM_COMMON_RECORDS)
        common++;
      else
        for (gsize k = i; k < j; k++)
          if (k == i || e[k].record != e[k - 1].record || e[k].column != e[k - 1].column)
            e[kept++] = e[k];
      i = j;
    }
  g_assert_cmpuint (common, >, 0);  /* the cities, and person 7's e-mail */
  g_assert_cmpuint (stats.common, ==, common);
  g_assert_cmpuint (t->n_entries, ==, kept);
  for (gsize i = 0; i < kept; i++)
    {
      g_assert_cmphex (t->entries[i].hash, ==, e[i].hash);
      g_assert_cmpuint (t->entries[i].record, ==, e[i].record);
      g_assert_cmpuint (t->entries[i].column, ==, e[i].column);
    }
  g_array_sort (words, ref_compare_u64);
  guint64 *w = (guint64 *) words->data;
  gsize n = 0;
  for (gsize i = 0; i < words->len; i++)
    if (n == 0 || w[n - 1] != w[i])
      w[n++] = w[i];
  g_assert_cmpuint (t->n_words, ==, n);
  g_assert_cmpmem (t->words, n * sizeof (guint64), w, n * sizeof (guint64));
  g_assert_cmphex (t->number_digits, ==, digits);
}

/* A field of 64 KiB is read whole, plain or quoted; one byte more is refused, naming
 * its line (the plain run is taken in one piece, the limit still to the byte). */
static void
test_csv_field_limit (void)
{
  for (guint quoted = 0; quoted < 2; quoted++)
    for (gsize extra = 0; extra < 2; extra++)
      {
        g_autoptr (GString) text = g_string_new ("a,b\n\n\"x\ny\",");
        if (quoted)
          g_string_append_c (text, '"');
        for (gsize i = 0; i < CSV_MAX_FIELD_BYTES + extra; i++)
          g_string_append_c (text, (char) ('a' + i % 26));
        g_string_append (text, quoted ? "\",z\nlast,row\n" : ",z\nlast,row\n");
        CsvReader reader;
        csv_reader_init (&reader, text->str, text->len);
        g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
        g_autoptr (GError) error = NULL;
        g_assert_true (csv_read_row (&reader, cells, &error));
        gboolean ok = csv_read_row (&reader, cells, &error);
        if (extra)
          {
            g_assert_false (ok);
            g_assert_error (error, WEIR_ERROR, WEIR_ERROR_PACK);
            g_assert_cmpstr (error->message, ==, "CSV line 4: a field is over 64 KiB");
            continue;
          }
        g_assert_no_error (error);
        g_assert_true (ok);
        g_assert_cmpuint (cells->len, ==, 3);
        g_assert_cmpstr (cells->pdata[0], ==, "x\ny");
        g_assert_cmpuint (strlen (cells->pdata[1]), ==, CSV_MAX_FIELD_BYTES);
        g_assert_cmpstr (cells->pdata[2], ==, "z");
        g_assert_true (csv_read_row (&reader, cells, &error));
        g_assert_cmpstr (cells->pdata[1], ==, "row");
        g_assert_false (csv_read_row (&reader, cells, &error));
        g_assert_no_error (error);
      }
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
  g_test_add_func ("/edm/formats-match", test_formats_match);
  g_test_add_func ("/edm/bad-specs", test_bad_specs);
  g_test_add_func ("/edm/normalize-agrees", test_normalize_agrees);
  g_test_add_func ("/edm/table-agrees", test_table_agrees);
  g_test_add_func ("/edm/csv-field-limit", test_csv_field_limit);
  return g_test_run ();
}
