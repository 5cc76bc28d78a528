/* scan/: what a request asks Weir to read, read: sizes, text sniffing, the deadline,
 * and findings merged across the parts of one request. Empty index: pattern findings
 * only. */
#include <string.h>

#include "engine/findings.h"
#include "engine/index.h"
#include "scan/scan.h"

#define CARD "Please charge 4111 1111 1111 1111 for the order"

static gint64
far_deadline (void)
{
  return g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
}

static void
run (const ScanRequest *request, gint64 deadline, ScanResult *out)
{
  g_autoptr (EngineIndex) index = engine_index_new ();
  scan_run (request, index, 8, deadline, NULL, out);
}

static void
test_size (void)
{
  ScanFile files[] = {
    { .name = "a", .data = "YWJj" },                 /* 3 bytes */
    { .name = "b", .size = 10 },                     /* declared */
    { .name = "c", .size = -1 },                     /* neither: 0 */
    { .name = "d", .size = 1e300 },                  /* saturates at 256 MiB */
  };
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = "12345",
                          .html = "<p>", .files = files, .n_files = 3 };
  g_assert_cmpuint (scan_request_size (&request), ==, 5 + 3 + 3 + 10);
  request.n_files = 4;
  g_assert_cmpuint (scan_request_size (&request), ==, 5 + 3 + 3 + 10 + ((gsize) 256 << 20));
}

static void
test_merge (void)
{
  /* The same card in the text, the HTML and a file is one finding. */
  g_autofree char *b64 = g_base64_encode ((const guchar *) CARD, strlen (CARD));
  ScanFile file = { .name = "a.txt", .mime = "text/plain", .data = b64, .size = -1 };
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = CARD,
                          .html = "<b>" CARD "</b>!", .files = &file, .n_files = 1 };
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.findings->len, ==, 1);
  const Finding *f = result.findings->pdata[0];
  g_assert_cmpstr (f->rule, ==, "credit-card");
  g_assert_cmpuint (f->count, ==, 1);
  g_assert_cmpuint (result.unreadable, ==, 0);
  g_assert_false (result.overrun);
  g_assert_cmpstr (result.digest, ==, "");  /* no audit log, no digest */
  scan_result_clear (&result);
}

static void
test_unreadable (void)
{
  static const guchar png[] = { 0x89, 'P', 'N', 'G', 0, 0, 0, 13 };
  g_autofree char *b64 = g_base64_encode (png, sizeof png);
  g_autofree char *text = g_base64_encode ((const guchar *) CARD, strlen (CARD));
  ScanFile files[] = {
    { .name = "a.png", .mime = "image/png", .data = b64, .size = -1 },  /* bytes, not text */
    { .name = "remote", .size = 10 },                                   /* no bytes */
    { .name = "empty", .data = "", .size = 0 },                         /* nothing hidden */
    { .name = "a.bin", .mime = "application/octet-stream", .data = text, .size = -1 },  /* sniffed */
  };
  ScanRequest request = { .event = "upload", .origin = "https://a.example", .files = files, .n_files = 4 };
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.unreadable, ==, 2);
  g_assert_cmpuint (result.findings->len, ==, 1);
  scan_result_clear (&result);
}

static void
test_short_text (void)
{
  /* Under min_scan_chars: the text is not scanned. */
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = "4111" };
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.findings->len, ==, 0);
  scan_result_clear (&result);
}

static void
test_deadline (void)
{
  /* A deadline already past: nothing is read, and the scan says so. */
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = CARD };
  ScanResult result;
  run (&request, g_get_monotonic_time () - 1, &result);
  g_assert_true (result.overrun);
  g_assert_cmpuint (result.findings->len, ==, 0);
  scan_result_clear (&result);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scan/size", test_size);
  g_test_add_func ("/scan/merge", test_merge);
  g_test_add_func ("/scan/unreadable", test_unreadable);
  g_test_add_func ("/scan/short-text", test_short_text);
  g_test_add_func ("/scan/deadline", test_deadline);
  return g_test_run ();
}
