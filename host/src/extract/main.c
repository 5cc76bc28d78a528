/* weir-extract: the text inside one document or archive, read in a sandboxed child.
 *
 *   weir-extract [--name NAME] [--mime TYPE] [--text] [bounds] < FILE > RECORDS
 *   weir-extract --server FD      the launcher weir-host and weir start (extract.h)
 *
 * Its sources are Apache-2.0; the program links poppler (GPL-2 or GPL-3), so the
 * binary as a whole is distributed under the GPL version 3, which Apache-2.0 code may
 * join (debian/copyright). weir-host and weir only start it and read a pipe. */
#include <errno.h>
#include <gmime/gmime.h>
#include <poll.h>
#include <poppler.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "ex.h"
#include "weir-config.h"

#define EXTRACT_MAX_INPUT (G_GUINT64_CONSTANT (1) << 30)  /* a file over 1 GiB is never sent */

/* ---- one child: bytes in, records out ---- */

static guchar *
read_all (int fd, gsize *len, gboolean *over)
{
  gsize cap = 65536, n = 0;
  guchar *buf = g_malloc (cap);
  for (;;)
    {
      if (n == cap)
        {
          if (cap >= EXTRACT_MAX_INPUT)
            {
              *over = TRUE;
              break;
            }
          cap *= 2;
          buf = g_realloc (buf, cap);
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += (gsize) r;
    }
  *len = n;
  return buf;
}

/* Runs in the child; never returns. _exit: no atexit handler (and no leak check of
 * a sanitizer build, which would need ptrace) runs in a confined process. */
static void G_GNUC_NORETURN
extract_child (const ExtractJob *job, gboolean sandbox)
{
  Ex ex;
  g_autofree char *said = NULL;
  if (sandbox && !confine_child (&job->bounds, &said))
    {
      ex_init (&ex, &job->bounds, 0, STDOUT_FILENO);
      g_autofree char *why = g_strdup_printf ("the extractor's sandbox failed (%s)", said);
      ex_emit (&ex, EXTRACT_UNREADABLE, "", why, strlen (why));
      _exit (3);
    }
  gsize len = 0;
  gboolean over = FALSE;
  guchar *data = read_all (STDIN_FILENO, &len, &over);
  ex_init (&ex, &job->bounds, len, STDOUT_FILENO);
  if (over)
    ex_emit (&ex, EXTRACT_OVERSIZE, "", "max_scan_bytes", 14);
  else
    ex_file (&ex, "", job->name[0] ? job->name : NULL, job->mime[0] ? job->mime : NULL, data, len, 0);
  _exit (0);
}

/* ---- preloading ---- */

/* A one-page PDF: poppler sets up its global state on the first document, which
 * must happen while the launcher can still read files. Not a test fixture: just
 * enough structure for poppler to open. */
static const char tiny_pdf[] =
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
  "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
  "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
  "trailer<</Root 1 0 R>>\n%%EOF\n";

/* iconv descriptors kept open for the launcher's life: each loads its gconv module,
 * which the children inherit instead of opening it. */
static GIConv kept[16];

void
ex_preload (void)
{
  g_mime_init ();
  g_autoptr (GBytes) bytes = g_bytes_new_static (tiny_pdf, sizeof tiny_pdf - 1);
  PopplerDocument *doc = poppler_document_new_from_bytes (bytes, NULL, NULL);
  PopplerPage *page = doc ? poppler_document_get_page (doc, 0) : NULL;
  g_free (page ? poppler_page_get_text (page) : NULL);
  g_clear_object (&page);
  g_clear_object (&doc);
  static const char *const charsets[] = { "WINDOWS-1252", "ISO-8859-15", "ISO-8859-2", "WINDOWS-1251",
                                          "KOI8-R", "SHIFT_JIS", "EUC-JP", "ISO-2022-JP", "GB18030",
                                          "BIG5", "EUC-KR", "UTF-16", "UTF-32" };
  for (gsize i = 0; i < G_N_ELEMENTS (charsets) && i < G_N_ELEMENTS (kept); i++)
    kept[i] = g_iconv_open ("UTF-8", charsets[i]);
  gsize n = 0;
  g_free (ex_cp1252 ("x", 1, &n));
}

/* ---- the launcher ---- */

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* Waits for the child until the job's deadline, then kills it. */
static ExtractResult
launcher_wait (pid_t pid, guint32 time_ms)
{
  ExtractResult result = { .magic = EXTRACT_RESULT_MAGIC };
  gint64 deadline = now_ms () + time_ms;
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  for (;;)
    {
      int status = 0;
      pid_t done = waitpid (pid, &status, WNOHANG);
      if (done == pid)
        {
          result.status = status;
          break;
        }
      gint64 left = deadline - now_ms ();
      if (left <= 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          result.status = status;
          result.timed_out = 1;
          break;
        }
      if (pidfd >= 0)
        {
          struct pollfd p = { .fd = pidfd, .events = POLLIN };
          poll (&p, 1, (int) MIN (left, 1000));
        }
      else
        g_usleep (2000);  /* kernels before 5.3: no pidfd */
    }
  if (pidfd >= 0)
    close (pidfd);
  return result;
}

/* One job: its header and the child's two pipe ends. FALSE at end of input. */
static gboolean
launcher_receive (int sock, ExtractJob *job, int fds[2])
{
  char control[CMSG_SPACE (2 * sizeof (int))];
  struct iovec iov = { job, sizeof *job };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                        .msg_controllen = sizeof control };
  ssize_t n;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return FALSE;
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN (2 * sizeof (int)))
    return FALSE;
  memcpy (fds, CMSG_DATA (c), 2 * sizeof (int));
  if ((gsize) n != sizeof *job || job->magic != EXTRACT_JOB_MAGIC)
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  job->name[sizeof job->name - 1] = '\0';
  job->mime[sizeof job->mime - 1] = '\0';
  return TRUE;
}

