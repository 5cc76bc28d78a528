/* weir-host: the native-messaging host the browser starts.
 *
 * Reads frames on stdin, answers each on stdout, until end of input or a broken
 * frame; both end the process with status 0 after an audit record. stdout carries
 * frames and nothing else. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "memcap.h"
#include "nm.h"
#include "proto.h"
#include "weir-config.h"
#include "notify.h"
#include "sandbox.h"

/* A pack dropped into the inbox (or imported by weir pack import) while the host waits
 * is picked up before the next request is answered: the host has no main loop to watch
 * folders with, and a stat of packs/ between requests costs microseconds. */
static void
poll_packs (WeirContext *ctx)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  context_poll_packs (ctx, FALSE, problems);
  for (guint i = 0; i < problems->len; i++)
    notify_problem (problems->pdata[i]);
}

/* What degrades protection, told once each: at start, and whenever a request finds a
 * new one (the audit log refusing writes). notify_problem drops repeats. */
static void
tell_problems (WeirContext *ctx)
{
  const GPtrArray *problems = context_problems (ctx);
  for (guint i = 0; i < problems->len; i++)
    notify_problem (((const ContextProblem *) problems->pdata[i])->text);
}

/* A store that would not open is tried again between requests: once it opens the
 * checks are recorded again, with no browser restart. */
static void
retry_store (WeirContext *ctx)
{
  g_autoptr (GError) gone = NULL;
  if (!context_check_store (ctx, &gone))
    g_message ("%s; opening the store again", gone->message);
  if (!context_retry_store (ctx))
    return;
  g_message ("the store is available again: checks are recorded again");
  context_record_event (ctx, "store-open", gone ? gone->message : "the store opened after a failure");
}

/* The last records of a host: reports it held back, then why it stops. */
static int
stop (WeirContext *ctx, Proto *proto, const char *why)
{
  proto_flush_reports (proto);
  context_record_event (ctx, "host-stop", why);
  return 0;
}

/* The store retried and the inbox looked at, with the memory cap lifted (a new index is
 * not a request's) and set again from what they use. */
static void
load_between (WeirContext *ctx, MemCap *memcap)
{
  memcap_lift (memcap);
  retry_store (ctx);
  poll_packs (ctx);
  memcap_update (memcap);
}

/* Waits for the next request, doing the due loads (the store retried, the inbox
 * imported) only while no request is waiting: a paste never waits on the inbox, since
 * the host looks at it in the gaps between requests (an idle host at least every
 * CONTEXT_POLL_US), never between a request's arrival and its reply. The store's file,
 * not authenticated before the first verdict, is authenticated first, a millisecond's
 * slice at a time, looking for a request between slices; then the packs' filters are
 * read ahead of the first pastes, in slices as well. */
static void
wait_for_request (WeirContext *ctx, MemCap *memcap)
{
  for (;;)
    {
      gboolean checking = context_store_check_pending (ctx);
      gboolean warming = !context_index_warmed (ctx);
      gint64 wait_us = checking || warming ? 0 : context_load_next (ctx) - g_get_monotonic_time ();
      int timeout_ms = wait_us <= 0 ? 0 : (int) MIN ((wait_us + 999) / 1000, 60 * 1000);
      struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
      int n = poll (&in, 1, timeout_ms);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != 0)
        return;  /* input, end of input or an error: nm_read_frame tells which */
      if (checking)
        context_store_check_step (ctx);
      else if (context_load_due (ctx))
        load_between (ctx, memcap);
      else if (warming)
        context_warm_index (ctx);
    }
}

static int
serve (WeirContext *ctx, Proto *proto, MemCap *memcap)
{
  for (;;)
    {
      wait_for_request (ctx, memcap);
      g_autofree char *frame = NULL;
      g_autoptr (GError) error = NULL;
      gsize len = 0;
      NmStatus status = nm_read_frame (STDIN_FILENO, NM_MAX_REQUEST, &frame, &len, &error);
      if (status == NM_FRAME_EOF)
        return stop (ctx, proto, "end of input");
      if (status == NM_FRAME_BROKEN)
        {
          g_message ("stopping: %s", error->message);
          return stop (ctx, proto, error->message);
        }
      /* A store file deleted or replaced under this host is noticed before the request
       * (a stat), so its record lands in a store that exists; the rest of the store's
       * retries wait for the gaps between requests. */
      g_autoptr (GError) gone = NULL;
      if (!context_check_store (ctx, &gone))
        {
          g_message ("%s; opening the store again", gone->message);
          if (context_retry_store (ctx))
            context_record_event (ctx, "store-open", gone->message);
        }
      g_autofree char *reply = proto_handle_frame (proto, frame, len);
      g_clear_pointer (&frame, g_free);
      if (!nm_write_frame (STDOUT_FILENO, reply, strlen (reply), &error))
        {
          g_message ("stopping: %s", error->message);
          return stop (ctx, proto, error->message);
        }
      /* After the reply, while the page is already inserting: nothing here delays it
       * (a desktop notice can take a while; a checkpoint too). */
      tell_problems (ctx);
      context_maintain (ctx);
    }
}

