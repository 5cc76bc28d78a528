/* audit-bench: what recording and signing add to a verdict.
 *
 *   audit-bench [PATH/TO/weir-host] [ITERATIONS]
 *
 * Prints p50 and p99 (microseconds) of:
 *   - a 4 KB paste through proto_handle_frame with the signed audit log, and without
 *     any audit log (the difference is what recording adds to a verdict);
 *   - the same with records shipped to a local journal-style socket;
 *   - audit_append alone, and one Ed25519 signature alone;
 *   - given the host binary, the whole round trip of a 4 KB paste over pipes.
 * The store is a fresh WEIR_HOME in /tmp: WAL, synchronous=NORMAL, as the host runs. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/audit.h"
#include "context.h"
#include "json.h"
#include "nm.h"
#include "proto.h"

#define PASTE_BYTES 4096

static int
cmp_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static void
report (const char *what, GArray *samples)
{
  g_array_sort (samples, cmp_gint64);
  gint64 p50 = g_array_index (samples, gint64, samples->len / 2);
  gint64 p99 = g_array_index (samples, gint64, samples->len * 99 / 100);
  printf ("%-46s p50 %7.1f us   p99 %7.1f us   (n=%u)\n", what, p50 / 1000.0, p99 / 1000.0, samples->len);
}

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A 4 KB paste of ordinary prose: the common case, an allow verdict. */
static char *
paste_request (void)
{
  static const char words[] = "the quarterly plan covers hiring travel and the new office lease ";
  GString *text = g_string_new (NULL);
  while (text->len < PASTE_BYTES)
    g_string_append (text, words);
  g_string_truncate (text, PASTE_BYTES);
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "event", "paste");
  cJSON_AddStringToObject (req, "origin", "https://chat.example");
  cJSON_AddStringToObject (req, "text", text->str);
  g_string_free (text, TRUE);
  return cJSON_PrintUnformatted (req);
}

static GArray *
time_frames (Proto *proto, const char *request, guint n, int drain_fd)
{
  GArray *samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  char buf[65536];
  for (guint i = 0; i < n; i++)
    {
      gint64 start = now_ns ();
      g_autofree char *reply = proto_handle_frame (proto, request, strlen (request));
      gint64 took = now_ns () - start;
      g_array_append_val (samples, took);
      while (drain_fd >= 0 && recv (drain_fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
    }
  return samples;
}

static int
bind_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  int fd = socket (AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    g_error ("cannot bind %s", path);
  return fd;
}

static void
bench_in_process (WeirContext *ctx, const char *dir, guint n)
{
  g_autoptr (Proto) proto = proto_new (ctx);
  g_autofree char *request = paste_request ();
  g_autoptr (GArray) warm = time_frames (proto, request, n / 10, -1);
  g_autoptr (GArray) with = time_frames (proto, request, n, -1);
  Audit *audit = context_replace_audit (ctx, NULL);
  g_autoptr (GArray) without = time_frames (proto, request, n, -1);
  report ("4 KB paste, signed audit record", with);
  report ("4 KB paste, no audit record", without);
  printf ("%-46s p50 %7.1f us\n", "  => added by recording and signing",
          (g_array_index (with, gint64, n / 2) - g_array_index (without, gint64, n / 2)) / 1000.0);

  g_autofree char *sock = g_build_filename (dir, "journal.sock", NULL);
  int fd = bind_socket (sock);
  g_setenv ("WEIR_AUDIT_SHIP", "journal", TRUE);
  g_setenv ("WEIR_AUDIT_JOURNAL_SOCKET", sock, TRUE);
  context_replace_audit (ctx, audit_new (context_store (ctx), NULL));
  g_autoptr (GArray) shipped = time_frames (proto, request, n, fd);
  report ("4 KB paste, signed and shipped to a socket", shipped);
  audit_free (context_replace_audit (ctx, audit));
  close (fd);
  g_setenv ("WEIR_AUDIT_SHIP", "off", TRUE);
}

static void
bench_parts (WeirContext *ctx, guint n)
{
  g_autoptr (GArray) append = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_autoptr (GArray) sign = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddStringToObject (fields, "verdict", "allow");
  cJSON_AddStringToObject (fields, "origin", "https://chat.example");
  SignPublicKey pk;
  g_autoptr (SignSecretKey) sk = sign_secret_key_generate (&pk);
  guint8 msg[600] = { 0 }, sig[SIGN_BYTES];
  for (guint i = 0; i < n; i++)
    {
      gint64 start = now_ns ();
      g_autofree char *id = audit_append (context_audit (ctx), "verdict", fields, NULL);
      gint64 mid = now_ns ();
      sign_detached (sk, msg, sizeof msg, sig);
      gint64 end = now_ns (), a = mid - start, s = end - mid;
      g_array_append_val (append, a);
      g_array_append_val (sign, s);
    }
  report ("audit_append (lock, head, sign, insert, commit)", append);
  report ("Ed25519 signature of a 600-byte record", sign);
}

/* The whole round trip as the browser sees it: frame out, weir-host, frame back. */
static void
bench_host (const char *host, guint n)
{
  const char *argv[] = { host, "chrome-extension://bench/", NULL };
  int in_fd, out_fd;
  GPid pid;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                 &in_fd, &out_fd, NULL, &error))
    g_error ("%s", error->message);
  g_autofree char *request = paste_request ();
  g_autoptr (GArray) samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  for (guint i = 0; i < n + n / 10; i++)
    {
      g_autofree char *reply = NULL;
      gsize len = 0;
      gint64 start = now_ns ();
      if (!nm_write_frame (in_fd, request, strlen (request), &error)
          || nm_read_frame (out_fd, NM_MAX_REPLY, &reply, &len, &error) != NM_FRAME_OK)
        g_error ("weir-host: %s", error ? error->message : "no reply");
      gint64 took = now_ns () - start;
      if (i >= n / 10)
        g_array_append_val (samples, took);
    }
  close (in_fd);
  close (out_fd);
  g_spawn_close_pid (pid);
  report ("4 KB paste round trip through weir-host (pipes)", samples);
}

static void
quiet (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE);
  /* Without an audit log every verdict warns that it cannot record: expected here. */
  g_log_set_handler ("weir", G_LOG_LEVEL_WARNING, quiet, NULL);
  guint n = argc > 2 ? (guint) atoi (argv[2]) : 2000;
  n = MAX (n, 100);
  g_autofree char *dir = g_dir_make_tmp ("weir-bench-XXXXXX", NULL);
  g_setenv ("WEIR_HOME", dir, TRUE);
  g_setenv ("WEIR_AUDIT_SHIP", "off", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_STRICT, &error);
  if (ctx == NULL)
    g_error ("%s", error->message);
  bench_in_process (ctx, dir, n);
  bench_parts (ctx, n);
  if (argc > 1 && argv[1][0] != '\0')
    bench_host (argv[1], n);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  return system (cmd) == 0 ? 0 : 1;
}
