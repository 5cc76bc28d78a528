/* Packs: the signed format, import into a real store, and every way a pack can be bad. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/findings.h"
#include "pack/pack-build.h"
#include "pack/pack.h"
#include "store/store-packs.h"
#include "weir-error.h"

static const char secret_text[] =
  "The quarterly board minutes record that the merger with Example Corporation will close "
  "in March, that the price per share was agreed at forty one dollars, and that nobody may "
  "tell the press or any customer before the public announcement on the first of the month.";
static const char other_text[] =
  "Minutes of the garden club: the roses along the north wall need pruning before winter, "
  "the compost heap must be turned every second week and the new shed arrives on Friday.";
static const char csv[] = "email,name,phone\nada@example.org,Ada Lovelace,+44 20 7946 0018\n";

typedef struct {
  char *dir;        /* the config root and the store's folder */
  Store *store;
  SignPublicKey pk_a, pk_b;
  SignSecretKey *sk_a, *sk_b;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_assert_true (sign_init (NULL));
  f->dir = g_dir_make_tmp ("weir-pack-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (f->dir, "weir.db", NULL);
  g_autoptr (GError) error = NULL;
  f->store = store_open (db, &error);
  g_assert_no_error (error);
  f->sk_a = sign_secret_key_generate (&f->pk_a);
  f->sk_b = sign_secret_key_generate (&f->pk_b);
  g_autofree char *pub = g_build_filename (f->dir, "a.pub", NULL);
  g_assert_true (sign_public_key_save (&f->pk_a, pub, NULL));
  SignPublicKey added;
  g_assert_true (pack_trust_add (f->dir, pub, &added, &error));
  g_assert_no_error (error);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  store_close (f->store);
  sign_secret_key_free (f->sk_a);
  sign_secret_key_free (f->sk_b);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
}

static GBytes *
make_pack (const char *name, gint64 version, const char *text, const SignSecretKey *sk)
{
  g_autoptr (PackBuilder) b = pack_builder_new (name, "restricted");
  pack_builder_add_document (b, "minutes.md", text, strlen (text));
  g_assert_true (pack_builder_set_edm (b, "people", csv, strlen (csv), "email!,name,phone", NULL));
  PackStats stats;
  g_autoptr (IndexPack) pack = pack_builder_finish (g_steal_pointer (&b), &stats);
  PackMeta meta = { .name = (char *) name, .label = (char *) "restricted", .version = version,
                    .created = 1800000000, .documents = stats.documents,
                    .fingerprints = stats.fingerprints, .records = stats.records };
  return pack_file_write (&meta, pack, sk);
}

/* Which document of the store's packs text matches, or NULL. */
static char *
active_match (Fixture *f, const char *text)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, problems);
  g_autoptr (GPtrArray) findings = findings_new ();
  engine_index_match (index, text, strlen (text), findings);
  for (guint i = 0; i < findings->len; i++)
    if (((Finding *) findings->pdata[i])->kind == FINDING_DOCUMENT)
      return g_strdup (((Finding *) findings->pdata[i])->name);
  return NULL;
}

/* A pack of secret_text under the document name doc, opened with the fixture's keys. */
static IndexPack *
open_named (Fixture *f, const char *doc, GError **error)
{
  g_autoptr (PackBuilder) b = pack_builder_new ("names", "restricted");
  pack_builder_add_document (b, doc, secret_text, strlen (secret_text));
  PackStats stats;
  g_autoptr (IndexPack) built = pack_builder_finish (g_steal_pointer (&b), &stats);
  PackMeta meta = { .name = (char *) "names", .label = (char *) "restricted", .version = 1,
                    .created = 1800000000, .documents = stats.documents, .fingerprints = stats.fingerprints };
  g_autoptr (GBytes) bytes = pack_file_write (&meta, built, f->sk_a);
  g_autoptr (GArray) keys = pack_trusted_keys (f->dir, NULL);
  g_auto (PackMeta) opened = { 0 };
  return pack_file_open (bytes, keys, &opened, error);
}

