/* fuzz-detect: libFuzzer target for the pattern detectors, whose input is any page's
 * text. Build: CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined
 * -Db_lundef=false && ninja -C build-fuzz, then tests/fuzz/run.sh SECONDS detect; the
 * seeds are the detector golden files' cases (make-seeds.py). Beyond memory errors it checks
 * that every reported count is positive and that a scan is deterministic. */
#include <stdint.h>

#include "engine/detect.h"
#include "fuzz.h"

static GArray *
scan (const uint8_t *data, size_t size)
{
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  detect_scan ((const char *) data, size, hits);
  return hits;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GArray) first = scan (data, size);
  g_autoptr (GArray) again = scan (data, size);
  g_assert_cmpuint (first->len, ==, again->len);
  for (guint i = 0; i < first->len; i++)
    {
      const DetectHit *a = &g_array_index (first, DetectHit, i);
      const DetectHit *b = &g_array_index (again, DetectHit, i);
      g_assert_cmpuint (a->count, >, 0);
      g_assert_true (a->detector == b->detector && a->count == b->count);
    }
  return 0;
}
