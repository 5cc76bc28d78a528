/* Pattern detector quality: recall per detector and false flags, on the generated
 * corpus tests/fixtures/detect/quality-corpus.txt (generate.py's quality(): every
 * detector's values in five contexts, prose, JSON, YAML, .env and a table, and hard
 * negatives in the same contexts: failed check digits, placeholders, order and
 * tracking numbers, versions, UUIDs, timestamps).
 *
 * A positive case is found when its detector counts it; a negative is a false flag
 * when any detector counts anything. Prints a Markdown table; fails when recall is
 * under 0.95 overall or 0.8 for one detector, or false flags exceed 0.5 %.
 *
 * Usage: test-detectors [CORPUS] */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "engine/detect.h"

typedef struct {
  guint cases, found;
} Tally;

static guint
count_of (GArray *hits, const char *id)
{
  for (guint i = 0; i < hits->len; i++)
    if (g_strcmp0 (g_array_index (hits, DetectHit, i).detector->id, id) == 0)
      return g_array_index (hits, DetectHit, i).count;
  return 0;
}

/* Scans one case; expect is "<detector>=1" or "none". */
static void
judge (const char *expect, const GString *body, GHashTable *tallies, Tally *negatives)
{
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  detect_scan (body->str, body->len, hits);
  if (g_strcmp0 (expect, "none") == 0)
    {
      negatives->cases++;
      negatives->found += hits->len > 0;
      for (guint i = 0; i < hits->len; i++)
        g_printerr ("false flag: %s in \"%.60s\"\n", g_array_index (hits, DetectHit, i).detector->id, body->str);
      return;
    }
  g_autofree char *id = g_strndup (expect, strcspn (expect, "="));
  Tally *t = g_hash_table_lookup (tallies, id);
  if (t == NULL)
    g_hash_table_insert (tallies, g_strdup (id), t = g_new0 (Tally, 1));
  t->cases++;
  t->found += count_of (hits, id) > 0;
}

int
main (int argc, char **argv)
{
  const char *src = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *path = argc > 1 ? g_strdup (argv[1])
                          : g_build_filename (src ? src : "tests", "fixtures", "detect", "quality-corpus.txt", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    {
      printf ("1..0 # SKIP %s is missing\n", path);
      return 0;
    }
  g_autoptr (GHashTable) tallies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Tally negatives = { 0 };
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *expect = NULL;
  GString *body = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean head = g_str_has_prefix (lines[i], "%% expect: ");
      if ((head || lines[i + 1] == NULL) && expect != NULL)
        judge (expect, body, tallies, &negatives);
      if (head)
        {
          g_free (expect);
          const char *spec = lines[i] + strlen ("%% expect: ");
          expect = g_strndup (spec, strcspn (spec, " "));
          g_string_truncate (body, 0);
        }
      else if (expect != NULL && (lines[i][0] != 0 || lines[i + 1] != NULL))
        g_string_append_printf (body, "%s%s", body->len ? "\n" : "", lines[i]);
    }
  g_string_free (body, TRUE);

  g_autoptr (GList) ids = g_list_sort (g_hash_table_get_keys (tallies), (GCompareFunc) g_strcmp0);
  guint cases = 0, found = 0;
  gboolean ok = TRUE;
  printf ("| detector | found |\n|---|---|\n");
  for (GList *l = ids; l != NULL; l = l->next)
    {
      Tally *t = g_hash_table_lookup (tallies, l->data);
      printf ("| %s | %u / %u |\n", (const char *) l->data, t->found, t->cases);
      cases += t->cases;
      found += t->found;
      ok = ok && t->found >= 0.8 * t->cases;
    }
  double recall = cases ? (double) found / cases : 0;
  double flags = negatives.cases ? (double) negatives.found / negatives.cases : 0;
  printf ("\nRecall %.3f (%u of %u values in %u detectors); false flags %.2f %% (%u of %u hard "
          "negatives).\n", recall, found, cases, g_hash_table_size (tallies), flags * 100,
          negatives.found, negatives.cases);
  ok = ok && recall >= 0.95 && flags <= 0.005 && cases > 0;
  printf ("\n%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
