#include "pack-file.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "json.h"
#include "weir-error.h"

#define SIG_OFFSET 22
#define BODY_LEN_OFFSET 86
#define META_MAX 65536
#define STRING_MAX 4096
#define ENTRY_BYTES 16
#define VALUE_BYTES 14

void
pack_meta_clear (PackMeta *meta)
{
  g_clear_pointer (&meta->name, g_free);
  g_clear_pointer (&meta->label, g_free);
}

/* ---- writing ---- */

static void
put_u32 (GByteArray *out, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &le, 4);
}

static void
put_u64 (GByteArray *out, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &le, 8);
}

/* Room for n more bytes at the end of out, where the large arrays are stored one value
 * after another: an append per field was most of writing a pack. */
static guint8 *
put_room (GByteArray *out, gsize n)
{
  gsize at = out->len;
  g_assert (at + n <= G_MAXUINT);  /* a pack is at most 4 GiB */
  g_byte_array_set_size (out, (guint) (at + n));
  return out->data + at;
}

static inline guint8 *
store_u16 (guint8 *p, guint16 v)
{
  v = GUINT16_TO_LE (v);
  memcpy (p, &v, 2);
  return p + 2;
}

static inline guint8 *
store_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
  return p + 4;
}

static inline guint8 *
store_u64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
  return p + 8;
}

static void
put_string (GByteArray *out, const char *s)
{
  gsize n = strlen (s);
  put_u32 (out, (guint32) n);
  g_byte_array_append (out, (const guint8 *) s, (guint) n);
}

static void
add_number_digits (cJSON *obj, const EdmTable *edm)
{
  if (edm == NULL || edm->number_digits == G_MAXUINT64)
    return;
  cJSON *digits = cJSON_AddArrayToObject (obj, "edm_number_digits");
  for (int n = 0; n < 64; n++)
    if (edm->number_digits & edm_digits_bit ((gsize) n))
      cJSON_AddItemToArray (digits, cJSON_CreateNumber (n));
}

static char *
meta_to_json (const PackMeta *meta, const EdmTable *edm)
{
  g_autoptr (cJSON) obj = cJSON_CreateObject ();
  g_autofree char *key_id = sign_key_id_hex (meta->key_id);
  cJSON_AddStringToObject (obj, "name", meta->name);
  cJSON_AddStringToObject (obj, "label", meta->label);
  cJSON_AddNumberToObject (obj, "version", (double) meta->version);
  cJSON_AddNumberToObject (obj, "created", (double) meta->created);
  cJSON_AddStringToObject (obj, "key_id", key_id);
  cJSON_AddNumberToObject (obj, "documents", meta->documents);
  cJSON_AddNumberToObject (obj, "fingerprints", (double) meta->fingerprints);
  cJSON_AddNumberToObject (obj, "dropped", (double) meta->dropped);
  cJSON_AddNumberToObject (obj, "records", meta->records);
  cJSON_AddNumberToObject (obj, "values", (double) meta->values);
  cJSON_AddNumberToObject (obj, "k", WINNOW_K);
  cJSON_AddNumberToObject (obj, "w", WINNOW_W);
  add_number_digits (obj, edm);
  return cJSON_PrintUnformatted (obj);
}

static void
put_edm (GByteArray *out, const EdmTable *t)
{
  g_byte_array_append (out, (const guint8 *) "\1", 1);
  put_string (out, t->name);
  g_byte_array_append (out, t->key, EDM_KEY_BYTES);
  put_u32 (out, t->n_records);
  put_u32 (out, t->n_columns);
  for (guint i = 0; i < t->n_columns; i++)
    {
      guint8 flags[2] = { (guint8) t->columns[i].kind, t->columns[i].unique ? 1 : 0 };
      put_string (out, t->columns[i].name);
      g_byte_array_append (out, flags, 2);
    }
  put_u64 (out, t->n_entries);
  guint8 *p = put_room (out, t->n_entries * VALUE_BYTES);
  for (gsize i = 0; i < t->n_entries; i++)
    p = store_u16 (store_u32 (store_u64 (p, t->entries[i].hash), t->entries[i].record), t->entries[i].column);
  put_u64 (out, t->n_words);
  p = put_room (out, t->n_words * 8);
  for (gsize i = 0; i < t->n_words; i++)
    p = store_u64 (p, t->words[i]);
}

