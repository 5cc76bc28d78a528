/* weir pack: build, verify, import and list fingerprint packs. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "extract.h"
#include "weir-error.h"
#include "context.h"
#include "engine/html.h"
#include "file.h"
#include "paths.h"
#include "json.h"
#include "pack/pack-build.h"
#include "pack/pack-docs.h"
#include "pack/pack.h"
#include "weir-error.h"

#define DOC_MAX_BYTES (256 * 1024 * 1024)
#define CSV_MAX_BYTES ((gsize) 2 << 30)
#define PROGRESS_AFTER_US G_USEC_PER_SEC
#define PROGRESS_EVERY_US (G_USEC_PER_SEC / 10)

typedef struct {
  gboolean tty;
  gint64 start, last;
  guint done, total;
  guint64 bytes;
} Progress;

static void
progress_show (Progress *p, gboolean final)
{
  gint64 now = g_get_monotonic_time ();
  if (!p->tty || (!final && (now - p->start < PROGRESS_AFTER_US || now - p->last < PROGRESS_EVERY_US)))
    return;
  if (final && p->last == 0)
    return;  /* a short build never showed progress */
  p->last = now;
  fprintf (stderr, "\rweir pack build: %u/%u documents, %.1f MB%s", p->done, p->total,
           p->bytes / 1e6, final ? "\n" : "");
  fflush (stderr);
}

/* ---- documents through weir-extract ---- */

typedef struct {
  GString *text;
  const char *path;
  GError *error;        /* the first record that says the file was not read whole */
  gboolean first_sheet; /* --edm: only the first sheet's text */
  gboolean sheet_done;
} Extracted;

static void
extracted_record (ExtractKind kind, const char *where, const char *data, gsize len, gpointer user_data)
{
  Extracted *x = user_data;
  if (kind == EXTRACT_TEXT)
    {
      if (x->first_sheet && (x->sheet_done || !g_str_has_prefix (where, "sheet ")))
        return;
      x->sheet_done = TRUE;
      g_string_append_len (x->text, data, (gssize) len);
      g_string_append_c (x->text, '\n');
      return;
    }
  if (x->error != NULL)
    return;
  const char *at = where[0] ? where : "the file";
  if (kind == EXTRACT_ENCRYPTED)
    g_set_error (&x->error, WEIR_ERROR, WEIR_ERROR_PACK, "%s: %s is encrypted; decrypt it first", x->path, at);
  else
    g_set_error (&x->error, WEIR_ERROR, WEIR_ERROR_PACK, "%s: %s was not read whole (%s)", x->path, at, data);
}

/* The text of a document (every part, in order) or, with first_sheet, the first sheet
 * of a workbook as tab-separated rows. Caller frees. */
static GString *
extract_text (const char *path, const char *data, gsize len, gboolean first_sheet, GError **error)
{
  static Extractor *extractor;  /* one launcher for the whole build */
  if (extractor == NULL && (extractor = extractor_new (NULL, error)) == NULL)
    return NULL;
  ExtractBounds bounds = EXTRACT_BOUNDS_DEFAULT;
  bounds.time_ms = 120000;  /* an admin's build waits; a browser does not */
  Extracted x = { g_string_new (NULL), path, NULL, first_sheet, FALSE };
  g_autofree char *base = g_path_get_basename (path);
  if (!extractor_run (extractor, &bounds, base, NULL, (const guchar *) data, len, extracted_record, &x, error))
    return g_string_free (x.text, TRUE), NULL;
  if (x.error != NULL)
    {
      g_propagate_error (error, x.error);
      return g_string_free (x.text, TRUE), NULL;
    }
  return x.text;
}

/* A sheet's tab-separated rows as CSV (every field quoted), for the EDM reader. */
static GString *
tsv_to_csv (const GString *tsv)
{
  GString *csv = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (tsv->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) cells = g_strsplit (lines[i], "\t", -1);
      guint n = g_strv_length (cells);
      while (n > 0 && cells[n - 1][0] == '\0')
        n--;  /* the separator after the last cell */
      if (n == 0)
        continue;
      for (guint c = 0; c < n; c++)
        {
          g_autofree char *quoted = NULL;
          g_auto (GStrv) parts = g_strsplit (cells[c], "\"", -1);
          quoted = g_strjoinv ("\"\"", parts);
          g_string_append_printf (csv, "%s\"%s\"", c ? "," : "", quoted);
        }
      g_string_append_c (csv, '\n');
    }
  return csv;
}

