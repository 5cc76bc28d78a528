/* What the store's process-level tests share: temporary folders, running the real
 * programs (paths from the environment, set by meson), reading a store's records. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

static inline const char *
test_program (const char *variable)
{
  const char *path = g_getenv (variable);
  if (path == NULL)
    g_error ("%s is not set: run this test through meson test", variable);
  return path;
}

static inline void
test_remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        test_remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* Runs `weir ARGS...` with WEIR_HOME=home; returns its exit status (-1: a signal). */
static inline int
test_run_weir (const char *home, char **out, char **err, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) test_program ("WEIR_CLI"));
  va_list args;
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "WEIR_HOME", home, TRUE);
  int status = 0;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                     &status, &error))
    g_error ("cannot run weir: %s", error->message);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

/* A weir-host started with WEIR_HOME=home, spoken to in native-messaging frames. */
typedef struct {
  GPid pid;
  int to;     /* its stdin */
  int from;   /* its stdout */
} TestHost;

static inline void
test_host_start (TestHost *host, const char *home)
{
  const char *argv[] = { test_program ("WEIR_HOST"), "chrome-extension://test/", NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "WEIR_HOME", home, TRUE);
  g_autoptr (GError) error = NULL;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                 &host->pid, &host->to, &host->from, NULL, &error))
    g_error ("cannot start weir-host: %s", error->message);
}

static inline gboolean
test_io_exact (int fd, void *buf, size_t n, gboolean writing)
{
  size_t done = 0;
  while (done < n)
    {
      ssize_t r = writing ? write (fd, (char *) buf + done, n - done) : read (fd, (char *) buf + done, n - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      done += (size_t) r;
    }
  return TRUE;
}

/* Sends one request and returns the reply (caller frees), or NULL at end of output. */
static inline cJSON *
test_host_ask (TestHost *host, const char *request)
{
  uint32_t len = (uint32_t) strlen (request);
  g_assert_true (test_io_exact (host->to, &len, sizeof len, TRUE));
  g_assert_true (test_io_exact (host->to, (char *) request, len, TRUE));
  if (!test_io_exact (host->from, &len, sizeof len, FALSE))
    return NULL;
  g_assert_cmpuint (len, <=, 1024 * 1024);
  g_autofree char *body = g_malloc (len + 1);
  g_assert_true (test_io_exact (host->from, body, len, FALSE));
  body[len] = '\0';
  return cJSON_Parse (body);
}

/* Closes its stdin and returns its exit status (-1: killed by a signal). */
static inline int
test_host_stop (TestHost *host)
{
  close (host->to);
  close (host->from);
  int status = 0;
  while (waitpid (host->pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_spawn_close_pid (host->pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}