/* Document names reach dialogs and terminals: printable UTF-8 in any script comes back
 * byte for byte; a control character (C0, DEL, C1) or a byte that is not UTF-8 refuses
 * the pack. */
static void
test_document_names (Fixture *f, gconstpointer data)
{
  const char *good[] = { "minutes.md", "Résumé – 2026 (final).md", "отчёт/договор.txt", "報告書.pdf", "a" };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IndexPack) pack = open_named (f, good[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (pack->documents->len, ==, 1);
      g_assert_cmpstr (pack->documents->pdata[0], ==, good[i]);
    }
  const char *bad[] = { "tab\there.md", "bell\a.md", "del\x7f.md", "nel\xc2\x85.md", "not utf-8 \xff.md",
                        "cut \xc3", "\x1b[31mred.md" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IndexPack) pack = open_named (f, bad[i], &error);
      g_assert_null (pack);
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_PACK);
      g_assert_nonnull (strstr (error->message, "document names"));
    }
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_pack ("board", 3, secret_text, f->sk_a);
  g_autoptr (GArray) keys = pack_trusted_keys (f->dir, NULL);
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (IndexPack) pack = pack_file_open (bytes, keys, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (meta.name, ==, "board");
  g_assert_cmpstr (meta.label, ==, "restricted");
  g_assert_cmpint (meta.version, ==, 3);
  g_assert_cmpint (meta.created, ==, 1800000000);
  g_assert_cmpmem (meta.key_id, 8, f->pk_a.id, 8);
  g_assert_cmpuint (pack->documents->len, ==, 1);
  g_assert_cmpuint (pack->n_entries, >, 0);
  g_assert_nonnull (pack->edm);
  g_assert_cmpuint (pack->edm->n_columns, ==, 3);
  g_assert_true (pack->edm->columns[0].unique);
  /* The phone column's digit count travels in the metadata ("+44 20 7946 0018": 12). */
  g_assert_cmphex (meta.edm_number_digits, ==, G_GUINT64_CONSTANT (1) << 12);
  g_assert_cmphex (pack->edm->number_digits, ==, G_GUINT64_CONSTANT (1) << 12);
  /* No text and no value in the file. */
  gsize len;
  const char *raw = g_bytes_get_data (bytes, &len);
  g_assert_null (g_strstr_len (raw, len, "merger"));
  g_assert_null (g_strstr_len (raw, len, "Lovelace"));
  g_assert_null (g_strstr_len (raw, len, "ada@"));
}

static void
test_import_and_versions (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) v3 = make_pack ("board", 3, secret_text, f->sk_a);
  g_autoptr (GBytes) v4 = make_pack ("board", 4, other_text, f->sk_a);
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_import (f->store, f->dir, v3, &meta, &error));
  g_autofree char *m1 = active_match (f, secret_text);
  g_assert_cmpstr (m1, ==, "minutes.md");
  /* The same version again, then an older one: refused. */
  g_assert_false (pack_import (f->store, f->dir, v3, &meta, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED);
  g_clear_error (&error);
  g_assert_true (pack_import (f->store, f->dir, v4, &meta, &error));
  g_autofree char *m2 = active_match (f, other_text);
  g_autofree char *m3 = active_match (f, secret_text);
  g_assert_cmpstr (m2, ==, "minutes.md");
  g_assert_null (m3);
  g_assert_false (pack_import (f->store, f->dir, v3, &meta, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED);
  gint64 version;
  g_assert_true (store_pack_version (f->store, "board", &version, NULL));
  g_assert_cmpint (version, ==, 4);
}

/* Each bad pack is refused, and the active pack (v3) still matches. */
static void
check_refused (Fixture *f, GBytes *bad, int code)
{
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_false (pack_import (f->store, f->dir, bad, &meta, &error));
  g_assert_nonnull (error);
  if (code >= 0)
    g_assert_error (error, WEIR_ERROR, code);
  g_assert_null (strchr (error->message, '\n'));
  g_autofree char *still = active_match (f, secret_text);
  g_assert_cmpstr (still, ==, "minutes.md");
}

static GBytes *
mutate (GBytes *good, gsize keep, gsize flip, const char *append)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (good, &len);
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, data, (guint) MIN (keep, len));
  if (flip < out->len)
    out->data[flip] ^= 0x01;
  if (append != NULL)
    g_byte_array_append (out, (const guint8 *) append, (guint) strlen (append));
  return g_byte_array_free_to_bytes (out);
}