static int
launcher (int sock, const char *ocr_languages)
{
  /* The launcher ends with the program that started it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  signal (SIGPIPE, SIG_IGN);
  /* weir-host's memory cap (its soft RLIMIT_DATA, docs/hardening.md) is the host's, not
   * ours: each child sets its own limit from the policy's memory_mb. */
  struct rlimit data;
  if (getrlimit (RLIMIT_DATA, &data) == 0 && data.rlim_cur != data.rlim_max)
    {
      data.rlim_cur = data.rlim_max;
      setrlimit (RLIMIT_DATA, &data);
    }
  ex_preload ();
  ExtractResult ready = { .magic = EXTRACT_READY_MAGIC };
  if (send (sock, &ready, sizeof ready, MSG_NOSIGNAL) != sizeof ready)
    return 0;
  ExtractJob job;
  int fds[2];
  gboolean ocr_loaded = FALSE;
  while (launcher_receive (sock, &job, fds))
    {
      /* The OCR models (tens of MB, a good part of a second) load with the first job of
       * a site where OCR is on, here where files can still be read; every host starts a
       * launcher, and most never see an image. The children share them by fork. */
      if (job.bounds.ocr && ocr_languages != NULL && !ocr_loaded)
        {
          ex_ocr_preload (ocr_languages);  /* once: a failure is told with each image */
          ocr_loaded = TRUE;
        }
      pid_t pid = fork ();
      if (pid == 0)
        {
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          signal (SIGPIPE, SIG_DFL);
          dup2 (fds[0], STDIN_FILENO);
          dup2 (fds[1], STDOUT_FILENO);
          /* Nothing but the two pipes and stderr: not the launcher's socket. */
          syscall (SYS_close_range, 3, ~0U, 0);
          extract_child (&job, TRUE);
        }
      close (fds[0]);
      close (fds[1]);
      ExtractResult result = { .magic = EXTRACT_RESULT_MAGIC, .status = -1 };
      if (pid > 0)
        result = launcher_wait (pid, job.bounds.time_ms);
      if (send (sock, &result, sizeof result, MSG_NOSIGNAL) != sizeof result)
        return 0;
    }
  return 0;
}

