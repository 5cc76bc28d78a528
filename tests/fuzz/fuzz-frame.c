/* fuzz-frame: the frame reader (nm.c) on a stream of hostile bytes.
 *
 * The input is the whole stdin stream. Every frame read must fit in what was
 * sent, and writing a frame and reading it back must give the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "nm.h"

/* Two memfds made once and refilled per input: creating them per input cost more
 * than the code under test. */
static int in_fd_ = -1, out_fd_ = -1;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  in_fd_ = memfd_create ("fuzz-frame-in", MFD_CLOEXEC);
  out_fd_ = memfd_create ("fuzz-frame-out", MFD_CLOEXEC);
  FUZZ_CHECK (in_fd_ >= 0 && out_fd_ >= 0);
  return 0;
}

static void
refill (int fd, const void *data, size_t size)
{
  FUZZ_CHECK (ftruncate (fd, 0) == 0 && lseek (fd, 0, SEEK_SET) == 0);
  for (size_t off = 0; off < size;)
    {
      ssize_t n = write (fd, (const char *) data + off, size - off);
      FUZZ_CHECK (n > 0 || errno == EINTR);
      off += n > 0 ? (size_t) n : 0;
    }
  FUZZ_CHECK (lseek (fd, 0, SEEK_SET) == 0);
}

/* A frame written by nm_write_frame reads back unchanged. */
static void
check_round_trip (const char *frame, gsize len)
{
  g_autoptr (GError) error = NULL;
  int fd = out_fd_;
  refill (fd, NULL, 0);
  FUZZ_CHECK (nm_write_frame (fd, frame, len, &error));
  FUZZ_CHECK (lseek (fd, 0, SEEK_SET) == 0);
  g_autofree char *back = NULL;
  gsize back_len = 0;
  FUZZ_CHECK (nm_read_frame (fd, NM_MAX_REPLY, &back, &back_len, &error) == NM_FRAME_OK);
  FUZZ_CHECK (back_len == len && memcmp (back, frame, len) == 0 && back[len] == '\0');
  FUZZ_CHECK (nm_read_frame (fd, NM_MAX_REPLY, &back, &back_len, &error) == NM_FRAME_EOF);
}

/* Reads frames until the stream ends or breaks; returns the bytes the frames held. */
static size_t
read_all (int fd, gsize cap, size_t size)
{
  size_t consumed = 0;
  for (;;)
    {
      g_autofree char *frame = NULL;
      g_autoptr (GError) error = NULL;
      gsize len = 0;
      NmStatus status = nm_read_frame (fd, cap, &frame, &len, &error);
      if (status == NM_FRAME_EOF)
        return consumed;
      if (status == NM_FRAME_BROKEN)
        {
          FUZZ_CHECK (error != NULL && frame == NULL);
          return consumed;
        }
      FUZZ_CHECK (error == NULL && frame != NULL && len <= cap);
      consumed += 4 + len;
      FUZZ_CHECK (consumed <= size);
      check_round_trip (frame, MIN (len, NM_MAX_REPLY));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* Twice: with Chrome's cap, and with a small one so the over-cap path is hit. */
  static const gsize caps[] = { NM_MAX_REQUEST, 64 };
  for (gsize i = 0; i < G_N_ELEMENTS (caps); i++)
    {
      refill (in_fd_, data, size);
      read_all (in_fd_, caps[i], size);
    }
  return 0;
}
