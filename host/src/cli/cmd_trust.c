/* weir trust: the admin keys whose packs this endpoint accepts (CONFIG/trusted/). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pack/pack.h"
#include "paths.h"

static int
trust_add (int argc, char **argv, const char *config_dir)
{
  if (!cli_parse ("trust add", "ADMIN.pub", "Trusts packs signed by this admin key.", NULL, &argc, &argv))
    return CLI_USAGE;
  if (argc != 2)
    return cli_fail ("trust add", CLI_USAGE, "give one ADMIN.pub (see weir trust add --help)");
  SignPublicKey pk;
  g_autoptr (GError) error = NULL;
  if (!pack_trust_add (config_dir, argv[1], &pk, &error))
    return cli_fail ("trust add", CLI_FAILURE, "%s", error->message);
  g_autofree char *id = sign_key_id_hex (pk.id);
  printf ("trusted key %s\n", id);
  return CLI_OK;
}

static int
trust_list (int argc, char **argv, const char *config_dir)
{
  if (!cli_parse ("trust list", "", "Lists the trusted admin keys.", NULL, &argc, &argv))
    return CLI_USAGE;
  if (argc != 1)
    return cli_fail ("trust list", CLI_USAGE, "takes no argument");
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) keys = pack_trusted_keys (config_dir, problems);
  g_autofree char *dir = pack_trusted_dir (config_dir);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autofree char *id = sign_key_id_hex (g_array_index (keys, SignPublicKey, i).id);
      printf ("%s\n", id);
    }
  for (guint i = 0; i < problems->len; i++)
    fprintf (stderr, "weir trust list: %s\n", (char *) problems->pdata[i]);
  if (keys->len == 0)
    fprintf (stderr, "weir trust list: no trusted key in %s (weir trust add ADMIN.pub)\n", dir);
  return problems->len > 0 ? CLI_FAILURE : CLI_OK;
}

static int
trust_remove (int argc, char **argv, const char *config_dir)
{
  if (!cli_parse ("trust remove", "KEYID", "Stops trusting an admin key; its packs stop loading.", NULL, &argc, &argv))
    return CLI_USAGE;
  if (argc != 2)
    return cli_fail ("trust remove", CLI_USAGE, "give one KEYID (see weir trust list)");
  g_autoptr (GError) error = NULL;
  if (!pack_trust_remove (config_dir, argv[1], &error))
    return cli_fail ("trust remove", CLI_FAILURE, "%s", error->message);
  printf ("removed key %s\n", argv[1]);
  return CLI_OK;
}

int
cmd_trust (int argc, char **argv)
{
  g_autofree char *config_dir = paths_config_dir ();
  const char *sub = argc > 1 ? argv[1] : NULL;
  if (g_strcmp0 (sub, "add") == 0)
    return trust_add (argc - 1, argv + 1, config_dir);
  if (g_strcmp0 (sub, "list") == 0)
    return trust_list (argc - 1, argv + 1, config_dir);
  if (g_strcmp0 (sub, "remove") == 0)
    return trust_remove (argc - 1, argv + 1, config_dir);
  FILE *out = g_strcmp0 (sub, "--help") == 0 || g_strcmp0 (sub, "-h") == 0 ? stdout : stderr;
  if (out == stderr)
    cli_unknown_command ("trust", sub);
  fprintf (out, "Usage: weir trust add ADMIN.pub | weir trust list | weir trust remove KEYID\n"
                "Admin keys whose packs this endpoint accepts (CONFIG/trusted/).\n");
  return out == stdout ? CLI_OK : CLI_USAGE;
}
