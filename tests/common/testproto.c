#include "testproto.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "nm.h"

const char *
testproto_str (const cJSON *obj, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  return cJSON_IsString (item) ? item->valuestring : NULL;
}

int
testproto_num (const cJSON *obj, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  g_assert_true (cJSON_IsNumber (item));
  return item->valueint;
}

char *
testproto_scan_request (int id, const char *event, const char *origin, const char *text)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", id);
  cJSON_AddStringToObject (req, "event", event);
  cJSON_AddStringToObject (req, "origin", origin);
  cJSON_AddStringToObject (req, "text", text);
  return cJSON_PrintUnformatted (req);
}

char *
testproto_chunk_request (int id, const char *upload, guint64 size, guint64 offset, const void *bytes,
                         gsize len)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  g_autofree char *data = g_base64_encode (bytes, len);
  cJSON_AddStringToObject (req, "type", "file-chunk");
  cJSON_AddNumberToObject (req, "id", id);
  cJSON_AddStringToObject (req, "upload", upload);
  cJSON_AddNumberToObject (req, "size", (double) size);
  cJSON_AddNumberToObject (req, "offset", (double) offset);
  cJSON_AddStringToObject (req, "data", data);
  return cJSON_PrintUnformatted (req);
}

char *
testproto_upload_scan_request (int id, const char *origin, const char *name, const char *upload, double size)
{
  g_autoptr (cJSON) req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddNumberToObject (req, "id", id);
  cJSON_AddStringToObject (req, "event", "drop");
  cJSON_AddStringToObject (req, "origin", origin);
  cJSON *file = cJSON_CreateObject ();
  cJSON_AddStringToObject (file, "name", name);
  cJSON_AddStringToObject (file, "mime", "text/plain");
  if (size >= 0)
    cJSON_AddNumberToObject (file, "size", size);
  if (upload != NULL)
    cJSON_AddStringToObject (file, "upload", upload);
  cJSON_AddItemToArray (cJSON_AddArrayToObject (req, "files"), file);
  return cJSON_PrintUnformatted (req);
}

GString *
testproto_nested_request (const char *head, gsize depth)
{
  GString *req = g_string_new (head);
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (req, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (req, ']');
  g_string_append_c (req, '}');
  return req;
}

GString *
testproto_frame (const char *buf, gsize len)
{
  guint32 declared = (guint32) len;
  GString *frame = g_string_new_len ((const char *) &declared, sizeof declared);
  g_string_append_len (frame, buf, (gssize) len);
  return frame;
}

void
testproto_write_all (int fd, const void *buf, gsize len)
{
  g_assert_true (file_write_all (fd, buf, len));
}

void
testproto_send_frame (int fd, const char *buf, gsize len)
{
  guint32 declared = (guint32) len;
  testproto_write_all (fd, &declared, sizeof declared);
  testproto_write_all (fd, buf, len);
}

cJSON *
testproto_reply_parse (const char *text, gsize len)
{
  g_assert_cmpuint (len, <=, NM_MAX_REPLY);
  g_assert_true (g_utf8_validate_len (text, len, NULL));
  cJSON *reply = cJSON_ParseWithLength (text, len);
  g_assert_true (cJSON_IsObject (reply));
  return reply;
}

cJSON *
testproto_receive (int fd, int timeout_ms, char **text_out)
{
  struct pollfd pfd = { fd, POLLIN, 0 };
  g_assert_cmpint (poll (&pfd, 1, timeout_ms), ==, 1);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_assert_cmpint (nm_read_frame (fd, NM_MAX_REPLY, &text, &len, &error), ==, NM_FRAME_OK);
  cJSON *reply = testproto_reply_parse (text, len);
  if (text_out != NULL)
    *text_out = g_steal_pointer (&text);
  return reply;
}

cJSON *
testproto_first_reply (const char *buf, gsize len)
{
  guint32 declared = 0;
  g_assert_cmpuint (len, >=, sizeof declared);
  memcpy (&declared, buf, sizeof declared);
  g_assert_cmpuint (declared, <=, len - sizeof declared);
  return testproto_reply_parse (buf + sizeof declared, declared);
}

static gboolean
append_record (gint64 seq, const char *id, const char *record, gpointer data)
{
  g_string_append_printf (data, "%s\n", record);
  return TRUE;
}

char *
testproto_audit_text (Store *store)
{
  GString *all = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (store_audit_foreach (store, append_record, all, &error));
  g_assert_no_error (error);
  return g_string_free (all, FALSE);
}
