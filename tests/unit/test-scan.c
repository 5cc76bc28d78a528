/* scan/: what a request asks Weir to read, read: sizes, text sniffing, the deadline,
 * and findings merged across the parts of one request. Empty index: pattern findings
 * only. */
#include <string.h>

#include "engine/findings.h"
#include "engine/index.h"
#include "scan/scan.h"
#include "scan/text-decode.h"

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

/* text in UTF-16LE with a byte-order mark, as PowerShell and Notepad write it */
static guchar *
utf16le_bom (const char *text, gsize *len)
{
  glong n = 0;
  g_autofree gunichar2 *units = g_utf8_to_utf16 (text, -1, NULL, &n, NULL);
  guchar *out = g_malloc (2 + 2 * (gsize) n);
  out[0] = 0xFF;
  out[1] = 0xFE;
  for (glong i = 0; i < n; i++)
    {
      out[2 + 2 * i] = units[i] & 0xFF;
      out[3 + 2 * i] = units[i] >> 8;
    }
  *len = 2 + 2 * (gsize) n;
  return out;
}

static void
test_utf16_file (void)
{
  /* A card in a UTF-16 file is found; before, the NUL bytes made the file unreadable. */
  gsize len = 0;
  g_autofree guchar *bytes = utf16le_bom (CARD " \xF0\x9F\x98\x80 done", &len);
  g_autofree char *b64 = g_base64_encode (bytes, len);
  ScanFile file = { .name = "notes.txt", .mime = "", .data = b64, .size = -1 };
  ScanRequest request = { .event = "upload", .origin = "https://a.example", .files = &file, .n_files = 1 };
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.unreadable, ==, 0);
  g_assert_cmpuint (result.findings->len, ==, 1);
  g_assert_cmpstr (((Finding *) result.findings->pdata[0])->rule, ==, "credit-card");
  scan_result_clear (&result);
}

static void
check_decode (const char *mime, const char *bytes, gsize len, const char *expect, TextEncoding expect_enc)
{
  gsize skip = 0, out_len = 0;
  TextEncoding enc;
  g_autofree char *out = text_decode (mime, (const guchar *) bytes, len, &skip, &out_len, &enc);
  g_assert_cmpint (enc, ==, expect_enc);
  if (expect == NULL)
    {
      g_assert_null (out);
      return;
    }
  g_assert_nonnull (out);
  g_assert_cmpmem (out, out_len, expect, strlen (expect));
  g_assert_true (g_utf8_validate (out, (gssize) out_len, NULL));
}

static void
test_decode (void)
{
  /* UTF-16 both ways, a surrogate pair, a lone surrogate and an odd last byte. */
  check_decode (NULL, "\xFF\xFEk\0e\0y\0", 8, "key", TEXT_UTF16LE);
  check_decode (NULL, "\xFE\xFF\0k\0e\0y", 8, "key", TEXT_UTF16BE);
  check_decode (NULL, "\xFF\xFE\x3D\xD8\x00\xDE", 6, "\xF0\x9F\x98\x80", TEXT_UTF16LE);
  check_decode (NULL, "\xFF\xFE\x3D\xD8k\0", 6, "\xEF\xBF\xBDk", TEXT_UTF16LE);
  check_decode (NULL, "\xFF\xFEk\0e", 5, "k\xEF\xBF\xBD", TEXT_UTF16LE);
  /* UTF-32 both ways (its LE mark begins like UTF-16's), and a code point past U+10FFFF. */
  check_decode (NULL, "\xFF\xFE\0\0k\0\0\0", 8, "k", TEXT_UTF32LE);
  check_decode (NULL, "\0\0\xFE\xFF\0\0\0k", 8, "k", TEXT_UTF32BE);
  check_decode (NULL, "\xFF\xFE\0\0\0\0\x11\0", 8, "\xEF\xBF\xBD", TEXT_UTF32LE);
  /* Declared charsets: UTF-16 without a mark, a legacy one, UTF-8 (nothing to do), unknown. */
  check_decode ("text/plain; charset=utf-16le", "k\0e\0y\0", 6, "key", TEXT_UTF16LE);
  check_decode ("text/plain; charset=\"windows-1252\"", "caf\xE9 \x80", 6, "caf\xC3\xA9 \xE2\x82\xAC", TEXT_DECLARED);
  check_decode ("text/plain; charset=UTF-8", "key", 3, NULL, TEXT_UTF8);
  check_decode ("text/plain; charset=no-such-charset", "key", 3, NULL, TEXT_UTF8);
  /* A UTF-8 byte-order mark is skipped, not decoded. */
  gsize skip = 0, out_len = 0;
  TextEncoding enc;
  g_assert_null (text_decode (NULL, (const guchar *) "\xEF\xBB\xBFkey", 6, &skip, &out_len, &enc));
  g_assert_cmpuint (skip, ==, 3);
  g_assert_cmpint (enc, ==, TEXT_UTF8_BOM);
}

