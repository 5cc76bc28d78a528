/* bench-scan: scan throughput on a file, fed in 64 KiB chunks the way a host would see a
 * paste split into pieces. Prints the best of several passes in MB/s (10^6 bytes per
 * second) with the total hits, so a run that silently found nothing is visible. Not a
 * test: bench/scan.sh and bench/run run it beside ripgrep.
 *
 *   bench-scan FILE [PASSES]            detect_scan alone: the pattern detectors
 *   bench-scan --index FILE [PASSES]    the full pipeline, engine_score: detectors, then
 *                                       the fingerprints and EDM tables of the store in
 *                                       WEIR_HOME, loaded as the host loads them
 *   bench-scan --index --every-kgram FILE [PASSES]
 *                                       the same with every k-gram of a paste looked
 *                                       up (no winnowed paste first, engine/index.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "engine/detect.h"
#include "engine/score.h"

#define CHUNK (64 * 1024)

typedef struct {
  guint64 patterns, documents, edm;
} Hits;

/* One pass of detect_scan over the whole text. */
static void
scan_pass (const char *text, gsize len, Hits *hits)
{
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  for (gsize at = 0; at < len; at += CHUNK)
    {
      g_array_set_size (found, 0);
      detect_scan (text + at, MIN ((gsize) CHUNK, len - at), found);
      for (guint i = 0; i < found->len; i++)
        hits->patterns += g_array_index (found, DetectHit, i).count;
    }
}

/* One pass of engine_score with the index over the whole text. */
static void
score_pass (const EngineIndex *index, const char *text, gsize len, Hits *hits)
{
  for (gsize at = 0; at < len; at += CHUNK)
    {
      g_autoptr (GPtrArray) findings = findings_new ();
      engine_score (index, text + at, MIN ((gsize) CHUNK, len - at), findings);
      for (guint i = 0; i < findings->len; i++)
        {
          const Finding *f = findings->pdata[i];
          guint64 *slot = f->kind == FINDING_PATTERN ? &hits->patterns
                          : f->kind == FINDING_DOCUMENT ? &hits->documents : &hits->edm;
          *slot += f->count;
        }
    }
}

/* This process's CPU time in seconds: on a shared machine it is what the work costs,
 * whatever else runs; the wall time is what a user would wait. */
static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
usage (void)
{
  fprintf (stderr, "usage: bench-scan [--index [--every-kgram]] FILE [PASSES]\n");
  return 1;
}

int
main (int argc, char **argv)
{
  gboolean full = argc > 1 && strcmp (argv[1], "--index") == 0;
  int arg = full ? 2 : 1;
  /* --every-kgram: look every k-gram of a paste up, as before issue 28, to measure
   * what winnowing the paste first saves. */
  gboolean every = full && argc > arg && strcmp (argv[arg], "--every-kgram") == 0;
  arg += every;
  if (argc <= arg)
    return usage ();
  int passes = argc > arg + 1 ? MAX (atoi (argv[arg + 1]), 1) : 5;
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (WeirContext) ctx = full ? context_open (CONTEXT_STRICT, &error) : NULL;
  if ((full && ctx == NULL) || !g_file_get_contents (argv[arg], &text, &len, &error))
    {
      fprintf (stderr, "bench-scan: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; every && i < engine_index_pack_count (context_index (ctx)); i++)
    ((IndexPack *) engine_index_pack (context_index (ctx), i))->winnowed_paste = FALSE;
  double best = 0, best_cpu = 0;
  Hits hits = { 0 };
  for (int p = 0; p < passes; p++)
    {
      hits = (Hits) { 0 };
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_seconds ();
      if (full)
        score_pass (context_index (ctx), text, len, &hits);
      else
        scan_pass (text, len, &hits);
      double secs = (double) (g_get_monotonic_time () - t0) / 1e6, cpu = cpu_seconds () - c0;
      best = MAX (best, (double) len / 1e6 / secs);
      best_cpu = MAX (best_cpu, (double) len / 1e6 / cpu);
    }
  if (full)
    printf ("engine_score: %.1f MB in 64 KiB chunks, %" G_GSIZE_FORMAT " fingerprints, best of %d: "
            "%.0f MB/s (CPU time %.0f MB/s), %" G_GUINT64_FORMAT " pattern hits, %" G_GUINT64_FORMAT " document k-grams, %"
            G_GUINT64_FORMAT " EDM records\n", (double) len / 1e6,
            engine_index_fingerprint_count (context_index (ctx)), passes, best, best_cpu, hits.patterns, hits.documents, hits.edm);
  else
    printf ("detect_scan: %.1f MB in 64 KiB chunks, best of %d: %.0f MB/s (CPU time %.0f MB/s), %" G_GUINT64_FORMAT
            " hits\n", (double) len / 1e6, passes, best, best_cpu, hits.patterns);
  return 0;
}
