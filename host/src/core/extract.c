/* extract.c: the host's and the CLI's end of weir-extract (extract.h). */
#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weir-config.h"
#include "weir-error.h"

struct Extractor {
  int sock;        /* SOCK_SEQPACKET to the launcher; -1 once it is gone */
  pid_t pid;
  gboolean ready;  /* its ready message came */
  guint owed;      /* results of jobs given up on, still to come (a busy machine) */
};

/* Beside the running program (installed: both in libdir/weir; weir in bindir finds
 * the installed copy), in the build tree (host/src/{host,cli}/ next to extract/),
 * else the install path. Never $PATH: a program found by search is not one we ship. */
static char *
extractor_path (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  char *candidates[] = {
    dir ? g_build_filename (dir, "weir-extract", NULL) : NULL,
    dir ? g_build_filename (dir, "..", "extract", "weir-extract", NULL) : NULL,
    g_build_filename (WEIR_EXTRACT_DIR, "weir-extract", NULL),
  };
  char *found = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (found == NULL && candidates[i] != NULL && g_file_test (candidates[i], G_FILE_TEST_IS_EXECUTABLE))
        found = g_steal_pointer (&candidates[i]);
      g_free (candidates[i]);
    }
  return found;
}

Extractor *
extractor_new (const char *ocr_languages, GError **error)
{
  g_autofree char *path = extractor_path ();
  if (path == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "weir-extract is not installed beside this "
                   "program nor in %s", WEIR_EXTRACT_DIR);
      return NULL;
    }
  int pair[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "socketpair: %s", g_strerror (errno));
      return NULL;
    }
  /* Writing a file to a child that already stopped reading is EPIPE, not a signal. */
  signal (SIGPIPE, SIG_IGN);
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* Only the socket crosses, as descriptor 3 (dup2 clears close-on-exec). */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (dup2 (pair[1], 3) < 0)
        _exit (127);
      syscall (SYS_close_range, 4, ~0U, 0);
      /* One OpenMP thread: Tesseract's parallel loops would start threads, which the
       * child's seccomp filter (no clone) refuses. */
      setenv ("OMP_THREAD_LIMIT", "1", 1);
      if (ocr_languages != NULL)
        execl (path, "weir-extract", "--server", "3", "--ocr-languages", ocr_languages, (char *) NULL);
      else
        execl (path, "weir-extract", "--server", "3", (char *) NULL);
      _exit (127);
    }
  close (pair[1]);
  if (pid < 0)
    {
      close (pair[0]);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "fork: %s", g_strerror (errno));
      return NULL;
    }
  Extractor *extractor = g_new0 (Extractor, 1);
  extractor->sock = pair[0];
  extractor->pid = pid;
  return extractor;
}

gboolean
extractor_running (const Extractor *extractor)
{
  return extractor != NULL && extractor->sock >= 0;
}

/* The launcher is given up: a later file starts another (context.c). */
static void
launcher_drop (Extractor *extractor)
{
  close (extractor->sock);
  extractor->sock = -1;
  if (extractor->pid > 0)
    {
      kill (extractor->pid, SIGKILL);
      waitpid (extractor->pid, NULL, WNOHANG);
    }
}

void
extractor_free (Extractor *extractor)
{
  if (extractor == NULL)
    return;
  if (extractor->sock >= 0)
    close (extractor->sock);  /* the launcher reads end of input and exits */
  /* Reaped when the CLI can (a sandboxed host may not wait; the launcher then ends
   * with it, by PR_SET_PDEATHSIG). */
  if (extractor->pid > 0)
    waitpid (extractor->pid, NULL, WNOHANG);
  g_free (extractor);
}

/* ---- one job ---- */

/* The records, parsed as they arrive. A record is at most its where, the largest
 * text a bound lets through and its header: more is a broken extractor. */
typedef struct {
  GByteArray *buf;
  guint64 limit;        /* bytes of records in all */
  guint64 seen;
  ExtractFunc func;
  gpointer user_data;
  gboolean broken;
} Records;

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static gboolean
kind_known (guint8 k)
{
  return k == EXTRACT_TEXT || k == EXTRACT_ENCRYPTED || k == EXTRACT_OVERSIZE || k == EXTRACT_UNREADABLE
         || k == EXTRACT_NOT_READ || k == EXTRACT_OCR_TEXT;
}