static void
put_body (GByteArray *out, const PackMeta *meta, const IndexPack *pack)
{
  g_autofree char *json = meta_to_json (meta, pack->edm);
  put_string (out, json);
  g_byte_array_append (out, pack->doc_key, WINNOW_KEY_BYTES);
  put_u32 (out, pack->documents->len);
  for (guint i = 0; i < pack->documents->len; i++)
    put_string (out, pack->documents->pdata[i]);
  put_u64 (out, pack->n_entries);
  guint8 *p = put_room (out, pack->n_entries * ENTRY_BYTES);
  for (gsize i = 0; i < pack->n_entries; i++)
    p = store_u32 (store_u32 (store_u64 (p, pack->entries[i].hash), pack->entries[i].doc), pack->entries[i].pos);
  if (pack->edm != NULL)
    put_edm (out, pack->edm);
  else
    g_byte_array_append (out, (const guint8 *) "\0", 1);
}

/* What the signature covers: the context, then BLAKE2b-512 of the file without the
 * signature bytes (so a 4 GiB pack is hashed in place, never copied). */
static void
signed_message (const guint8 *file, gsize len, guint8 msg[sizeof PACK_SIG_CONTEXT - 1 + 64])
{
  crypto_generichash_state state;
  gsize ctx = sizeof PACK_SIG_CONTEXT - 1;
  memcpy (msg, PACK_SIG_CONTEXT, ctx);
  crypto_generichash_init (&state, NULL, 0, 64);
  crypto_generichash_update (&state, file, SIG_OFFSET);
  crypto_generichash_update (&state, file + BODY_LEN_OFFSET, len - BODY_LEN_OFFSET);
  crypto_generichash_final (&state, msg + ctx, 64);
}

EdmValueHash
pack_file_edm_value_hash (guint format)
{
  return format < 3 ? EDM_VALUE_HASH_BLAKE2B : EDM_VALUE_HASH_SIPHASH;
}

guint
pack_file_format (const IndexPack *pack)
{
  if (pack->kgram_hash == WINNOW_HASH_SIPHASH)
    return 1;
  /* Format 3 changes only the table's value hash: a pack without a table is the same
   * in format 2, which endpoints from before format 3 read. */
  return pack->edm != NULL && pack->edm->value_hash == EDM_VALUE_HASH_SIPHASH ? 3 : 2;
}

void
pack_file_set_format (IndexPack *pack, guint format)
{
  g_return_if_fail (format >= PACK_FORMAT_OLDEST && format <= PACK_FORMAT);
  pack->kgram_hash = format == 1 ? WINNOW_HASH_SIPHASH : WINNOW_HASH_MULTILINEAR;
  if (pack->edm != NULL)
    pack->edm->value_hash = pack_file_edm_value_hash (format);
}

