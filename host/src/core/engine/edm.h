/* edm.h: exact data match: records of a table (people, customers, accounts) found in
 * content by keyed hashes of their values, never the values themselves.
 *
 * A value is normalised by its column's kind, then hashed under a key that belongs to
 * the pack into 64 bits (EdmValueHash: keyed SipHash-2-4 in pack format 3, keyed
 * BLAKE2b before). In content, candidates of every kind present are
 * extracted and hashed the same way. A record matches when two of its columns appear
 * within EDM_NEAR_BYTES of each other (a CSV row, a JSON object, a sentence), or when
 * one of its columns the admin marked unique appears alone. Values shared by more
 * than EDM_COMMON_RECORDS records are dropped when the pack is built, so a first name
 * or a city never counts as evidence.
 *
 * Limit: whoever holds a pack holds its key, so a column whose values can be
 * enumerated (9-digit numbers, dates of birth) can be recovered by brute force. The
 * hashes keep values out of sight, not out of reach. */
#pragma once

#include <glib.h>
#include <sodium.h>

#include "index-map.h"
#include "normalize.h"

#define EDM_KEY_BYTES 32
#define EDM_MAX_COLUMNS 32
#define EDM_NEAR_BYTES 256
#define EDM_COMMON_RECORDS 5
#define EDM_MAX_WORDS 6      /* text and name values longer than this never match */
/* Number values of fewer digits identify nobody and would match any text ("1", "42"):
 * dropped when a table is built, never looked up in content. */
#define EDM_NUMBER_MIN_DIGITS 3

typedef enum {
  EDM_KIND_TEXT = 0,    /* words in order, case- and punctuation-folded */
  EDM_KIND_EMAIL = 1,   /* lower-cased, trimmed */
  EDM_KIND_NUMBER = 2,  /* its digits only: "555-12 34" = "5551234" */
  EDM_KIND_NAME = 3,    /* words in any order: "Smith, John" = "john smith" */
} EdmKind;

#define EDM_KINDS 4

/* The keyed hash of a table's values, fixed by the pack's format (pack/pack-file.h). */
typedef enum {
  /* Formats 1 and 2: BLAKE2b-64 keyed with the table's key over the kind byte and the
   * value. libsodium compresses the key as a block of its own, so a value costs two
   * compressions: most of the CPU time of building a pack from a large table. */
  EDM_VALUE_HASH_BLAKE2B = 1,
  /* Format 3: SipHash-2-4 (libsodium crypto_shorthash) of the value under a key per
   * kind: BLAKE2b with a 16-byte output, keyed with the table's key, over
   * EDM_VALUE_KEY_CONTEXT and the kind byte; a PRF of 64-bit output like the one it
   * replaces, about ten times faster for short values. The word filter's hashes use
   * SipHash under the table key's first half itself, another key. */
  EDM_VALUE_HASH_SIPHASH = 3,
} EdmValueHash;

#define EDM_VALUE_KEY_CONTEXT "weir edm value key"

const char *edm_kind_name (EdmKind kind);
gboolean edm_kind_parse (const char *name, EdmKind *out);

typedef struct {
  char *name;
  EdmKind kind;
  gboolean unique;  /* one value alone identifies a record */
} EdmColumn;

/* One hashed value. The array of a table is sorted by hash. */
typedef struct {
  guint64 hash;
  guint32 record;
  guint16 column;
  guint16 reserved;
} EdmEntry;

typedef struct {
  char *name;                    /* the table's name in reasons */
  guint8 key[EDM_KEY_BYTES];     /* public: every endpoint holds it (see the limit above) */
  EdmValueHash value_hash;       /* the pack format's (EDM_VALUE_HASH_SIPHASH when new) */
  EdmColumn columns[EDM_MAX_COLUMNS];
  guint n_columns;
  guint32 n_records;
  EdmEntry *entries;             /* owned; sorted by hash */
  gsize n_entries;
  /* Every word of every text and name value, as keyed SipHash (edm_word_hash), sorted:
   * a run of words in content is hashed as a value only when each of its words is
   * here, which skips almost all prose. */
  guint64 *words;                /* owned */
  gsize n_words;
  /* Bit n set: some number value of the table has n digits (bit 63: 63 or more). A
   * paste's digit runs of other lengths are not looked up: prose is full of short
   * numbers and each lookup costs a value hash. All ones when unknown (packs built
   * before the pack metadata carried it). */
  guint64 number_digits;
  /* Blocked Bloom filters over the hashes of words and of entries, 16 to 32 bits each
   * (eight bits in one 256-bit block per hash, bloom.h): most words and candidate values of a
   * paste are in no table, and one word answers for them where a binary search read a
   * dozen cache lines. NULL until edm_table_index. */
  guint64 *word_filter, *value_filter;  /* owned */
  guint word_filter_bits, value_filter_bits;
  /* Which words of pastes are in the table, kept across scans (engine/edm.c): process
   * memory only, allocated with the table, never part of a pack or an index file. */
  struct EdmWordCache *word_cache;  /* owned */
  /* When set (borrowed from the IndexPack), entries, words and the filters point into
   * this mapped file, are not freed with the table, and every read is checked. */
  IndexMap *map;
} EdmTable;

