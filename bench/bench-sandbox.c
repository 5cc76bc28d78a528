/* bench-sandbox: what the host's sandbox costs, measured on the real weir-host over
 * pipes, with WEIR_SANDBOX=0 and without.
 *
 *   start-up: spawn, hello, reply, end of input, exit (median of runs)
 *   request:  small scans and 256 KiB scans answered by one host: the host's CPU
 *             time per request (from /proc/PID/schedstat), best of five rounds
 *
 * Usage: bench-sandbox [RUNS]  (default 40 start-ups each; requests scale with it) */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "sandbox.h"

typedef struct {
  GSubprocess *host;
  GOutputStream *in;
  GInputStream *out;
} Host;

static void
host_start (Host *h, const char *home, gboolean sandbox)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "WEIR_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "WEIR_SANDBOX", sandbox ? "1" : "0", TRUE);
  h->host = g_subprocess_launcher_spawn (launcher, &error, WEIR_HOST_PATH, NULL);
  if (h->host == NULL)
    g_error ("%s", error->message);
  h->in = g_subprocess_get_stdin_pipe (h->host);
  h->out = g_subprocess_get_stdout_pipe (h->host);
}

static void
host_ask (Host *h, const char *request, gsize len)
{
  guint32 n = (guint32) len;
  gsize got = 0;
  if (!g_output_stream_write_all (h->in, &n, sizeof n, NULL, NULL, NULL)
      || !g_output_stream_write_all (h->in, request, len, NULL, NULL, NULL)
      || !g_input_stream_read_all (h->out, &n, sizeof n, &got, NULL, NULL) || got != sizeof n)
    g_error ("the host stopped answering");
  g_autofree char *reply = g_malloc (n);
  if (!g_input_stream_read_all (h->out, reply, n, &got, NULL, NULL) || got != n)
    g_error ("the host stopped answering");
}

static void
host_stop (Host *h)
{
  g_output_stream_close (h->in, NULL, NULL);
  g_subprocess_wait (h->host, NULL, NULL);
  g_clear_object (&h->host);
}

static int
compare (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* One start-up: spawn, hello, reply, end of input, exit. */
static double
startup_once_ms (const char *home, gboolean sandbox)
{
  static const char hello[] = "{\"type\":\"hello\",\"id\":1}";
  Host h;
  gint64 start = g_get_monotonic_time ();
  host_start (&h, home, sandbox);
  host_ask (&h, hello, sizeof hello - 1);
  host_stop (&h);
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

static double
median (double *values, int n)
{
  qsort (values, (size_t) n, sizeof *values, compare);
  return values[n / 2];
}

/* Medians of runs start-ups each, off and on interleaved so that drift in the
 * machine's load (it is shared) hits both alike. */
static void
startup_ms (const char *home, int runs, double *off, double *on)
{
  g_autofree double *t_off = g_new (double, runs);
  g_autofree double *t_on = g_new (double, runs);
  for (int i = 0; i < runs; i++)
    {
      t_off[i] = startup_once_ms (home, FALSE);
      t_on[i] = startup_once_ms (home, TRUE);
    }
  *off = median (t_off, runs);
  *on = median (t_on, runs);
}

static char *
scan_request (gsize text_len)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  g_autofree char *text = g_malloc (text_len + 1);
  for (gsize i = 0; i < text_len; i++)
    text[i] = "lorem ipsum dolor sit amet 4111 1111 1111 1112\n"[i % 47];
  text[text_len] = '\0';
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "event", "paste");
  cJSON_AddStringToObject (req, "origin", "https://chat.example");
  cJSON_AddStringToObject (req, "text", text);
  return cJSON_PrintUnformatted (req);
}

/* The host's own CPU time in ns (it is single-threaded): on a shared machine the
 * wall time of a request mostly measures the neighbours. */
static double
host_cpu_ns (Host *h)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/schedstat", g_subprocess_get_identifier (h->host));
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    g_error ("cannot read %s", path);
  return g_ascii_strtod (text, NULL);
}