static gboolean
add_document (PackBuilder *b, const char *root, const char *path, Progress *p, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!cli_read_input (path, DOC_MAX_BYTES, &data, &len, error))
    return FALSE;
  g_autofree char *name = pack_docs_name (root, path);
  if (pack_docs_needs_extract (path))
    {
      GString *text = extract_text (path, data, len, FALSE, error);
      if (text == NULL)
        return FALSE;
      pack_builder_add_document (b, name, text->str, text->len);
      g_string_free (text, TRUE);
    }
  else if (pack_docs_is_html (path))
    {
      gsize text_len = 0;
      g_autofree char *text = engine_html_to_text (data, len, &text_len);
      pack_builder_add_document (b, name, text, text_len);
    }
  else
    pack_builder_add_document (b, name, data, len);
  p->bytes += len;
  p->done++;
  progress_show (p, FALSE);
  return TRUE;
}

static gboolean
add_documents (PackBuilder *b, char **dirs, guint64 *bytes, GError **error)
{
  g_autoptr (GPtrArray) roots = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  Progress p = { .tty = isatty (STDERR_FILENO), .start = g_get_monotonic_time () };
  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
    {
      GPtrArray *files = pack_docs_collect (dirs[i], error);
      if (files == NULL)
        return FALSE;
      g_ptr_array_add (roots, files);
      p.total += files->len;
    }
  for (guint i = 0; i < roots->len; i++)
    {
      GPtrArray *files = roots->pdata[i];
      for (guint j = 0; j < files->len; j++)
        if (!add_document (b, dirs[i], files->pdata[j], &p, error))
          return FALSE;
    }
  progress_show (&p, TRUE);
  *bytes = p.bytes;
  return TRUE;
}

/* A table to add, read (and a workbook's first sheet converted) before documents are
 * added, then hashed beside them. */
typedef struct {
  PackBuilder *builder;
  const char *path, *columns;
  char *csv, *name;
  gsize len;
  GError *error;
} EdmLoad;

static gboolean
edm_load_read (EdmLoad *e, GError **error)
{
  if (!cli_read_input (e->path, CSV_MAX_BYTES, &e->csv, &e->len, error))
    return FALSE;
  g_autofree char *lower = g_ascii_strdown (e->path, -1);
  if (g_str_has_suffix (lower, ".xlsx") || g_str_has_suffix (lower, ".xlsm") || g_str_has_suffix (lower, ".ods"))
    {
      /* A workbook: its first sheet, as the CSV reader takes it. */
      GString *tsv = extract_text (e->path, e->csv, e->len, TRUE, error);
      if (tsv == NULL)
        return FALSE;
      GString *as_csv = tsv_to_csv (tsv);
      g_string_free (tsv, TRUE);
      g_free (e->csv);
      e->len = as_csv->len;
      e->csv = g_string_free (as_csv, FALSE);
    }
  e->name = g_path_get_basename (e->path);
  char *dot = strrchr (e->name, '.');
  if (dot != NULL && dot != e->name)
    *dot = '\0';
  return TRUE;
}

/* In a thread of its own: the table touches other parts of the builder than documents
 * do (pack-build.h), and it is the larger work of a build with both. */
static gpointer
edm_load_hash (gpointer data)
{
  EdmLoad *e = data;
  if (!pack_builder_set_edm (e->builder, e->name, e->csv, e->len, e->columns, &e->error))
    g_prefix_error (&e->error, "%s: ", e->path);
  g_clear_pointer (&e->csv, g_free);
  return NULL;
}

static void
edm_load_clear (EdmLoad *e)
{
  g_free (e->csv);
  g_free (e->name);
  g_clear_error (&e->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EdmLoad, edm_load_clear)

static gboolean
valid_name (const char *s)
{
  if (s == NULL || s[0] == '\0' || strlen (s) > PACK_NAME_MAX || !g_utf8_validate (s, -1, NULL))
    return FALSE;
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20)
      return FALSE;
  return TRUE;
}

