/* weir keygen: an admin's Ed25519 signing key pair, for signing packs. */
#include <stdio.h>

#include "cli.h"
#include "sign/sign.h"

int
cmd_keygen (int argc, char **argv)
{
  g_autofree char *secret = NULL, *public = NULL;
  const GOptionEntry entries[] = {
    { "secret", 's', 0, G_OPTION_ARG_FILENAME, &secret, "Where to write the secret key (mode 0600)", "ADMIN.key" },
    { "public", 'p', 0, G_OPTION_ARG_FILENAME, &public, "Where to write the public key", "ADMIN.pub" },
    G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse ("keygen", "", "Creates an admin key pair that signs fingerprint packs.\n"
                  "Endpoints accept packs signed by keys added with weir trust add.", entries, &argc, &argv))
    return CLI_USAGE;
  if (secret == NULL || public == NULL || argc > 1)
    return cli_fail ("keygen", CLI_USAGE, "give -s ADMIN.key and -p ADMIN.pub (see weir keygen --help)");
  g_autoptr (GError) error = NULL;
  if (!sign_init (&error))
    return cli_fail ("keygen", CLI_FAILURE, "%s", error->message);
  if (g_file_test (secret, G_FILE_TEST_EXISTS) || g_file_test (public, G_FILE_TEST_EXISTS))
    return cli_fail ("keygen", CLI_FAILURE, "%s exists; keys are never overwritten, remove it first",
                     g_file_test (secret, G_FILE_TEST_EXISTS) ? secret : public);
  SignPublicKey pk;
  g_autoptr (SignSecretKey) sk = sign_secret_key_generate (&pk);
  if (!sign_secret_key_save (sk, secret, &error) || !sign_public_key_save (&pk, public, &error))
    return cli_fail ("keygen", CLI_FAILURE, "%s", error->message);
  g_autofree char *id = sign_key_id_hex (pk.id);
  printf ("key %s: secret key in %s (keep it offline), public key in %s\n", id, secret, public);
  return CLI_OK;
}