EdmTable *edm_table_new (const char *name);
/* The number_digits bit for a value of len digits. */
static inline guint64
edm_digits_bit (gsize len)
{
  return G_GUINT64_CONSTANT (1) << MIN (len, 63);
}

/* Builds the filters over words and entries, once both are in place (sorted). */
void edm_table_index (EdmTable *table);
void edm_table_free (EdmTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EdmTable, edm_table_free)

/* Normalises value as kind into out (replacing its content); FALSE when nothing is left
 * (an empty cell, an e-mail without "@", a number without digits). */
gboolean edm_value_normalize (EdmKind kind, const char *value, gsize len, GString *out);
/* The hash of a normalised value, domain-separated by kind, as how hashes under key. */
guint64 edm_value_hash (EdmValueHash how, const guint8 key[EDM_KEY_BYTES], EdmKind kind, const char *norm,
                        gsize len);

/* The same for many values under one key, with what depends on the key alone made once:
 * BLAKE2b's state after the key (copied per value; libsodium still compresses the key's
 * block with each value) or SipHash's key per kind. */
typedef struct {
  EdmValueHash how;
  crypto_generichash_state keyed;                              /* BLAKE2B */
  guint8 kind_keys[EDM_KINDS][crypto_shorthash_siphash24_KEYBYTES];  /* SIPHASH */
} EdmValueHasher;

void edm_value_hasher_init (EdmValueHasher *hasher, EdmValueHash how, const guint8 key[EDM_KEY_BYTES]);
guint64 edm_value_hasher_hash (const EdmValueHasher *hasher, EdmKind kind, const char *norm, gsize len);

/* The word filter's hash of one normalised word. */
guint64 edm_word_hash (const guint8 key[EDM_KEY_BYTES], const char *word, gsize len);

/* Build side: adds the filter hashes of norm's words (a normalised text or name value)
 * to words, a GArray of guint64. */
void edm_value_words (const guint8 key[EDM_KEY_BYTES], const char *norm, GArray *words);

typedef struct {
  guint records;       /* records that matched */
  guint64 columns;     /* bit i: column i was evidence in a matched record */
} EdmMatch;

/* Finds the table's records in text, whose words are already normalised
 * (norm_words_new (text, len)), so that the fingerprint matcher and every table share
 * one pass. */
void edm_table_match_words (const EdmTable *table, const char *text, gsize len, const NormWords *words,
                            EdmMatch *out);

/* Where a matched record's values are in the content: text[start..end). */
typedef struct {
  gsize start, end;
} EdmSpan;

/* edm_table_match_words, and for every matched record the place of each of its values
 * found in text appended to spans (EdmSpan; unordered, may overlap). spans may be NULL. */
void edm_table_match_spans (const EdmTable *table, const char *text, gsize len, const NormWords *words,
                            EdmMatch *out, GArray *spans);

/* edm_table_match_spans over a text whose words come in pieces (index.c, a text too
 * large for its words to be held at once): edm_scan_words takes the runs of words that
 * start at words [from, to) of each piece (a run reads on to the piece's end), whose
 * text starts base bytes into the content; edm_scan_finish adds the email and number
 * candidates of the whole text, gives the result, and frees scan. */
typedef struct EdmScan EdmScan;
EdmScan *edm_scan_new (const EdmTable *table);
void edm_scan_words (EdmScan *scan, const NormWords *words, guint from, guint to, gsize base);
void edm_scan_finish (EdmScan *scan, const char *text, gsize len, EdmMatch *out, GArray *spans);