static void
test_bad_packs_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) good = make_pack ("board", 3, secret_text, f->sk_a);
  g_auto (PackMeta) meta = { 0 };
  g_assert_true (pack_import (f->store, f->dir, good, &meta, NULL));
  gsize len = g_bytes_get_size (good);

  g_autoptr (GBytes) other_key = make_pack ("board", 9, secret_text, f->sk_b);
  check_refused (f, other_key, WEIR_ERROR_REFUSED);
  g_autoptr (GBytes) older = make_pack ("board", 2, secret_text, f->sk_a);
  check_refused (f, older, WEIR_ERROR_REFUSED);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  check_refused (f, empty, WEIR_ERROR_PACK);
  /* Signed, newer, well-formed, but protecting nothing. */
  g_autoptr (PackBuilder) b = pack_builder_new ("board", "restricted");
  pack_builder_add_document (b, "short.md", "too short", 9);
  g_autoptr (IndexPack) nothing = pack_builder_finish (g_steal_pointer (&b), NULL);
  PackMeta empty_meta = { .name = (char *) "board", .label = (char *) "restricted", .version = 99 };
  g_autoptr (GBytes) empty_pack = pack_file_write (&empty_meta, nothing, f->sk_a);
  check_refused (f, empty_pack, WEIR_ERROR_REFUSED);
  guint8 noise[4096];
  randombytes_buf (noise, sizeof noise);
  g_autoptr (GBytes) garbage = g_bytes_new (noise, sizeof noise);
  check_refused (f, garbage, WEIR_ERROR_PACK);
  memcpy (noise, PACK_MAGIC, 8);
  g_autoptr (GBytes) garbage_magic = g_bytes_new (noise, sizeof noise);
  check_refused (f, garbage_magic, -1);
  g_autoptr (GBytes) junk = mutate (good, len, G_MAXSIZE, "junk");
  check_refused (f, junk, WEIR_ERROR_PACK);
  gsize cuts[] = { 1, 8, 50, PACK_HEADER_BYTES, PACK_HEADER_BYTES + 3, len / 2, len - 1 };
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr (GBytes) truncated = mutate (good, cuts[i], G_MAXSIZE, NULL);
      check_refused (f, truncated, WEIR_ERROR_PACK);
    }
  /* A flipped bit anywhere (header, key id, signature, metadata, hashes) is refused. */
  for (gsize at = 0; at < len; at++)
    {
      g_autoptr (GBytes) flipped = mutate (good, len, at, NULL);
      g_autoptr (GArray) keys = pack_trusted_keys (f->dir, NULL);
      g_auto (PackMeta) m = { 0 };
      g_autoptr (GError) error = NULL;
      g_autoptr (IndexPack) pack = pack_file_open (flipped, keys, &m, &error);
      g_assert_null (pack);
      g_assert_nonnull (error);
    }
  g_autoptr (GBytes) flipped = mutate (good, len, len - 5, NULL);
  check_refused (f, flipped, WEIR_ERROR_TAMPERED);
}

static void
test_trust (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) good = make_pack ("board", 3, secret_text, f->sk_a);
  g_auto (PackMeta) meta = { 0 };
  g_assert_true (pack_import (f->store, f->dir, good, &meta, NULL));
  /* Once its key is no longer trusted, a stored pack stops loading, and says why. */
  g_autofree char *id = sign_key_id_hex (f->pk_a.id);
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_trust_remove (f->dir, id, &error));
  g_assert_false (pack_trust_remove (f->dir, id, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, problems);
  g_assert_cmpuint (engine_index_pack_count (index), ==, 0);
  g_assert_cmpuint (problems->len, ==, 1);
  g_assert_nonnull (strstr (problems->pdata[0], "not trusted"));
}