typedef struct {
  char *name, *label, *edm, *edm_columns, *sign, *output;
  char **docs;
  gint64 version;
  gint format;
} BuildOptions;

static void
build_options_clear (BuildOptions *o)
{
  g_free (o->name);
  g_free (o->label);
  g_free (o->edm);
  g_free (o->edm_columns);
  g_free (o->sign);
  g_free (o->output);
  g_strfreev (o->docs);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BuildOptions, build_options_clear)

static int
build_check (const BuildOptions *o)
{
  if (!valid_name (o->name) || !valid_name (o->label))
    return cli_fail ("pack build", CLI_USAGE, "give --name and --label (1 to %d characters)", PACK_NAME_MAX);
  if (o->sign == NULL || o->output == NULL)
    return cli_fail ("pack build", CLI_USAGE, "give --sign ADMIN.key and -o FILE.weirpack");
  if (o->docs == NULL && o->edm == NULL)
    return cli_fail ("pack build", CLI_USAGE, "give --docs DIR or --edm FILE.csv (or both)");
  if ((o->edm == NULL) != (o->edm_columns == NULL))
    return cli_fail ("pack build", CLI_USAGE, "--edm and --edm-columns go together");
  if (o->version < 0)
    return cli_fail ("pack build", CLI_USAGE, "--version must be 0 or more");
  if (o->format < PACK_FORMAT_OLDEST || o->format > PACK_FORMAT)
    return cli_fail ("pack build", CLI_USAGE, "--format must be %d to %d", PACK_FORMAT_OLDEST, PACK_FORMAT);
  return CLI_OK;
}

static void
print_build (const PackMeta *meta, const PackStats *s, const char *output, gsize size, guint64 bytes)
{
  printf ("pack \"%s\" version %" G_GINT64_FORMAT " (label %s) -> %s (%zu bytes)\n", meta->name,
          meta->version, meta->label, output, size);
  printf ("  documents    %u (%.1f MB, %zu words)\n", s->documents, bytes / 1e6, s->words);
  printf ("  fingerprints %zu (%zu boilerplate k-grams shared by many documents, never fingerprints)\n",
          s->fingerprints, s->dropped);
  printf ("  records      %u (%zu values, %zu dropped as common)\n", s->records, s->values, s->common);
}

static int
build_run (BuildOptions *o)
{
  g_autoptr (GError) error = NULL;
  if (!sign_init (&error))
    return cli_fail ("pack build", CLI_FAILURE, "%s", error->message);
  g_autoptr (SignSecretKey) sk = sign_secret_key_load (o->sign, &error);
  if (sk == NULL)
    return cli_fail ("pack build", CLI_FAILURE, "%s", error->message);
  g_autoptr (PackBuilder) b = pack_builder_new (o->name, o->label);
  pack_builder_set_format (b, (guint) o->format);
  guint64 bytes = 0;
  g_auto (EdmLoad) edm = { .builder = b, .path = o->edm, .columns = o->edm_columns };
  GThread *edm_thread = NULL;
  if (o->edm != NULL)
    {
      if (!edm_load_read (&edm, &error))
        return cli_fail ("pack build", CLI_FAILURE, "%s", error->message);
      edm_thread = g_thread_new ("weir edm", edm_load_hash, &edm);
    }
  gboolean docs_ok = add_documents (b, o->docs, &bytes, &error);
  if (docs_ok)
    pack_builder_winnow (b);  /* while the table may still be hashed */
  if (edm_thread != NULL)
    g_thread_join (edm_thread);
  if (!docs_ok)
    return cli_fail ("pack build", CLI_FAILURE, "%s", error->message);
  if (edm.error != NULL)
    return cli_fail ("pack build", CLI_FAILURE, "%s", edm.error->message);
  PackStats stats;
  g_autoptr (IndexPack) pack = pack_builder_finish (g_steal_pointer (&b), &stats);
  if (stats.fingerprints == 0 && stats.values == 0)
    return cli_fail ("pack build", CLI_FAILURE, "nothing to protect: %s",
                     stats.documents == 0 && o->edm == NULL
                       ? "no .txt .md .csv .json or .html document in the --docs folders"
                       : "no document has 8 words or more and no table value is left");
  PackMeta meta = {
    .name = o->name, .label = o->label, .version = o->version, .created = g_get_real_time () / G_USEC_PER_SEC,
    .documents = stats.documents, .fingerprints = stats.fingerprints, .dropped = stats.dropped,
    .records = stats.records, .values = stats.values,
  };
  g_autoptr (GBytes) file = pack_file_write (&meta, pack, sk);
  gsize size = 0;
  const char *data = g_bytes_get_data (file, &size);
  if (size > PACK_MAX_BYTES)
    return cli_fail ("pack build", CLI_FAILURE,
                     "the pack would be %.1f GB, over the %.1f GB a pack may hold: build several packs, "
                     "each from part of the --docs folders and of the table's rows", size / 1e9,
                     PACK_MAX_BYTES / 1e9);
  if (!file_write (o->output, data, size, 0644, &error))
    return cli_fail ("pack build", CLI_FAILURE, "%s", error->message);
  print_build (&meta, &stats, o->output, size, bytes);
  return CLI_OK;
}

