/* Redaction (issue 24): spans of findings in a paste's text and HTML, and the paste
 * with them masked. The properties, over every positive case of the detector corpus
 * (tests/fixtures/detect) and over random compositions of them with astral
 * characters, combining marks, CRLF and byte junk:
 *   - masking the reported spans removes every finding (a rescan finds nothing);
 *   - nothing outside a span changes;
 *   - the UTF-16 offsets told to the extension mask the same characters as the bytes;
 *   - in HTML, every tag survives, in order. */
#include <string.h>

#include "json.h"
#include "engine/detect.h"
#include "engine/findings.h"
#include "engine/index.h"
#include "engine/spans.h"
#include "scan/redact.h"
#include "scan/scan.h"

static char *
fixture_dir (void)
{
  const char *src = g_getenv ("G_TEST_SRCDIR");
  if (src != NULL)
    return g_build_filename (src, "fixtures", "detect", NULL);
  g_autofree char *here = g_path_get_dirname (__FILE__);
  return g_build_filename (here, "..", "fixtures", "detect", NULL);
}

/* Bodies of the corpus's cases that expect a finding. */
static GPtrArray *
positive_cases (void)
{
  static const char *const files[] = { "cloud-keys.txt", "credentials-in-text.txt", "credit-card.txt",
                                       "domestic-cards.txt", "generic-secret.txt", "iban.txt", "jwt.txt",
                                       "national-ids.txt", "personal-data.txt", "private-key.txt",
                                       "secret-forms.txt", "tokens.txt", "us-ssn.txt", "vendor-tokens.txt" };
  GPtrArray *bodies = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = fixture_dir ();
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *path = g_build_filename (dir, files[f], NULL), *text = NULL;
      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      GString *body = NULL;
      for (guint i = 0; lines[i] != NULL; i++)
        {
          if (g_str_has_prefix (lines[i], "%% expect:"))
            {
              if (body != NULL)
                g_ptr_array_add (bodies, g_string_free (body, FALSE));
              body = strstr (lines[i], "expect: none") ? NULL : g_string_new (NULL);
            }
          else if (body != NULL)
            g_string_append_printf (body, "%s%s", body->len ? "\n" : "", lines[i]);
        }
      if (body != NULL)
        g_ptr_array_add (bodies, g_string_free (body, FALSE));
    }
  g_assert_cmpuint (bodies->len, >=, 200);
  return bodies;
}

static guint
pattern_hits (const char *text, gsize len)
{
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  detect_scan (text, len, hits);
  guint n = 0;
  for (guint i = 0; i < hits->len; i++)
    n += g_array_index (hits, DetectHit, i).count;
  return n;
}

/* The default placeholders of r's kinds, NULL-terminated. */
static GStrv
placeholders_of (const Redaction *r)
{
  GStrv out = g_new0 (char *, r->kinds->len + 1);
  for (guint i = 0; i < r->kinds->len; i++)
    {
      const RedactKind *k = &g_array_index (r->kinds, RedactKind, i);
      out[i] = engine_span_placeholder (k->kind, k->name);
    }
  return out;
}

/* What the extension does with the reply: mask the UTF-16 string by the told pieces. */
static char *
mask_utf16 (const char *s, const cJSON *pieces, const char *const *placeholders)
{
  glong n = 0;
  g_autofree gunichar2 *units = g_utf8_to_utf16 (s, -1, NULL, &n, NULL);
  g_assert_nonnull (units);
  GArray *out = g_array_new (TRUE, FALSE, sizeof (gunichar2));
  glong at = 0;
  const cJSON *p;
  cJSON_ArrayForEach (p, pieces)
    {
      glong start = (glong) cJSON_GetArrayItem (p, 0)->valuedouble;
      glong length = (glong) cJSON_GetArrayItem (p, 1)->valuedouble;
      int kind = cJSON_GetArrayItem (p, 2)->valueint;
      g_assert_cmpint (start, >=, at);
      g_assert_cmpint (start + length, <=, n);
      g_array_append_vals (out, units + at, (guint) (start - at));
      if (kind >= 0)
        {
          glong m = 0;
          g_autofree gunichar2 *ph = g_utf8_to_utf16 (placeholders[kind], -1, NULL, &m, NULL);
          g_array_append_vals (out, ph, (guint) m);
        }
      at = start + length;
    }
  g_array_append_vals (out, units + at, (guint) (n - at));
  char *back = g_utf16_to_utf8 ((const gunichar2 *) (void *) out->data, out->len, NULL, NULL, NULL);
  g_array_unref (out);
  g_assert_nonnull (back);   /* a piece that cut a surrogate pair would not convert */
  return back;
}

