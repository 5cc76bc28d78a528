/* bench-roundtrip: the time from writing a scan request to reading its verdict, as the
 * extension sees it, for weir-host and for noop-host (same framing, no work) over the
 * same kind of pipes. Prints a table; it is a benchmark, not a test.
 *
 *   bench-roundtrip [-n REQUESTS] [--home DIR] [WEIR_HOST NOOP_HOST]
 *
 * weir-host runs in a throwaway WEIR_HOME with the default policy, so every verdict
 * also writes its audit record to SQLite, as in real use; --home DIR runs it in DIR
 * instead (bench/run gives one with a million fingerprints and an EDM table). The last
 * columns are each host's peak resident memory (getrusage of the child after it ends)
 * and its CPU time per measured request (/proc/PID/schedstat), which load on the
 * machine does not inflate the way it does the wall-clock percentiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "nm.h"
#include "weir-config.h"
#include "weir-error.h"

#ifndef BENCH_WEIR_HOST
#define BENCH_WEIR_HOST "weir-host"
#define BENCH_NOOP_HOST "noop-host"
#endif

#define WARMUP 50

typedef struct {
  GPid pid;
  int to_host, from_host;
} Child;

static gboolean
child_start (Child *c, const char *binary, const char *home, GError **error)
{
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "WEIR_HOME", home, TRUE);
  const char *argv[] = { binary, NULL };
  return g_spawn_async_with_pipes ((const char *) NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                   &c->pid, &c->to_host, &c->from_host, NULL, error);
}

/* The child's CPU time so far in nanoseconds (/proc/PID/schedstat, first field), or
 * -1 where the kernel does not keep it. */
static gint64
child_cpu_ns (const Child *c)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/schedstat", (int) c->pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  return g_ascii_strtoll (text, NULL, 10);
}

/* Returns the child's peak resident set in KiB. */
static long
child_stop (Child *c)
{
  close (c->to_host);  /* end of input: the host records its stop and exits 0 */
  g_autofree char *rest = NULL;
  gsize len = 0;
  while (nm_read_frame (c->from_host, NM_MAX_REPLY, &rest, &len, NULL) == NM_FRAME_OK)
    g_clear_pointer (&rest, g_free);
  close (c->from_host);
  struct rusage usage = { 0 };
  int status = 0;
  if (wait4 (c->pid, &status, 0, &usage) < 0)
    return 0;
  return usage.ru_maxrss;
}

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Prose with digits that are not cards, dates and order numbers: the common paste,
 * which every detector's prefilter sees and none should match. */
static char *
paste_text (gsize size)
{
  static const char *const lines[] = {
    "Meeting notes 2026-03-14: the rollout moves to week 12, order 4471-2290 shipped. ",
    "Please review the attached draft before Friday and add comments inline. ",
    "Revenue grew 7.5% quarter on quarter; headcount stays at 212 for now. ",
    "Ticket #88123 is closed; the fix ships in release 3.14.2 next Tuesday. ",
  };
  GString *text = g_string_sized_new (size + 128);
  for (gsize i = 0; text->len < size; i++)
    g_string_append (text, lines[i % G_N_ELEMENTS (lines)]);
  g_string_truncate (text, size);
  return g_string_free (text, FALSE);
}

static char *
scan_request (gsize size)
{
  g_autofree char *text = paste_text (size);
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "event", "paste");
  cJSON_AddStringToObject (req, "origin", "https://chat.example");
  cJSON_AddStringToObject (req, "url", "https://chat.example/c/1");
  cJSON_AddStringToObject (req, "text", text);
  return cJSON_PrintUnformatted (req);
}

/* One request and its reply; the reply must be a verdict. */
static gboolean
round_trip (Child *c, const char *req, gsize len, GError **error)
{
  g_autofree char *reply = NULL;
  gsize reply_len = 0;
  if (!nm_write_frame (c->to_host, req, len, error))
    return FALSE;
  if (nm_read_frame (c->from_host, NM_MAX_REPLY, &reply, &reply_len, error) != NM_FRAME_OK)
    return FALSE;
  if (strstr (reply, "\"type\":\"verdict\"") == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "not a verdict: %.200s", reply);
      return FALSE;
    }
  return TRUE;
}

static int
compare_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

