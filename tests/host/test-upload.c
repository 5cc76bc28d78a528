/* Files sent in chunks (protocol 1's uploads, docs/protocol.md) to the real weir-host
 * over pipes: a whole upload scanned, and every bound and misuse answered with a clear
 * error, the upload's memory given back (a new upload of the whole allowance fits
 * again), and the host serving on. The binary's path comes from meson in
 * WEIR_HOST_BINARY. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "testproto.h"
#include "testutil.h"
#include "upload.h"

#define REPLY_TIMEOUT_MS 120000
#define ORIGIN "https://chat.example"
/* The allowance of these tests: small, so the bounds are reached with small uploads. */
#define MAX_BYTES (1024 * 1024)
#define KEY "-----BEGIN OPENSSH PRIVATE KEY-----\n" \
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n" \
  "QyNTUxOQAAACDmX1uvq0ZYzOljZpSPxu3oCfLUHMtIh2KSm8b8dq6ZuQAAAJg0kxCPNJMQ\n" \
  "-----END OPENSSH PRIVATE KEY-----\n"

static const char policy[] =
  "{\"version\":1,\"max_scan_bytes\":1048576,\"timeout_ms\":600000,"
  "\"rules\":[{\"id\":\"credentials\",\"detectors\":[\"private-key\"],\"verdict\":\"block\"}]}";

typedef struct {
  char *home;
  GPid pid;
  int to_host, from_host;
  int next_id;
} Host;

static void
host_start (Host *h, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *idle_ms = data;
  h->home = testutil_tmpdir_new ("weir-upload-home");
  testutil_write_file (h->home, "policy.json", policy);
  char **envp = g_environ_setenv (g_get_environ (), "WEIR_HOME", h->home, TRUE);
  if (idle_ms != NULL)
    envp = g_environ_setenv (envp, "WEIR_UPLOAD_IDLE_MS", idle_ms, TRUE);
  const char *argv[] = { g_getenv ("WEIR_HOST_BINARY"), "chrome-extension://weirtestextension/", NULL };
  g_assert_nonnull (argv[0]);
  g_spawn_async_with_pipes (NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &h->pid,
                            &h->to_host, &h->from_host, NULL, &error);
  g_strfreev (envp);
  g_assert_no_error (error);
  h->next_id = 1;
}

static void
host_stop (Host *h, gconstpointer data)
{
  int status = 0;
  close (h->to_host);
  /* End of input: the host ends by itself, with status 0. */
  g_assert_cmpint (waitpid (h->pid, &status, 0), ==, h->pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_spawn_close_pid (h->pid);
  close (h->from_host);
  testutil_rmtree (h->home);
  g_free (h->home);
}

/* Sends json (freed here) and returns the reply, whose id must be the request's. */
static cJSON *
ask (Host *h, char *json)
{
  g_autofree char *owned = json;
  testproto_send_frame (h->to_host, owned, strlen (owned));
  return testproto_receive (h->from_host, REPLY_TIMEOUT_MS, NULL);
}

static cJSON *
chunk (Host *h, const char *upload, guint64 size, guint64 offset, const void *bytes, gsize len)
{
  return ask (h, testproto_chunk_request (h->next_id++, upload, size, offset, bytes, len));
}

static void
assert_ack (const cJSON *reply, const char *upload, int received)
{
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "ack");
  g_assert_cmpstr (testproto_str (reply, "upload"), ==, upload);
  g_assert_cmpint (testproto_num (reply, "received"), ==, received);
}

/* An error reply with code, whose message holds part. */
static void
assert_error (const cJSON *reply, const char *code, const char *part)
{
  const cJSON *err = cJSON_GetObjectItemCaseSensitive (reply, "error");
  g_assert_cmpstr (testproto_str (reply, "type"), ==, "error");
  g_assert_cmpstr (testproto_str (err, "code"), ==, code);
  if (strstr (testproto_str (err, "message"), part) == NULL)
    g_error ("error message \"%s\" does not say \"%s\"", testproto_str (err, "message"), part);
}

