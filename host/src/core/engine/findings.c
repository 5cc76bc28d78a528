#include "findings.h"

Finding *
finding_new (FindingKind kind)
{
  Finding *finding = g_new0 (Finding, 1);
  finding->kind = kind;
  finding->score = 1.0;
  return finding;
}

void
finding_free (Finding *finding)
{
  if (finding == NULL)
    return;
  g_free (finding->rule);
  g_free (finding->name);
  g_free (finding->label);
  g_free (finding->detail);
  g_free (finding->file);
  g_free (finding->where);
  g_free (finding);
}

GPtrArray *
findings_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) finding_free);
}

const char *
finding_kind_name (FindingKind kind)
{
  switch (kind)
    {
    case FINDING_PATTERN: return "pattern";
    case FINDING_DOCUMENT: return "document";
    case FINDING_EDM: return "edm";
    case FINDING_COPIED: return "copied";
    }
  g_assert_not_reached ();
}
