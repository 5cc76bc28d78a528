/* libFuzzer: a pack's index file (engine/index-map.c) and lookups in what it maps.
 *
 * Input: an index file. The seeds are files derived by `weir pack import` from real
 * packs (make-seeds.py). The target writes the input to a temporary file with its
 * header's name hash, version, block tags and MAC made good under a fixed key: the
 * MAC would stop a fuzzer at the first byte, and what lies behind it (the bounds of the
 * header's sections, and lookups reading arrays that a bug, or a stolen store key,
 * could fill with anything) is what this target reaches. Then it maps the file, points
 * a pack at its sections as pack/pack-index.c does, and matches text with words,
 * numbers and e-mail addresses against it. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/findings.h"
#include "engine/index.h"
#include "fuzz.h"

static guint8 key[INDEX_MAP_KEY_BYTES];
static char *path;

static const char text[] =
  "Minutes: merger closes in March, call +44 20 7946 0018 or 020 7946 0019, mail "
  "ada.lovelace@example.org or grace@example.com about Ada Lovelace and Grace Hopper; "
  "the board agreed the price per share at forty one dollars and nobody may tell the press "
  "before the public announcement on the first of the month, account 12345678 9012.";

static void
remove_file (void)
{
  g_unlink (path);
}

/* A damaged pack is replaced by an empty one, as a host replaces it by the stored pack. */
static IndexPack *
repair (const IndexPack *damaged, gpointer data)
{
  return index_pack_new (damaged->name, damaged->label);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  memset (key, 0x28, sizeof key);
  int fd = g_file_open_tmp ("weir-fuzz-index-XXXXXX", &path, NULL);
  g_assert (fd >= 0);
  close (fd);
  atexit (remove_file);
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

static void
put64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static guint64
get64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

/* The input with its name hash, version, tags and MAC made good, as far as its claimed
 * tag table fits. */
static GByteArray *
authentic (const guint8 *data, size_t size)
{
  GByteArray *file = g_byte_array_new ();
  g_byte_array_append (file, data, (guint) size);
  if (file->len < INDEX_MAP_HEADER_BYTES)
    return file;
  guint8 *h = file->data;
  index_map_name_hash (key, "fuzz", h + 32);
  put64 (h + 64, 7);
  guint64 tags = get64 (h + 216);
  if (tags < INDEX_MAP_HEADER_BYTES || tags > (guint64) file->len)
    return file;
  gsize blocks = (gsize) (tags - INDEX_MAP_HEADER_BYTES + INDEX_MAP_BLOCK - 1) / INDEX_MAP_BLOCK;
  g_byte_array_set_size (file, (guint) (tags + blocks * INDEX_MAP_TAG_BYTES));
  h = file->data;
  put64 (h + 72, file->len);
  guint32 flags;
  memcpy (&flags, h + 96, 4);
  IndexTagger tagger;
  if (!index_map_tagger_init (&tagger, key, h + 16, GUINT32_FROM_LE (flags)))
    return file;  /* AES-GCM tags on a CPU without it: refused as it stands */
  for (gsize b = 0; b < blocks; b++)
    {
      gsize start = INDEX_MAP_HEADER_BYTES + b * INDEX_MAP_BLOCK;
      gsize len = MIN (INDEX_MAP_BLOCK, (gsize) tags - start);
      /* every other block keeps a wrong tag, so the refusal is exercised as well */
      index_map_block_tag (&tagger, b, h + start, len, h + tags + b * INDEX_MAP_TAG_BYTES);
      if (data[size - 1] & 1 && b % 2 == 1)
        h[tags + b * INDEX_MAP_TAG_BYTES] ^= 1;
    }
  index_map_tagger_clear (&tagger);
  index_map_header_mac (key, h, h + tags, blocks * INDEX_MAP_TAG_BYTES,
                        h + INDEX_MAP_HEADER_BYTES - INDEX_MAP_MAC_BYTES);
  return file;
}

static IndexPack *
mapped_pack (IndexMap *map)
{
  IndexPack *pack = index_pack_new ("fuzz", "restricted");
  for (guint i = 0; i < 3; i++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "doc%u", i);
      g_ptr_array_add (pack->documents, g_string_chunk_insert (pack->names, name));
    }
  const IndexMapHeader *h = &map->header;
  pack->entries = (IndexEntry *) index_map_section (map, INDEX_SECTION_ENTRIES);
  pack->n_entries = h->count[INDEX_SECTION_ENTRIES];
  pack->directory = (guint32 *) index_map_section (map, INDEX_SECTION_DIRECTORY);
  pack->directory_bits = h->directory_bits;
  pack->filter = (guint64 *) index_map_section (map, INDEX_SECTION_FILTER);
  pack->filter_bits = h->filter_bits;
  pack->winnowed_paste = (h->id[0] & 1) != 0;
  if (h->flags & INDEX_MAP_HAS_EDM)
    {
      EdmTable *t = edm_table_new ("people");
      static const EdmKind kinds[] = { EDM_KIND_EMAIL, EDM_KIND_NAME, EDM_KIND_NUMBER, EDM_KIND_TEXT };
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        t->columns[t->n_columns++] = (EdmColumn) { g_strdup_printf ("c%u", i), kinds[i], i == 0 };
      t->n_records = 100;
      t->map = map;
      t->entries = (EdmEntry *) index_map_section (map, INDEX_SECTION_EDM_VALUES);
      t->n_entries = h->count[INDEX_SECTION_EDM_VALUES];
      t->words = (guint64 *) index_map_section (map, INDEX_SECTION_EDM_WORDS);
      t->n_words = h->count[INDEX_SECTION_EDM_WORDS];
      t->word_filter = (guint64 *) index_map_section (map, INDEX_SECTION_EDM_WORD_FILTER);
      t->word_filter_bits = h->edm_word_filter_bits;
      t->value_filter = (guint64 *) index_map_section (map, INDEX_SECTION_EDM_VALUE_FILTER);
      t->value_filter_bits = h->edm_value_filter_bits;
      pack->edm = t;
    }
  pack->map = map;
  pack->repair.fn = repair;
  return pack;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  if (size == 0)
    return 0;
  GByteArray *file = authentic (data, size);
  gboolean written = g_file_set_contents (path, (const char *) file->data, file->len, NULL);
  g_byte_array_unref (file);
  if (!written)
    return 0;
  GError *error = NULL;
  IndexMap *map = index_map_open (path, key, "fuzz", 7, &error);
  /* Mapped, or refused with a reason: never both, never neither. */
  FUZZ_CHECK ((map != NULL) == (error == NULL));
  g_clear_error (&error);
  if (map == NULL)
    return 0;
  EngineIndex *index = engine_index_new ();
  engine_index_add_pack (index, mapped_pack (map));
  GPtrArray *findings = findings_new ();
  /* Long enough to be winnowed first (64 k-grams), and the words again on their own. */
  GString *long_text = g_string_new (NULL);
  for (guint i = 0; i < 4; i++)
    g_string_append (long_text, text);
  engine_index_match (index, long_text->str, long_text->len, findings);
  engine_index_match (index, text, sizeof text - 1, findings);
  for (guint i = 0; i < findings->len; i++)
    FUZZ_CHECK (((Finding *) findings->pdata[i])->name != NULL);
  g_string_free (long_text, TRUE);
  g_ptr_array_unref (findings);
  engine_index_free (index);
  return 0;
}