/* Bytes of text, len of them, with KEY at the end when keyed. */
static char *
text_file (gsize len, gboolean keyed)
{
  char *buf = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    buf[i] = (i % 64 == 63) ? '\n' : "the quick brown fox jumps over the lazy dog "[i % 44];
  if (keyed)
    memcpy (buf + len - strlen (KEY) - 10, KEY, strlen (KEY));
  return buf;
}

/* Sends file[0..len) of a file of size bytes in chunks of step bytes; asserts each ack. */
static void
send_part (Host *h, const char *upload, const char *file, gsize size, gsize len, gsize step)
{
  for (gsize off = 0; off < len; off += step)
    {
      g_autoptr (cJSON) reply = chunk (h, upload, size, off, file + off, MIN (step, len - off));
      assert_ack (reply, upload, (int) MIN (off + step, len));
    }
}

/* Sends all of file in chunks of step bytes. */
static void
send_upload (Host *h, const char *upload, const char *file, gsize len, gsize step)
{
  send_part (h, upload, file, len, len, step);
}

static cJSON *
scan_upload (Host *h, const char *upload, double size)
{
  return ask (h, testproto_upload_scan_request (h->next_id++, ORIGIN, "big.txt", upload, size));
}

/* The host still answers, and holds nothing from before: a new upload of the whole
 * allowance fits (the bytes bound was given back). */
static void
assert_serving_and_empty (Host *h)
{
  g_autofree char *file = text_file (MAX_BYTES, FALSE);
  send_upload (h, "fresh", file, MAX_BYTES, 300000);
  g_autoptr (cJSON) verdict = scan_upload (h, "fresh", MAX_BYTES);
  g_assert_cmpstr (testproto_str (verdict, "verdict"), ==, "allow");
}

static void
test_hello (Host *h, gconstpointer data)
{
  g_autoptr (cJSON) hello = ask (h, g_strdup ("{\"type\":\"hello\",\"id\":1}"));
  const cJSON *uploads = cJSON_GetObjectItemCaseSensitive (hello, "uploads");
  g_assert_cmpint (testproto_num (uploads, "version"), ==, UPLOAD_VERSION);
  g_assert_cmpint (testproto_num (uploads, "chunk_bytes"), ==, UPLOAD_CHUNK_BYTES);
  g_assert_cmpint (testproto_num (uploads, "max_pending"), ==, UPLOAD_MAX_PENDING);
  g_assert_cmpint (testproto_num (uploads, "max_bytes"), ==, MAX_BYTES);
}

/* A file with a key at its very end, in chunks: blocked; the upload is then gone. */
static void
test_whole (Host *h, gconstpointer data)
{
  g_autofree char *file = text_file (MAX_BYTES, TRUE);
  send_upload (h, "u-1", file, MAX_BYTES, 100000);
  g_autoptr (cJSON) verdict = scan_upload (h, "u-1", MAX_BYTES);
  g_assert_cmpstr (testproto_str (verdict, "verdict"), ==, "block");
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (verdict, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "rule"), ==, "private-key");
  g_assert_cmpstr (testproto_str (reason, "file"), ==, "big.txt");
  /* The reply never carries the file's bytes. */
  g_autofree char *text = cJSON_PrintUnformatted (verdict);
  g_assert_null (strstr (text, "b3BlbnNz"));
  g_autoptr (cJSON) again = scan_upload (h, "u-1", MAX_BYTES);
  assert_error (again, "not_found", "u-1");
  /* Without the key the same file passes: the block came from the key. */
  g_autofree char *plain = text_file (MAX_BYTES, FALSE);
  send_upload (h, "u-2", plain, MAX_BYTES, 100000);
  g_autoptr (cJSON) allowed = scan_upload (h, "u-2", MAX_BYTES);
  g_assert_cmpstr (testproto_str (allowed, "verdict"), ==, "allow");
}