static void
test_merge (void)
{
  /* The same card in the text and the HTML is one finding; in a file it is told again,
   * naming the file, so the user learns the file holds it too. */
  g_autofree char *b64 = g_base64_encode ((const guchar *) CARD, strlen (CARD));
  ScanFile file = { .name = "a.txt", .mime = "text/plain", .data = b64, .size = -1 };
  ScanRequest request = { .event = "paste", .origin = "https://a.example", .text = CARD,
                          .html = "<b>" CARD "</b>!", .files = &file, .n_files = 1 };
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.findings->len, ==, 2);
  const Finding *f = result.findings->pdata[0];
  g_assert_cmpstr (f->rule, ==, "credit-card");
  g_assert_cmpuint (f->count, ==, 1);
  g_assert_null (f->file);
  const Finding *g = result.findings->pdata[1];
  g_assert_cmpstr (g->rule, ==, "credit-card");
  g_assert_cmpstr (g->file, ==, "a.txt");
  g_assert_cmpuint (result.unreadable, ==, 0);
  g_assert_false (result.overrun);
  g_assert_cmpstr (result.digest, ==, "");  /* no audit log, no digest */
  scan_result_clear (&result);
}

static void
test_file_names (void)
{
  /* Two files, one sent inline and one in chunks (its bytes already here): each
   * finding names its file; a harmless third file adds none. */
  g_autofree char *b64 = g_base64_encode ((const guchar *) CARD, strlen (CARD));
  ScanFile files[] = {
    { .name = "q3/customers.csv", .mime = "text/csv", .data = b64, .size = -1 },
    { .name = "big.log", .mime = "", .bytes = (const guchar *) CARD, .bytes_len = strlen (CARD), .size = -1 },
    { .name = "notes.txt", .mime = "text/plain", .bytes = (const guchar *) "nothing here at all", .bytes_len = 19 },
  };
  ScanRequest request = { .event = "drop", .origin = "https://a.example", .files = files, .n_files = 3 };
  /* base64 counts as what it decodes to, padding and all: 48 for the 47 bytes of CARD. */
  g_assert_cmpuint (scan_request_readable_size (&request), ==, 48 + strlen (CARD) + 19);
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.findings->len, ==, 2);
  g_assert_cmpstr (((Finding *) result.findings->pdata[0])->file, ==, "q3/customers.csv");
  g_assert_cmpstr (((Finding *) result.findings->pdata[1])->file, ==, "big.log");
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
    { .name = "remote", .size = 10 },                                   /* no bytes: the verdict module's */
    { .name = "empty", .data = "", .size = 0 },                         /* nothing hidden */
    { .name = "a.bin", .mime = "application/octet-stream", .data = text, .size = -1 },  /* sniffed */
  };
  ScanRequest request = { .event = "upload", .origin = "https://a.example", .files = files, .n_files = 4 };
  ScanResult result;
  run (&request, far_deadline (), &result);
  g_assert_cmpuint (result.unreadable, ==, 1);
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
  g_test_add_func ("/scan/utf16-file", test_utf16_file);
  g_test_add_func ("/scan/decode", test_decode);
  g_test_add_func ("/scan/merge", test_merge);
  g_test_add_func ("/scan/file-names", test_file_names);
  g_test_add_func ("/scan/unreadable", test_unreadable);
  g_test_add_func ("/scan/short-text", test_short_text);
  g_test_add_func ("/scan/deadline", test_deadline);
  return g_test_run ();
}