/* Checks every property on a text paste; returns the masked text. */
static char *
check_text (const char *text, gboolean utf8)
{
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = text };
  g_autoptr (Redaction) r = redaction_new (&request, NULL);
  g_auto (GStrv) placeholders = placeholders_of (r);
  gsize len = strlen (text);
  char *masked = redaction_mask (text, len, r->text, (const char *const *) placeholders, FALSE);
  if (pattern_hits (masked, strlen (masked)) != 0)
    g_error ("a finding survived masking:\n%s\n---masked---\n%s", text, masked);
  /* Outside the pieces, the bytes are the original's, in order. */
  gsize at = 0, out = 0;
  for (guint i = 0; i < r->text->len; i++)
    {
      const RedactPiece *p = &g_array_index (r->text, RedactPiece, i);
      g_assert_cmpmem (masked + out, p->start - at, text + at, p->start - at);
      out += p->start - at + strlen (placeholders[p->kind]);
      at = p->end;
    }
  g_assert_cmpstr (masked + out, ==, text + at);
  if (utf8)
    {
      g_autoptr (cJSON) json = redaction_pieces_json (text, r->text);
      g_autofree char *by_units = mask_utf16 (text, json, (const char *const *) placeholders);
      g_assert_cmpstr (by_units, ==, masked);
    }
  return masked;
}

static void
test_corpus (void)
{
  g_autoptr (GPtrArray) bodies = positive_cases ();
  guint masked_some = 0;
  for (guint i = 0; i < bodies->len; i++)
    {
      const char *body = bodies->pdata[i];
      g_autofree char *masked = check_text (body, g_utf8_validate (body, -1, NULL));
      masked_some += strcmp (masked, body) != 0;
    }
  /* Every positive case has a finding, so every one was masked. */
  g_assert_cmpuint (masked_some, ==, bodies->len);
}

/* Fillers: astral characters, a combining mark, CRLF, a zero-width joiner, words. */
static const char *const fillers[] = {
  "\xF0\x9F\x98\x80", "e\xCC\x81", "\r\n", "\xF0\x9D\x92\x9C", "\xE2\x80\x8D", " ", "\n",
  "word ", "\xC3\xA9t\xC3\xA9 ", "\xE4\xBD\xA0\xE5\xA5\xBD", "key=", "\"", "\t", "(", ")", ";",
};

static void
append_junk (GString *s, GRand *rand, gboolean bytes)
{
  guint n = (guint) g_rand_int_range (rand, 0, 4);
  for (guint i = 0; i < n; i++)
    {
      if (bytes && g_rand_boolean (rand))
        g_string_append_c (s, (char) g_rand_int_range (rand, 1, 256));   /* NUL-free junk */
      else
        g_string_append (s, fillers[g_rand_int_range (rand, 0, G_N_ELEMENTS (fillers))]);
    }
}

static void
test_random_text (void)
{
  g_autoptr (GPtrArray) bodies = positive_cases ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (24);
  for (guint round = 0; round < 1500; round++)
    {
      gboolean bytes = round % 3 == 2;
      g_autoptr (GString) s = g_string_new (NULL);
      guint parts = (guint) g_rand_int_range (rand, 1, 6);
      for (guint k = 0; k < parts; k++)
        {
          append_junk (s, rand, bytes);
          g_string_append (s, bodies->pdata[g_rand_int_range (rand, 0, (gint32) bodies->len)]);
        }
      append_junk (s, rand, bytes);
      g_autofree char *masked = check_text (s->str, g_utf8_validate (s->str, (gssize) s->len, NULL));
    }
}

/* The tags of html, in order, joined. */
static char *
tags_of (const char *html)
{
  GString *tags = g_string_new (NULL);
  for (const char *p = strchr (html, '<'); p != NULL; p = strchr (p + 1, '<'))
    {
      const char *gt = strchr (p, '>');
      if (gt == NULL)
        break;
      if (g_str_has_prefix (p, "<!--"))
        {
          /* A comment is one piece of markup, whatever it holds. */
          g_string_append (tags, "<!--|");
          const char *close = strstr (p + 4, "-->");
          if (close == NULL)
            break;
          p = close;
          continue;
        }
      const char *space = p + strcspn (p, " >");
      g_string_append_len (tags, p, space - p);   /* the tag's name: attributes may be masked */
      g_string_append_c (tags, '|');
    }
  return g_string_free (tags, FALSE);
}

static void
escape_into (GString *out, const char *s)
{
  g_autofree char *e = g_markup_escape_text (s, -1);
  g_string_append (out, e);
}

/* A body placed in HTML one of four ways: in a paragraph, split by a bold tag, in a
 * title attribute, in a comment. */
static void
append_html_body (GString *html, GRand *rand, const char *body)
{
  gsize len = strlen (body);
  switch (g_rand_int_range (rand, 0, 4))
    {
    case 0:
      g_string_append (html, "<p>");
      escape_into (html, body);
      g_string_append (html, "</p>");
      break;
    case 1:
      {
        gsize cut = (gsize) g_rand_int_range (rand, 0, (gint32) len + 1);
        while (cut < len && (body[cut] & 0xC0) == 0x80)
          cut++;
        g_autofree char *head = g_strndup (body, cut);
        g_string_append (html, "<div>");
        escape_into (html, head);
        g_string_append (html, "<b>");
        escape_into (html, body + cut);
        g_string_append (html, "</b> after</div>");
        break;
      }
    case 2:
      g_string_append (html, "<span title=\"");
      escape_into (html, body);
      g_string_append (html, "\">x</span>");
      break;
    default:
      g_string_append (html, "<!-- ");
      g_string_append (html, body);
      g_string_append (html, " -->");
    }
}