/* Hands over every complete record in buf; keeps the rest. */
static void
records_take (Records *r)
{
  gsize at = 0, len = r->buf->len;
  const guint8 *b = r->buf->data;
  while (!r->broken && len - at >= 9)
    {
      guint32 wl = le32 (b + at + 1);
      if (!kind_known (b[at]) || wl > EXTRACT_WHERE_MAX)
        {
          r->broken = TRUE;
          break;
        }
      if (len - at < 9 + (gsize) wl)
        break;
      guint32 dl = le32 (b + at + 5 + wl);
      if ((guint64) dl > r->limit)
        {
          r->broken = TRUE;
          break;
        }
      if (len - at - 9 - wl < dl)
        break;
      g_autofree char *where = g_strndup ((const char *) b + at + 5, wl);
      /* Copied by length: a text record may hold a NUL. */
      g_autofree char *data = g_malloc ((gsize) dl + 1);
      memcpy (data, b + at + 9 + wl, dl);
      data[dl] = '\0';
      if (!g_utf8_validate (where, -1, NULL))
        {
          g_free (where);
          where = g_strdup ("?");
        }
      r->func ((ExtractKind) b[at], where, data, dl, r->user_data);
      at += 9 + (gsize) wl + dl;
    }
  g_byte_array_remove_range (r->buf, 0, (guint) at);
}

static void
records_add (Records *r, const guint8 *data, gsize len)
{
  r->seen += len;
  if (r->seen > r->limit)
    {
      r->broken = TRUE;
      return;
    }
  g_byte_array_append (r->buf, data, (guint) len);
  records_take (r);
}

static gboolean
job_send (Extractor *extractor, const ExtractJob *job, int in_fd, int out_fd)
{
  int fds[2] = { in_fd, out_fd };
  char control[CMSG_SPACE (sizeof fds)];
  memset (control, 0, sizeof control);
  struct iovec iov = { (void *) job, sizeof *job };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                        .msg_controllen = sizeof control };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof fds);
  memcpy (CMSG_DATA (c), fds, sizeof fds);
  ssize_t n;
  do
    n = sendmsg (extractor->sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t) sizeof *job;
}

/* Feeds the file and reads records until the child closes its end (TRUE) or the
 * deadline (monotonic microseconds) passes (FALSE). */
static gboolean
job_pump (int in_fd, int out_fd, const guchar *data, gsize len, gint64 deadline, Records *r)
{
  gsize sent = 0;
  guint8 chunk[65536];
  gboolean out_open = TRUE;
  if (len == 0)
    {
      close (in_fd);
      in_fd = -1;
    }
  while (out_open && !r->broken)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      if (left <= 0)
        break;
      struct pollfd p[2] = { { .fd = out_fd, .events = POLLIN }, { .fd = in_fd, .events = POLLOUT } };
      int rc = poll (p, in_fd >= 0 ? 2 : 1, (int) MIN (left, 1000));
      if (rc < 0 && errno != EINTR)
        break;
      if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP)))
        {
          ssize_t n = write (in_fd, data + sent, MIN (len - sent, (gsize) 1 << 20));
          if (n > 0)
            sent += (gsize) n;
          if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == len)
            {
              close (in_fd);  /* all sent, or the child stopped reading */
              in_fd = -1;
            }
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (out_fd, chunk, sizeof chunk);
          if (n > 0)
            records_add (r, chunk, (gsize) n);
          else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            out_open = FALSE;
        }
    }
  if (in_fd >= 0)
    close (in_fd);
  return !out_open;
}

/* The launcher's next message (a result or its ready message), waited for until
 * deadline. FALSE at the deadline with *gone FALSE; FALSE with *gone TRUE when the
 * launcher went away or said something else. */
static gboolean
launcher_message (Extractor *extractor, gint64 deadline, ExtractResult *result, gboolean *gone)
{
  *gone = FALSE;
  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      struct pollfd p = { .fd = extractor->sock, .events = POLLIN };
      int rc = poll (&p, 1, (int) CLAMP (left, 0, 1000));
      if (rc < 0 && errno == EINTR)
        continue;
      if (rc == 0 && left > 0)
        continue;
      if (rc <= 0)
        return FALSE;
      ssize_t n = recv (extractor->sock, result, sizeof *result, 0);
      if (n == (ssize_t) sizeof *result
          && (result->magic == EXTRACT_RESULT_MAGIC || result->magic == EXTRACT_READY_MAGIC))
        return TRUE;
      *gone = TRUE;
      return FALSE;
    }
}

/* Waits until the launcher has started and answered every job given up on, so that
 * the next result is this job's. FALSE at the deadline, or (*gone) when it is gone. */
static gboolean
launcher_in_step (Extractor *extractor, gint64 deadline, gboolean *gone)
{
  *gone = FALSE;
  while (!extractor->ready || extractor->owed > 0)
    {
      ExtractResult message;
      if (!launcher_message (extractor, deadline, &message, gone))
        return FALSE;
      if (message.magic == EXTRACT_READY_MAGIC && !extractor->ready)
        extractor->ready = TRUE;
      else if (message.magic == EXTRACT_RESULT_MAGIC && extractor->ready && extractor->owed > 0)
        extractor->owed--;
      else
        return !(*gone = TRUE);
    }
  return TRUE;
}

