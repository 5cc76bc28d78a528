/* weir store: what the encrypted store holds (info) and whether every page of it
 * still authenticates (check). Opens the store alone, so a broken policy does not
 * stand in the way of checking it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "paths.h"
#include "state.h"

static cJSON *
info_json (const StoreInfo *info)
{
  cJSON *o = cJSON_CreateObject ();
  cJSON_AddStringToObject (o, "path", info->path);
  if (info->key_path != NULL)
    cJSON_AddStringToObject (o, "key_file", info->key_path);
  cJSON_AddStringToObject (o, "cipher", info->cipher);
  cJSON_AddStringToObject (o, "key_wrap", info->key_wrap);
  cJSON_AddStringToObject (o, "key_protection", info->key_protection);
  cJSON_AddNumberToObject (o, "schema_version", info->schema_version);
  cJSON_AddNumberToObject (o, "page_size", (double) info->page_size);
  cJSON_AddNumberToObject (o, "reserved_bytes", (double) info->reserve_bytes);
  cJSON_AddNumberToObject (o, "pages", (double) info->page_count);
  cJSON_AddNumberToObject (o, "free_pages", (double) info->freelist_count);
  cJSON_AddNumberToObject (o, "file_bytes", (double) info->file_bytes);
  cJSON_AddNumberToObject (o, "wal_bytes", (double) info->wal_bytes);
  cJSON_AddNumberToObject (o, "records", (double) info->audit_records);
  cJSON_AddNumberToObject (o, "packs", (double) MAX (info->packs, 0));
  cJSON_AddNumberToObject (o, "pack_files", (double) info->pack_files);
  cJSON_AddNumberToObject (o, "pack_file_bytes", (double) info->pack_file_bytes);
  cJSON_AddNumberToObject (o, "index_files", (double) info->index_files);
  cJSON_AddNumberToObject (o, "index_file_bytes", (double) info->index_file_bytes);
  cJSON *tables = cJSON_AddObjectToObject (o, "tables");
  for (guint i = 0; i < info->tables->len; i++)
    {
      const StoreTable *table = info->tables->pdata[i];
      cJSON_AddNumberToObject (tables, table->name, (double) table->rows);
    }
  return o;
}

static void
info_print (const StoreInfo *info)
{
  printf ("store           %s\n", info->path);
  if (info->key_path != NULL)
    printf ("key file        %s\n", info->key_path);
  printf ("encryption      %s, key wrapped by %s\n", info->cipher, info->key_wrap);
  printf ("key             %s\n", info->key_protection);
  printf ("schema version  %d\n", info->schema_version);
  printf ("pages           %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes (%" G_GINT64_FORMAT
          " reserved for nonce and tag), %" G_GINT64_FORMAT " free\n",
          info->page_count, info->page_size, info->reserve_bytes, info->freelist_count);
  printf ("size            %" G_GINT64_FORMAT " bytes, WAL %" G_GINT64_FORMAT " bytes\n",
          info->file_bytes, info->wal_bytes);
  printf ("records         %" G_GINT64_FORMAT "\n", info->audit_records);
  printf ("packs           %" G_GINT64_FORMAT "\n", MAX (info->packs, 0));
  printf ("pack files      %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " bytes (sealed, beside the store in "
          "packdata/: back them up with it)\n", info->pack_files, info->pack_file_bytes);
  printf ("index files     %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " bytes (in index/, derived from the "
          "packs again when missing)\n", info->index_files, info->index_file_bytes);
  for (guint i = 0; i < info->tables->len; i++)
    {
      const StoreTable *table = info->tables->pdata[i];
      printf ("  table %-9s %" G_GINT64_FORMAT " rows\n", table->name, table->rows);
    }
}

static int
run_info (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL },
  };
  if (!cli_parse ("store info", "", "Shows the store's pages, sizes, schema version, packs and records, and the packs' "
                  "sealed and index files beside it.",
                  entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("store info", CLI_USAGE, "unexpected argument \"%s\" (see weir store info --help)", argv[1]);
  g_autoptr (GError) error = NULL;
  StoreInfo info;
  if (!state_store_info (&info, &error))
    return cli_fail ("store info", CLI_FAILURE, "%s", error->message);
  if (json)
    {
      g_autoptr (cJSON) o = info_json (&info);
      g_autofree char *text = cJSON_PrintUnformatted (o);
      printf ("%s\n", text);
    }
  else
    info_print (&info);
  store_info_clear (&info);
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

static int
run_check (int argc, char **argv)
{
  if (!cli_parse ("store check", "",
                  "Reads and authenticates every page of the store and its WAL, checks its "
                  "structure, then reads and authenticates every pack's sealed file. Exit status 2 "
                  "names the first bad page or file.", NULL, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("store check", CLI_USAGE, "unexpected argument \"%s\" (see weir store check --help)", argv[1]);
  g_autoptr (GError) error = NULL;
  StoreCheck check;
  if (!state_store_check (&check, &error))
    return cli_fail ("store check", CLI_FAILURE, "%s", error->message);
  printf ("ok: %u pages and %u WAL frames authenticated, structure intact; %u pack file%s authenticated\n",
          check.pages, check.wal_frames, check.pack_files, check.pack_files == 1 ? "" : "s");
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

static int
run_rewrap (int argc, char **argv)
{
  g_autofree char *to = NULL;
  const GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Where the wrapping key goes: keyring or file", "WHERE" },
    { NULL },
  };
  if (!cli_parse ("store rewrap", "--to keyring|file",
                  "Moves the key that wraps the store key into the desktop keyring (secret "
                  "service) or back into the key file, with a new wrapping key.",
                  entries, &argc, &argv))
    return CLI_USAGE;
  if (argc > 1)
    return cli_fail ("store rewrap", CLI_USAGE, "unexpected argument \"%s\" (see weir store rewrap --help)", argv[1]);
  if (g_strcmp0 (to, "keyring") != 0 && g_strcmp0 (to, "file") != 0)
    return cli_fail ("store rewrap", CLI_USAGE, "say --to keyring or --to file (see weir store rewrap --help)");
  gboolean to_keyring = strcmp (to, "keyring") == 0;
  g_autofree char *path = paths_store_file ();
  g_autoptr (GError) error = NULL;
  if (!state_rewrap_store_key (to_keyring, &error))
    return cli_fail ("store rewrap", CLI_FAILURE, "%s", error->message);
  printf ("ok: the key of %s is now wrapped by %s\n", path,
          to_keyring ? "the desktop keyring" : "the key file");
  return fflush (stdout) == 0 ? CLI_OK : CLI_FAILURE;
}

static int
usage (FILE *out)
{
  fprintf (out, "Usage: weir store COMMAND\n\n"
                "Commands:\n"
                "  info [--json]              pages, sizes, schema version, packs and records\n"
                "  check                      read and authenticate every page; exit 2 on any tampering\n"
                "  rewrap --to keyring|file   move the store key's wrapping key into the desktop\n"
                "                             keyring or back into the key file\n");
  return out == stdout ? CLI_OK : CLI_USAGE;
}

int
cmd_store (int argc, char **argv)
{
  const char *sub = argc >= 2 ? argv[1] : NULL;
  if (g_strcmp0 (sub, "--help") == 0 || g_strcmp0 (sub, "-h") == 0)
    return usage (stdout);
  if (g_strcmp0 (sub, "info") == 0)
    return run_info (argc - 1, argv + 1);
  if (g_strcmp0 (sub, "check") == 0)
    return run_check (argc - 1, argv + 1);
  if (g_strcmp0 (sub, "rewrap") == 0)
    return run_rewrap (argc - 1, argv + 1);
  cli_unknown_command ("store", sub);
  return usage (stderr);
}
