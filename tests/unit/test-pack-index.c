/* The mapped index file of a pack (pack/pack-index.c, engine/index-map.c): derived at
 * import into a real store, mapped by the loader, the same findings as the pack loaded
 * into memory, and every changed byte refused without changing a finding. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utime.h>

#include "engine/findings.h"
#include "audit/audit.h"
#include "scan/scan.h"
#include "engine/score.h"
#include "engine/spans.h"
#include "pack/pack-build.h"
#include "pack/pack-index.h"
#include "pack/pack.h"
#include "store/store-packs.h"
#include "store/store-private.h"  /* to write a row as an older Weir did */
#include "weir-error.h"

#define DOCS 40
#define DOC_WORDS 400
#define EDM_ROWS 300

typedef struct {
  char *dir;
  Store *store;
  SignPublicKey pk;
  SignSecretKey *sk;
  char *docs[DOCS];
  GBytes *pack;
  GPtrArray *texts;   /* char*: what every check scans */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_assert_true (sign_init (NULL));
  f->dir = g_dir_make_tmp ("weir-pack-index-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (f->dir, "weir.db", NULL);
  g_autoptr (GError) error = NULL;
  f->store = store_open (db, &error);
  g_assert_no_error (error);
  f->sk = sign_secret_key_generate (&f->pk);
  g_autofree char *pub = g_build_filename (f->dir, "a.pub", NULL);
  g_assert_true (sign_public_key_save (&f->pk, pub, NULL));
  SignPublicKey added;
  g_assert_true (pack_trust_add (f->dir, pub, &added, &error));
  g_assert_no_error (error);

  /* Documents of random words from a small vocabulary; an EDM table of people. */
  GRand *rng = g_rand_new_with_seed (28);
  char *vocab[2000];
  for (guint i = 0; i < G_N_ELEMENTS (vocab); i++)
    {
      char w[12];
      guint n = 3 + g_rand_int_range (rng, 0, 7);
      for (guint j = 0; j < n; j++)
        w[j] = (char) ('a' + g_rand_int_range (rng, 0, 26));
      vocab[i] = g_strndup (w, n);
    }
  g_autoptr (PackBuilder) b = pack_builder_new ("board", "restricted");
  for (guint d = 0; d < DOCS; d++)
    {
      GString *text = g_string_new (NULL);
      for (guint i = 0; i < DOC_WORDS; i++)
        g_string_append_printf (text, "%s%s", i ? " " : "", vocab[g_rand_int_range (rng, 0, G_N_ELEMENTS (vocab))]);
      f->docs[d] = g_string_free (text, FALSE);
      g_autofree char *name = g_strdup_printf ("doc%02u.txt", d);
      pack_builder_add_document (b, name, f->docs[d], strlen (f->docs[d]));
    }
  GString *csv = g_string_new ("email,name,phone\n");
  for (guint r = 0; r < EDM_ROWS; r++)
    g_string_append_printf (csv, "person%u@example.org,Given%u Family%u,+44 20 7946 %04u\n", r, r, r, r);
  g_assert_true (pack_builder_set_edm (b, "people", csv->str, csv->len, "email!,name,phone", NULL));
  PackStats stats;
  g_autoptr (IndexPack) pack = pack_builder_finish (g_steal_pointer (&b), &stats);
  PackMeta meta = { .name = (char *) "board", .label = (char *) "restricted", .version = 5,
                    .created = 1800000000, .documents = stats.documents,
                    .fingerprints = stats.fingerprints, .records = stats.records };
  f->pack = pack_file_write (&meta, pack, f->sk);

  /* Excerpts of every length around the guarantee, embedded, and records. */
  f->texts = g_ptr_array_new_with_free_func (g_free);
  for (guint d = 0; d < DOCS; d++)
    {
      g_auto (GStrv) words = g_strsplit (f->docs[d], " ", -1);
      guint n = 6 + g_rand_int_range (rng, 0, 40), at = g_rand_int_range (rng, 0, DOC_WORDS - n);
      GString *t = g_string_new ("Some other words first. ");
      for (guint i = 0; i < n; i++)
        g_string_append_printf (t, "%s ", words[at + i]);
      g_string_append_printf (t, "and person%u@example.org, Family%u Given%u.", d * 7, d * 7 + 1, d * 7 + 1);
      g_ptr_array_add (f->texts, g_string_free (t, FALSE));
    }
  g_ptr_array_add (f->texts, g_strdup ("Nothing protected here at all, just a short note about lunch."));
  g_ptr_array_add (f->texts, g_strdup ("Call +44 20 7946 0042 about Given42 Family42."));
  g_ptr_array_add (f->texts, g_strdup (f->docs[3]));
  for (guint i = 0; i < G_N_ELEMENTS (vocab); i++)
    g_free (vocab[i]);
  g_rand_free (rng);
  g_string_free (csv, TRUE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  store_close (f->store);
  sign_secret_key_free (f->sk);
  for (guint d = 0; d < DOCS; d++)
    g_free (f->docs[d]);
  g_bytes_unref (f->pack);
  g_ptr_array_unref (f->texts);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
}

/* Every finding of every text, one line each: the packs' (engine_index_match), or with
 * the detectors' too (engine_score, patterns_too). */
static char *
describe_by (EngineIndex *index, GPtrArray *texts, gboolean patterns_too)
{
  GString *out = g_string_new (NULL);
  for (guint t = 0; t < texts->len; t++)
    {
      const char *text = texts->pdata[t];
      g_autoptr (GPtrArray) findings = findings_new ();
      if (patterns_too)
        engine_score (index, text, strlen (text), findings);
      else
        engine_index_match (index, text, strlen (text), findings);
      for (guint i = 0; i < findings->len; i++)
        {
          const Finding *x = findings->pdata[i];
          g_string_append_printf (out, "%u %s %s %s %s %u %u %u %.4f\n", t, finding_kind_name (x->kind),
                                  x->rule ? x->rule : "-", x->name ? x->name : "-", x->detail ? x->detail : "-",
                                  x->count, x->longest, x->words, x->score);
        }
    }
  return g_string_free (out, FALSE);
}

static char *
describe (EngineIndex *index, GPtrArray *texts)
{
  return describe_by (index, texts, FALSE);
}

/* The findings with the signed pack loaded into memory, as before index files. */
static char *
describe_in_memory (Fixture *f)
{
  g_autoptr (GArray) keys = pack_trusted_keys (f->dir, NULL);
  g_auto (PackMeta) meta = { 0 };
  IndexPack *pack = pack_file_open (f->pack, keys, &meta, NULL);
  g_assert_nonnull (pack);
  g_autoptr (EngineIndex) index = engine_index_new ();
  engine_index_add_pack (index, pack);
  return describe (index, f->texts);
}

static char *
index_file (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->dir, "index", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_suffix (name, STORE_PACK_INDEX_SUFFIX))
        continue;  /* the lock file (pack_index_lock) */
      g_assert_null (found);  /* one file per pack */
      found = g_build_filename (dir, name, NULL);
    }
  return found;
}

