/* bench-scan: detect_scan throughput on a file, fed in 64 KiB chunks the way a host
 * would see a paste split into pieces. Prints the best of several passes in MB/s
 * (10^6 bytes per second) and the total hits, so a run that silently found nothing
 * is visible. Not a test: bench/scan.sh runs it beside ripgrep.
 *
 * usage: bench-scan FILE [PASSES] */
#include <stdio.h>
#include <stdlib.h>

#include "engine/detect.h"

#define CHUNK (64 * 1024)

/* One pass over the whole text; returns the hits summed over chunks. */
static guint64
scan_pass (const char *text, gsize len)
{
  guint64 total = 0;
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  for (gsize at = 0; at < len; at += CHUNK)
    {
      g_array_set_size (hits, 0);
      detect_scan (text + at, MIN ((gsize) CHUNK, len - at), hits);
      for (guint i = 0; i < hits->len; i++)
        total += g_array_index (hits, DetectHit, i).count;
    }
  return total;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-scan FILE [PASSES]\n");
      return 1;
    }
  int passes = argc > 2 ? atoi (argv[2]) : 5;
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (argv[1], &text, &len, &error))
    {
      fprintf (stderr, "bench-scan: %s\n", error->message);
      return 2;
    }
  double best = 0;
  guint64 hits = 0;
  for (int p = 0; p < MAX (passes, 1); p++)
    {
      gint64 t0 = g_get_monotonic_time ();
      hits = scan_pass (text, len);
      double secs = (double) (g_get_monotonic_time () - t0) / 1e6;
      best = MAX (best, (double) len / 1e6 / secs);
    }
  printf ("detect_scan: %.1f MB in 64 KiB chunks, best of %d: %.0f MB/s, %" G_GUINT64_FORMAT
          " hits\n", (double) len / 1e6, MAX (passes, 1), best, hits);
  return 0;
}
