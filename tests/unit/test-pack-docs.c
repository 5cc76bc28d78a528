/* pack/pack-docs.c: which files a pack build takes as documents, the walk below a
 * --docs folder, and the names documents get in reasons. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "pack/pack-docs.h"
#include "testutil.h"
#include "weir-error.h"

static void
test_is_document (void)
{
  g_assert_true (pack_docs_is_document ("a.txt"));
  g_assert_true (pack_docs_is_document ("A.MD"));
  g_assert_true (pack_docs_is_document ("x.Html"));
  g_assert_true (pack_docs_is_document ("t.csv"));
  g_assert_true (pack_docs_is_document ("t.json"));
  /* Office, PDF, RTF and mail are documents too, read through weir-extract. */
  g_assert_true (pack_docs_is_document ("a.pdf"));
  g_assert_true (pack_docs_is_document ("Q3.XLSX"));
  g_assert_true (pack_docs_needs_extract ("c.docx"));
  g_assert_false (pack_docs_needs_extract ("c.txt"));
  g_assert_false (pack_docs_is_document ("a.png"));
  g_assert_false (pack_docs_is_document ("txt"));
  g_assert_true (pack_docs_is_html ("dir/page.HTM"));
  g_assert_false (pack_docs_is_html ("dir/page.md"));
}

static void
test_collect (void)
{
  g_autofree char *root = testutil_tmpdir_new ("weir-docs");
  g_autofree char *sub = g_build_filename (root, "b-folder", NULL);
  g_autofree char *hidden = g_build_filename (root, ".git", NULL);
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (hidden, 0700), ==, 0);
  testutil_write_file (root, "z.txt", "z");
  testutil_write_file (root, "a.md", "a");
  testutil_write_file (root, "image.png", "not a document");
  testutil_write_file (root, ".hidden.txt", "skipped");
  testutil_write_file (sub, "c.html", "<p>c</p>");
  testutil_write_file (hidden, "d.txt", "skipped");
  /* A symlinked file counts; a symlinked folder is not walked. */
  g_autofree char *link = g_build_filename (root, "link.txt", NULL);
  g_autofree char *folder_link = g_build_filename (root, "loop", NULL);
  g_assert_cmpint (symlink ("z.txt", link), ==, 0);
  g_assert_cmpint (symlink (".", folder_link), ==, 0);

  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = pack_docs_collect (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 4);
  const char *want[] = { "a.md", "b-folder/c.html", "link.txt", "z.txt" };
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *expected = g_build_filename (root, want[i], NULL);
      g_assert_cmpstr (files->pdata[i], ==, expected);
    }
  testutil_rmtree (root);
}

static void
test_collect_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = pack_docs_collect ("/nonexistent/weir-docs", &error);
  g_assert_null (files);
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "cannot read /nonexistent/weir-docs: "));
}

static void
test_name (void)
{
  g_autofree char *below = pack_docs_name ("/docs", "/docs/q3/minutes.md");
  g_assert_cmpstr (below, ==, "q3/minutes.md");
  g_autofree char *slashes = pack_docs_name ("/docs//", "/docs/minutes.md");
  g_assert_cmpstr (slashes, ==, "minutes.md");
  /* Not below root (a prefix that is not a folder): the base name. */
  g_autofree char *other = pack_docs_name ("/doc", "/docs/minutes.md");
  g_assert_cmpstr (other, ==, "minutes.md");
  g_autofree char *controls = pack_docs_name ("/d", "/d/a\tb\x7f" "c\xc2\x85" "d.md");
  g_assert_cmpstr (controls, ==, "a?b?c??d.md");
  g_autofree char *invalid = pack_docs_name ("/d", "/d/a\xff.md");
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_autofree char *fill = g_strnfill (5000, 'x');
  g_autofree char *long_path = g_strconcat ("/d/", fill, NULL);
  g_autofree char *cut = pack_docs_name ("/d", long_path);
  g_assert_cmpuint (strlen (cut), ==, 4000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pack-docs/is-document", test_is_document);
  g_test_add_func ("/pack-docs/collect", test_collect);
  g_test_add_func ("/pack-docs/collect-missing", test_collect_missing);
  g_test_add_func ("/pack-docs/name", test_name);
  return g_test_run ();
}
