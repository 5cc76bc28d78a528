/* pack-file.h: the signed .weirpack format.
 *
 * In minisign's spirit: algorithm id, key id, signature, then the signed content.
 * All integers little-endian.
 *
 *   0   "WEIRPACK"            magic (8)
 *   8   u32 format            PACK_FORMAT (3), 2 or 1: one layout; the number names
 *                             the keyed hashes inside (pack_file_set_format): the
 *                             k-gram hash (engine/winnow.h, WinnowHash: SipHash-2-4
 *                             in 1, multilinear from 2) and the EDM value hash
 *                             (engine/edm.h, EdmValueHash: keyed BLAKE2b in 1 and 2,
 *                             SipHash-2-4 from 3). All three are read; a pack is
 *                             written in the format its IndexPack's hashes name.
 *   12  "Ed"                  signature algorithm (2)
 *   14  key id (8)            the admin key that signed
 *   22  signature (64)        Ed25519 over PACK_SIG_CONTEXT | BLAKE2b-512 of every
 *                             byte of the file except these 64
 *   86  u64 body length       the file ends exactly after the body
 *   94  body:
 *       u32 n, metadata JSON (n bytes): name, label, version, created, key_id,
 *                             counts, k, w, and with an EDM table edm_number_digits
 *                             (the digit counts of its number values; readers
 *                             before it ignore it, packs before it lack it)
 *       k-gram key (16)
 *       u32 documents, then per document u32 n + name (UTF-8)
 *       u64 fingerprints, then per fingerprint u64 hash, u32 document, u32 position,
 *                             sorted
 *       u8 has_edm; when 1: u32 n + table name, EDM key (32), u32 records,
 *                             u32 columns, per column u32 n + name, u8 kind, u8 unique,
 *                             u64 values, per value u64 hash, u32 record, u16 column,
 *                             sorted; u64 words, per word u64 hash, sorted (the word
 *                             filter of text and name values, engine/edm.h)
 *
 * The pack holds keyed hashes and names only: no document text, no table value. */
#pragma once

#include <glib.h>

#include "engine/index.h"
#include "sign/sign.h"

#define PACK_MAGIC "WEIRPACK"
#define PACK_FORMAT 3          /* the newest format, written by default */
#define PACK_FORMAT_OLDEST 1   /* the oldest format still read */
#define PACK_HEADER_BYTES 94
#define PACK_SIG_CONTEXT "weir pack signature v1"
#define PACK_MAX_BYTES ((gsize) 1 << 32)   /* 4 GiB */
#define PACK_NAME_MAX 200

typedef struct {
  guint format;           /* the file's format, PACK_FORMAT_OLDEST..PACK_FORMAT */
  char *name;
  char *label;
  guint64 edm_number_digits;  /* EdmTable.number_digits; G_MAXUINT64 when not given */
  gint64 version;
  gint64 created;         /* unix seconds */
  guint8 key_id[SIGN_KEY_ID_BYTES];
  guint documents;
  gsize fingerprints;
  gsize dropped;
  gboolean dropped_known;   /* the metadata has "dropped" */
  guint records;
  gsize values;
} PackMeta;

void pack_meta_clear (PackMeta *meta);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PackMeta, pack_meta_clear)

/* The format pack's hashes are written in (the oldest that names them: a pack without
 * an EDM table is written as format 2 even when built for 3), and the hashes a format
 * names (on the pack and its EDM table, if any): PACK_FORMAT_OLDEST..PACK_FORMAT. */
guint pack_file_format (const IndexPack *pack);
void pack_file_set_format (IndexPack *pack, guint format);
/* The EDM value hash a format names. */
EdmValueHash pack_file_edm_value_hash (guint format);

/* Serialises pack with meta (key_id is taken from sk) and signs it. */
GBytes *pack_file_write (const PackMeta *meta, const IndexPack *pack, const SignSecretKey *sk);

/* The pack without its fingerprints, EDM values and EDM words, unsigned: metadata, keys,
 * names and columns, what a host needs beside the pack's index file
 * (pack/pack-index.c). Kept in the store only; read back with pack_file_open_stored(). */
GBytes *pack_file_write_skeleton (const PackMeta *meta, const IndexPack *pack);

/* The metadata as the file claims it, without verifying anything: for deciding cheaply
 * that a file in the inbox is not newer. data holds the first avail bytes of a file of
 * file_len bytes (PACK_PEEK_BYTES are enough). Never trust the result further. */
#define PACK_PEEK_BYTES (PACK_HEADER_BYTES + 4 + 65536)
gboolean pack_file_peek (const guint8 *data, gsize avail, gsize file_len, PackMeta *meta, GError **error);

/* Verifies the signature with the key among keys (a GArray of SignPublicKey) whose id
 * the file names, then parses and checks every structure. Returns the pack and fills
 * meta; on any failure returns NULL and leaves nothing behind. */
IndexPack *pack_file_open (GBytes *bytes, GArray *keys, PackMeta *meta, GError **error);

/* The same for bytes that pack_file_open() accepted before and the store has kept since:
 * the signer must still be among keys (so `weir trust remove` revokes its packs) and
 * every structure is checked again, but the signature is not hashed again. That hash
 * is a third of a cold start with a million fingerprints, and it would not protect
 * anything: whoever can rewrite the store can as well delete the pack, and the store
 * authenticates its own pages. */
IndexPack *pack_file_open_stored (GBytes *bytes, GArray *keys, PackMeta *meta, GError **error);
