/* noop-host: the floor under weir-host's round trip. It speaks the same framing over
 * the same pipes (nm.c) but does no work: no JSON parse, no scan, no audit record,
 * just a fixed small verdict for every frame. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "nm.h"

int
main (void)
{
  static const char verdict[] =
    "{\"id\":1,\"type\":\"verdict\",\"verdict\":\"allow\",\"reasons\":[],\"audit\":\"0\"}";
  signal (SIGPIPE, SIG_IGN);
  for (;;)
    {
      g_autofree char *frame = NULL;
      gsize len = 0;
      if (nm_read_frame (STDIN_FILENO, NM_MAX_REQUEST, &frame, &len, NULL) != NM_FRAME_OK)
        return 0;
      if (!nm_write_frame (STDOUT_FILENO, verdict, sizeof verdict - 1, NULL))
        return 0;
    }
}
