/* fuzz-upload: sequences of file-chunk, file-abort and scan requests (protocol 1's
 * uploads, upload.h) through proto_handle_frame on a real context, with a tight policy
 * (max_scan_bytes 4096) so every bound is within reach. One Proto per input, so the
 * uploads an input leaves are freed with it (ASan's leak check sees any that is not).
 *
 * The input is a list of operations, each a few bytes: a chunk of upload a..d (size,
 * offset, length and bytes drawn from the input, the offset often the one the last ack
 * told, so transfers do complete), a scan naming an upload, an abort, a hello, or every
 * upload made idle. Properties: every frame gets one JSON object reply with a "type";
 * and once a..d are aborted, an upload of the whole allowance is accepted again, so
 * no failure path loses track of the bytes or the count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "fuzz.h"
#include "json.h"
#include "nm.h"
#include "proto.h"

#define MAX_BYTES 4096
static const char policy[] = "{\"min_scan_chars\":0,\"max_scan_bytes\":4096}";
static const char *const ids[] = { "a", "b", "c", "d" };

static char *home_;
static WeirContext *ctx_;

typedef struct {
  const uint8_t *data;
  size_t size, pos;
} Input;

static guint
take (Input *in)
{
  return in->pos < in->size ? in->data[in->pos++] : 0;
}

/* Sends json, checks the reply, and returns it parsed (caller frees). */
static cJSON *
ask (Proto *proto, const char *json)
{
  g_autofree char *reply = proto_handle_frame (proto, json, strlen (json));
  FUZZ_CHECK (reply != NULL && strlen (reply) <= NM_MAX_REPLY);
  cJSON *parsed = cJSON_Parse (reply);
  FUZZ_CHECK (cJSON_IsObject (parsed));
  FUZZ_CHECK (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (parsed, "type")));
  return parsed;
}

static cJSON *
chunk (Proto *proto, const char *id, double size, double offset, const guchar *bytes, gsize len)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  g_autofree char *b64 = g_base64_encode (bytes, len);
  cJSON_AddStringToObject (req, "type", "file-chunk");
  cJSON_AddNumberToObject (req, "id", 1);
  cJSON_AddStringToObject (req, "upload", id);
  cJSON_AddNumberToObject (req, "size", size);
  cJSON_AddNumberToObject (req, "offset", offset);
  cJSON_AddStringToObject (req, "data", b64);
  g_autofree char *json = cJSON_PrintUnformatted (req);
  return ask (proto, json);
}

static void
op_chunk (Proto *proto, Input *in, double received[4])
{
  guint which = take (in) % 4;
  guint mode = take (in);
  double size = (double) ((take (in) | take (in) << 8) % (MAX_BYTES + 200));
  gsize len = (take (in) * 23) % (MAX_BYTES + 100);
  double offset = (mode % 4 == 0) ? received[which] : (mode % 4 == 1) ? 0 : (double) (take (in) * 17);
  if (mode & 0x80)
    size = received[which] + len;  /* often the last chunk */
  g_autofree guchar *bytes = g_malloc0 (MAX (len, 1));
  for (gsize i = 0; i < len; i++)
    bytes[i] = (guchar) (in->pos + i < in->size ? in->data[in->pos + i] : i);
  g_autoptr (cJSON) reply = chunk (proto, ids[which], size, offset, bytes, len);
  const cJSON *got = cJSON_GetObjectItemCaseSensitive (reply, "received");
  received[which] = cJSON_IsNumber (got) ? got->valuedouble : 0;
}

static void
op_scan (Proto *proto, Input *in, double received[4])
{
  guint which = take (in) % 4, how = take (in);
  g_autofree char *json = g_strdup_printf (
    "{\"type\":\"scan\",\"id\":2,\"event\":\"drop\",\"origin\":\"https://x.example\",\"files\":["
    "{\"name\":\"f\",\"upload\":\"%s\"%s%s}%s]}", ids[which],
    how & 1 ? ",\"size\":" : "", how & 1 ? (how & 2 ? "1" : "0") : "",
    how & 4 ? ",{\"name\":\"g\",\"upload\":\"a\"}" : "");
  g_autoptr (cJSON) reply = ask (proto, json);
  received[which] = 0;
  if (how & 4)
    received[0] = 0;
}

static void
op_abort (Proto *proto, guint which, double received[4])
{
  g_autofree char *json = g_strdup_printf ("{\"type\":\"file-abort\",\"id\":3,\"upload\":\"%s\"}", ids[which]);
  g_autoptr (cJSON) reply = ask (proto, json);
  received[which] = 0;
}

static void
cleanup (void)
{
  g_clear_pointer (&ctx_, context_free);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", home_);
  if (system (cmd) != 0)
    fprintf (stderr, "fuzz-upload: could not remove %s\n", home_);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FUZZ_FATAL_WARNINGS ();
  g_autofree char *tmpl = g_build_filename (g_get_tmp_dir (), "weir-fuzz-upload-XXXXXX", NULL);
  home_ = g_mkdtemp (g_steal_pointer (&tmpl));
  FUZZ_CHECK (home_ != NULL);
  g_autofree char *path = g_build_filename (home_, "policy.json", NULL);
  FUZZ_CHECK (g_file_set_contents (path, policy, -1, NULL));
  g_setenv ("WEIR_HOME", home_, TRUE);
  g_autoptr (GError) error = NULL;
  ctx_ = context_open (CONTEXT_STRICT, &error);
  FUZZ_CHECK (ctx_ != NULL);
  atexit (cleanup);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (Proto) proto = proto_new (ctx_);
  Input in = { data, size, 0 };
  double received[4] = { 0 };
  for (guint ops = 0; in.pos < in.size && ops < 64; ops++)
    switch (take (&in) % 6)
      {
      case 0: case 1: op_chunk (proto, &in, received); break;
      case 2: op_scan (proto, &in, received); break;
      case 3: op_abort (proto, take (&in) % 4, received); break;
      case 4: { g_autoptr (cJSON) r = ask (proto, "{\"type\":\"hello\",\"id\":4}"); } break;
      default:
        proto_set_upload_idle (proto, 1);
        g_usleep (2);
        { g_autoptr (cJSON) r = ask (proto, "{\"type\":\"hello\",\"id\":5}"); }
        proto_set_upload_idle (proto, 0);
        memset (received, 0, sizeof received);
      }
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    op_abort (proto, i, received);
  static const guchar byte = 'x';
  g_autoptr (cJSON) whole = chunk (proto, "a", MAX_BYTES, 0, &byte, 1);
  FUZZ_CHECK (g_strcmp0 (cJSON_GetObjectItemCaseSensitive (whole, "type")->valuestring, "ack") == 0);
  return 0;
}