static void
write_inbox (Fixture *f, const char *name, GBytes *bytes)
{
  g_autofree char *dir = g_build_filename (f->dir, "packs", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));
}

static void
test_inbox (Fixture *f, gconstpointer data)
{
  g_autoptr (PackInbox) inbox = pack_inbox_new (f->dir);
  g_assert_true (pack_inbox_changed (inbox));
  g_assert_false (pack_inbox_changed (inbox));
  g_autoptr (GBytes) v3 = make_pack ("board", 3, secret_text, f->sk_a);
  write_inbox (f, "board.weirpack", v3);
  g_assert_true (pack_inbox_changed (inbox));
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_assert_cmpuint (pack_inbox_import (inbox, f->store, problems, NULL, NULL), ==, 1);
  g_assert_cmpuint (pack_inbox_import (inbox, f->store, problems, NULL, NULL), ==, 0);  /* not newer: quiet */
  g_assert_cmpuint (problems->len, ==, 0);
  g_autoptr (GBytes) evil = make_pack ("board", 7, other_text, f->sk_b);
  write_inbox (f, "zz-evil.weirpack", evil);
  g_assert_true (pack_inbox_changed (inbox));
  g_assert_cmpuint (pack_inbox_import (inbox, f->store, problems, NULL, NULL), ==, 0);
  g_assert_cmpuint (problems->len, ==, 1);
  g_autofree char *still = active_match (f, secret_text);
  g_assert_cmpstr (still, ==, "minutes.md");
}

/* A pack built by this format's first version still opens and matches: the format is
 * a contract with packs already deployed. */
static void
test_golden (void)
{
  g_assert_true (sign_init (NULL));
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (SignPublicKey));
  SignPublicKey pk;
  g_autoptr (GError) error = NULL;
  g_assert_true (sign_public_key_load (g_test_get_filename (G_TEST_DIST, "fixtures", "packs", "golden.pub", NULL),
                                       &pk, &error));
  g_array_append_val (keys, pk);
  g_autofree char *data = NULL, *text = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (g_test_get_filename (G_TEST_DIST, "fixtures", "packs", "golden.weirpack", NULL),
                                      &data, &len, NULL));
  g_assert_true (g_file_get_contents (g_test_get_filename (G_TEST_DIST, "fixtures", "packs", "golden-minutes.md", NULL),
                                      &text, NULL, NULL));
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  g_auto (PackMeta) meta = { 0 };
  IndexPack *pack = pack_file_open (bytes, keys, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (meta.name, ==, "golden");
  g_assert_cmpint (meta.version, ==, 1);
  /* Built before the metadata carried the number digit counts: every length counts. */
  g_assert_cmphex (meta.edm_number_digits, ==, G_MAXUINT64);
  g_autoptr (EngineIndex) index = engine_index_new ();
  engine_index_add_pack (index, pack);
  g_autoptr (GPtrArray) findings = findings_new ();
  engine_index_match (index, text, strlen (text), findings);
  const char *q = "Reply: account 2960 1613 3192 6819 belongs to ADA LOVELACE.";
  engine_index_match (index, q, strlen (q), findings);
  g_assert_cmpuint (findings->len, ==, 2);
  g_assert_cmpstr (((Finding *) findings->pdata[0])->name, ==, "minutes.md");
  g_assert_cmpstr (((Finding *) findings->pdata[1])->name, ==, "people");
  g_assert_cmpstr (((Finding *) findings->pdata[1])->detail, ==, "name,account");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/pack/roundtrip", Fixture, NULL, setup, test_roundtrip, teardown);
  g_test_add ("/pack/document-names", Fixture, NULL, setup, test_document_names, teardown);
  g_test_add ("/pack/import-and-versions", Fixture, NULL, setup, test_import_and_versions, teardown);
  g_test_add ("/pack/bad-packs-refused", Fixture, NULL, setup, test_bad_packs_refused, teardown);
  g_test_add ("/pack/trust", Fixture, NULL, setup, test_trust, teardown);
  g_test_add ("/pack/inbox", Fixture, NULL, setup, test_inbox, teardown);
  g_test_add_func ("/pack/golden", test_golden);
  return g_test_run ();
}
