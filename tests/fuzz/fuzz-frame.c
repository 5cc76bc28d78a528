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

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static int
memfd_with (const uint8_t *data, size_t size)
{
  int fd = memfd_create ("fuzz-frame", MFD_CLOEXEC);
  FUZZ_CHECK (fd >= 0);
  for (size_t off = 0; off < size;)
    {
      ssize_t n = write (fd, data + off, size - off);
      FUZZ_CHECK (n > 0 || errno == EINTR);
      off += n > 0 ? (size_t) n : 0;
    }
  FUZZ_CHECK (lseek (fd, 0, SEEK_SET) == 0);
  return fd;
}

/* A frame written by nm_write_frame reads back unchanged. */
static void
check_round_trip (const char *frame, gsize len)
{
  g_autoptr (GError) error = NULL;
  int fd = memfd_create ("fuzz-frame-out", MFD_CLOEXEC);
  FUZZ_CHECK (fd >= 0);
  FUZZ_CHECK (nm_write_frame (fd, frame, len, &error));
  FUZZ_CHECK (lseek (fd, 0, SEEK_SET) == 0);
  g_autofree char *back = NULL;
  gsize back_len = 0;
  FUZZ_CHECK (nm_read_frame (fd, NM_MAX_REPLY, &back, &back_len, &error) == NM_FRAME_OK);
  FUZZ_CHECK (back_len == len && memcmp (back, frame, len) == 0 && back[len] == '\0');
  FUZZ_CHECK (nm_read_frame (fd, NM_MAX_REPLY, &back, &back_len, &error) == NM_FRAME_EOF);
  close (fd);
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
      int fd = memfd_with (data, size);
      read_all (fd, caps[i], size);
      close (fd);
    }
  return 0;
}
