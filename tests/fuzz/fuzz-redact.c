/* fuzz-redact: a paste's spans and its masking (issue 24). The input, split at its first
 * NUL into text and HTML (NUL-free, as JSON strings reach the host), goes through
 * redaction_new, the masking and the UTF-16 spans. Checked: every piece lies inside its
 * string, in order and disjoint; the masked text holds no finding (the host's promise
 * when it offers the paste masked), unless the redaction says it is incomplete; and the
 * HTML's map never points outside the HTML. */
#include <string.h>

#include "engine/detect.h"
#include "engine/html.h"
#include "engine/spans.h"
#include "fuzz.h"
#include "json.h"
#include "scan/redact.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  return 0;
}

static void
check_pieces (const GArray *pieces, gsize len)
{
  gsize at = 0;
  for (guint i = 0; i < pieces->len; i++)
    {
      const RedactPiece *p = &g_array_index (pieces, RedactPiece, i);
      FUZZ_CHECK (p->start >= at && p->start <= p->end && p->end <= len);
      at = p->end;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *nul = memchr (data, 0, size);
  g_autofree char *text = g_strndup ((const char *) data, nul ? (gsize) (nul - (const char *) data) : size);
  g_autofree char *html = nul ? g_strndup (nul + 1, size - (gsize) (nul + 1 - (const char *) data)) : NULL;
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = text, .html = html };
  g_autoptr (Redaction) r = redaction_new (&request, NULL);
  check_pieces (r->text, strlen (text));
  if (html != NULL)
    check_pieces (r->html, strlen (html));
  g_auto (GStrv) placeholders = redaction_default_placeholders (r);
  g_autofree char *masked = redaction_mask (text, strlen (text), r->text, (const char *const *) placeholders, FALSE);
  if (!r->incomplete)
    {
      g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
      detect_scan (masked, strlen (masked), hits);
      FUZZ_CHECK (hits->len == 0);
    }
  if (g_utf8_validate (text, -1, NULL))
    {
      g_autoptr (cJSON) json = redaction_pieces_json (text, r->text);
      FUZZ_CHECK (cJSON_GetArraySize (json) == (int) r->text->len);
    }
  if (html != NULL)
    {
      gsize len = strlen (html), out_len = 0;
      g_autoptr (GArray) map = g_array_new (FALSE, FALSE, sizeof (HtmlSegment));
      g_autofree char *shown = engine_html_to_text_mapped (html, len, &out_len, map);
      FUZZ_CHECK (shown[out_len] == '\0');
      for (guint i = 0; i < map->len; i++)
        {
          const HtmlSegment *s = &g_array_index (map, HtmlSegment, i);
          FUZZ_CHECK (s->src + s->src_len <= len && s->out + s->out_len <= out_len);
        }
    }
  return 0;
}
