/* The host's sandbox (host/src/host/sandbox.c): once entered, forbidden calls are
 * refused and the calls the host needs still work. Each test enters the sandbox in
 * a subprocess (g_test_trap_subprocess), since it cannot be left. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "json.h"
#include "proto.h"
#include "sandbox.h"
#include "weir-config.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#else
#define SANITIZER_BUILD 0
#endif

typedef struct {
  char *root;    /* a temporary folder holding both */
  char *state;   /* read-write */
  char *config;  /* read-only */
  char *outside; /* a folder the sandbox does not grant */
  SandboxLayers layers;
} Fixture;

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* The parent makes the folders and names them in the environment; the subprocess
 * that runs the test (and enters the sandbox) uses them; the parent removes them. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  if (g_test_subprocess ())
    f->root = g_strdup (g_getenv ("WEIR_TEST_SANDBOX_ROOT"));
  else
    f->root = g_dir_make_tmp ("weir-sandbox-XXXXXX", NULL);
  g_assert_nonnull (f->root);
  f->state = g_build_filename (f->root, "state", NULL);
  f->config = g_build_filename (f->root, "config", NULL);
  f->outside = g_build_filename (f->root, "outside", NULL);
  if (g_test_subprocess ())
    return;
  g_setenv ("WEIR_TEST_SANDBOX_ROOT", f->root, TRUE);
  g_assert_cmpint (g_mkdir (f->state, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->config, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->outside, 0700), ==, 0);
  write_file (f->config, "policy.json", "{}");
  write_file (f->outside, "secret.txt", "not for the host");
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (!g_test_subprocess ())
    remove_tree (f->root);
  g_free (f->root);
  g_free (f->state);
  g_free (f->config);
  g_free (f->outside);
}

static void
enter (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  SandboxPaths paths = { .state_dir = f->state, .config_dir = f->config };
  f->layers = sandbox_enter (&paths, &summary, &error);
  g_assert_no_error (error);
  g_test_message ("sandbox: %s", summary);
  g_assert_true (f->layers & SANDBOX_SECCOMP);
}

static void
assert_refused (long rc, int expected, const char *what)
{
  if (rc != -1 || errno != expected)
    g_error ("%s: returned %ld, errno %s; expected %s", what, rc, g_strerror (errno), g_strerror (expected));
}

static gboolean
in_subprocess (const char *path)
{
  if (!WEIR_HAVE_SECCOMP)
    {
      g_test_skip ("built without libseccomp (-Dsandbox=disabled)");
      return FALSE;
    }
  if (g_test_subprocess ())
    return TRUE;
  g_test_trap_subprocess (path, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

/* No network: inet, inet6, netlink and packet sockets fail; AF_UNIX still works. */
static void
test_network_refused (Fixture *f, gconstpointer data)
{
  if (!in_subprocess ("/sandbox/network-refused"))
    return;
  enter (f);
  assert_refused (socket (AF_INET, SOCK_STREAM, 0), EPERM, "socket(AF_INET)");
  assert_refused (socket (AF_INET6, SOCK_DGRAM, 0), EPERM, "socket(AF_INET6)");
  assert_refused (socket (AF_NETLINK, SOCK_RAW, 0), EPERM, "socket(AF_NETLINK)");
  assert_refused (socket (AF_PACKET, SOCK_RAW, 0), EPERM, "socket(AF_PACKET)");
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  int pair[2];
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, pair), ==, 0);
  close (pair[0]);
  close (pair[1]);
}

static gpointer
thread_body (gpointer data)
{
  return GINT_TO_POINTER (GPOINTER_TO_INT (data) + 1);
}

/* No new programs or processes: execve and fork fail, threads still start. */
static void
test_exec_refused (Fixture *f, gconstpointer data)
{
  if (!in_subprocess ("/sandbox/exec-refused"))
    return;
  enter (f);
  char *const argv[] = { (char *) "/bin/true", NULL };
  char *const envp[] = { NULL };
  assert_refused (execve ("/bin/true", argv, envp), EPERM, "execve");
  pid_t pid = fork ();
  if (pid == 0)
    _exit (0);  /* only reached if the sandbox failed; the parent then fails */
  if (pid > 0)
    waitpid (pid, NULL, 0);
  assert_refused (pid, EPERM, "fork");
  if (!SANITIZER_BUILD)  /* LeakSanitizer needs ptrace in those builds */
    assert_refused (ptrace (PTRACE_TRACEME, 0, NULL, NULL), EPERM, "ptrace");
  GThread *thread = g_thread_new ("sandboxed", thread_body, GINT_TO_POINTER (41));
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (thread)), ==, 42);
}

