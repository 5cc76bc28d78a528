/* nm.c over real pipes and socketpairs: framing, short reads, EINTR, caps, broken streams. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "nm.h"
#include "weir-error.h"

typedef struct {
  int fds[2];  /* [0] the reader's end, [1] the writer's end */
} Fixture;

static void
fixture_set_up_socketpair (Fixture *f, gconstpointer data)
{
  (void) data;
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, f->fds), ==, 0);
}

static void
fixture_set_up_pipe (Fixture *f, gconstpointer data)
{
  (void) data;
  g_assert_cmpint (pipe (f->fds), ==, 0);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  (void) data;
  for (int i = 0; i < 2; i++)
    if (f->fds[i] >= 0)
      close (f->fds[i]);
}

static void
close_writer (Fixture *f)
{
  close (f->fds[1]);
  f->fds[1] = -1;
}

static void
write_raw (int fd, const void *buf, gsize len)
{
  g_assert_cmpint (write (fd, buf, len), ==, (gssize) len);
}

static void
write_length (int fd, guint32 len)
{
  write_raw (fd, &len, sizeof len);
}

/* A writer that dribbles bytes with pauses, from another thread, so the reader sees
 * short reads (and, with a timer running, interrupted ones). */
typedef struct {
  int fd;
  GBytes *bytes;
  gsize chunk;
  gulong pause_us;
} Dribble;

static gpointer
dribble_run (gpointer data)
{
  Dribble *d = data;
  gsize len = 0;
  const char *p = g_bytes_get_data (d->bytes, &len);
  for (gsize off = 0; off < len; off += d->chunk)
    {
      write_raw (d->fd, p + off, MIN (d->chunk, len - off));
      g_usleep (d->pause_us);
    }
  return NULL;
}

static GBytes *
frame_bytes (const char *body, gsize len)
{
  guint32 declared = (guint32) len;
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *) &declared, sizeof declared);
  g_byte_array_append (out, (const guint8 *) body, (guint) len);
  return g_byte_array_free_to_bytes (out);
}

static void
assert_frame (int fd, gsize cap, const char *expect, gsize expect_len)
{
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_assert_cmpint (nm_read_frame (fd, cap, &out, &len, &error), ==, NM_FRAME_OK);
  g_assert_no_error (error);
  g_assert_cmpmem (out, len, expect, expect_len);
  g_assert_cmpint (out[len], ==, '\0');  /* the promised terminator */
}

static void
assert_status (int fd, gsize cap, NmStatus expect, int code)
{
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_assert_cmpint (nm_read_frame (fd, cap, &out, &len, &error), ==, expect);
  g_assert_null (out);
  if (expect == NM_FRAME_BROKEN)
    g_assert_error (error, WEIR_ERROR, code);
  else
    g_assert_no_error (error);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (nm_write_frame (f->fds[1], "{\"a\":1}", 7, &error));
  g_assert_true (nm_write_frame (f->fds[1], "", 0, &error));
  g_assert_true (nm_write_frame (f->fds[1], "x\0y", 3, &error));
  g_assert_no_error (error);
  close_writer (f);
  assert_frame (f->fds[0], NM_MAX_REQUEST, "{\"a\":1}", 7);
  assert_frame (f->fds[0], NM_MAX_REQUEST, "", 0);  /* zero-length frame: OK, empty */
  assert_frame (f->fds[0], NM_MAX_REQUEST, "x\0y", 3);
  assert_status (f->fds[0], NM_MAX_REQUEST, NM_FRAME_EOF, 0);
}

/* One byte at a time, the length included: every read is short. */
static void
test_short_reads (Fixture *f, gconstpointer data)
{
  g_autofree char *body = g_strnfill (3000, 'q');
  Dribble d = { f->fds[1], frame_bytes (body, 3000), 7, 0 };
  GThread *writer = g_thread_new ("dribble", dribble_run, &d);
  assert_frame (f->fds[0], NM_MAX_REQUEST, body, 3000);
  g_thread_join (writer);
  g_bytes_unref (d.bytes);
  Dribble one = { f->fds[1], frame_bytes ("hello", 5), 1, 200 };
  writer = g_thread_new ("dribble", dribble_run, &one);
  assert_frame (f->fds[0], NM_MAX_REQUEST, "hello", 5);
  g_thread_join (writer);
  g_bytes_unref (one.bytes);
}

static volatile sig_atomic_t interrupts;

static void
on_alarm (int sig)
{
  (void) sig;
  interrupts++;
}

/* A timer without SA_RESTART interrupts the reader's blocked read() many times while
 * a slow writer trickles a frame in: every EINTR must be retried, no byte lost. */