/* ---- the command line ---- */

static void
print_record (guchar kind, const char *where, const char *data, gsize len)
{
  printf ("%c\t%s\t", kind, where[0] ? where : "-");
  if (kind == 'T' || kind == 'R')
    printf ("%zu bytes of %s\n", len, kind == 'T' ? "text" : "text read by OCR");
  else
    printf ("%.*s\n", (int) len, data);
}

static guint32
read_le32 (const guchar *p)
{
  guint32 v;
  memcpy (&v, p, sizeof v);  /* records are packed: no alignment to rely on */
  return GUINT32_FROM_LE (v);
}

/* --text: the records a child wrote, one line each (text as its size: this is for
 * people checking what a file yields, and text can be anything). */
static int
print_records (int fd)
{
  gsize len = 0;
  gboolean over = FALSE;
  g_autofree guchar *buf = read_all (fd, &len, &over);
  gsize at = 0;
  while (len - at >= 9)
    {
      guchar kind = buf[at];
      guint32 wl = read_le32 (buf + at + 1);
      if (wl > len - at - 9)
        break;
      g_autofree char *where = g_strndup ((const char *) buf + at + 5, wl);
      guint32 dl = read_le32 (buf + at + 5 + wl);
      if (dl > len - at - 9 - wl)
        break;
      print_record (kind, where, (const char *) buf + at + 9 + wl, dl);
      at += 9 + (gsize) wl + dl;
    }
  return at == len ? 0 : 2;
}

static int
usage (FILE *out)
{
  fprintf (out,
           "Usage: weir-extract [OPTION...] < FILE > RECORDS\n"
           "Reads one file (PDF, Office Open XML, OpenDocument, RTF, e-mail, archives, text) on\n"
           "stdin in a sandboxed child and writes its text as length-prefixed records (extract.h).\n"
           "  --name NAME          the file's name (a hint for legacy formats and single\n"
           "                       compressed files)\n"
           "  --mime TYPE          the file's type as the browser gave it (a hint)\n"
           "  --text               one line per record instead (text as its length)\n"
           "  --no-sandbox         parse in this process's state (debugging)\n"
           "  --max-inflated-bytes N  --max-members N  --max-compression-ratio N\n"
           "  --max-depth N  --max-pages N  --time-ms N  --memory-mb N\n"
           "                       the bounds (defaults as the policy's)\n"
           "  --ocr                read images by OCR (Tesseract)\n"
           "  --ocr-languages L    Tesseract's languages, \"eng+deu\" (default eng)\n"
           "  --ocr-time-ms N  --ocr-max-pixels N\n"
           "                       OCR's bounds (defaults as the policy's)\n"
           "  --server FD          the launcher: jobs on the socket FD (weir-host starts it)\n");
  return out == stdout ? 0 : 1;
}