static void
test_random_html (void)
{
  g_autoptr (GPtrArray) bodies = positive_cases ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (2024);
  for (guint round = 0; round < 800; round++)
    {
      g_autoptr (GString) html = g_string_new ("<meta charset=\"utf-8\">");
      guint parts = (guint) g_rand_int_range (rand, 1, 4);
      for (guint k = 0; k < parts; k++)
        {
          append_junk (html, rand, FALSE);
          const char *body = bodies->pdata[g_rand_int_range (rand, 0, (gint32) bodies->len)];
          if (strstr (body, "-->") != NULL || !g_utf8_validate (body, -1, NULL))
            continue;
          append_html_body (html, rand, body);
        }
      if (strstr (html->str, "<!--") == NULL && strchr (html->str, '&') == NULL && g_rand_boolean (rand))
        g_string_append (html, "<i>&amp; more</i>");
      ScanRequest request = { .event = "paste", .origin = "https://a.example", .html = html->str };
      g_autoptr (Redaction) r = redaction_new (&request, NULL);
      g_auto (GStrv) placeholders = placeholders_of (r);
      g_autofree char *masked = redaction_mask (html->str, html->len, r->html,
                                                (const char *const *) placeholders, TRUE);
      /* What the host would read of the masked HTML: nothing left to find. */
      ScanRequest again = { .event = "paste", .origin = "https://a.example", .html = masked };
      ScanResult result;
      scan_run (&again, NULL, 0, G_MAXINT64, NULL, NULL, &result);
      if (result.findings->len != 0)
        g_error ("a finding (%s) survived masking:\n%s\n---masked---\n%s",
                 ((Finding *) result.findings->pdata[0])->rule, html->str, masked);
      scan_result_clear (&result);
      g_autofree char *tags_before = tags_of (html->str), *tags_after = tags_of (masked);
      if (strcmp (tags_after, tags_before) != 0)
        g_error ("tags changed:\n%s\n---masked---\n%s", html->str, masked);
      g_autoptr (cJSON) json = redaction_pieces_json (html->str, r->html);
      g_autofree char *by_units = mask_utf16 (html->str, json, (const char *const *) placeholders);
      /* mask_utf16 writes placeholders as they are; the default ones need no escaping. */
      g_assert_cmpstr (by_units, ==, masked);
    }
}

/* A key split across tags: the text goes, the tags stay; the placeholder is where the
 * key began. */
static void
test_html_split (void)
{
  const char *html = "<p>id <b>AKIA</b><i>QYLPMN5HHHFPZAM2</i> end</p>";
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .html = html };
  g_autoptr (Redaction) r = redaction_new (&request, NULL);
  g_auto (GStrv) placeholders = placeholders_of (r);
  g_autofree char *masked = redaction_mask (html, strlen (html), r->html, (const char *const *) placeholders, TRUE);
  g_assert_cmpstr (masked, ==, "<p>id <b>[AWS access key removed]</b><i></i> end</p>");
  g_assert_cmpuint (r->matches, ==, 1);
}

/* A placeholder with markup in it is written as text in HTML, never as a tag or an
 * attribute's end. */
static void
test_html_escapes_placeholder (void)
{
  const char *html = "<a title=\"AKIAQYLPMN5HHHFPZAM2\">x</a>";
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .html = html };
  g_autoptr (Redaction) r = redaction_new (&request, NULL);
  const char *const evil[] = { "\"><script>x</script>", NULL };
  g_assert_cmpuint (r->kinds->len, ==, 1);
  g_autofree char *masked = redaction_mask (html, strlen (html), r->html, evil, TRUE);
  g_assert_cmpstr (masked, ==, "<a title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">x</a>");
}

/* UTF-16 offsets after astral characters: two units each. */
static void
test_utf16_offsets (void)
{
  const char *text = "\xF0\x9F\x98\x80\xF0\x9F\x98\x80 AKIAQYLPMN5HHHFPZAM2";
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = text };
  g_autoptr (Redaction) r = redaction_new (&request, NULL);
  g_autoptr (cJSON) json = redaction_pieces_json (text, r->text);
  g_autofree char *printed = cJSON_PrintUnformatted (json);
  g_assert_cmpstr (printed, ==, "[[5,20,0]]");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/redact/corpus", test_corpus);
  g_test_add_func ("/redact/random-text", test_random_text);
  g_test_add_func ("/redact/random-html", test_random_html);
  g_test_add_func ("/redact/html-split", test_html_split);
  g_test_add_func ("/redact/html-escapes-placeholder", test_html_escapes_placeholder);
  g_test_add_func ("/redact/utf16-offsets", test_utf16_offsets);
  return g_test_run ();
}
