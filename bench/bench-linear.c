/* bench-linear: shapes of input that make naive scanners quadratic, at 1, 2 and 4
 * MiB, through HTML-to-text and the scorer (the work of one scan request).
 *
 * Prints CPU milliseconds per size and the ratio of each doubling: a linear scanner
 * shows ratios near 2, a quadratic one near 4. Figures, not a pass/fail test; the
 * correctness of the same inputs is checked by tests/unit/test-bounds.c. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/html.h"
#include "engine/score.h"

typedef char *(*Generate) (gsize size);

static char *
repeat (const char *unit, gsize size)
{
  gsize n = strlen (unit);
  char *out = g_malloc (size + 1);
  for (gsize i = 0; i < size; i++)
    out[i] = unit[i % n];
  out[size] = '\0';
  return out;
}

static char *one_char (gsize size) { return repeat ("a", size); }
static char *digits (gsize size) { return repeat ("4", size); }
static char *digit_groups (gsize size) { return repeat ("4111 ", size); }
static char *short_lines (gsize size) { return repeat ("x\n", size); }
static char *card_lines (gsize size) { return repeat ("4111 1111 1111 1111\n", size); }
static char *pem_begins (gsize size) { return repeat ("-----BEGIN ", size); }
static char *nested_html (gsize size) { return repeat ("<div>", size); }
static char *open_tags (gsize size) { return repeat ("<", size); }
static char *entities (gsize size) { return repeat ("&amp", size); }
static char *comments (gsize size) { return repeat ("<!--", size); }
static char *scripts (gsize size) { return repeat ("<script>", size); }

/* CPU time of this thread: the machine is shared, and wall time would count the
 * other processes' turns. */
static double
cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static double
run_once_ms (Generate generate, gsize size)
{
  g_autofree char *input = generate (size);
  g_autoptr (EngineIndex) index = engine_index_new ();
  g_autoptr (GPtrArray) findings = findings_new ();
  double start = cpu_ms ();
  gsize len = 0;
  g_autofree char *text = engine_html_to_text (input, size, &len);
  engine_score (index, input, size, findings);
  engine_score (index, text, len, findings);
  return cpu_ms () - start;
}

/* The best of five: noise (caches, page faults) only ever adds time. */
static double
run_ms (Generate generate, gsize size)
{
  double best = G_MAXDOUBLE;
  for (int i = 0; i < 5; i++)
    best = MIN (best, run_once_ms (generate, size));
  return best;
}

int
main (int argc, char **argv)
{
  static const struct { const char *name; Generate generate; } cases[] = {
    { "one repeated character", one_char }, { "one long run of digits", digits },
    { "digit groups \"4111 \"", digit_groups }, { "a million short lines", short_lines },
    { "card number lines", card_lines }, { "\"-----BEGIN \" repeated", pem_begins },
    { "nested <div>", nested_html }, { "unclosed \"<\"", open_tags },
    { "\"&amp\" without ;", entities }, { "unclosed comments", comments },
    { "unclosed <script>", scripts },
  };
  /* The base size in KiB (default 1024): a quadratic case at 4 MiB can take minutes. */
  const gsize kib = argc > 1 ? (gsize) g_ascii_strtoull (argv[1], NULL, 10) : 1024;
  const gsize mib = MAX (kib, 1) * 1024;
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("%-28s %10s %10s %10s %8s %8s   (n = %zu KiB)\n", "input", "n ms", "2n ms", "4n ms", "2n/n",
          "4n/2n", kib);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      run_ms (cases[i].generate, mib / 4);  /* warm up */
      double t1 = run_ms (cases[i].generate, mib);
      double t2 = run_ms (cases[i].generate, 2 * mib);
      double t4 = run_ms (cases[i].generate, 4 * mib);
      printf ("%-28s %10.1f %10.1f %10.1f %8.2f %8.2f\n", cases[i].name, t1, t2, t4, t2 / t1, t4 / t2);
    }
  return 0;
}