static void
tell (ExtractFunc func, gpointer user_data, ExtractKind kind, const char *data)
{
  func (kind, "", data, strlen (data), user_data);
}

/* What stopped the child, as one more record. cut: the host stopped reading at the
 * deadline, whatever the child did after (a busy launcher may not have killed it yet,
 * and a child writing to the closed pipe dies of SIGPIPE): never a whole read. */
static void
job_verdict (const ExtractResult *result, const Records *r, gboolean cut, ExtractFunc func,
             gpointer user_data)
{
  if (result->timed_out || cut)
    tell (func, user_data, EXTRACT_OVERSIZE, "time_per_file_ms");
  else if (WIFSIGNALED (result->status))
    {
      /* SIGXCPU: the CPU limit; SIGKILL or SIGABRT after a failed allocation: most
       * often the memory limit; SIGSEGV: a parser fault, contained. */
      g_autofree char *why = g_strdup_printf ("the extractor stopped on this file (signal %d: a damaged or "
                                              "hostile file, or over extract memory_mb)",
                                              WTERMSIG (result->status));
      tell (func, user_data, EXTRACT_UNREADABLE, why);
    }
  else if (!WIFEXITED (result->status) || WEXITSTATUS (result->status) != 0)
    tell (func, user_data, EXTRACT_UNREADABLE, "the extractor failed on this file");
  else if (r->broken || r->buf->len > 0)
    tell (func, user_data, EXTRACT_UNREADABLE, "the extractor's output was malformed");
}

gboolean
extractor_run (Extractor *extractor, const ExtractBounds *bounds, const char *name, const char *mime,
               const guchar *data, gsize len, ExtractFunc func, gpointer user_data, GError **error)
{
  if (extractor == NULL || extractor->sock < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "the extractor is not running");
      return FALSE;
    }
  gint64 deadline = g_get_monotonic_time () + (gint64) bounds->time_ms * 1000;
  gboolean gone = FALSE;
  ExtractResult result = { 0 };
  /* The first file waits for the launcher's start, within its own time; so does a file
   * after one given up on, for that one's late result. */
  if (!launcher_in_step (extractor, deadline, &gone))
    {
      if (gone)
        {
          launcher_drop (extractor);
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "the extractor has stopped");
          return FALSE;
        }
      tell (func, user_data, EXTRACT_OVERSIZE, "time_per_file_ms");
      return TRUE;
    }
  ExtractJob job = { .magic = EXTRACT_JOB_MAGIC, .bounds = *bounds };
  job.bounds.time_ms = (guint32) CLAMP ((deadline - g_get_monotonic_time ()) / 1000, 1, (gint64) bounds->time_ms);
  g_strlcpy (job.name, name ? name : "", sizeof job.name);
  g_strlcpy (job.mime, mime ? mime : "", sizeof job.mime);
  int in[2], out[2];
  if (pipe2 (in, O_CLOEXEC) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  if (pipe2 (out, O_CLOEXEC) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "pipe: %s", g_strerror (errno));
      close (in[0]);
      close (in[1]);
      return FALSE;
    }
  gboolean sent = job_send (extractor, &job, in[0], out[1]);
  close (in[0]);
  close (out[1]);
  if (!sent)
    {
      close (in[1]);
      close (out[0]);
      launcher_drop (extractor);
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "the extractor has stopped");
      return FALSE;
    }
  fcntl (in[1], F_SETFL, O_NONBLOCK);
  /* Records are at most what a bound lets the child inflate, plus their framing. */
  Records r = { g_byte_array_new (), bounds->max_inflated + (16u << 20), 0, func, user_data, FALSE };
  gboolean whole = job_pump (in[1], out[0], data, len, deadline + 200000, &r);
  close (out[0]);
  /* The launcher kills the child at time_ms: its answer comes soon after. */
  gboolean answered = launcher_message (extractor, deadline + 2000000, &result, &gone)
                      && result.magic == EXTRACT_RESULT_MAGIC;
  if (!answered)
    {
      g_byte_array_unref (r.buf);
      if (gone || result.magic == EXTRACT_READY_MAGIC)
        {
          launcher_drop (extractor);
          g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "the extractor has stopped");
          return FALSE;
        }
      /* A busy machine: the launcher kills the child and answers late. A sandboxed
       * host cannot start another, so it is kept, its late answer owed and skipped
       * before the next job; without that answer this read is not known whole. */
      extractor->owed++;
      tell (func, user_data, EXTRACT_OVERSIZE, "time_per_file_ms");
      return TRUE;
    }
  job_verdict (&result, &r, !whole && !r.broken, func, user_data);
  g_byte_array_unref (r.buf);
  return TRUE;
}