GBytes *
pack_file_write (const PackMeta *meta, const IndexPack *pack, const SignSecretKey *sk)
{
  PackMeta m = *meta;
  memcpy (m.key_id, sign_secret_key_id (sk), SIGN_KEY_ID_BYTES);
  GByteArray *out = g_byte_array_new ();
  guint8 zero_sig[SIGN_BYTES] = { 0 };
  g_byte_array_append (out, (const guint8 *) PACK_MAGIC, 8);
  put_u32 (out, pack_file_format (pack));
  g_byte_array_append (out, (const guint8 *) SIGN_ALG, 2);
  g_byte_array_append (out, m.key_id, SIGN_KEY_ID_BYTES);
  g_byte_array_append (out, zero_sig, SIGN_BYTES);
  put_u64 (out, 0);
  put_body (out, &m, pack);
  guint64 body = GUINT64_TO_LE ((guint64) (out->len - PACK_HEADER_BYTES));
  memcpy (out->data + BODY_LEN_OFFSET, &body, 8);
  guint8 msg[sizeof PACK_SIG_CONTEXT - 1 + 64];
  signed_message (out->data, out->len, msg);
  sign_detached (sk, msg, sizeof msg, out->data + SIG_OFFSET);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
pack_file_write_skeleton (const PackMeta *meta, const IndexPack *pack)
{
  IndexPack shallow = *pack;
  EdmTable edm;
  shallow.n_entries = 0;
  if (pack->edm != NULL)
    {
      edm = *pack->edm;
      edm.n_entries = 0;
      edm.n_words = 0;
      shallow.edm = &edm;
    }
  GByteArray *out = g_byte_array_new ();
  guint8 zero_sig[SIGN_BYTES] = { 0 };
  g_byte_array_append (out, (const guint8 *) PACK_MAGIC, 8);
  put_u32 (out, pack_file_format (pack));
  g_byte_array_append (out, (const guint8 *) SIGN_ALG, 2);
  g_byte_array_append (out, meta->key_id, SIGN_KEY_ID_BYTES);
  g_byte_array_append (out, zero_sig, SIGN_BYTES);
  put_u64 (out, 0);
  put_body (out, meta, &shallow);
  guint64 body = GUINT64_TO_LE ((guint64) (out->len - PACK_HEADER_BYTES));
  memcpy (out->data + BODY_LEN_OFFSET, &body, 8);
  return g_byte_array_free_to_bytes (out);
}

/* ---- reading ---- */

typedef struct {
  const guint8 *p;
  gsize left;
  const char *failed;  /* what could not be read; NULL while all is well */
} Reader;

static const guint8 *
take (Reader *r, gsize n, const char *what)
{
  if (r->failed != NULL)
    return NULL;
  if (n > r->left)
    {
      r->failed = what;
      return NULL;
    }
  const guint8 *p = r->p;
  r->p += n;
  r->left -= n;
  return p;
}

static guint32
get_u32 (Reader *r, const char *what)
{
  const guint8 *p = take (r, 4, what);
  guint32 v = 0;
  if (p)
    memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint64
get_u64 (Reader *r, const char *what)
{
  const guint8 *p = take (r, 8, what);
  guint64 v = 0;
  if (p)
    memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

/* Names reach terminals and dialogs: n bytes of UTF-8 without NUL, control characters,
 * C0, DEL or C1. ASCII in one pass (a document name mostly is: the 400 000 names of the
 * 1 B-word bench took four passes and an allocation each, most of a host's start). */
static gboolean
printable (const char *s, gsize n)
{
  gsize i = 0;
  while (i < n && (guchar) s[i] >= 0x20 && (guchar) s[i] < 0x7f)
    i++;
  if (i == n)
    return TRUE;
  if (!g_utf8_validate_len (s + i, n - i, NULL))
    return FALSE;
  for (const char *p = s + i, *end = s + n; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return FALSE;  /* NUL among them */
    }
  return TRUE;
}

/* A length-prefixed string of at most max bytes that printable() accepts, in place (not
 * terminated); NULL when it fails. */
static const char *
take_string (Reader *r, gsize max, const char *what, guint32 *len)
{
  guint32 n = get_u32 (r, what);
  if (r->failed == NULL && n > max)
    r->failed = what;
  const char *p = (const char *) take (r, n, what);
  if (p == NULL)
    return NULL;
  if (!printable (p, n))
    {
      r->failed = what;
      return NULL;
    }
  *len = n;
  return p;
}

static char *
get_string (Reader *r, gsize max, const char *what)
{
  guint32 n = 0;
  const char *p = take_string (r, max, what, &n);
  return p != NULL ? g_strndup (p, n) : NULL;
}

static gboolean
fail (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, int code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, WEIR_ERROR, code, msg);
  return FALSE;
}

/* Checks the fixed header and the body length; *body_len receives it. */
static gboolean
check_header (const guint8 *data, gsize len, guint *format_out, guint64 *body_len, GError **error)
{
  if (len < 8 || memcmp (data, PACK_MAGIC, 8) != 0)
    return fail (error, WEIR_ERROR_PACK, "not a Weir pack (no WEIRPACK header)");
  if (len < PACK_HEADER_BYTES)
    return fail (error, WEIR_ERROR_PACK, "the pack is truncated (%zu bytes)", len);
  guint32 format;
  memcpy (&format, data + 8, 4);
  format = GUINT32_FROM_LE (format);
  if (format < PACK_FORMAT_OLDEST || format > PACK_FORMAT)
    return fail (error, WEIR_ERROR_PACK, "pack format %u is not supported by this Weir (it reads %d to %d)",
                 format, PACK_FORMAT_OLDEST, PACK_FORMAT);
  *format_out = format;
  if (memcmp (data + 12, SIGN_ALG, 2) != 0)
    return fail (error, WEIR_ERROR_PACK, "the pack's signature algorithm is not Ed25519");
  memcpy (body_len, data + BODY_LEN_OFFSET, 8);
  *body_len = GUINT64_FROM_LE (*body_len);
  if (*body_len > len - PACK_HEADER_BYTES)
    return fail (error, WEIR_ERROR_PACK, "the pack is truncated (%zu of %" G_GUINT64_FORMAT " bytes)",
                 len, *body_len + PACK_HEADER_BYTES);
  if (*body_len < len - PACK_HEADER_BYTES)
    return fail (error, WEIR_ERROR_PACK, "%" G_GUINT64_FORMAT " bytes of junk follow the pack",
                 (guint64) (len - PACK_HEADER_BYTES - *body_len));
  return TRUE;
}

static gboolean
json_number (const cJSON *obj, const char *key, double min, double max, double *out)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (!cJSON_IsNumber (item) || item->valuedouble < min || item->valuedouble > max)
    return FALSE;
  *out = item->valuedouble;
  return TRUE;
}

/* edm_number_digits: absent in packs built before it (every length may match), else
 * an array of digit counts 0..63. */
static gboolean
parse_number_digits (const cJSON *obj, guint64 *out)
{
  const cJSON *digits = cJSON_GetObjectItemCaseSensitive (obj, "edm_number_digits");
  *out = G_MAXUINT64;
  if (digits == NULL)
    return TRUE;
  if (!cJSON_IsArray (digits) || cJSON_GetArraySize (digits) > 64)
    return FALSE;
  *out = 0;
  const cJSON *n;
  cJSON_ArrayForEach (n, digits)
    {
      if (!cJSON_IsNumber (n) || n->valuedouble < 0 || n->valuedouble > 63
          || n->valuedouble != (double) (int) n->valuedouble)
        return FALSE;
      *out |= edm_digits_bit ((gsize) n->valuedouble);
    }
  return TRUE;
}

static gboolean
parse_meta (const char *json, PackMeta *meta, GError **error)
{
  g_autoptr (cJSON) obj = cJSON_Parse (json);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive (obj, "name");
  const cJSON *label = cJSON_GetObjectItemCaseSensitive (obj, "label");
  double version, created, k = 0, w = 0, n;
  if (!cJSON_IsObject (obj) || !cJSON_IsString (name) || !cJSON_IsString (label)
      || !json_number (obj, "version", 0, 9007199254740992.0, &version)
      || !json_number (obj, "created", 0, 9007199254740992.0, &created)
      || !parse_number_digits (obj, &meta->edm_number_digits))
    return fail (error, WEIR_ERROR_PACK, "the pack's metadata is malformed");
  if (!json_number (obj, "k", 1, 64, &k) || !json_number (obj, "w", 1, 1024, &w)
      || k != WINNOW_K || w != WINNOW_W)
    return fail (error, WEIR_ERROR_PACK, "the pack was built with other fingerprint settings "
                 "(k=%g, w=%g; this Weir uses k=%d, w=%d): rebuild it", k, w, WINNOW_K, WINNOW_W);
  if (name->valuestring[0] == '\0' || strlen (name->valuestring) > PACK_NAME_MAX
      || label->valuestring[0] == '\0' || strlen (label->valuestring) > PACK_NAME_MAX
      || !printable (name->valuestring, strlen (name->valuestring))
      || !printable (label->valuestring, strlen (label->valuestring)))
    return fail (error, WEIR_ERROR_PACK, "the pack's name or label is empty, too long or not printable");
  meta->name = g_strdup (name->valuestring);
  meta->label = g_strdup (label->valuestring);
  meta->version = (gint64) version;
  meta->created = (gint64) created;
  meta->dropped_known = json_number (obj, "dropped", 0, 1e15, &n);
  meta->dropped = meta->dropped_known ? (gsize) n : 0;
  return TRUE;
}

static gboolean
read_meta (Reader *r, PackMeta *meta, GError **error)
{
  g_autofree char *json = get_string (r, META_MAX, "metadata");
  if (json == NULL)
    return fail (error, WEIR_ERROR_PACK, "the pack's metadata is truncated or malformed");
  return parse_meta (json, meta, error);
}

static gboolean
read_documents (Reader *r, IndexPack *pack)
{
  const guint8 *key = take (r, WINNOW_KEY_BYTES, "k-gram key");
  guint32 n = get_u32 (r, "document count");
  if (key == NULL || r->failed || n > r->left / 4)
    return r->failed = r->failed ? r->failed : "document count", FALSE;
  memcpy (pack->doc_key, key, WINNOW_KEY_BYTES);
  for (guint32 i = 0; i < n; i++)
    {
      guint32 len = 0;
      const char *name = take_string (r, STRING_MAX, "document names", &len);
      if (name == NULL)
        return FALSE;
      g_ptr_array_add (pack->documents, g_string_chunk_insert_len (pack->names, name, len));
    }
  return TRUE;
}

static gboolean
read_fingerprints (Reader *r, IndexPack *pack)
{
  guint64 n = get_u64 (r, "fingerprint count");
  if (r->failed || n > r->left / ENTRY_BYTES)
    return r->failed = "fingerprints", FALSE;
  const guint8 *p = take (r, n * ENTRY_BYTES, "fingerprints");
  pack->entries = g_new (IndexEntry, MAX (n, 1));
  pack->n_entries = n;
  for (gsize i = 0; i < n; i++, p += ENTRY_BYTES)
    {
      IndexEntry *e = &pack->entries[i];
      memcpy (&e->hash, p, 8);
      memcpy (&e->doc, p + 8, 4);
      memcpy (&e->pos, p + 12, 4);
      e->hash = GUINT64_FROM_LE (e->hash);
      e->doc = GUINT32_FROM_LE (e->doc);
      e->pos = GUINT32_FROM_LE (e->pos);
      if (e->doc >= pack->documents->len || (i > 0 && index_entry_compare (e - 1, e) > 0))
        return r->failed = "fingerprints (unsorted or naming no document)", FALSE;
    }
  return TRUE;
}

static gboolean
read_columns (Reader *r, EdmTable *t)
{
  t->n_records = get_u32 (r, "EDM records");
  guint32 n = get_u32 (r, "EDM columns");
  if (r->failed || n == 0 || n > EDM_MAX_COLUMNS)
    return r->failed = "EDM columns", FALSE;
  for (guint32 i = 0; i < n; i++)
    {
      char *name = get_string (r, STRING_MAX, "EDM column names");
      const guint8 *flags = take (r, 2, "EDM columns");
      if (name == NULL || flags == NULL || flags[0] > EDM_KIND_NAME || flags[1] > 1)
        {
          g_free (name);
          return r->failed = "EDM columns", FALSE;
        }
      t->columns[t->n_columns++] = (EdmColumn) { name, (EdmKind) flags[0], flags[1] == 1 };
    }
  return TRUE;
}

static gboolean
read_values (Reader *r, EdmTable *t)
{
  guint64 n = get_u64 (r, "EDM values");
  if (r->failed || n > r->left / VALUE_BYTES)
    return r->failed = "EDM values", FALSE;
  const guint8 *p = take (r, n * VALUE_BYTES, "EDM values");
  t->entries = g_new0 (EdmEntry, MAX (n, 1));
  t->n_entries = n;
  for (gsize i = 0; i < n; i++, p += VALUE_BYTES)
    {
      EdmEntry *e = &t->entries[i];
      memcpy (&e->hash, p, 8);
      memcpy (&e->record, p + 8, 4);
      memcpy (&e->column, p + 12, 2);
      e->hash = GUINT64_FROM_LE (e->hash);
      e->record = GUINT32_FROM_LE (e->record);
      e->column = GUINT16_FROM_LE (e->column);
      if (e->column >= t->n_columns || e->record >= t->n_records || (i > 0 && e[-1].hash > e->hash))
        return r->failed = "EDM values (unsorted or out of range)", FALSE;
    }
  return TRUE;
}

static gboolean
read_words (Reader *r, EdmTable *t)
{
  guint64 n = get_u64 (r, "EDM word filter");
  if (r->failed || n > r->left / 8)
    return r->failed = "EDM word filter", FALSE;
  t->words = g_new (guint64, MAX (n, 1));
  t->n_words = n;
  for (gsize i = 0; i < n; i++)
    {
      t->words[i] = get_u64 (r, "EDM word filter");
      if (i > 0 && t->words[i - 1] >= t->words[i])
        return r->failed = "EDM word filter (unsorted)", FALSE;
    }
  return TRUE;
}

static gboolean
read_edm (Reader *r, IndexPack *pack)
{
  const guint8 *has = take (r, 1, "EDM flag");
  if (has == NULL || *has > 1)
    return r->failed = "EDM flag", FALSE;
  if (*has == 0)
    return TRUE;
  g_autofree char *name = get_string (r, STRING_MAX, "EDM table name");
  const guint8 *key = take (r, EDM_KEY_BYTES, "EDM key");
  if (name == NULL || key == NULL)
    return FALSE;
  pack->edm = edm_table_new (name);
  memcpy (pack->edm->key, key, EDM_KEY_BYTES);
  return read_columns (r, pack->edm) && read_values (r, pack->edm) && read_words (r, pack->edm);
}

static IndexPack *
parse_body (const guint8 *body, gsize len, PackMeta *meta, GError **error)
{
  Reader r = { body, len, NULL };
  if (!read_meta (&r, meta, error))
    return NULL;
  g_autoptr (IndexPack) pack = index_pack_new (meta->name, meta->label);
  if (!read_documents (&r, pack) || !read_fingerprints (&r, pack) || !read_edm (&r, pack))
    {
      fail (error, WEIR_ERROR_PACK, "the pack is malformed: %s", r.failed ? r.failed : "?");
      return NULL;
    }
  if (r.left != 0)
    {
      fail (error, WEIR_ERROR_PACK, "the pack is malformed: %zu unread bytes", r.left);
      return NULL;
    }
  if (pack->edm != NULL)
    pack->edm->number_digits = meta->edm_number_digits;
  meta->documents = pack->documents->len;
  meta->fingerprints = pack->n_entries;
  meta->records = pack->edm ? pack->edm->n_records : 0;
  meta->values = pack->edm ? pack->edm->n_entries : 0;
  return g_steal_pointer (&pack);
}

gboolean
pack_file_peek (const guint8 *data, gsize avail, gsize file_len, PackMeta *meta, GError **error)
{
  guint64 body_len = 0;
  /* check_header reads only the first PACK_HEADER_BYTES, and checks the length claimed
   * there against the whole file's. */
  if (!check_header (data, avail < PACK_HEADER_BYTES ? avail : file_len, &meta->format, &body_len, error))
    return FALSE;
  Reader r = { data + PACK_HEADER_BYTES, MIN (body_len, avail - PACK_HEADER_BYTES), NULL };
  memcpy (meta->key_id, data + 14, SIGN_KEY_ID_BYTES);
  return read_meta (&r, meta, error);
}

static const SignPublicKey *
find_key (GArray *keys, const guint8 *id)
{
  for (guint i = 0; keys != NULL && i < keys->len; i++)
    if (sodium_memcmp (g_array_index (keys, SignPublicKey, i).id, id, SIGN_KEY_ID_BYTES) == 0)
      return &g_array_index (keys, SignPublicKey, i);
  return NULL;
}

static IndexPack *
open_file (GBytes *bytes, GArray *keys, gboolean verify, PackMeta *meta, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  guint64 body_len = 0;
  guint format = 0;
  if (data == NULL || !check_header (data, len, &format, &body_len, error))
    return NULL;
  const SignPublicKey *key = find_key (keys, data + 14);
  if (key == NULL)
    {
      g_autofree char *id = sign_key_id_hex (data + 14);
      fail (error, WEIR_ERROR_REFUSED, "the pack is signed by key %s, which is not trusted here "
            "(weir trust add ADMIN.pub)", id);
      return NULL;
    }
  guint8 msg[sizeof PACK_SIG_CONTEXT - 1 + 64];
  if (verify)
    signed_message (data, len, msg);
  if (verify && !sign_verify (key, msg, sizeof msg, data + SIG_OFFSET))
    {
      fail (error, WEIR_ERROR_TAMPERED, "the pack's signature does not verify: it was altered "
            "after signing or is damaged");
      return NULL;
    }
  PackMeta parsed = { 0 };
  IndexPack *pack = parse_body (data + PACK_HEADER_BYTES, body_len, &parsed, error);
  if (pack == NULL)
    {
      pack_meta_clear (&parsed);
      return NULL;
    }
  memcpy (parsed.key_id, data + 14, SIGN_KEY_ID_BYTES);
  parsed.format = format;
  pack_file_set_format (pack, format);
  /* No boilerplate was passed over (or, before issue 27, dropped): plain winnowing. */
  pack->winnowed_paste = parsed.dropped_known && parsed.dropped == 0;
  pack_meta_clear (meta);
  *meta = parsed;
  return pack;
}

IndexPack *
pack_file_open (GBytes *bytes, GArray *keys, PackMeta *meta, GError **error)
{
  return open_file (bytes, keys, TRUE, meta, error);
}

IndexPack *
pack_file_open_stored (GBytes *bytes, GArray *keys, PackMeta *meta, GError **error)
{
  return open_file (bytes, keys, FALSE, meta, error);
}
