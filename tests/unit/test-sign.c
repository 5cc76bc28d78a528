#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

typedef struct {
  char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_assert_true (sign_init (NULL));
  f->dir = g_dir_make_tmp ("weir-sign-XXXXXX", NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  SignPublicKey pk, loaded_pk;
  g_autoptr (SignSecretKey) sk = sign_secret_key_generate (&pk);
  g_autofree char *pub = g_build_filename (f->dir, "a.pub", NULL);
  g_autofree char *sec = g_build_filename (f->dir, "a.key", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (sign_public_key_save (&pk, pub, &error));
  g_assert_true (sign_secret_key_save (sk, sec, &error));
  /* Keys are never overwritten. */
  g_assert_false (sign_secret_key_save (sk, sec, &error));
  g_clear_error (&error);
  g_assert_true (sign_public_key_load (pub, &loaded_pk, &error));
  g_assert_cmpmem (&pk, sizeof pk, &loaded_pk, sizeof loaded_pk);
  g_autoptr (SignSecretKey) loaded_sk = sign_secret_key_load (sec, &error);
  g_assert_no_error (error);
  GStatBuf st;
  g_assert_cmpint (g_stat (sec, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  const guint8 msg[] = "the minutes";
  guint8 sig[SIGN_BYTES];
  sign_detached (loaded_sk, msg, sizeof msg, sig);
  g_assert_true (sign_verify (&pk, msg, sizeof msg, sig));
  sig[3] ^= 1;
  g_assert_false (sign_verify (&pk, msg, sizeof msg, sig));
}

static void
test_bad_key_text (Fixture *f, gconstpointer data)
{
  static const char *const bad[] = { "", "untrusted comment: x\n", "untrusted comment: x\n!!!\n",
                                     "untrusted comment: x\nRWQ=\n" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      SignPublicKey pk;
      g_autoptr (GError) error = NULL;
      g_assert_false (sign_public_key_parse (bad[i], strlen (bad[i]), &pk, &error));
      g_assert_nonnull (error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sign/roundtrip", Fixture, NULL, setup, test_roundtrip, teardown);
  g_test_add ("/sign/bad-key-text", Fixture, NULL, setup, test_bad_key_text, teardown);
  return g_test_run ();
}