/* Restricts the host once its context is open (files it keeps open stay usable) and
 * before any thread starts, and records what holds: the audit log says whether a
 * decision was made by a sandboxed host. */
static void
host_sandbox (WeirContext *ctx)
{
  if (!sandbox_wanted ())
    {
      g_message ("sandbox off: WEIR_SANDBOX=0 (debugging only)");
      context_record_event (ctx, "sandbox", "off: WEIR_SANDBOX=0");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  SandboxPaths paths = { .state_dir = context_state_dir (ctx), .config_dir = context_config_dir (ctx) };
  sandbox_enter (&paths, &summary, &error);
  if (error != NULL)
    g_warning ("sandbox: %s", error->message);
  context_record_event (ctx, "sandbox", summary);
}

/* WEIR_UPLOAD_IDLE_MS lowers how long an abandoned upload is held (the tests use it to
 * see one dropped without waiting a minute); it cannot raise it. */
static void
upload_idle_from_env (Proto *proto)
{
  const char *env = g_getenv ("WEIR_UPLOAD_IDLE_MS");
  guint64 ms = 0;
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 60000, &ms, NULL))
    proto_set_upload_idle (proto, (gint64) ms * 1000);
}

static int
usage (FILE *out)
{
  fprintf (out,
           "Usage: weir-host [chrome-extension://ID/]\n"
           "The Weir native-messaging host. Chromium starts it; it speaks protocol 1\n"
           "(4-byte length, then JSON) on stdin and stdout. See weir --help for the CLI.\n");
  return out == stdout ? 0 : 1;
}

int
main (int argc, char **argv)
{
  /* stdout is the protocol: every log line goes to stderr, which Chromium keeps. */
  g_log_writer_default_set_use_stderr (TRUE);
  /* A closed pipe is the browser going away: see EPIPE and stop cleanly. */
  signal (SIGPIPE, SIG_IGN);
  /* A file-size limit (RLIMIT_FSIZE) is a full disk to the store: a failed write and the
   * fail verdict, not a host killed by SIGXFSZ. */
  signal (SIGXFSZ, SIG_IGN);
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    return usage (stdout);
  if (argc > 1 && strcmp (argv[1], "--version") == 0)
    return printf ("weir-host %s\n", WEIR_VERSION) < 0;

  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = context_open (CONTEXT_LENIENT | CONTEXT_DEFER_STORE_CHECK, &error);
  if (ctx == NULL)
    {
      g_critical ("cannot start: %s", error->message);
      return 0;
    }
  g_autoptr (Proto) proto = proto_new (ctx);
  upload_idle_from_env (proto);
  context_record_event (ctx, "host-start", argc > 1 ? argv[1] : NULL);
  context_record_policy (ctx);
  /* Issue 25: the copies remembered from source groups, read before the cap is measured. */
  (void) context_copies (ctx);
  /* Once the index is loaded, and before the sandbox: it measures in /proc/self. */
  g_autoptr (MemCap) memcap = memcap_new ();
  g_autofree char *cap = memcap_describe (memcap);
  g_message ("%s", cap);
  /* GLib looks the user up once and keeps the answer: done here, a store that opens only
   * after the sandbox is up (which refuses the lookup) still names the user, not
   * "somebody", in its records. */
  (void) g_get_user_name ();
  /* The document reader's launcher (weir-extract --server), started while the host may
   * still start a program: its sandbox forbids fork and exec, and the launcher forks
   * one sandboxed child per file for the rest of the session (docs/security.md). */
  context_extractor (ctx);
  host_sandbox (ctx);
  /* After the sandbox: a notice starts GDBus's thread, which Landlock would miss. */
  tell_problems (ctx);
  return serve (ctx, proto, memcap);
}