/* Chunks out of order, twice, past the size, with a changed size: each drops its
 * upload, and a later chunk of it is not_found. */
static void
test_order (Host *h, gconstpointer data)
{
  g_autofree char *file = text_file (4000, FALSE);
  struct { guint64 size, offset; gsize len; const char *why; } bad[] = {
    { 4000, 3000, 1000, "missing" },
    { 4000, 1000, 1000, "twice" },
    { 4000, 2000, 2001, "past its size" },
    { 5000, 2000, 1000, "size changed" },
    { 4000, 2000, 0, "empty" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      send_part (h, "u", file, 4000, 2000, 1000);  /* two chunks in */
      g_autoptr (cJSON) wrong = chunk (h, "u", bad[i].size, bad[i].offset, file, bad[i].len);
      assert_error (wrong, "bad_request", bad[i].why);
      g_autoptr (cJSON) next = chunk (h, "u", 4000, 2000, file + 2000, 1000);
      assert_error (next, "not_found", "\"u\"");
    }
  assert_serving_and_empty (h);
}

/* An id in use started again: both transfers are dropped. */
static void
test_id_reused (Host *h, gconstpointer data)
{
  g_autofree char *file = text_file (4000, FALSE);
  g_autoptr (cJSON) first = chunk (h, "dup", 4000, 0, file, 1000);
  assert_ack (first, "dup", 1000);
  g_autoptr (cJSON) again = chunk (h, "dup", 4000, 0, file, 1000);
  assert_error (again, "bad_request", "already in progress");
  g_autoptr (cJSON) next = chunk (h, "dup", 4000, 1000, file + 1000, 1000);
  assert_error (next, "not_found", "dup");
  /* Once taken by a scan, the id is free for a new file. */
  send_upload (h, "dup", file, 4000, 4000);
  g_autoptr (cJSON) v1 = scan_upload (h, "dup", 4000);
  g_assert_cmpstr (testproto_str (v1, "type"), ==, "verdict");
  send_upload (h, "dup", file, 4000, 4000);
  g_autoptr (cJSON) v2 = scan_upload (h, "dup", 4000);
  g_assert_cmpstr (testproto_str (v2, "type"), ==, "verdict");
  assert_serving_and_empty (h);
}

/* Over the policy's max_scan_bytes, alone or with the others pending; a chunk over
 * chunk_bytes; too many pending. */
static void
test_bounds (Host *h, gconstpointer data)
{
  g_autofree char *file = text_file (4000, FALSE);
  g_autoptr (cJSON) big = chunk (h, "big", MAX_BYTES + 1, 0, file, 1000);
  assert_error (big, "too_large", "max_scan_bytes");
  g_autoptr (cJSON) half = chunk (h, "half", MAX_BYTES / 2 + 1, 0, file, 1000);
  assert_ack (half, "half", 1000);
  g_autoptr (cJSON) other = chunk (h, "other", MAX_BYTES / 2, 0, file, 1000);
  assert_error (other, "refused", "max_scan_bytes");
  g_autoptr (cJSON) aborted = ask (h, g_strdup ("{\"type\":\"file-abort\",\"id\":\"a\",\"upload\":\"half\"}"));
  g_assert_cmpstr (testproto_str (aborted, "type"), ==, "ack");
  g_autoptr (cJSON) gone = ask (h, g_strdup ("{\"type\":\"file-abort\",\"id\":\"b\",\"upload\":\"half\"}"));
  assert_error (gone, "not_found", "half");

  /* One byte over a chunk's bound, in an allowance that would take it. */
  gsize over = UPLOAD_CHUNK_BYTES + 1;
  g_autofree char *huge = g_malloc0 (over);
  g_autoptr (cJSON) fat = chunk (h, "fat", 100, 0, huge, over);
  assert_error (fat, "too_large", "a chunk holds at most");

  char name[16];
  for (int i = 0; i < UPLOAD_MAX_PENDING; i++)
    {
      g_snprintf (name, sizeof name, "p%d", i);
      g_autoptr (cJSON) ok = chunk (h, name, 2000, 0, file, 1000);
      assert_ack (ok, name, 1000);
    }
  g_autoptr (cJSON) one_more = chunk (h, "p-extra", 2000, 0, file, 1000);
  assert_error (one_more, "refused", "already pending");
  for (int i = 0; i < UPLOAD_MAX_PENDING; i++)
    {
      g_autofree char *abort = g_strdup_printf ("{\"type\":\"file-abort\",\"id\":%d,\"upload\":\"p%d\"}", 100 + i, i);
      g_autoptr (cJSON) ack = ask (h, g_steal_pointer (&abort));
      g_assert_cmpstr (testproto_str (ack, "type"), ==, "ack");
    }
  assert_serving_and_empty (h);
}

/* A scan naming an upload that is incomplete, unknown, of another size, or given with
 * data as well: an error, and the upload dropped. */
static void
test_scan_errors (Host *h, gconstpointer data)
{
  g_autofree char *file = text_file (4000, FALSE);
  g_autoptr (cJSON) first = chunk (h, "part", 4000, 0, file, 1000);
  assert_ack (first, "part", 1000);
  g_autoptr (cJSON) incomplete = scan_upload (h, "part", 4000);
  assert_error (incomplete, "bad_request", "incomplete");
  g_autoptr (cJSON) after = chunk (h, "part", 4000, 1000, file + 1000, 1000);
  assert_error (after, "not_found", "part");
  g_autoptr (cJSON) unknown = scan_upload (h, "never", -1);
  assert_error (unknown, "not_found", "never");
  send_upload (h, "sized", file, 4000, 4000);
  g_autoptr (cJSON) other_size = scan_upload (h, "sized", 3999);
  assert_error (other_size, "bad_request", "size");
  g_autoptr (cJSON) both = ask (h, g_strdup ("{\"type\":\"scan\",\"id\":5,\"event\":\"drop\",\"origin\":\"" ORIGIN "\","
                                             "\"files\":[{\"name\":\"a\",\"data\":\"QQ==\",\"upload\":\"x\"}]}"));
  assert_error (both, "bad_request", "upload");
  assert_serving_and_empty (h);
}

/* Malformed chunk requests: the id, the numbers, the base64. */
static void
test_malformed (Host *h, gconstpointer data)
{
  static const struct { const char *json, *part; } bad[] = {
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a/b\",\"size\":1,\"offset\":0,\"data\":\"QQ==\"}", "upload" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"\",\"size\":1,\"offset\":0,\"data\":\"QQ==\"}", "upload" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
      "\"size\":1,\"offset\":0,\"data\":\"QQ==\"}", "upload" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a\",\"size\":-1,\"offset\":0,\"data\":\"QQ==\"}", "size" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a\",\"size\":1.5,\"offset\":0,\"data\":\"QQ==\"}", "size" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a\",\"size\":1e300,\"offset\":0,\"data\":\"QQ==\"}", "size" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a\",\"size\":1,\"offset\":\"0\",\"data\":\"QQ==\"}", "offset" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a\",\"size\":1,\"offset\":0}", "data" },
    { "{\"type\":\"file-chunk\",\"id\":1,\"upload\":\"a\",\"size\":1,\"offset\":0,\"data\":\"Q*==\"}", "base64" },
    { "{\"type\":\"file-abort\",\"id\":1}", "upload" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (cJSON) reply = ask (h, g_strdup (bad[i].json));
      assert_error (reply, "bad_request", bad[i].part);
      g_assert_cmpint (testproto_num (reply, "id"), ==, 1);
    }
  /* An empty file is whole with one empty chunk. */
  g_autoptr (cJSON) empty = chunk (h, "empty", 0, 0, "", 0);
  assert_ack (empty, "empty", 0);
  g_autoptr (cJSON) verdict = scan_upload (h, "empty", 0);
  g_assert_cmpstr (testproto_str (verdict, "verdict"), ==, "allow");
  assert_serving_and_empty (h);
}

/* Abandoned midway, or complete with no scan to take it: dropped once idle. The wait
 * is longer than the idle time (WEIR_UPLOAD_IDLE_MS=200), never a race. */
static void
test_abandoned (Host *h, gconstpointer data)
{
  g_autofree char *file = text_file (MAX_BYTES, FALSE);
  g_autoptr (cJSON) half = chunk (h, "midway", MAX_BYTES, 0, file, 1000);
  assert_ack (half, "midway", 1000);
  g_autoptr (cJSON) full = chunk (h, "done", 0, 0, "", 0);
  assert_ack (full, "done", 0);
  g_usleep (600 * 1000);
  g_autoptr (cJSON) hello = ask (h, g_strdup ("{\"type\":\"hello\",\"id\":2}"));
  g_assert_cmpint (testproto_num (cJSON_GetObjectItemCaseSensitive (hello, "uploads"), "idle_ms"), ==, 200);
  g_autoptr (cJSON) next = chunk (h, "midway", MAX_BYTES, 1000, file + 1000, 1000);
  assert_error (next, "not_found", "midway");
  g_autoptr (cJSON) scan = scan_upload (h, "done", 0);
  assert_error (scan, "not_found", "done");
  assert_serving_and_empty (h);
}

/* The old way still works beside the new: a file inline, and one named by size only
 * past max_scan_bytes (what the extension sends when the policy does not allow it). */
static void
test_old_requests (Host *h, gconstpointer data)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) KEY, strlen (KEY));
  g_autofree char *inline_req = g_strdup_printf (
    "{\"type\":\"scan\",\"id\":1,\"event\":\"drop\",\"origin\":\"" ORIGIN "\","
    "\"files\":[{\"name\":\"id_ed25519\",\"size\":%zu,\"data\":\"%s\"}]}", strlen (KEY), b64);
  g_autoptr (cJSON) inline_v = ask (h, g_steal_pointer (&inline_req));
  g_assert_cmpstr (testproto_str (inline_v, "verdict"), ==, "block");
  g_autoptr (cJSON) oversize = scan_upload (h, NULL, 100e6);
  g_assert_cmpstr (testproto_str (oversize, "type"), ==, "verdict");
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (oversize, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "rule"), ==, "oversize");

  /* A file sent as name and size beside an upload, the two together over
   * max_scan_bytes (the extension had no room left for it): oversize too, not merely
   * unreadable. */
  g_autofree char *file = text_file (4000, FALSE);
  send_upload (h, "first", file, 4000, 4000);
  g_autofree char *both = g_strdup_printf (
    "{\"type\":\"scan\",\"id\":9,\"event\":\"drop\",\"origin\":\"" ORIGIN "\",\"files\":["
    "{\"name\":\"a.txt\",\"size\":4000,\"upload\":\"first\"},{\"name\":\"b.txt\",\"size\":%d}]}",
    MAX_BYTES - 1000);
  g_autoptr (cJSON) over = ask (h, g_steal_pointer (&both));
  const cJSON *why = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (over, "reasons"), 0);
  g_assert_cmpstr (testproto_str (why, "rule"), ==, "oversize");
  g_assert_cmpint (testproto_num (why, "count"), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn, data) g_test_add ("/upload/" path, Host, data, host_start, fn, host_stop)
  ADD ("hello", test_hello, NULL);
  ADD ("whole", test_whole, NULL);
  ADD ("order", test_order, NULL);
  ADD ("id-reused", test_id_reused, NULL);
  ADD ("bounds", test_bounds, NULL);
  ADD ("scan-errors", test_scan_errors, NULL);
  ADD ("malformed", test_malformed, NULL);
  ADD ("abandoned", test_abandoned, "200");
  ADD ("old-requests", test_old_requests, NULL);
  return g_test_run ();
}
