/* fuzz-proto: request dispatch (proto_handle_frame) on a real context: a real
 * SQLite store and audit log in a temporary WEIR_HOME, with the default policy, or,
 * when the input starts with byte 0x01, a tight one (64-byte size cap, no minimum,
 * unreadable files blocked) that drives the oversize and unreadable paths.
 *
 * Every frame gets exactly one reply: a JSON object with a "type", within Chrome's
 * 1 MiB reply cap. The store is recreated now and then so long runs stay small. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
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

static const char tight_policy[] =
  "{\"min_scan_chars\":0,\"max_scan_bytes\":64,\"fail_mode\":\"allow\","
  "\"unreadable\":{\"verdict\":\"block\"},\"oversize\":{\"verdict\":\"block\",\"message\":\"big\"}}";

typedef struct {
  char *home;
  WeirContext *ctx;
  Proto *proto;
  const char *policy;  /* written to WEIR_HOME/policy.json; NULL for the default */
} Site;

static Site sites_[2] = { { .policy = NULL }, { .policy = tight_policy } };
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
site_close (Site *site)
{
  g_clear_pointer (&site->proto, proto_free);
  g_clear_pointer (&site->ctx, context_free);
  remove_tree (site->home);
}

static void
site_open (Site *site)
{
  site_close (site);
  FUZZ_CHECK (g_mkdir_with_parents (site->home, 0700) == 0);
  if (site->policy != NULL)
    {
      g_autofree char *path = g_build_filename (site->home, "policy.json", NULL);
      FUZZ_CHECK (g_file_set_contents (path, site->policy, -1, NULL));
    }
  g_autoptr (GError) error = NULL;
  g_setenv ("WEIR_HOME", site->home, TRUE);
  site->ctx = context_open (CONTEXT_STRICT, &error);
  FUZZ_CHECK (site->ctx != NULL);
  site->proto = proto_new (site->ctx);
}

static void
cleanup (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (sites_); i++)
    {
      site_close (&sites_[i]);
      g_free (sites_[i].home);
    }
}

/* libFuzzer may end without running atexit handlers (a crash, -max_total_time):
 * folders are named after their process, and those of dead processes are removed. */
static void
remove_stale (const char *base)
{
  g_autoptr (GDir) dir = g_dir_open (base, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      char *end = NULL;
      if (!g_str_has_prefix (name, "weir-fuzz-proto-"))
        continue;
      guint64 pid = g_ascii_strtoull (name + 16, &end, 10);
      if (end == name + 16 || *end != '-' || pid == 0 || pid > G_MAXINT32
          || kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      g_autofree char *path = g_build_filename (base, name, NULL);
      remove_tree (path);
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  /* tmpfs when there is one: the audit log is written on every verdict. */
  const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0
                       ? "/dev/shm" : g_get_tmp_dir ();
  remove_stale (base);
  for (gsize i = 0; i < G_N_ELEMENTS (sites_); i++)
    {
      g_autofree char *tmpl = g_strdup_printf ("%s/weir-fuzz-proto-%d-%zu-XXXXXX", base, (int) getpid (), i);
      sites_[i].home = g_mkdtemp (g_steal_pointer (&tmpl));
      FUZZ_CHECK (sites_[i].home != NULL);
      site_open (&sites_[i]);
    }
    atexit (cleanup);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Site *site = &sites_[0];
  if (size > 0 && data[0] == 0x01)
    site = &sites_[1], data++, size--;
  if (++runs_ % RUNS_PER_STORE == 0)
    site_open (site);
  g_autofree char *reply = proto_handle_frame (site->proto, (const char *) data, size);
  FUZZ_CHECK (reply != NULL && strlen (reply) <= NM_MAX_REPLY);
  g_autoptr (cJSON) parsed = cJSON_Parse (reply);
  FUZZ_CHECK (cJSON_IsObject (parsed));
  FUZZ_CHECK (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (parsed, "type")));
  FUZZ_CHECK (cJSON_GetObjectItemCaseSensitive (parsed, "id") != NULL);
  return 0;
}