/* The index file of pack name, among several packs' (NULL when none). */
static char *
index_file_of (Fixture *f, const char *name)
{
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  const IndexPack *pack = engine_index_find_pack (index, name);
  return pack != NULL && pack->map != NULL ? g_strdup (pack->map->path) : NULL;
}

static gboolean
mapped (EngineIndex *index)
{
  const IndexPack *pack = engine_index_find_pack (index, "board");
  g_assert_nonnull (pack);
  return pack->map != NULL;
}

static void
import (Fixture *f)
{
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_import (f->store, f->dir, f->pack, &meta, &error));
  g_assert_no_error (error);
}

static void
test_same_findings (Fixture *f, gconstpointer data)
{
  import (f);
  g_autofree char *path = index_file (f);
  g_assert_nonnull (path);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  g_assert_true (mapped (index));
  g_autofree char *want = describe_in_memory (f);
  g_autofree char *got = describe (index, f->texts);
  g_assert_cmpstr (got, ==, want);
  /* The excerpts of 19+ words and the records are there to be found. */
  g_assert_nonnull (strstr (want, "document - doc03.txt"));
  g_assert_nonnull (strstr (want, "edm - people"));
  g_assert_true (mapped (index));  /* nothing was damaged */

  /* The file holds neither the pack's keys nor its names. */
  gchar *raw = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  g_autoptr (GArray) keys = pack_trusted_keys (f->dir, NULL);
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (IndexPack) heap = pack_file_open (f->pack, keys, &meta, NULL);
  g_assert_null (memmem (raw, len, heap->doc_key, sizeof heap->doc_key));
  g_assert_null (memmem (raw, len, heap->edm->key, sizeof heap->edm->key));
  g_assert_null (memmem (raw, len, "doc03", 5));
  g_assert_null (memmem (raw, len, "people", 6));
  g_assert_null (memmem (raw, len, "phone", 5));
  g_free (raw);
}

/* Flips one byte at offset of the file. */
static void
flip (const char *path, gsize offset)
{
  gchar *raw = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  g_assert_cmpuint (offset, <, len);
  raw[offset] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, raw, len, NULL));
  g_free (raw);
}

/* A changed byte anywhere is refused and never changes a finding: in the header the
 * file is refused when it is opened, in the data when a lookup first reads its block
 * (the pack is then reloaded from the store); either way the next load derives the file
 * again and maps it. */
static void
test_changed_byte (Fixture *f, gconstpointer data)
{
  import (f);
  g_autofree char *want = describe_in_memory (f);
  g_autofree char *path = index_file (f);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  /* The header, then a byte of every data block, the tag table, the header's MAC. */
  g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize fixed[] = { 9, 20, 70, 110, 170, INDEX_MAP_HEADER_BYTES - 1, (gsize) st.st_size - 1 };
  g_array_append_vals (offsets, fixed, G_N_ELEMENTS (fixed));
  for (gsize o = INDEX_MAP_HEADER_BYTES + 100; o < (gsize) st.st_size; o += INDEX_MAP_BLOCK)
    g_array_append_val (offsets, o);
  g_assert_cmpuint (offsets->len, >, G_N_ELEMENTS (fixed) + 2);  /* several data blocks */
  guint refused_at_open = 0, refused_at_use = 0;
  for (guint i = 0; i < offsets->len; i++)
    {
      /* A good file first (the previous round removed it: a load derives it). */
      g_autoptr (EngineIndex) deriving = pack_load_index (f->store, f->dir, NULL);
      g_autofree char *current = index_file (f);
      g_assert_nonnull (current);
      gsize offset = g_array_index (offsets, gsize, i);
      flip (current, offset);
      gchar *flipped = NULL;
      gsize flipped_len = 0;
      g_assert_true (g_file_get_contents (current, &flipped, &flipped_len, NULL));
      g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
      /* Refused when opened: derived again (another file id) and mapped. */
      gchar *now = NULL;
      gsize now_len = 0;
      g_autofree char *after_load = index_file (f);
      g_assert_nonnull (after_load);
      g_assert_true (g_file_get_contents (after_load, &now, &now_len, NULL));
      gboolean rewritten = now_len != flipped_len || memcmp (now, flipped, now_len) != 0;
      g_free (now);
      g_free (flipped);
      g_assert_true (mapped (index));
      g_autofree char *got = describe (index, f->texts);
      g_assert_cmpstr (got, ==, want);
      if (offset < INDEX_MAP_HEADER_BYTES || offset == (gsize) st.st_size - 1)
        g_assert_true (rewritten);  /* the header and the tag table: refused at open */
      refused_at_open += rewritten;
      /* In the data, refused when a lookup reads the block: the pack was reloaded from
       * the store and the file removed. A block no lookup read stays unchecked. */
      if (!mapped (index))
        {
          refused_at_use++;
          g_assert_false (rewritten);
          g_autofree char *left = index_file (f);
          g_assert_null (left);
        }
      g_autofree char *left = index_file (f);
      if (left != NULL)
        g_unlink (left);
      g_autoptr (EngineIndex) again = pack_load_index (f->store, f->dir, NULL);
      g_assert_true (mapped (again));
      g_autofree char *got_again = describe (again, f->texts);
      g_assert_cmpstr (got_again, ==, want);
      g_autofree char *last = index_file (f);
      g_unlink (last);
    }
  g_assert_cmpuint (refused_at_open, >=, G_N_ELEMENTS (fixed));
  g_assert_cmpuint (refused_at_use, >=, 1);
}

/* The file at path with every block tagged as flags says (INDEX_MAP_TAGS_GMAC or not),
 * the header's flags set to flags_claimed and its MAC made good, as the writer would on
 * a CPU with or without AES-NI. */
static void
retag (const char *path, const guint8 key[INDEX_MAP_KEY_BYTES], guint32 flags, guint32 flags_claimed)
{
  gchar *raw = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  guint8 *h = (guint8 *) raw;
  guint64 tags_offset;  /* the header's layout: index_map_header_encode */
  memcpy (&tags_offset, h + 216, 8);
  gsize tags = (gsize) GUINT64_FROM_LE (tags_offset);
  gsize blocks = (tags - INDEX_MAP_HEADER_BYTES + INDEX_MAP_BLOCK - 1) / INDEX_MAP_BLOCK;
  g_assert_cmpuint (tags + blocks * INDEX_MAP_TAG_BYTES, ==, len);
  guint32 old_flags;
  memcpy (&old_flags, h + 96, 4);
  old_flags = GUINT32_FROM_LE (old_flags);
  guint32 claimed = GUINT32_TO_LE ((old_flags & ~INDEX_MAP_TAGS_GMAC) | flags_claimed);
  memcpy (h + 96, &claimed, 4);
  IndexTagger tagger;
  g_assert_true (index_map_tagger_init (&tagger, key, h + 16, flags));
  for (gsize b = 0; b < blocks; b++)
    {
      gsize start = INDEX_MAP_HEADER_BYTES + b * INDEX_MAP_BLOCK;
      index_map_block_tag (&tagger, b, h + start, MIN (INDEX_MAP_BLOCK, tags - start),
                           h + tags + b * INDEX_MAP_TAG_BYTES);
    }
  index_map_tagger_clear (&tagger);
  index_map_header_mac (key, h, h + tags, blocks * INDEX_MAP_TAG_BYTES, h + INDEX_MAP_HEADER_BYTES - INDEX_MAP_MAC_BYTES);
  g_assert_true (g_file_set_contents (path, raw, (gssize) len, NULL));
  g_free (raw);
}