static int
pack_build (int argc, char **argv)
{
  g_auto (BuildOptions) o = { .version = G_MININT64, .format = PACK_FORMAT };
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &o.name, "The pack's name (one pack per name on an endpoint)", "NAME" },
    { "label", 0, 0, G_OPTION_ARG_STRING, &o.label, "The label the policy maps, e.g. restricted", "LABEL" },
    { "version", 0, 0, G_OPTION_ARG_INT64, &o.version, "Version; endpoints only import newer (default: now, in unix seconds)", "N" },
    { "docs", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.docs, "A folder of .txt .md .csv .json .html documents (repeatable)", "DIR" },
    { "edm", 0, 0, G_OPTION_ARG_FILENAME, &o.edm, "A CSV table (header row first) for exact data match", "FILE.csv" },
    { "edm-columns", 0, 0, G_OPTION_ARG_STRING, &o.edm_columns,
      "Columns to match: COL[:text|email|number|name][!], ! = unique on its own", "COL,..." },
    { "sign", 0, 0, G_OPTION_ARG_FILENAME, &o.sign, "The admin secret key (weir keygen)", "ADMIN.key" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "The pack file to write", "FILE.weirpack" },
    { "format", 0, 0, G_OPTION_ARG_INT, &o.format,
      "Pack format (default 3, or 2 without --edm; 2 or 1 for endpoints whose Weir predates it)", "N" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("pack build", "", "Builds and signs a fingerprint pack from documents and a CSV table.\n"
                  "The pack holds keyed hashes and names only, never text or values.", entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("pack build", CLI_USAGE, "unexpected argument \"%s\"", argv[1]);
  if (o.version == G_MININT64)
    o.version = g_get_real_time () / G_USEC_PER_SEC;
  int rc = build_check (&o);
  return rc != CLI_OK ? rc : build_run (&o);
}

static gboolean
read_pack (const char *path, GBytes **out, GError **error)
{
  if (path != NULL && g_strcmp0 (path, "-") != 0)
    return pack_file_read (path, out, error);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!cli_read_input (path, PACK_MAX_BYTES, &data, &len, error))
    return FALSE;
  *out = g_bytes_new_take (g_steal_pointer (&data), len);
  return TRUE;
}

static void
print_meta (const char *what, const PackMeta *m)
{
  g_autofree char *id = sign_key_id_hex (m->key_id);
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (m->created);
  g_autofree char *when = t ? g_date_time_format_iso8601 (t) : g_strdup ("?");
  printf ("%s \"%s\" version %" G_GINT64_FORMAT " (label %s), signed by %s on %s: %u documents, "
          "%zu fingerprints, %u records, format %u\n", what, m->name, m->version, m->label, id, when,
          m->documents, m->fingerprints, m->records, m->format);
}

/* With -p the user named the key: a pack signed by another is not a question of trust
 * ("weir trust add" would be wrong advice), so both key ids are named. A header that
 * cannot be read is left to pack_file_open(), which says what is wrong with it. */
