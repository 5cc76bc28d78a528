/* libFuzzer target: any bytes as one protocol frame. The reply must always be one
 * JSON object of at most 1 MiB; crashes and sanitizer reports are the findings.
 * Runs against a real store in a temporary WEIR_HOME, as weir-host does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "json.h"
#include "nm.h"
#include "proto.h"

static Proto *proto;

static void
set_up (void)
{
  static char home[] = "/tmp/weir-fuzz-proto-XXXXXX";
  if (mkdtemp (home) == NULL)
    abort ();
  g_setenv ("WEIR_HOME", home, TRUE);
  g_log_writer_default_set_use_stderr (TRUE);
  WeirContext *ctx = context_open (CONTEXT_STRICT, NULL);  /* lives for the process */
  if (ctx == NULL)
    abort ();
  proto = proto_new (ctx);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (proto == NULL)
    set_up ();
  g_autofree char *text = proto_handle_frame (proto, (const char *) data, size);
  if (text == NULL || strlen (text) > NM_MAX_REPLY)
    abort ();
  g_autoptr (cJSON) reply = cJSON_Parse (text);
  if (!cJSON_IsObject (reply))
    abort ();
  return 0;
}