/* Blocks are tagged with AES-GCM where the CPU has AES-NI, else with Poly1305 (the
 * header's flags say which): a file of either kind answers the same, and a file whose
 * flags name the other kind of tag is refused at its first lookup. */
static void
test_tags_either (Fixture *f, gconstpointer data)
{
  import (f);
  g_autofree char *want = describe_in_memory (f);
  g_autoptr (GError) error = NULL;
  guint8 key[INDEX_MAP_KEY_BYTES];
  g_assert_true (store_pack_index_key (f->store, key, &error));
  g_autofree char *path = index_file (f);
  {
    g_autoptr (IndexMap) map = index_map_open (path, key, "board", 5, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (map->header.flags & INDEX_MAP_TAGS_GMAC, ==, index_map_tags_here ());
  }
  guint32 kinds[] = { 0, INDEX_MAP_TAGS_GMAC };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      if (kinds[k] != 0 && index_map_tags_here () == 0)
        {
          g_test_message ("this CPU has no AES-NI: AES-GCM tags not tried");
          continue;
        }
      retag (path, key, kinds[k], kinds[k]);
      g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
      g_assert_true (mapped (index));
      g_autofree char *got = describe (index, f->texts);
      g_assert_cmpstr (got, ==, want);
      g_assert_true (mapped (index));  /* every block it read passed */

      /* The other kind of tag claimed: the header passes, the blocks do not. */
      retag (path, key, kinds[k], kinds[k] ^ INDEX_MAP_TAGS_GMAC);
      if (index_map_tags_here () != 0 || kinds[k] != 0)
        {
          g_autoptr (EngineIndex) wrong = pack_load_index (f->store, f->dir, NULL);
          g_assert_true (mapped (wrong));
          g_autofree char *got_wrong = describe (wrong, f->texts);
          g_assert_cmpstr (got_wrong, ==, want);  /* answered from the stored pack */
          g_assert_false (mapped (wrong));
          g_autofree char *gone = index_file (f);
          g_assert_null (gone);
          /* derived again, as this CPU tags */
          g_autoptr (EngineIndex) again = pack_load_index (f->store, f->dir, NULL);
          g_assert_true (mapped (again));
          g_free (path);
          path = index_file (f);
        }
    }
}