static gboolean
signed_by (GBytes *bytes, const char *path, const char *pub, const SignPublicKey *pk, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_auto (PackMeta) meta = { 0 };
  if (data == NULL || !pack_file_peek (data, len, len, &meta, NULL)
      || memcmp (meta.key_id, pk->id, SIGN_KEY_ID_BYTES) == 0)
    return TRUE;
  g_autofree char *signer = sign_key_id_hex (meta.key_id);
  g_autofree char *given = sign_key_id_hex (pk->id);
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED,
               "%s is not signed by the key in %s (key %s): its signer is key %s", path, pub, given, signer);
  return FALSE;
}

static int
pack_verify (int argc, char **argv)
{
  g_autofree char *pub = NULL;
  const GOptionEntry entries[] = {
    { "public", 'p', 0, G_OPTION_ARG_FILENAME, &pub, "Verify with this key instead of the trusted keys", "ADMIN.pub" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("pack verify", "FILE.weirpack", "Checks a pack's signature and structure.", entries, &argc, &argv))
    return CLI_USAGE;
  if (argc != 2)
    return cli_fail ("pack verify", CLI_USAGE, "give one FILE.weirpack");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *config_dir = paths_config_dir ();
  SignPublicKey pk;
  if (!sign_init (&error) || !read_pack (argv[1], &bytes, &error)
      || (pub != NULL && !sign_public_key_load (pub, &pk, &error)))
    return cli_fail ("pack verify", CLI_FAILURE, "%s", error->message);
  if (pub != NULL && !signed_by (bytes, argv[1], pub, &pk, &error))
    return cli_fail ("pack verify", CLI_FAILURE, "%s", error->message);
  g_autoptr (GArray) keys = pub ? g_array_new (FALSE, FALSE, sizeof (SignPublicKey))
                                : pack_trusted_keys (config_dir, NULL);
  if (pub != NULL)
    g_array_append_val (keys, pk);
  g_auto (PackMeta) meta = { 0 };
  g_autoptr (IndexPack) pack = pack_file_open (bytes, keys, &meta, &error);
  if (pack == NULL)
    return cli_fail ("pack verify", CLI_FAILURE, "%s: %s", argv[1], error->message);
  print_meta ("good pack", &meta);
  return CLI_OK;
}

/* Imports and refusals go in the audit log, as the host's inbox imports do. */
static void
record_import (WeirContext *ctx, const char *path, const PackMeta *meta, const GError *refusal)
{
  g_autoptr (GError) error = NULL;
  if (!context_record_pack (ctx, "cli", path, meta, refusal, &error))
    fprintf (stderr, "weir pack import: the audit log was not written: %s\n", error->message);
}

static int
pack_import_cmd (int argc, char **argv)
{
  if (!cli_parse ("pack import", "FILE.weirpack", "Imports a pack signed by a trusted key, when it is newer than\n"
                  "the imported one. On any failure the active pack stays.", NULL, &argc, &argv))
    return CLI_USAGE;
  if (argc != 2)
    return cli_fail ("pack import", CLI_USAGE, "give one FILE.weirpack");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  if (!sign_init (&error))
    return cli_fail ("pack import", CLI_FAILURE, "%s", error->message);
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT, &error);
  if (ctx == NULL)
    return cli_fail ("pack import", CLI_FAILURE, "%s", error->message);
  g_auto (PackMeta) meta = { 0 };
  /* A file that is no pack by its header is refused (and recorded) before it is read. */
  gboolean ok = read_pack (argv[1], &bytes, &error)
                && pack_import (context_store (ctx), context_config_dir (ctx), bytes, &meta, &error);
  record_import (ctx, argv[1], &meta, ok ? NULL : error);
  if (!ok)
    return cli_fail ("pack import", CLI_FAILURE, "refused %s: %s", argv[1], error->message);
  print_meta ("imported", &meta);
  return CLI_OK;
}

typedef struct {
  cJSON *array;              /* NULL: print lines */
  const EngineIndex *index;  /* what context_open() loaded: the active packs */
} Lister;