typedef struct {
  double p50_us, p99_us, mean_us, max_us;
  double cpu_us;   /* the host's CPU time per measured request; < 0 when unknown */
  long peak_kib;
} Figures;

static gboolean
measure (const char *binary, const char *home, const char *req, guint n, Figures *out, GError **error)
{
  Child c;
  if (!child_start (&c, binary, home, error))
    return FALSE;
  gsize len = strlen (req);
  g_autofree gint64 *t = g_new (gint64, n);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < WARMUP; i++)
    ok = round_trip (&c, req, len, error);
  gint64 cpu_start = child_cpu_ns (&c);
  for (guint i = 0; ok && i < n; i++)
    {
      gint64 start = now_ns ();
      ok = round_trip (&c, req, len, error);
      t[i] = now_ns () - start;
    }
  gint64 cpu_end = child_cpu_ns (&c);
  out->cpu_us = cpu_start < 0 || cpu_end < 0 ? -1 : (double) (cpu_end - cpu_start) / 1000 / n;
  out->peak_kib = child_stop (&c);
  if (!ok)
    return FALSE;
  qsort (t, n, sizeof *t, compare_gint64);
  double sum = 0;
  for (guint i = 0; i < n; i++)
    sum += (double) t[i];
  out->p50_us = (double) t[n / 2] / 1000;
  out->p99_us = (double) t[(gsize) n * 99 / 100] / 1000;
  out->mean_us = sum / n / 1000;
  out->max_us = (double) t[n - 1] / 1000;
  return TRUE;
}

static void
print_row (const char *host, gsize size, const Figures *f)
{
  printf ("%-10s %7zu KB  %9.1f  %9.1f  %9.1f  %9.1f  %9ld  %9.1f\n", host, size / 1000, f->p50_us, f->p99_us,
          f->mean_us, f->max_us, f->peak_kib, f->cpu_us);
}

static int
run (const char *weir_host, const char *noop_host, const char *given_home, guint n)
{
  static const gsize sizes[] = { 4000, 100000 };
  g_autoptr (GError) error = NULL;
  g_autofree char *home = given_home ? g_strdup (given_home) : g_dir_make_tmp ("weir-bench-XXXXXX", &error);
  if (home == NULL)
    return fprintf (stderr, "bench-roundtrip: %s\n", error->message), 2;
  printf ("weir-host %s round trip, %u requests per row after %d warm-up (microseconds)\n\n",
          WEIR_VERSION, n, WARMUP);
  printf ("%-10s %10s  %9s  %9s  %9s  %9s  %9s  %9s\n", "host", "paste", "p50", "p99", "mean", "max", "peak KiB",
          "CPU/req");
  int status = 0;
  for (gsize s = 0; s < G_N_ELEMENTS (sizes) && status == 0; s++)
    {
      g_autofree char *req = scan_request (sizes[s]);
      Figures weir, noop;
      if (!measure (weir_host, home, req, n, &weir, &error) || !measure (noop_host, home, req, n, &noop, &error))
        {
          fprintf (stderr, "bench-roundtrip: %s\n", error->message);
          status = 2;
          break;
        }
      print_row ("weir-host", sizes[s], &weir);
      print_row ("noop-host", sizes[s], &noop);
    }
  const char *rm[] = { "rm", "-rf", "--", home, NULL };
  if (given_home == NULL && !g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL))
    fprintf (stderr, "bench-roundtrip: could not remove %s\n", home);
  return status;
}

int
main (int argc, char **argv)
{
  guint n = 2000;
  const char *home = NULL;
  int arg = 1;
  for (; arg + 1 < argc && argv[arg][0] == '-'; arg += 2)
    if (strcmp (argv[arg], "-n") == 0)
      n = (guint) MAX (1, atoi (argv[arg + 1]));
    else if (strcmp (argv[arg], "--home") == 0)
      home = argv[arg + 1];
    else
      break;
  if (argc - arg != 0 && argc - arg != 2)
    {
      fprintf (stderr, "usage: bench-roundtrip [-n REQUESTS] [--home DIR] [WEIR_HOST NOOP_HOST]\n");
      return 1;
    }
  return run (argc - arg == 2 ? argv[arg] : BENCH_WEIR_HOST,
              argc - arg == 2 ? argv[arg + 1] : BENCH_NOOP_HOST, home, n);
}
