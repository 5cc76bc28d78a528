/* fuzz-copy (issue 25): the copy request and what a copy becomes, on a real context whose
 * policy makes http://src.test a source group. The first byte picks the target:
 *   0: the rest is a frame for proto_handle_frame (seeds: copy requests), then the same
 *      bytes, when they are UTF-8, pasted into another origin as a scan's text;
 *   1: the rest is copied text: fingerprinted, remembered and matched in a CopyMemory
 *      with tight bounds, so eviction and merges run often;
 *   2: the rest is a stored row's fingerprints blob, read back by a new CopyBook.
 * Every frame gets one reply (a JSON object with a type, within 1 MiB); nothing aborts. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "copies/copy-book.h"
#include "engine/findings.h"
#include "fuzz.h"
#include "json.h"
#include "nm.h"
#include "proto.h"
#include "store/store-copies.h"

static const char policy[] =
  "{\"version\":1,\"rules\":[{\"id\":\"out\",\"sources\":[\"internal\"],\"verdict\":\"warn\"}],"
  "\"origins\":[{\"match\":[\"http://src.test\"],\"source\":\"internal\"}],\"copies\":{\"audit\":true}}";

static char *home_;
static WeirContext *ctx_;
static Proto *proto_;
static CopyMemory *mem_;
static const guint8 key_[WINNOW_KEY_BYTES] = { 7 };
static const CopyLimits limits_ = { .max_copies = 64, .max_fingerprints = 4096, .keep_seconds = 3600,
                                    .min_words = 8 };

static void
cleanup (void)
{
  g_clear_pointer (&proto_, proto_free);
  g_clear_pointer (&ctx_, context_free);
  g_clear_pointer (&mem_, copy_memory_free);
  g_autoptr (GDir) dir = g_dir_open (home_, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (home_, name, NULL);
      g_unlink (child);
    }
  g_rmdir (home_);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  g_autofree char *tmpl = g_build_filename (g_get_tmp_dir (), "weir-fuzz-copy-XXXXXX", NULL);
  home_ = g_mkdtemp (g_steal_pointer (&tmpl));
  FUZZ_CHECK (home_ != NULL);
  g_autofree char *path = g_build_filename (home_, "policy.json", NULL);
  FUZZ_CHECK (g_file_set_contents (path, policy, -1, NULL));
  g_setenv ("WEIR_HOME", home_, TRUE);
  ctx_ = context_open (CONTEXT_STRICT, NULL);
  FUZZ_CHECK (ctx_ != NULL);
  proto_ = proto_new (ctx_);
  mem_ = copy_memory_new (key_, &limits_);
  atexit (cleanup);
  return 0;
}

static void
check_reply (const char *frame, gsize len)
{
  g_autofree char *reply = proto_handle_frame (proto_, frame, len);
  FUZZ_CHECK (reply != NULL && strlen (reply) <= NM_MAX_REPLY);
  g_autoptr (cJSON) parsed = cJSON_Parse (reply);
  FUZZ_CHECK (cJSON_IsObject (parsed));
  FUZZ_CHECK (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (parsed, "type")));
}

static void
fuzz_frame (const char *data, gsize size)
{
  check_reply (data, size);
  if (!g_utf8_validate_len (data, size, NULL))
    return;
  g_autoptr (cJSON) scan = cJSON_CreateObject ();
  g_autofree char *text = g_strndup (data, size);
  cJSON_AddStringToObject (scan, "type", "scan");
  cJSON_AddNumberToObject (scan, "id", 1);
  cJSON_AddStringToObject (scan, "event", "paste");
  cJSON_AddStringToObject (scan, "origin", "http://dest.test");
  cJSON_AddStringToObject (scan, "text", text);
  g_autofree char *frame = cJSON_PrintUnformatted (scan);
  check_reply (frame, strlen (frame));
}

static gint64 now_ = 1000000;

static void
fuzz_memory (const char *data, gsize size)
{
  guint32 words = 0;
  now_ += 60;
  g_autoptr (GArray) picks = copy_memory_fingerprint (mem_, data, size, &words);
  copy_memory_add (mem_, 0, size % 2 ? "a" : "b", now_, words, (const WinnowPick *) picks->data, picks->len, FALSE);
  copy_memory_expire (mem_, now_);
  g_autoptr (GPtrArray) findings = findings_new ();
  copy_memory_match (mem_, data, size, size % 3 ? "a" : NULL, now_, findings);
  for (guint i = 0; i < findings->len; i++)
    FUZZ_CHECK (((Finding *) findings->pdata[i])->kind == FINDING_COPIED);
  FUZZ_CHECK (copy_memory_count (mem_) <= limits_.max_copies);
}

static void
fuzz_blob (const char *data, gsize size)
{
  Store *store = context_store (ctx_);
  gint64 id = 0, now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (GBytes) blob = g_bytes_new (data, size);
  FUZZ_CHECK (store_copy_put (store, "internal", now, (guint32) size, blob, &id, NULL));
  g_autoptr (CopyBook) book = copy_book_open (store, &limits_, now, NULL);
  FUZZ_CHECK (book != NULL);
  FUZZ_CHECK (store_copies_forget (store, id, 0, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  const char *rest = (const char *) data + 1;
  switch (data[0] % 3)
    {
    case 0: fuzz_frame (rest, size - 1); break;
    case 1: fuzz_memory (rest, size - 1); break;
    default: fuzz_blob (rest, MIN (size - 1, (gsize) 1 << 20)); break;
    }
  return 0;
}
