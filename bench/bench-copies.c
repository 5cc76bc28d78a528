/* bench-copies (issue 25): what remembering copies costs. Not a test; prints figures.
 *
 *   bench-copies [COPIES]        (default 100000)
 *
 * 1. memory: COPIES copies of 100 words each (made-up prose, a 5,000-word vocabulary)
 *    added to a CopyMemory with the policy's default bounds: time per add (p50, p99),
 *    fingerprints, the memory's own count of its bytes and the process's RSS growth.
 * 2. a copy request through proto_handle_frame on a real context (sealed store, audit
 *    log, a source-group policy): p50 and p99 over 2,000 requests, store write included.
 *    Each request comes from its own origin, so the per-origin rate bound is not hit.
 * 3. a paste's scan request (about 1,000 words, about 4 KB; and 100 KB) through
 *    proto_handle_frame: with a policy without sources (today's path), and with the
 *    source policy and COPIES copies remembered. p50 and p99 over 300 requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "copies/copy-book.h"
#include "json.h"
#include "proto.h"

static guint32 rng_ = 12345;

static guint32
next (void)
{
  rng_ = rng_ * 1103515245u + 12345u;
  return rng_ >> 8;
}

static char *
prose (guint words)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < words; i++)
    g_string_append_printf (s, "%sw%u", i ? " " : "", next () % 5000);
  return g_string_free (s, FALSE);
}

static gsize
rss_kb (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  const char *at = strstr (status, "VmRSS:");
  return at ? (gsize) g_ascii_strtoull (at + 6, NULL, 10) : 0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *what, double *us, guint n)
{
  qsort (us, n, sizeof *us, cmp_double);
  printf ("%-52s p50 %8.3f ms   p99 %8.3f ms\n", what, us[n / 2] / 1000, us[n * 99 / 100] / 1000);
}

static void
fill (CopyMemory *mem, guint copies, gint64 now, double *us)
{
  for (guint i = 0; i < copies; i++)
    {
      g_autofree char *text = prose (100);
      gint64 t0 = g_get_monotonic_time ();
      guint32 words = 0;
      g_autoptr (GArray) picks = copy_memory_fingerprint (mem, text, strlen (text), &words);
      copy_memory_add (mem, 0, "internal", now, words, (const WinnowPick *) picks->data, picks->len, FALSE);
      copy_memory_expire (mem, now);
      if (us != NULL)
        us[i] = (double) (g_get_monotonic_time () - t0);
    }
}

static void
bench_memory (guint copies)
{
  static const guint8 key[WINNOW_KEY_BYTES] = { 1 };
  CopyLimits limits = { 100000, COPY_BOOK_MAX_FINGERPRINTS, 8 * 3600, 8 };
  gsize before = rss_kb ();
  g_autoptr (CopyMemory) mem = copy_memory_new (key, &limits);
  double *us = g_new (double, copies);
  fill (mem, copies, 1000000, us);
  gsize after = rss_kb ();
  g_autofree char *what = g_strdup_printf ("memory: add one 100-word copy (%u copies)", copies);
  report (what, us, copies);
  printf ("memory: %u copies kept, %zu fingerprints, %.1f MB counted, RSS +%.1f MB\n", copy_memory_count (mem),
          copy_memory_fingerprints (mem), copy_memory_bytes (mem) / 1e6, (after - before) / 1e3);
  g_free (us);
}

static WeirContext *
open_home (const char *policy)
{
  g_autofree char *home = g_dir_make_tmp ("weir-bench-copies-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (home, "policy.json", NULL);
  g_file_set_contents (path, policy, -1, NULL);
  g_setenv ("WEIR_HOME", home, TRUE);
  g_autoptr (GError) error = NULL;
  WeirContext *ctx = context_open (CONTEXT_STRICT, &error);
  if (ctx == NULL)
    g_error ("%s", error->message);
  return ctx;
}

static double
frame_us (Proto *proto, cJSON *request)
{
  g_autofree char *frame = cJSON_PrintUnformatted (request);
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *reply = proto_handle_frame (proto, frame, strlen (frame));
  double us = (double) (g_get_monotonic_time () - t0);
  if (strstr (reply, "\"error\"") != NULL && strstr (reply, "\"type\":\"error\"") != NULL)
    g_error ("reply: %s", reply);
  return us;
}

static void
bench_copy_requests (WeirContext *ctx)
{
  g_autoptr (Proto) proto = proto_new (ctx);
  double us[2000];
  for (guint i = 0; i < G_N_ELEMENTS (us); i++)
    {
      g_autofree char *text = prose (100), *origin = g_strdup_printf ("https://w%u.corp.example", i);
      g_autoptr (cJSON) req = cJSON_CreateObject ();
      cJSON_AddStringToObject (req, "type", "copy");
      cJSON_AddNumberToObject (req, "id", i);
      cJSON_AddStringToObject (req, "event", "copy");
      cJSON_AddStringToObject (req, "origin", origin);
      cJSON_AddStringToObject (req, "text", text);
      us[i] = frame_us (proto, req);
    }
  report ("copy request, 100 words (host, store write)", us, G_N_ELEMENTS (us));
}

static void
bench_pastes (WeirContext *ctx, const char *label)
{
  g_autoptr (Proto) proto = proto_new (ctx);
  static const guint sizes[] = { 700, 17000 };  /* about 4 KB and 100 KB of words */
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      double us[300];
      for (guint i = 0; i < G_N_ELEMENTS (us); i++)
        {
          g_autofree char *text = prose (sizes[s]);
          g_autoptr (cJSON) req = cJSON_CreateObject ();
          cJSON_AddStringToObject (req, "type", "scan");
          cJSON_AddNumberToObject (req, "id", i);
          cJSON_AddStringToObject (req, "event", "paste");
          cJSON_AddStringToObject (req, "origin", "https://chat.example");
          cJSON_AddStringToObject (req, "text", text);
          us[i] = frame_us (proto, req);
        }
      g_autofree char *what = g_strdup_printf ("paste %s KB, %s", s == 0 ? "4" : "100", label);
      report (what, us, G_N_ELEMENTS (us));
    }
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE);
  guint copies = argc > 1 ? (guint) atoi (argv[1]) : 100000;
  bench_memory (copies);

  g_autoptr (WeirContext) plain = open_home ("{\"version\":1}");
  bench_pastes (plain, "no source groups (today)");
  g_autoptr (WeirContext) ctx = open_home (
    "{\"version\":1,\"rules\":[{\"id\":\"out\",\"sources\":[\"internal\"],\"verdict\":\"warn\"}],"
    "\"origins\":[{\"match\":[\"https://*.corp.example\"],\"source\":\"internal\"}]}");
  bench_copy_requests (ctx);
  fill (copy_book_memory (context_copies (ctx)), copies, g_get_real_time () / G_USEC_PER_SEC, NULL);
  g_autofree char *label = g_strdup_printf ("%u copies remembered", copy_memory_count (copy_book_memory (context_copies (ctx))));
  bench_pastes (ctx, label);
  return 0;
}