static gboolean
parse_number (const char *arg, guint64 max, guint64 *out)
{
  char *end = NULL;
  guint64 v = g_ascii_strtoull (arg, &end, 10);
  if (end == arg || *end != '\0' || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_bound (ExtractBounds *b, const char *opt, const char *arg)
{
  guint64 v = 0;
  gboolean wide = strcmp (opt, "--max-inflated-bytes") == 0 || strcmp (opt, "--ocr-max-pixels") == 0;
  if (!parse_number (arg, wide ? G_MAXUINT64 : G_MAXUINT32, &v))
    return FALSE;
  if (strcmp (opt, "--max-inflated-bytes") == 0)
    b->max_inflated = v;
  else if (strcmp (opt, "--max-members") == 0)
    b->max_members = (guint32) v;
  else if (strcmp (opt, "--max-compression-ratio") == 0)
    b->max_ratio = (guint32) v;
  else if (strcmp (opt, "--max-depth") == 0)
    b->max_depth = (guint32) v;
  else if (strcmp (opt, "--max-pages") == 0)
    b->max_pages = (guint32) v;
  else if (strcmp (opt, "--time-ms") == 0)
    b->time_ms = (guint32) v;
  else if (strcmp (opt, "--memory-mb") == 0)
    b->memory_mb = (guint32) v;
  else if (strcmp (opt, "--ocr-time-ms") == 0)
    b->ocr_time_ms = (guint32) v;
  else if (strcmp (opt, "--ocr-max-pixels") == 0)
    b->ocr_max_pixels = v;
  else
    return FALSE;
  return TRUE;
}

/* The command line's own run: the same child, started here, waited for here. */
static int
standalone (const ExtractJob *job, gboolean sandbox, gboolean text, const char *ocr_languages)
{
  int out[2];
  if (text && pipe (out) != 0)
    return 2;
  ex_preload ();
  if (job->bounds.ocr)
    ex_ocr_preload (ocr_languages);
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (text)
        dup2 (out[1], STDOUT_FILENO), close (out[0]), close (out[1]);
      extract_child (job, sandbox);
    }
  int rc = 0;
  if (text)
    {
      close (out[1]);
      rc = print_records (out[0]);
    }
  ExtractResult result = launcher_wait (pid, job->bounds.time_ms);
  if (result.timed_out)
    fprintf (stderr, "weir-extract: stopped after %u ms (--time-ms)\n", job->bounds.time_ms);
  else if (WIFSIGNALED (result.status))
    fprintf (stderr, "weir-extract: the child stopped with signal %d\n", WTERMSIG (result.status));
  return rc == 0 && WIFEXITED (result.status) && WEXITSTATUS (result.status) == 0 ? 0 : 2;
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE);
  ExtractJob job = { .magic = EXTRACT_JOB_MAGIC, .bounds = EXTRACT_BOUNDS_DEFAULT };
  gboolean sandbox = TRUE, text = FALSE;
  const char *ocr_languages = "eng";
  guint64 server_fd = 0;
  gboolean server = FALSE;
  for (int i = 1; i < argc; i++)
    {
      const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
      guint64 fd = 0;
      gboolean flag = FALSE;
      if (strcmp (opt, "--help") == 0 || strcmp (opt, "-h") == 0)
        return usage (stdout);
      else if (strcmp (opt, "--version") == 0)
        return printf ("weir-extract %s\n", WEIR_VERSION) < 0;
      else if (strcmp (opt, "--text") == 0)
        text = flag = TRUE;
      else if (strcmp (opt, "--no-sandbox") == 0)
        sandbox = FALSE, flag = TRUE;
      else if (strcmp (opt, "--ocr") == 0)
        job.bounds.ocr = 1, flag = TRUE;
      else if (strcmp (opt, "--ocr-languages") == 0 && arg)
        ocr_languages = arg;
      else if (strcmp (opt, "--server") == 0 && arg && parse_number (arg, G_MAXINT, &fd))
        server = TRUE, server_fd = fd;
      else if (strcmp (opt, "--name") == 0 && arg)
        g_strlcpy (job.name, arg, sizeof job.name);
      else if (strcmp (opt, "--mime") == 0 && arg)
        g_strlcpy (job.mime, arg, sizeof job.mime);
      else if (!(arg && parse_bound (&job.bounds, opt, arg)))
        {
          fprintf (stderr, "weir-extract: bad option or value: %s (see --help)\n", opt);
          return 1;
        }
      if (!flag)
        i++;
    }
  if (server)
    return launcher ((int) server_fd, ocr_languages);
  return standalone (&job, sandbox, text, ocr_languages);
}