static void
test_eintr (Fixture *f, gconstpointer data)
{
  struct sigaction sa = { 0 }, old;
  sa.sa_handler = on_alarm;  /* no SA_RESTART: read() fails with EINTR */
  sigemptyset (&sa.sa_mask);
  g_assert_cmpint (sigaction (SIGALRM, &sa, &old), ==, 0);
  /* The writer thread inherits a mask that blocks SIGALRM, so the reader gets them all. */
  sigset_t alarm_set, saved;
  sigemptyset (&alarm_set);
  sigaddset (&alarm_set, SIGALRM);
  pthread_sigmask (SIG_BLOCK, &alarm_set, &saved);
  g_autofree char *body = g_strnfill (64 * 1024, 'e');
  Dribble d = { f->fds[1], frame_bytes (body, 64 * 1024), 4096, 3000 };
  GThread *writer = g_thread_new ("dribble", dribble_run, &d);
  pthread_sigmask (SIG_SETMASK, &saved, NULL);
  interrupts = 0;
  struct itimerval every = { { 0, 500 }, { 0, 500 } }, stop = { 0 };
  setitimer (ITIMER_REAL, &every, NULL);
  assert_frame (f->fds[0], NM_MAX_REQUEST, body, 64 * 1024);
  setitimer (ITIMER_REAL, &stop, NULL);
  g_thread_join (writer);
  g_bytes_unref (d.bytes);
  sigaction (SIGALRM, &old, NULL);
  g_test_message ("%d signals arrived during the read", (int) interrupts);
  g_assert_cmpint (interrupts, >, 0);
}

/* The cap is checked before any allocation or body read: with the writer still open
 * and no body sent, a read of the body would block forever. */
static void
test_over_cap (Fixture *f, gconstpointer data)
{
  write_length (f->fds[1], 17);
  assert_status (f->fds[0], 16, NM_FRAME_BROKEN, WEIR_ERROR_TOO_LARGE);
  write_length (f->fds[1], (guint32) NM_MAX_REQUEST + 1);
  assert_status (f->fds[0], NM_MAX_REQUEST, NM_FRAME_BROKEN, WEIR_ERROR_TOO_LARGE);
  write_length (f->fds[1], G_MAXUINT32);
  assert_status (f->fds[0], NM_MAX_REQUEST, NM_FRAME_BROKEN, WEIR_ERROR_TOO_LARGE);
}

static void
test_at_cap (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) frame = frame_bytes ("0123456789abcdef", 16);
  write_raw (f->fds[1], g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  assert_frame (f->fds[0], 16, "0123456789abcdef", 16);
}

static void
test_eof_inside_length (Fixture *f, gconstpointer data)
{
  write_raw (f->fds[1], "\x05\x00", 2);
  close_writer (f);
  assert_status (f->fds[0], NM_MAX_REQUEST, NM_FRAME_BROKEN, WEIR_ERROR_IO);
}

static void
test_eof_inside_body (Fixture *f, gconstpointer data)
{
  write_length (f->fds[1], 10);
  write_raw (f->fds[1], "abc", 3);
  close_writer (f);
  assert_status (f->fds[0], NM_MAX_REQUEST, NM_FRAME_BROKEN, WEIR_ERROR_IO);
}

/* A 60 MiB promise with 3 bytes delivered: the reader must not need 60 MiB to say no,
 * and must not wait for more than end of input. */
static void
test_eof_inside_large_promise (Fixture *f, gconstpointer data)
{
  write_length (f->fds[1], 60u * 1024 * 1024);
  write_raw (f->fds[1], "abc", 3);
  close_writer (f);
  assert_status (f->fds[0], NM_MAX_REQUEST, NM_FRAME_BROKEN, WEIR_ERROR_IO);
}

static void
test_read_error (Fixture *f, gconstpointer data)
{
  assert_status (-1, NM_MAX_REQUEST, NM_FRAME_BROKEN, WEIR_ERROR_IO);
}

/* A reply over 1 MiB is refused before anything is written; exactly 1 MiB goes out. */
static gpointer
drain_one (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  char *out = NULL;
  gsize len = 0;
  NmStatus status = nm_read_frame (fd, NM_MAX_REQUEST, &out, &len, NULL);
  g_free (out);
  return GSIZE_TO_POINTER (status == NM_FRAME_OK ? len : 0);
}

static void
test_reply_cap (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_malloc0 (NM_MAX_REPLY + 1);
  g_assert_false (nm_write_frame (f->fds[1], big, NM_MAX_REPLY + 1, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_TOO_LARGE);
  g_clear_error (&error);
  GThread *reader = g_thread_new ("drain", drain_one, GINT_TO_POINTER (f->fds[0]));
  g_assert_true (nm_write_frame (f->fds[1], big, NM_MAX_REPLY, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (GPOINTER_TO_SIZE (g_thread_join (reader)), ==, NM_MAX_REPLY);
}

static void
test_write_to_closed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  close (f->fds[0]);
  f->fds[0] = -1;
  g_assert_false (nm_write_frame (f->fds[1], "{}", 2, &error));
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_IO);
}

#define ADD(path, fn)                                                                     \
  g_test_add ("/nm/socketpair/" path, Fixture, NULL, fixture_set_up_socketpair, fn,      \
              fixture_tear_down);                                                         \
  g_test_add ("/nm/pipe/" path, Fixture, NULL, fixture_set_up_pipe, fn, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A closed peer must surface as EPIPE, as in weir-host. */
  signal (SIGPIPE, SIG_IGN);
  ADD ("round-trip", test_round_trip);
  ADD ("short-reads", test_short_reads);
  ADD ("eintr", test_eintr);
  ADD ("over-cap", test_over_cap);
  ADD ("at-cap", test_at_cap);
  ADD ("eof-inside-length", test_eof_inside_length);
  ADD ("eof-inside-body", test_eof_inside_body);
  ADD ("eof-inside-large-promise", test_eof_inside_large_promise);
  ADD ("read-error", test_read_error);
  ADD ("reply-cap", test_reply_cap);
  ADD ("write-to-closed", test_write_to_closed);
  return g_test_run ();
}