static double
request_once_us (const char *home, gboolean sandbox, const char *req, int requests)
{
  Host h;
  host_start (&h, home, sandbox);
  host_ask (&h, "{\"type\":\"hello\",\"id\":0}", 23);
  double start = host_cpu_ns (&h);
  for (int i = 0; i < requests; i++)
    host_ask (&h, req, strlen (req));
  double us = (host_cpu_ns (&h) - start) / 1000.0 / requests;
  host_stop (&h);
  return us;
}

/* The best of five alternating rounds per setting: noise only ever adds time. */
static void
request_us (const char *home, gsize text_len, int requests, double *off, double *on)
{
  g_autofree char *req = scan_request (text_len);
  *off = *on = G_MAXDOUBLE;
  for (int round = 0; round < 5; round++)
    {
      *off = MIN (*off, request_once_us (home, FALSE, req, requests));
      *on = MIN (*on, request_once_us (home, TRUE, req, requests));
    }
}

/* ns per system call: getpid stands for the cheapest call the filter must judge. */
static double
syscall_ns (void)
{
  const int n = 2000000;
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    syscall (SYS_getpid);
  return (double) (g_get_monotonic_time () - start) * 1000.0 / n;
}

/* In a child (the sandbox cannot be left): the time sandbox_enter() takes, and the
 * cost of a system call before and after. Writes three doubles to fd. */
static void
child_measure (const char *home, int fd)
{
  double out[3];
  out[1] = syscall_ns ();
  SandboxPaths paths = { .state_dir = home, .config_dir = home };
  g_autofree char *summary = NULL;
  gint64 start = g_get_monotonic_time ();
  sandbox_enter (&paths, &summary, NULL);
  out[0] = (double) (g_get_monotonic_time () - start);
  out[2] = syscall_ns ();
  _exit (write (fd, out, sizeof out) == sizeof out ? 0 : 1);
}

static void
enter_cost (const char *home, int runs, double *enter_us, double *before_ns, double *after_ns)
{
  g_autofree double *t = g_new (double, runs);
  for (int i = 0; i < runs; i++)
    {
      int pipe_fds[2];
      double got[3] = { 0 };
      if (pipe (pipe_fds) != 0)
        g_error ("pipe failed");
      pid_t pid = fork ();
      if (pid == 0)
        child_measure (home, pipe_fds[1]);
      close (pipe_fds[1]);
      if (read (pipe_fds[0], got, sizeof got) != sizeof got)
        g_error ("the measuring child failed");
      close (pipe_fds[0]);
      waitpid (pid, NULL, 0);
      t[i] = got[0];
      *before_ns = i == 0 ? got[1] : MIN (*before_ns, got[1]);
      *after_ns = i == 0 ? got[2] : MIN (*after_ns, got[2]);
    }
  *enter_us = median (t, runs);
}

int
main (int argc, char **argv)
{
  int runs = argc > 1 ? MAX (atoi (argv[1]), 1) : 40;
  g_autofree char *home = g_dir_make_tmp ("weir-bench-sandbox-XXXXXX", NULL);
  double off = 0, on = 0;
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("weir-host: %s\n%-36s %12s %12s\n", WEIR_HOST_PATH, "", "sandbox off", "sandbox on");
  double enter_us;
  enter_cost (home, runs, &enter_us, &off, &on);
  printf ("%-36s %12s %12.1f\n", "sandbox_enter(), us (median)", "-", enter_us);
  printf ("%-36s %12.1f %12.1f\n", "getpid system call, ns (best)", off, on);
  startup_ms (home, runs, &off, &on);
  printf ("%-36s %12.2f %12.2f\n", "start-up to first reply, ms (median)", off, on);
  request_us (home, 64, runs * 25, &off, &on);
  printf ("%-36s %12.1f %12.1f\n", "scan of 64 B, host CPU us/request", off, on);
  request_us (home, 256 * 1024, MAX (runs / 4, 2), &off, &on);
  printf ("%-36s %12.1f %12.1f\n", "scan of 256 KiB, host CPU us/req", off, on);
  printf ("(store left in %s)\n", home);
  return 0;
}