static gboolean
list_one (const PackImported *info, gpointer data)
{
  Lister *l = data;
  cJSON *array = l->array;
  gboolean active = engine_index_find_pack (l->index, info->name) != NULL;
  if (array == NULL)
    {
      g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (info->imported / G_USEC_PER_SEC);
      g_autofree char *when = t ? g_date_time_format_iso8601 (t) : g_strdup ("?");
      printf ("%-20s %-14s %12" G_GINT64_FORMAT " %6" G_GINT64_FORMAT " docs %9" G_GINT64_FORMAT
              " fps %8" G_GINT64_FORMAT " records  key %s  imported %s%s\n", info->name, info->label,
              info->version, info->documents, info->fingerprints, info->records, info->key_id, when,
              active ? "" : "  NOT ACTIVE");
      return TRUE;
    }
  cJSON *obj = cJSON_CreateObject ();
  cJSON_AddStringToObject (obj, "name", info->name);
  cJSON_AddStringToObject (obj, "label", info->label);
  cJSON_AddNumberToObject (obj, "version", (double) info->version);
  cJSON_AddNumberToObject (obj, "created", (double) info->created);
  cJSON_AddNumberToObject (obj, "imported", (double) (info->imported / G_USEC_PER_SEC));
  cJSON_AddStringToObject (obj, "key_id", info->key_id);
  cJSON_AddNumberToObject (obj, "documents", (double) info->documents);
  cJSON_AddNumberToObject (obj, "fingerprints", (double) info->fingerprints);
  cJSON_AddNumberToObject (obj, "records", (double) info->records);
  cJSON_AddBoolToObject (obj, "active", active);
  cJSON_AddItemToArray (array, obj);
  return TRUE;
}

static int
pack_list (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON array of pack objects", NULL },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("pack list", "", "Lists the imported packs.", entries, &argc, &argv))
    return CLI_USAGE;
  if (argc != 1)
    return cli_fail ("pack list", CLI_USAGE, "takes no argument");
  g_autoptr (GError) error = NULL;
  /* Read-only: it lists what the store holds, on a full disk too, and imports nothing. */
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT | CONTEXT_READ_ONLY, &error);
  if (ctx == NULL)
    return cli_fail ("pack list", CLI_FAILURE, "%s", error->message);
  g_autoptr (cJSON) array = json ? cJSON_CreateArray () : NULL;
  Lister lister = { array, context_index (ctx) };
  if (!pack_imported_foreach (context_store (ctx), list_one, &lister, &error))
    return cli_fail ("pack list", CLI_FAILURE, "%s", error->message);
  if (json)
    {
      g_autofree char *text = cJSON_PrintUnformatted (array);
      printf ("%s\n", text);
    }
  const GPtrArray *problems = context_problems (ctx);
  for (guint i = 0; i < problems->len; i++)
    fprintf (stderr, "weir pack list: %s\n", ((const ContextProblem *) problems->pdata[i])->text);
  return CLI_OK;
}

static int
pack_remove (int argc, char **argv)
{
  if (!cli_parse ("pack remove", "NAME", "Removes an imported pack from this endpoint.", NULL, &argc, &argv))
    return CLI_USAGE;
  if (argc != 2)
    return cli_fail ("pack remove", CLI_USAGE, "give one pack NAME (see weir pack list)");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT, &error);
  if (ctx == NULL || !pack_imported_remove (context_store (ctx), argv[1], &error))
    return cli_fail ("pack remove", CLI_FAILURE, "%s", error->message);
  printf ("removed pack \"%s\"\n", argv[1]);
  return CLI_OK;
}

int
cmd_pack (int argc, char **argv)
{
  static const struct {
    const char *name;
    CliCommand run;
  } subs[] = {
    { "build", pack_build }, { "verify", pack_verify }, { "import", pack_import_cmd },
    { "list", pack_list }, { "remove", pack_remove },
  };
  for (guint i = 0; argc > 1 && i < G_N_ELEMENTS (subs); i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      return subs[i].run (argc - 1, argv + 1);
  FILE *out = argc > 1 && (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")) ? stdout : stderr;
  if (out == stderr)
    cli_unknown_command ("pack", argc > 1 ? argv[1] : NULL);
  fprintf (out, "Usage: weir pack build|verify|import|list|remove [OPTION...]\n"
                "Fingerprint packs: build and sign (admins), verify, import and list (endpoints).\n"
                "weir pack SUBCOMMAND --help shows its options.\n");
  return out == stdout ? CLI_OK : CLI_USAGE;
}
