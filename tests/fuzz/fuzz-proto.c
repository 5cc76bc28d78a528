/* fuzz-proto: request dispatch (proto_handle_frame) on a real context: the default
 * policy, a real SQLite store and audit log in a temporary WEIR_HOME.
 *
 * Every frame gets exactly one reply: a JSON object with a "type", within Chrome's
 * 1 MiB reply cap. The store is recreated now and then so long runs stay small. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "fuzz.h"
#include "json.h"
#include "nm.h"
#include "proto.h"

#define RUNS_PER_STORE 4096

static char *home_;
static WeirContext *ctx_;
static Proto *proto_;
static guint runs_;

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
context_reopen (void)
{
  g_clear_pointer (&proto_, proto_free);
  g_clear_pointer (&ctx_, context_free);
  remove_tree (home_);
  FUZZ_CHECK (g_mkdir_with_parents (home_, 0700) == 0);
  g_autoptr (GError) error = NULL;
  ctx_ = context_open (CONTEXT_STRICT, &error);
  FUZZ_CHECK (ctx_ != NULL);
  proto_ = proto_new (ctx_);
}

static void
cleanup (void)
{
  g_clear_pointer (&proto_, proto_free);
  g_clear_pointer (&ctx_, context_free);
  remove_tree (home_);
  g_free (home_);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* tmpfs when there is one: the audit log is written on every verdict. */
  const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0
                       ? "/dev/shm" : g_get_tmp_dir ();
  g_autofree char *tmpl = g_build_filename (base, "weir-fuzz-proto-XXXXXX", NULL);
  home_ = g_mkdtemp (g_steal_pointer (&tmpl));
  FUZZ_CHECK (home_ != NULL);
  g_setenv ("WEIR_HOME", home_, TRUE);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  context_reopen ();
  atexit (cleanup);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (++runs_ % RUNS_PER_STORE == 0)
    context_reopen ();
  g_autofree char *reply = proto_handle_frame (proto_, (const char *) data, size);
  FUZZ_CHECK (reply != NULL && strlen (reply) <= NM_MAX_REPLY);
  g_autoptr (cJSON) parsed = cJSON_Parse (reply);
  FUZZ_CHECK (cJSON_IsObject (parsed));
  FUZZ_CHECK (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (parsed, "type")));
  FUZZ_CHECK (cJSON_GetObjectItemCaseSensitive (parsed, "id") != NULL);
  return 0;
}