static int
open_at (const char *dir, const char *name, int flags)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return open (path, flags | O_CLOEXEC, 0600);
}

/* Files: the state folder read-write, the config folder read-only, nothing else of
 * the user's; system folders read-only. Needs Landlock in the kernel. */
static void
test_files_confined (Fixture *f, gconstpointer data)
{
  if (!in_subprocess ("/sandbox/files-confined"))
    return;
  enter (f);
  if (!(f->layers & SANDBOX_LANDLOCK))
    {
      g_test_skip ("this kernel has no Landlock");
      return;
    }
  int fd = open_at (f->state, "weir.db-wal", O_CREAT | O_RDWR);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "x", 1), ==, 1);
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  close (fd);
  g_autofree char *from = g_build_filename (f->state, "weir.db-wal", NULL);
  g_autofree char *to = g_build_filename (f->state, "renamed", NULL);
  g_assert_cmpint (rename (from, to), ==, 0);
  g_assert_cmpint (unlink (to), ==, 0);
  fd = open_at (f->config, "policy.json", O_RDONLY);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  assert_refused (open_at (f->config, "policy.json", O_WRONLY), EACCES, "write in config");
  assert_refused (open_at (f->config, "new", O_CREAT | O_WRONLY), EACCES, "create in config");
  assert_refused (open_at (f->outside, "secret.txt", O_RDONLY), EACCES, "read outside");
  assert_refused (open_at (f->root, "escape", O_CREAT | O_WRONLY), EACCES, "create outside");
  assert_refused (open ("/etc/passwd", O_RDONLY), EACCES, "read /etc/passwd");
  assert_refused (open ("/tmp/weir-sandbox-escape", O_CREAT | O_WRONLY, 0600), EACCES, "create in /tmp");
  fd = open ("/usr/share", O_RDONLY | O_DIRECTORY);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

/* The real core keeps working inside: a context opened before the sandbox answers
 * scans that grow the store past WAL checkpoints, then closes cleanly. */
static void
test_core_serves (Fixture *f, gconstpointer data)
{
  if (!in_subprocess ("/sandbox/core-serves"))
    return;
  g_setenv ("WEIR_HOME", f->state, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT, &error);
  g_assert_no_error (error);
  g_autoptr (Proto) proto = proto_new (ctx);
  g_free (f->config);
  f->config = g_strdup (f->state);
  enter (f);
  static const char req[] = "{\"type\":\"scan\",\"id\":1,\"event\":\"paste\",\"origin\":\"https://chat.example\","
                            "\"text\":\"card 4111 1111 1111 1111 and some padding text\"}";
  for (int i = 0; i < 3000; i++)
    {
      g_autofree char *reply = proto_handle_frame (proto, req, sizeof req - 1);
      g_autoptr (cJSON) parsed = cJSON_Parse (reply);
      const cJSON *verdict = cJSON_GetObjectItemCaseSensitive (parsed, "verdict");
      g_assert_cmpstr (cJSON_GetStringValue (verdict), ==, "warn");
      g_assert_nonnull (cJSON_GetObjectItemCaseSensitive (parsed, "audit"));
    }
  /* plus the chain's first record, the root key's key-epoch */
  g_assert_cmpint (store_audit_count (context_store (ctx), &error), ==, 3001);
  g_assert_no_error (error);
}

static void
test_switch (void)
{
  g_unsetenv ("WEIR_SANDBOX");
  g_assert_true (sandbox_wanted ());
  g_setenv ("WEIR_SANDBOX", "1", TRUE);
  g_assert_true (sandbox_wanted ());
  g_setenv ("WEIR_SANDBOX", "0", TRUE);
  g_assert_false (sandbox_wanted ());
  g_setenv ("WEIR_SANDBOX", "off", TRUE);
  g_assert_false (sandbox_wanted ());
  g_unsetenv ("WEIR_SANDBOX");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sandbox/switch", test_switch);
  g_test_add ("/sandbox/network-refused", Fixture, NULL, fixture_set_up, test_network_refused, fixture_tear_down);
  g_test_add ("/sandbox/exec-refused", Fixture, NULL, fixture_set_up, test_exec_refused, fixture_tear_down);
  g_test_add ("/sandbox/files-confined", Fixture, NULL, fixture_set_up, test_files_confined, fixture_tear_down);
  g_test_add ("/sandbox/core-serves", Fixture, NULL, fixture_set_up, test_core_serves, fixture_tear_down);
  return g_test_run ();
}