/* A file made under another store's key, or for another version, is refused. */
static void
test_foreign_file (Fixture *f, gconstpointer data)
{
  import (f);
  g_autofree char *path = index_file (f);
  g_autoptr (GError) error = NULL;
  guint8 key[INDEX_MAP_KEY_BYTES];
  g_assert_true (store_pack_index_key (f->store, key, &error));
  IndexMap *map = index_map_open (path, key, "board", 5, &error);
  g_assert_no_error (error);
  index_map_free (map);
  g_assert_null (index_map_open (path, key, "board", 6, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  g_assert_null (index_map_open (path, key, "other", 5, &error));
  g_clear_error (&error);
  key[0] ^= 1;
  g_assert_null (index_map_open (path, key, "board", 5, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  /* Truncated: refused before any read past its end. */
  gchar *raw = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  g_assert_true (g_file_set_contents (path, raw, len - 16, NULL));
  g_free (raw);
  key[0] ^= 1;
  g_assert_null (index_map_open (path, key, "board", 5, &error));
  g_clear_error (&error);
  /* Removing the pack removes its file. */
  g_assert_true (pack_imported_remove (f->store, "board", &error));
  g_autofree char *gone = index_file (f);
  g_assert_null (gone);
}

/* The sealed pack files in STATE/packdata/ (one name each), sorted. */
static GPtrArray *
sealed_files (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->dir, "packdata", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (out, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (out, (GCompareFunc) g_strcmp0);
  return out;
}

static GBytes *
build_version (Fixture *f, const char *name, gint64 version, guint doc)
{
  g_autoptr (PackBuilder) b = pack_builder_new (name, "restricted");
  pack_builder_add_document (b, "one.txt", f->docs[doc], strlen (f->docs[doc]));
  PackStats stats;
  g_autoptr (IndexPack) pack = pack_builder_finish (g_steal_pointer (&b), &stats);
  PackMeta meta = { .name = (char *) name, .label = (char *) "restricted", .version = version,
                    .created = 1800000000, .documents = stats.documents, .fingerprints = stats.fingerprints };
  return pack_file_write (&meta, pack, f->sk);
}

/* The pack's bytes are in a sealed file of their own, not in the store: the store reads
 * them back as imported, the file holds none of them in plain, a newer version replaces
 * the file, removing the pack removes it, and a refused import leaves none behind. */
static void
test_sealed_file (Fixture *f, gconstpointer data)
{
  import (f);
  g_autoptr (GPtrArray) files = sealed_files (f);
  g_assert_cmpuint (files->len, ==, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) back = NULL;
  g_assert_true (store_pack_get (f->store, "board", &back, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, f->pack));
  gchar *raw = NULL;
  gsize len = 0, pack_len = 0;
  const guint8 *pack = g_bytes_get_data (f->pack, &pack_len);
  g_assert_true (g_file_get_contents (files->pdata[0], &raw, &len, NULL));
  for (gsize at = 0; at + 32 <= pack_len; at += pack_len / 7)
    g_assert_null (memmem (raw, len, pack + at, 32));
  g_free (raw);
  /* A newer version replaces the file; an older one is refused and leaves none. */
  g_autoptr (GBytes) v6 = build_version (f, "board", 6, 1), v4 = build_version (f, "board", 4, 2);
  g_auto (PackMeta) meta6 = { 0 };
  g_assert_true (pack_import (f->store, f->dir, v6, &meta6, &error));
  g_autoptr (GPtrArray) after6 = sealed_files (f);
  g_assert_cmpuint (after6->len, ==, 1);
  g_assert_cmpstr (after6->pdata[0], !=, files->pdata[0]);
  g_auto (PackMeta) meta4 = { 0 };
  g_assert_false (pack_import (f->store, f->dir, v4, &meta4, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED);
  g_clear_error (&error);
  g_autoptr (GPtrArray) after4 = sealed_files (f);
  g_assert_cmpuint (after4->len, ==, 1);
  g_assert_cmpstr (after4->pdata[0], ==, after6->pdata[0]);
  g_clear_pointer (&back, g_bytes_unref);
  g_assert_true (store_pack_get (f->store, "board", &back, &error));
  g_assert_true (g_bytes_equal (back, v6));

  /* Another pack has its own file; removing one removes its file only. */
  g_autoptr (GBytes) other = build_version (f, "other", 1, 3);
  g_auto (PackMeta) meta_other = { 0 };
  g_assert_true (pack_import (f->store, f->dir, other, &meta_other, &error));
  g_autoptr (GPtrArray) two = sealed_files (f);
  g_assert_cmpuint (two->len, ==, 2);
  g_assert_true (pack_imported_remove (f->store, "board", &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) one = sealed_files (f);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpstr (one->pdata[0], !=, after6->pdata[0]);
}

/* A host starts from the index file and the store alone: the sealed file is read only
 * to derive the index again. Changed, cut short, swapped for another pack's file or
 * missing, it is refused then, the pack is not active and the reason says why. */
static void
test_sealed_file_changed (Fixture *f, gconstpointer data)
{
  import (f);
  g_autoptr (GBytes) other = build_version (f, "other", 1, 3);
  g_auto (PackMeta) meta_other = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_import (f->store, f->dir, other, &meta_other, &error));
  g_autoptr (GPtrArray) files = sealed_files (f);
  g_assert_cmpuint (files->len, ==, 2);
  g_autoptr (GBytes) board_bytes = NULL;
  g_assert_true (store_pack_get (f->store, "board", &board_bytes, &error));
  const char *board = NULL, *theirs = NULL;
  for (guint i = 0; i < 2; i++)
    {
      /* Which file is board's: the one whose removal makes board unreadable. */
      g_autofree char *aside = g_strconcat (files->pdata[i], ".aside", NULL);
      g_assert_cmpint (g_rename (files->pdata[i], aside), ==, 0);
      g_autoptr (GBytes) b = NULL;
      gboolean ok = store_pack_get (f->store, "board", &b, NULL);
      g_assert_cmpint (g_rename (aside, files->pdata[i]), ==, 0);
      if (!ok)
        board = files->pdata[i];
      else
        theirs = files->pdata[i];
    }
  g_assert_nonnull (board);
  g_assert_nonnull (theirs);
  gchar *good = NULL, *their = NULL;
  gsize good_len = 0, their_len = 0;
  g_assert_true (g_file_get_contents (board, &good, &good_len, NULL));
  g_assert_true (g_file_get_contents (theirs, &their, &their_len, NULL));

  /* The sealed file gone, the index file good: the host maps it and matches. */
  g_autofree char *want = describe_in_memory (f);
  g_unlink (board);
  g_autoptr (EngineIndex) mapped_only = pack_load_index (f->store, f->dir, NULL);
  g_assert_true (mapped (mapped_only));
  g_autofree char *got = describe (mapped_only, f->texts);
  g_auto (GStrv) lines = g_strsplit (got, "\n", -1);
  g_autoptr (GString) board_only = g_string_new (NULL);  /* "other" finds its one.txt too */
  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
    if (strstr (lines[i], " one.txt ") == NULL)
      g_string_append_printf (board_only, "%s\n", lines[i]);
  g_assert_cmpstr (board_only->str, ==, want);

  struct { const char *what; gsize at; gboolean cut, swap, gone; } cases[] = {
    { "changed", 100, FALSE, FALSE, FALSE },
    { "changed", 20, FALSE, FALSE, FALSE },
    { "changed", good_len - 1, FALSE, FALSE, FALSE },
    { "cut", good_len - 10, TRUE, FALSE, FALSE },
    { "another pack's", 0, FALSE, TRUE, FALSE },
    { "missing", 0, FALSE, FALSE, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (cases[i].gone)
        g_unlink (board);
      else if (cases[i].swap)
        g_assert_true (g_file_set_contents (board, their, (gssize) their_len, NULL));
      else
        {
          g_autofree gchar *raw = g_memdup2 (good, good_len);
          if (!cases[i].cut)
            raw[cases[i].at] ^= 0x40;
          g_assert_true (g_file_set_contents (board, raw, cases[i].cut ? (gssize) cases[i].at : (gssize) good_len,
                                              NULL));
        }
      g_autofree char *index = index_file_of (f, "board");
      if (index != NULL)
        g_unlink (index);
      g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (EngineIndex) index_now = pack_load_index (f->store, f->dir, problems);
      g_assert_null (engine_index_find_pack (index_now, "board"));
      g_assert_nonnull (engine_index_find_pack (index_now, "other"));
      g_assert_cmpuint (problems->len, ==, 1);
      g_test_message ("%s: %s", cases[i].what, (char *) problems->pdata[0]);
      g_assert_nonnull (strstr (problems->pdata[0], "Pack \"board\" is not active"));
      g_assert_nonnull (strstr (problems->pdata[0], cases[i].gone ? "is missing" : "sealed pack file"));
      /* weir store check reads it too. */
      StoreCheck check;
      g_autoptr (GError) check_error = NULL;
      g_assert_false (store_check (f->store, &check, &check_error));
      int code = cases[i].gone ? WEIR_ERROR_NOT_FOUND : WEIR_ERROR_TAMPERED;
      g_assert_error (check_error, WEIR_ERROR, code);
    }
  /* Put back, it loads again. */
  g_assert_true (g_file_set_contents (board, good, (gssize) good_len, NULL));
  g_autoptr (EngineIndex) back = pack_load_index (f->store, f->dir, NULL);
  g_assert_true (mapped (back));
  StoreCheck check;
  g_assert_true (store_check (f->store, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check.pack_files, ==, 2);
  g_free (good);
  g_free (their);
}

/* A store of a Weir before the sealed files kept each pack's bytes in its row: the next
 * writable open moves them into a sealed file, gives the pages back, and the pack reads
 * and loads as before. */
static void
test_row_moved_out (Fixture *f, gconstpointer data)
{
  /* A pack of many fingerprints (random letters, no two k-grams alike), so that its
   * pages are most of the store. */
  GRand *rng = g_rand_new_with_seed (9);
  GString *big = g_string_new (NULL);
  for (guint i = 0; i < 60000; i++)
    {
      for (guint j = 0, n = 3 + g_rand_int_range (rng, 0, 6); j < n; j++)
        g_string_append_c (big, (char) ('a' + g_rand_int_range (rng, 0, 26)));
      g_string_append_c (big, ' ');
    }
  g_rand_free (rng);
  g_autoptr (PackBuilder) b = pack_builder_new ("board", "restricted");
  pack_builder_add_document (b, "big.txt", big->str, big->len);
  g_string_free (big, TRUE);
  PackStats stats;
  g_autoptr (IndexPack) built = pack_builder_finish (g_steal_pointer (&b), &stats);
  PackMeta meta = { .name = (char *) "board", .label = (char *) "restricted", .version = 9, .created = 1800000000,
                    .documents = stats.documents, .fingerprints = stats.fingerprints };
  g_autoptr (GBytes) pack = pack_file_write (&meta, built, f->sk);
  g_auto (PackMeta) imported = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (pack_import (f->store, f->dir, pack, &imported, &error));

  /* Back to how the older Weir stored it: bytes in the row, no file. */
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (f->store->db, "UPDATE packs SET pack = ?, file = NULL, file_key = NULL",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_blob (stmt, 1, g_bytes_get_data (pack, NULL), (int) g_bytes_get_size (pack), SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  g_autoptr (GPtrArray) files = sealed_files (f);
  for (guint i = 0; i < files->len; i++)
    g_unlink (files->pdata[i]);
  g_autofree char *index = index_file (f);
  g_unlink (index);
  g_autofree char *db = g_build_filename (f->dir, "weir.db", NULL);
  store_close (f->store);
  /* Checkpointed on close: the file now holds the pack's pages. */
  GStatBuf before, after;
  g_assert_cmpint (g_stat (db, &before), ==, 0);
  g_assert_cmpint (before.st_size, >, (goffset) g_bytes_get_size (pack));

  f->store = store_open (db, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) moved = sealed_files (f);
  g_assert_cmpuint (moved->len, ==, 1);
  g_autoptr (GBytes) back = NULL;
  g_assert_true (store_pack_get (f->store, "board", &back, &error));
  g_assert_true (g_bytes_equal (back, pack));
  g_assert_cmpint (sqlite3_prepare_v2 (f->store->db, "SELECT length(pack), file IS NOT NULL FROM packs", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
  g_assert_cmpint (sqlite3_column_int (stmt, 1), ==, 1);
  sqlite3_finalize (stmt);
  g_autoptr (EngineIndex) loaded = pack_load_index (f->store, f->dir, NULL);
  g_assert_true (mapped (loaded));
  StoreCheck check;
  g_assert_true (store_check (f->store, &check, &error));
  g_assert_cmpuint (check.pack_files, ==, 1);
  store_close (f->store);
  g_assert_cmpint (g_stat (db, &after), ==, 0);
  g_assert_cmpint (after.st_size, <, before.st_size / 4);  /* the pages were given back */
  f->store = store_open (db, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) still = sealed_files (f);
  g_assert_cmpuint (still->len, ==, 1);
  g_assert_cmpstr (still->pdata[0], ==, moved->pdata[0]);  /* moved once */
}

static void
make_file (const char *dir, const char *name, gint64 age_s)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  struct utimbuf times = { .actime = time (NULL) - age_s, .modtime = time (NULL) - age_s };
  g_assert_cmpint (utime (path, &times), ==, 0);
}

static gboolean
exists_in (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* A sealed file no row names (an import cut short) is removed by the next writable open
 * once it is ten minutes old; a newer one (an import writing right now), the pack's own
 * file however old, and files of other names are kept. */
static void
test_orphans_removed (Fixture *f, gconstpointer data)
{
  import (f);
  g_autoptr (GPtrArray) files = sealed_files (f);
  g_assert_cmpuint (files->len, ==, 1);
  g_autofree char *dir = g_build_filename (f->dir, "packdata", NULL);
  g_autofree char *own = g_path_get_basename (files->pdata[0]);
  struct utimbuf old = { .actime = time (NULL) - 7200, .modtime = time (NULL) - 7200 };
  g_assert_cmpint (utime (files->pdata[0], &old), ==, 0);
  make_file (dir, "00000000000000000000000000000001.sealed", 3600);
  make_file (dir, "00000000000000000000000000000002.sealed.part", 3600);
  make_file (dir, "00000000000000000000000000000003.sealed", 5);
  make_file (dir, "notes.txt", 3600);
  g_autofree char *db = g_build_filename (f->dir, "weir.db", NULL);
  store_close (f->store);
  g_autoptr (GError) error = NULL;
  f->store = store_open (db, &error);
  g_assert_no_error (error);
  g_assert_true (exists_in (dir, own));
  g_assert_false (exists_in (dir, "00000000000000000000000000000001.sealed"));
  g_assert_false (exists_in (dir, "00000000000000000000000000000002.sealed.part"));
  g_assert_true (exists_in (dir, "00000000000000000000000000000003.sealed"));
  g_assert_true (exists_in (dir, "notes.txt"));
  g_autoptr (GBytes) back = NULL;
  g_assert_true (store_pack_get (f->store, "board", &back, &error));
  g_assert_true (g_bytes_equal (back, f->pack));
}

/* Import writes the index file while it seals the pack: when the pack cannot be stored
 * (here its folder is a file), the import fails, and neither the pack nor an index file
 * is left; once the folder can be made, the same pack imports and maps. */
static void
test_failed_import_leaves_no_index (Fixture *f, gconstpointer data)
{
  g_autofree char *blocker = g_build_filename (f->dir, "packdata", NULL);
  g_assert_true (g_file_set_contents (blocker, "not a folder", -1, NULL));
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_false (pack_import (f->store, f->dir, f->pack, &meta, &error));
  g_assert_nonnull (error);
  g_autofree char *left = index_file (f);
  g_assert_null (left);
  gint64 version = 0;
  g_assert_true (store_pack_version (f->store, "board", &version, NULL));
  g_assert_cmpint (version, ==, -1);
  g_assert_cmpint (g_unlink (blocker), ==, 0);
  import (f);
  g_autofree char *path = index_file (f);
  g_assert_nonnull (path);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  g_assert_true (mapped (index));
}

/* A file of several of the writer's 2 MiB chunks, with blocks across their ends: every
 * data block checks against its tag, and the findings are those of the pack in memory. */
static void
test_large_file (Fixture *f, gconstpointer data)
{
  g_autoptr (PackBuilder) b = pack_builder_new ("board", "restricted");
  pack_builder_add_document (b, "doc03.txt", f->docs[3], strlen (f->docs[3]));
  GString *csv = g_string_new ("email,name,phone\n");
  for (guint r = 0; r < 150000; r++)
    g_string_append_printf (csv, "person%u@example.org,Given%u Family%u,+44 20 79%02u %04u\n", r, r, r, r / 10000,
                            r % 10000);
  g_assert_true (pack_builder_set_edm (b, "people", csv->str, csv->len, "email!,name,phone", NULL));
  g_string_free (csv, TRUE);
  PackStats stats;
  g_autoptr (IndexPack) built = pack_builder_finish (g_steal_pointer (&b), &stats);
  PackMeta meta = { .name = (char *) "board", .label = (char *) "restricted", .version = 6,
                    .created = 1800000000, .documents = stats.documents,
                    .fingerprints = stats.fingerprints, .records = stats.records };
  g_bytes_unref (f->pack);
  f->pack = pack_file_write (&meta, built, f->sk);
  g_ptr_array_add (f->texts, g_strdup ("Write to person149999@example.org, Family149999 Given149999."));
  g_ptr_array_add (f->texts, g_strdup ("Call +44 20 7907 7001 about person77001@example.org."));
  import (f);
  g_autofree char *path = index_file (f);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 3 * (2 << 20));
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  g_assert_true (mapped (index));
  IndexMap *map = engine_index_find_pack (index, "board")->map;
  for (gsize block = 0; block < map->n_blocks; block++)
    g_assert_true (index_map_verify_block (map, block));
  g_autofree char *want = describe_in_memory (f);
  g_autofree char *got = describe (index, f->texts);
  g_assert_cmpstr (got, ==, want);
  g_assert_nonnull (strstr (want, "edm - people email,name"));
  g_assert_true (mapped (index));
}

/* The VmFlags of this process's mapping that holds p ("" when none does). */
static char *
vma_flags (const void *p)
{
  g_autofree char *smaps = NULL;
  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (smaps, "\n", -1);
  gboolean inside = FALSE;
  for (char **l = lines; *l != NULL; l++)
    {
      guint64 from = 0, to = 0;
      /* A mapping's first line, "from-to perms offset dev inode path"; no field line
       * ("Size:", "AnonHugePages:") reads as two hex numbers and a dash. */
      if (sscanf (*l, "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x ", &from, &to) == 2)
        inside = (guintptr) p >= from && (guintptr) p < to;
      else if (inside && g_str_has_prefix (*l, "VmFlags:"))
        return g_strdup (*l + strlen ("VmFlags:"));
    }
  return g_strdup ("");
}

/* The filters, every lookup's first read, are asked for in huge pages (MADV_HUGEPAGE,
 * "hg" in smaps), so that a kernel with large folios reads them back in 2 MiB folios;
 * the entries far from them are not. */
static void
test_filters_advised_huge (Fixture *f, gconstpointer data)
{
  test_large_file (f, data);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  const IndexPack *pack = engine_index_find_pack (index, "board");
  g_assert_nonnull (pack->map);
  const IndexMapHeader *h = &pack->map->header;
  const void *filters[] = { pack->filter, pack->edm->word_filter, pack->edm->value_filter };
  for (gsize i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      g_autofree char *flags = vma_flags (filters[i]);
      g_assert_nonnull (strstr (flags, " hg"));
    }
  /* Between the 2 MiB span of the fingerprint filter and that of the EDM filters (the
   * entries and EDM values, megabytes here) nothing is advised. */
  const guintptr huge = 2 << 20;
  guintptr after = ((guintptr) pack->filter + h->count[INDEX_SECTION_FILTER] * sizeof (guint64) + huge - 1)
                   & ~(huge - 1);
  guintptr before = (guintptr) pack->edm->word_filter & ~(huge - 1);
  g_assert_cmpuint (before, >, after);
  g_autofree char *flags = vma_flags ((const void *) after);
  g_assert_null (strstr (flags, " hg"));
}

/* Large pastes: the texts above, with a card, an IBAN and a key, repeated past the size
 * at which engine_score runs the detectors on a second thread. */
static GPtrArray *
large_pastes (Fixture *f)
{
  GPtrArray *pastes = g_ptr_array_new_with_free_func (g_free);
  for (guint p = 0; p < 4; p++)
    {
      GString *t = g_string_new (NULL);
      for (guint i = 0; t->len < 20000 + p * 15000; i++)
        {
          g_string_append_printf (t, "%s\n", (const char *) f->texts->pdata[(i * 5 + p) % f->texts->len]);
          if (i % 17 == p)
            g_string_append (t, "card 4539 1488 0343 6467, iban DE89 3704 0044 0532 0130 00\n");
          if (p == 2 && i == 40)
            g_string_append (t, "key AKIAQ3EGXMPLA7Z2KWTR\n");
        }
      g_ptr_array_add (pastes, g_string_free (t, FALSE));
    }
  /* Number-dense: the detectors and the exact data both have many candidates, and the
   * exact data usually goes to the caller's thread (whichever is free first). */
  GString *numbers = g_string_new (NULL);
  for (guint i = 0; numbers->len < 24000; i++)
    g_string_append_printf (numbers, "+44 20 7946 %04u 10.%u.%u.%u 2026-%02u-%02u %u\n", (i * 37) % 10000, i % 256,
                            (i / 3) % 256, (i / 7) % 256, 1 + i % 12, 1 + i % 28, 100000 + i * 7919);
  g_string_append (numbers, "person9@example.org Family9 Given9\n");
  g_ptr_array_add (pastes, g_string_free (numbers, FALSE));
  return pastes;
}

static char *
describe_scores (EngineIndex *index, GPtrArray *texts)
{
  return describe_by (index, texts, TRUE);
}

/* The fixture's pack and a second one (a document of its own, no exact data), loaded. */
static EngineIndex *
two_packs (Fixture *f)
{
  import (f);
  g_autoptr (GBytes) other = build_version (f, "other", 1, 5);
  g_auto (PackMeta) other_meta = { 0 };
  g_assert_true (pack_import (f->store, f->dir, other, &other_meta, NULL));
  EngineIndex *index = pack_load_index (f->store, f->dir, NULL);
  g_assert_cmpuint (engine_index_pack_count (index), ==, 2);
  return index;
}

/* A large paste is scored on two threads with the same findings, in the same order, as
 * on one, with two packs (the second's parts are taken too); a small one stays on the
 * caller's thread. */
static void
test_score_beside (Fixture *f, gconstpointer data)
{
  g_autoptr (EngineIndex) index = two_packs (f);
  g_assert_true (mapped (index));
  g_autoptr (GPtrArray) pastes = large_pastes (f);
  g_ptr_array_add (pastes, g_strdup (f->texts->pdata[0]));  /* a small one */

  engine_score_set_threads (1);
  guint before = engine_score_jobs_beside ();
  g_autofree char *alone = describe_scores (index, pastes);
  g_assert_cmpuint (engine_score_jobs_beside (), ==, before);
  engine_score_set_threads (2);
  g_autofree char *beside = describe_scores (index, pastes);
  g_assert_cmpuint (engine_score_jobs_beside (), ==, before + pastes->len - 1);
  g_assert_cmpstr (beside, ==, alone);
  g_assert_nonnull (strstr (alone, "pattern credit-card"));
  g_assert_nonnull (strstr (alone, "2 pattern aws-access-key"));
  g_assert_nonnull (strstr (alone, "document - doc03.txt"));
  g_assert_nonnull (strstr (alone, "edm - people"));
  g_assert_null (strstr (alone, "1 pattern aws-access-key"));
  g_assert_nonnull (strstr (alone, "4 edm - people"));  /* the number-dense paste */
  g_assert_nonnull (strstr (alone, "document - one.txt"));  /* the second pack */
}

/* A changed byte in any data block, found by either thread of a large paste: the pack
 * is reloaded from the store and the findings are the same. */
static void
test_score_beside_changed_byte (Fixture *f, gconstpointer data)
{
  import (f);
  g_autoptr (GPtrArray) pastes = large_pastes (f);
  g_autofree char *want = NULL;
  /* With data, every paste is matched in segments (index.c, a text over 4 MiB), and a
   * damaged pack is matched again in segments after it is reloaded. */
  if (data != NULL)
    engine_index_set_segments (1, 4096);
  {
    g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
    engine_score_set_threads (1);
    want = describe_scores (index, pastes);
    engine_score_set_threads (2);
  }
  g_autofree char *path = index_file (f);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  guint refused_at_use = 0, blocks = 0;
  for (gsize o = INDEX_MAP_HEADER_BYTES + 100; o + INDEX_MAP_MAC_BYTES < (gsize) st.st_size; o += INDEX_MAP_BLOCK)
    {
      g_autoptr (EngineIndex) deriving = pack_load_index (f->store, f->dir, NULL);
      g_autofree char *current = index_file (f);
      g_assert_nonnull (current);
      GStatBuf now;
      g_assert_cmpint (g_stat (current, &now), ==, 0);
      if (o >= (gsize) now.st_size - (gsize) now.st_size / 8)
        break;  /* the tag table and the MAC are refused at open (changed-byte) */
      flip (current, o);
      g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
      if (!mapped (index))
        continue;
      blocks++;
      guint before = engine_score_jobs_beside ();
      g_autofree char *got = describe_scores (index, pastes);
      g_assert_cmpstr (got, ==, want);
      g_assert_cmpuint (engine_score_jobs_beside (), ==, before + pastes->len);
      refused_at_use += !mapped (index);
    }
  g_assert_cmpuint (blocks, >, 2);
  g_assert_cmpuint (refused_at_use, >, 0);
  engine_index_set_segments (0, 0);
}

/* The audit digest of what scan_run read, by hand. */
static void
digest_of (Audit *audit, const char *a, const char *b, char out[65])
{
  AuditDigest d;
  audit_digest_init (audit, &d);
  audit_digest_update (&d, a, strlen (a));
  if (b != NULL)
    audit_digest_update (&d, b, strlen (b));
  audit_digest_finish (&d, out);
}

static void
scan_digest_of (EngineIndex *index, Audit *audit, const char *text, const char *html, char out[65])
{
  ScanRequest request = { .event = "paste", .origin = "https://chat.example", .text = text, .html = html };
  ScanResult result;
  scan_run (&request, index, 8, g_get_monotonic_time () + 60 * G_USEC_PER_SEC, audit, NULL, &result);
  g_assert_cmpuint (result.findings->len, >, 0);
  memcpy (out, result.digest, 65);
  scan_result_clear (&result);
}

/* A plain paste's digest is taken while the other thread scores it: the same digest,
 * of the same bytes in the same order, as on one thread, for a large paste, a small
 * one, and text with HTML. */
static void
test_scan_digest_beside (Fixture *f, gconstpointer data)
{
  import (f);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Audit) audit = audit_new (f->store, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) pastes = large_pastes (f);
  const char *texts[] = { pastes->pdata[1], f->texts->pdata[1], pastes->pdata[2] };
  const char *htmls[] = { NULL, NULL, "<p>card 4539 1488 0343 6467</p>" };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      char want[65], alone[65], beside[65];
      digest_of (audit, texts[i], htmls[i], want);
      engine_score_set_threads (1);
      guint before = engine_score_jobs_beside ();
      scan_digest_of (index, audit, texts[i], htmls[i], alone);
      g_assert_cmpuint (engine_score_jobs_beside (), ==, before);
      engine_score_set_threads (2);
      scan_digest_of (index, audit, texts[i], htmls[i], beside);
      g_assert_cmpuint (engine_score_jobs_beside (), ==, before + (i != 1));
      g_assert_cmpuint (strlen (want), ==, 64);
      g_assert_cmpstr (alone, ==, want);
      g_assert_cmpstr (beside, ==, want);
    }
}

typedef struct {
  EngineIndex *index;  /* the thread's own, loaded before it starts: a Store is one thread's */
  GPtrArray *pastes;
  const char *want;
} ScoreRun;

static gpointer
score_run (gpointer data)
{
  ScoreRun *run = data;
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *got = describe_scores (run->index, run->pastes);
      g_assert_cmpstr (got, ==, run->want);
    }
  return NULL;
}

/* Callers on several threads at once, each with its own index: one at a time has the
 * detectors' thread, the others score alone, every finding the same. */
static void
test_score_beside_callers (Fixture *f, gconstpointer data)
{
  import (f);
  g_autoptr (GPtrArray) pastes = large_pastes (f);
  g_autoptr (EngineIndex) index = pack_load_index (f->store, f->dir, NULL);
  engine_score_set_threads (1);
  g_autofree char *want = describe_scores (index, pastes);
  engine_score_set_threads (2);
  guint before = engine_score_jobs_beside ();
  ScoreRun runs[4];
  GThread *threads[G_N_ELEMENTS (runs)];
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    runs[i] = (ScoreRun) { pack_load_index (f->store, f->dir, NULL), pastes, want };
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("score", score_run, &runs[i]);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      engine_index_free (runs[i].index);
    }
  g_assert_cmpuint (engine_score_jobs_beside (), >, before);
}

/* The spans of every text (engine_spans: the detectors' and the exact data's), a line each. */
static char *
describe_spans (EngineIndex *index, GPtrArray *texts)
{
  GString *out = g_string_new (NULL);
  for (guint t = 0; t < texts->len; t++)
    {
      const char *text = texts->pdata[t];
      g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (EngineSpan));
      engine_spans (index, text, strlen (text), spans);
      for (guint i = 0; i < spans->len; i++)
        {
          const EngineSpan *x = &g_array_index (spans, EngineSpan, i);
          g_string_append_printf (out, "%u %zu %zu %s\n", t, x->start, x->end, x->name);
        }
    }
  return g_string_free (out, FALSE);
}

/* Texts whose words and matches cross any boundary a segment may take: excerpts of
 * every document (long ones and ones shorter than the guarantee), records split over
 * lines, hyphens at line ends, CJK, characters NFKC makes several words of, a long run
 * of letters; and one where the only long excerpt comes last, after short ones. */
static GPtrArray *
segment_texts (Fixture *f)
{
  static const char *const noise[] = {
    "Nothing to see here, only notes.\n", "infor-\nmation and co-\n  operation ",
    "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd\xe3\x80\x82",
    "\xef\xb7\xba \xef\xb7\xba ", "\xc2\xbc of it; ", "caf\xc3\xa9 na\xc3\xafve ", "x\xe2\x80\x8by ",
    "Given17\nFamily17 +44 20\n7946 0017\n", "person12@example.org ", "1 2 3 4 5 6 7 8 9 ",
  };
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  GRand *rng = g_rand_new_with_seed (20261207);
  for (guint p = 0; p < 6; p++)
    {
      GString *t = g_string_new (NULL);
      while (t->len < 6000 + p * 5000)
        {
          guint r = (guint) g_rand_int_range (rng, 0, 10);
          if (r < 3)
            {
              guint d = (guint) g_rand_int_range (rng, 0, DOCS);
              g_auto (GStrv) words = g_strsplit (f->docs[d], " ", -1);
              guint n = (guint) g_rand_int_range (rng, 6, 60), at = (guint) g_rand_int_range (rng, 0, DOC_WORDS - n);
              for (guint i = 0; i < n; i++)
                g_string_append_printf (t, "%s%s", words[at + i], i % 9 == 8 ? "\n" : " ");
            }
          else if (r < 4)
            {
              guint k = (guint) g_rand_int_range (rng, 0, EDM_ROWS);
              g_string_append_printf (t, "%s, Given%u Family%u, +44 20 7946 %04u\n",
                                      g_rand_boolean (rng) ? "Mail" : "Call", k, k, k);
            }
          else if (r == 4)
            for (guint i = 0; i < 300; i++)  /* letters and no separator: the walk stops */
              g_string_append (t, i % 5 ? "\xd5\xa1" : "\xe6\x9d\xb1");
          else
            g_string_append (t, noise[g_rand_int_range (rng, 0, G_N_ELEMENTS (noise))]);
        }
      g_ptr_array_add (texts, g_string_free (t, FALSE));
    }
  /* Short excerpts first (under the guarantee: looked up only because a long one hits,
   * in a later segment), then a long one. */
  GString *t = g_string_new (NULL);
  for (guint d = 0; d < 4; d++)
    {
      g_auto (GStrv) words = g_strsplit (f->docs[d], " ", -1);
      for (guint i = 0; i < 12; i++)
        g_string_append_printf (t, "%s ", words[100 + i]);
      g_string_append (t, "\nlunch notes, nothing else here at all.\n");
      for (guint i = 0; i < 80; i++)
        g_string_append (t, "filler words of no weight ");
    }
  g_auto (GStrv) words = g_strsplit (f->docs[5], " ", -1);
  for (guint i = 0; i < 50; i++)
    g_string_append_printf (t, "%s ", words[200 + i]);
  g_ptr_array_add (texts, g_string_free (t, FALSE));
  /* One excerpt alone of the guarantee's length or a little more: found only when the
   * smallest hash of each of its windows is looked up, whichever segments it spans. */
  for (guint n = WINNOW_GUARANTEE; n < WINNOW_GUARANTEE + 4; n++)
    {
      g_auto (GStrv) doc = g_strsplit (f->docs[10 + n], " ", -1);
      GString *one = g_string_new (NULL);
      for (guint i = 0; i < 30; i++)
        g_string_append (one, "plain filler words, ");
      for (guint i = 0; i < n; i++)
        g_string_append_printf (one, "%s ", doc[50 + i]);
      for (guint i = 0; i < 30; i++)
        g_string_append (one, "more filler here. ");
      g_ptr_array_add (texts, g_string_free (one, FALSE));
    }
  g_rand_free (rng);
  return texts;
}

/* A text too large for its words to be held at once is matched a segment at a time
 * (index.c): the same findings, counts and spans as from the whole text, for segments
 * of every size from a few words to the whole text, on one thread and on two, with two
 * packs. */
static void
test_segments_same_findings (Fixture *f, gconstpointer data)
{
  g_autoptr (EngineIndex) index = two_packs (f);
  g_autoptr (GPtrArray) texts = segment_texts (f);
  for (guint i = 0; i < f->texts->len; i++)
    g_ptr_array_add (texts, g_strdup (f->texts->pdata[i]));
  engine_index_set_segments (G_MAXSIZE, 0);
  engine_score_set_threads (1);
  g_autofree char *whole = describe (index, texts);
  g_autofree char *whole_scores = describe_scores (index, texts);
  g_autofree char *whole_spans = describe_spans (index, texts);
  g_assert_nonnull (strstr (whole, "document - doc05.txt"));
  g_assert_nonnull (strstr (whole, "document - doc29.txt"));  /* the guarantee's length */
  g_assert_nonnull (strstr (whole, "edm - people"));
  g_assert_nonnull (strstr (whole_spans, " people\n"));
  static const gsize sizes[] = { 1, 40, 97, 256, 1000, 4096 };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      engine_index_set_segments (1, sizes[i]);
      g_autofree char *got = describe (index, texts);
      g_assert_cmpstr (got, ==, whole);
      g_autofree char *spans = describe_spans (index, texts);
      g_assert_cmpstr (spans, ==, whole_spans);
      engine_score_set_threads (2);
      g_autofree char *scores = describe_scores (index, texts);
      g_assert_cmpstr (scores, ==, whole_scores);
      engine_score_set_threads (1);
    }
  /* The excerpts of the guarantee's length (the texts after the first seven) against
   * segments ending at every word around them. */
  g_autoptr (GPtrArray) short_ones = g_ptr_array_new ();
  for (guint i = 7; i < 11; i++)
    g_ptr_array_add (short_ones, texts->pdata[i]);
  engine_index_set_segments (G_MAXSIZE, 0);
  g_autofree char *want = describe (index, short_ones);
  g_assert_cmpuint (strlen (want), >, 0);
  for (gsize bytes = 500; bytes < 1200; bytes += 3)
    {
      engine_index_set_segments (1, bytes);
      g_autofree char *got = describe (index, short_ones);
      g_assert_cmpstr (got, ==, want);
    }
  engine_index_set_segments (0, 0);
  engine_score_set_threads (2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/pack-index/same-findings", Fixture, NULL, setup, test_same_findings, teardown);
  g_test_add ("/pack-index/score-beside", Fixture, NULL, setup, test_score_beside, teardown);
  g_test_add ("/pack-index/score-beside-callers", Fixture, NULL, setup, test_score_beside_callers, teardown);
  g_test_add ("/pack-index/scan-digest-beside", Fixture, NULL, setup, test_scan_digest_beside, teardown);
  g_test_add ("/pack-index/score-beside-changed-byte", Fixture, NULL, setup, test_score_beside_changed_byte,
              teardown);
  g_test_add ("/pack-index/segments-changed-byte", Fixture, "segments", setup, test_score_beside_changed_byte,
              teardown);
  g_test_add ("/pack-index/segments", Fixture, NULL, setup, test_segments_same_findings, teardown);
  g_test_add ("/pack-index/changed-byte", Fixture, NULL, setup, test_changed_byte, teardown);
  g_test_add ("/pack-index/foreign-file", Fixture, NULL, setup, test_foreign_file, teardown);
  g_test_add ("/pack-index/tags-either", Fixture, NULL, setup, test_tags_either, teardown);
  g_test_add ("/pack-index/sealed-file", Fixture, NULL, setup, test_sealed_file, teardown);
  g_test_add ("/pack-index/sealed-file-changed", Fixture, NULL, setup, test_sealed_file_changed, teardown);
  g_test_add ("/pack-index/row-moved-out", Fixture, NULL, setup, test_row_moved_out, teardown);
  g_test_add ("/pack-index/orphans-removed", Fixture, NULL, setup, test_orphans_removed, teardown);
  g_test_add ("/pack-index/failed-import-leaves-no-index", Fixture, NULL, setup, test_failed_import_leaves_no_index,
              teardown);
  g_test_add ("/pack-index/large-file", Fixture, NULL, setup, test_large_file, teardown);
  g_test_add ("/pack-index/filters-advised-huge", Fixture, NULL, setup, test_filters_advised_huge, teardown);
  return g_test_run ();
}
