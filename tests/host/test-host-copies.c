/* Issue 25 through the real weir-host over pipes: text copied in a source group's page is
 * found again when pasted elsewhere, never when pasted back into the group, survives a
 * new host (a browser restart), is bounded per origin, and every malformed copy request
 * gets an error reply. The binary's path comes from meson in WEIR_HOST_BINARY. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "copies/copy-book.h"
#include "json.h"
#include "store/store.h"
#include "testproto.h"
#include "testutil.h"

#define REPLY_TIMEOUT_MS 60000
#define CANARY "weir-canary-copy-3f9a"

static const char policy[] =
  "{\"version\":1,"
  " \"rules\":[{\"id\":\"internal-out\",\"sources\":[\"internal\"],\"verdict\":\"block\","
  "            \"message\":\"Text from internal sites stays there.\"}],"
  " \"origins\":[{\"id\":\"corp\",\"match\":[\"http://corp.test\"],\"source\":\"internal\"},"
  "             {\"id\":\"corp-mail\",\"match\":[\"http://mail.corp.test\"],\"source\":\"internal\"}],"
  " \"copies\":{\"audit\":true}}";

typedef struct {
  char *home;
  GPid pid;
  int to_host, from_host;
  int next_id;
} Host;

static void
host_spawn (Host *h)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { g_getenv ("WEIR_HOST_BINARY"), "chrome-extension://weirtestextension/", NULL };
  g_assert_nonnull (argv[0]);
  char **envp = g_environ_setenv (g_get_environ (), "WEIR_HOME", h->home, TRUE);
  g_spawn_async_with_pipes ((const char *) NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &h->pid, &h->to_host, &h->from_host, NULL, &error);
  g_strfreev (envp);
  g_assert_no_error (error);
}

/* Ends the host by closing its input, as a browser does; it must exit 0. */
static void
host_end (Host *h)
{
  close (h->to_host);
  int status = 0;
  g_assert_cmpint (waitpid (h->pid, &status, 0), ==, h->pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_spawn_close_pid (h->pid);
  close (h->from_host);
}

static void
host_start (Host *h, gconstpointer data)
{
  h->home = testutil_tmpdir_new ("weir-host-copies");
  testutil_write_file (h->home, "policy.json", policy);
  host_spawn (h);
}

static void
host_stop (Host *h, gconstpointer data)
{
  testutil_rmtree (h->home);
  g_free (h->home);
}

static cJSON *
ask (Host *h, cJSON *request)
{
  cJSON_AddNumberToObject (request, "id", ++h->next_id);
  g_autofree char *text = cJSON_PrintUnformatted (request);
  cJSON_Delete (request);
  testproto_send_frame (h->to_host, text, strlen (text));
  g_autofree char *reply_text = NULL;
  cJSON *reply = testproto_receive (h->from_host, REPLY_TIMEOUT_MS, &reply_text);
  g_assert_cmpint (testproto_num (reply, "id"), ==, h->next_id);
  g_assert_null (strstr (reply_text, CANARY));
  return reply;
}

static cJSON *
copy (Host *h, const char *event, const char *origin, const char *text)
{
  cJSON *req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "copy");
  cJSON_AddStringToObject (req, "event", event);
  cJSON_AddStringToObject (req, "origin", origin);
  cJSON_AddStringToObject (req, "url", origin);
  cJSON_AddStringToObject (req, "text", text);
  return ask (h, req);
}

static cJSON *
scan_event (Host *h, const char *event, const char *origin, const char *text)
{
  cJSON *req = cJSON_CreateObject ();
  cJSON_AddStringToObject (req, "type", "scan");
  cJSON_AddStringToObject (req, "event", event);
  cJSON_AddStringToObject (req, "origin", origin);
  cJSON_AddStringToObject (req, "text", text);
  return ask (h, req);
}

static cJSON *
paste (Host *h, const char *origin, const char *text)
{
  return scan_event (h, "paste", origin, text);
}

static const char memo[] =
  "The steering group agreed to move the Lisbon office into the new building before the end of "
  "the third quarter, subject to the landlord accepting the revised terms on parking and the "
  "shared reception. Staff will hear about it at the all hands meeting in two weeks, and until "
  "then nobody outside the group should be told about the move or the terms. " CANARY;

static void
test_copy_paste (Host *h, gconstpointer data)
{
  g_autoptr (cJSON) hello = ask (h, cJSON_Parse ("{\"type\":\"hello\"}"));
  g_autofree char *requests = cJSON_PrintUnformatted (cJSON_GetObjectItem (hello, "requests"));
  g_assert_nonnull (strstr (requests, "\"copy\""));
  const cJSON *origins = cJSON_GetObjectItem (cJSON_GetObjectItem (cJSON_GetObjectItem (hello, "policy"), "copies"),
                                              "origins");
  g_assert_cmpint (cJSON_GetArraySize (origins), ==, 2);

  g_autoptr (cJSON) kept = copy (h, "copy", "http://corp.test", memo);
  g_assert_cmpstr (testproto_str (kept, "type"), ==, "ack");
  g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (kept, "kept")));
  g_assert_cmpstr (testproto_str (kept, "source"), ==, "internal");
  g_assert_nonnull (testproto_str (kept, "audit"));
  /* A page outside every source group registers nothing. */
  g_autoptr (cJSON) other = copy (h, "page-copy", "http://chat.test", "a different text entirely, with many words "
                                  "that nobody would ever paste anywhere again for sure");
  g_assert_false (cJSON_IsTrue (cJSON_GetObjectItem (other, "kept")));
  g_assert_cmpstr (testproto_str (other, "why"), ==, "not-a-source");

  /* Re-wrapped and cut, inside a message of the user's own: blocked, naming the source. */
  g_autofree char *wrapped = g_strdelimit (g_strndup (memo, 200), " ", '\n');
  g_autofree char *message = g_strconcat ("Hi, quick summary for you:\n", wrapped, "\nCheers", NULL);
  g_autoptr (cJSON) out = paste (h, "http://chat.test", message);
  g_assert_cmpstr (testproto_str (out, "verdict"), ==, "block");
  const cJSON *reason = cJSON_GetArrayItem (cJSON_GetObjectItem (out, "reasons"), 0);
  g_assert_cmpstr (testproto_str (reason, "kind"), ==, "copied");
  g_assert_cmpstr (testproto_str (reason, "source"), ==, "internal");
  /* Words covered between the first and last shared fingerprint: at least one k-gram
   * (the device key is random, so which k-grams a copy keeps varies). */
  g_assert_cmpint (testproto_num (reason, "words"), >=, 8);
  g_assert_nonnull (testproto_str (reason, "copied_at"));
  /* A drop and a page's clipboard read are checked the same way. */
  g_autoptr (cJSON) dropped = scan_event (h, "drop", "http://chat.test", message);
  g_assert_cmpstr (testproto_str (dropped, "verdict"), ==, "block");
  g_autoptr (cJSON) read = scan_event (h, "clipboard-read", "http://chat.test", message);
  g_assert_cmpstr (testproto_str (read, "verdict"), ==, "block");
  /* Back into the same source group, another of its groups too: no finding. */
  g_autoptr (cJSON) back = paste (h, "http://corp.test", message);
  g_assert_cmpstr (testproto_str (back, "verdict"), ==, "allow");
  g_autoptr (cJSON) mail = paste (h, "http://mail.corp.test", message);
  g_assert_cmpstr (testproto_str (mail, "verdict"), ==, "allow");
  /* Text never copied: allowed. */
  g_autoptr (cJSON) own = paste (h, "http://chat.test", "The weather in Lisbon was lovely this week, and the "
                                 "team enjoyed the long lunch by the river after the workshop.");
  g_assert_cmpstr (testproto_str (own, "verdict"), ==, "allow");
  host_end (h);

  /* A new host (the browser restarted) remembers the copy. */
  host_spawn (h);
  g_autoptr (cJSON) again = paste (h, "http://chat.test", message);
  g_assert_cmpstr (testproto_str (again, "verdict"), ==, "block");
  host_end (h);

  /* weir scan sees the copies this device remembers, as the host does. */
  {
    g_autofree char *file = g_build_filename (h->home, "paste.txt", NULL);
    g_assert_true (g_file_set_contents (file, message, -1, NULL));
    const char *argv[] = { g_getenv ("WEIR_BINARY"), "scan", "--origin", "http://chat.test", file, NULL };
    g_assert_nonnull (argv[0]);
    char **envp = g_environ_setenv (g_get_environ (), "WEIR_HOME", h->home, TRUE);
    g_autofree char *printed = NULL;
    int status = 0;
    g_autoptr (GError) error = NULL;
    g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &printed, NULL, &status, &error);
    g_strfreev (envp);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (printed, "block: Text from internal sites stays there."));
    g_assert_nonnull (strstr (printed, "copied   internal "));
    g_unlink (file);
  }

  /* The audit log: the copy event (origin, source, sizes) and the copied finding; the
   * text nowhere, in the log or anywhere under WEIR_HOME. */
  g_autofree char *path = g_build_filename (h->home, "weir.db", NULL);
  g_autoptr (Store) store = store_open (path, NULL);
  g_assert_nonnull (store);
  g_autofree char *log = testproto_audit_text (store);
  g_assert_nonnull (strstr (log, "\"event\":\"copy\""));
  g_assert_nonnull (strstr (log, "\"copy_event\":\"copy\""));
  g_assert_nonnull (strstr (log, "\"kind\":\"copied\""));
  g_assert_null (strstr (log, CANARY));
  g_assert_null (strstr (log, "Lisbon"));
  g_assert_false (testutil_tree_contains (h->home, CANARY));
}

static void
test_rate_bound (Host *h, gconstpointer data)
{
  guint kept = 0;
  for (guint i = 0; i < COPY_RATE_BURST + 10; i++)
    {
      g_autofree char *text = g_strdup_printf ("copy number %u of a page that copies the same kind of text "
                                               "over and over to crowd out what the user copied", i);
      g_autoptr (cJSON) reply = copy (h, "page-copy", "http://corp.test", text);
      kept += cJSON_IsTrue (cJSON_GetObjectItem (reply, "kept"));
      if (!cJSON_IsTrue (cJSON_GetObjectItem (reply, "kept")))
        g_assert_cmpstr (testproto_str (reply, "why"), ==, "rate-limited");
    }
  /* The burst, and at most a few more for the seconds the loop took. */
  g_assert_cmpuint (kept, >=, COPY_RATE_BURST);
  g_assert_cmpuint (kept, <, COPY_RATE_BURST + 10);
  g_autoptr (cJSON) short_one = copy (h, "copy", "http://mail.corp.test", "three short words");
  g_assert_cmpstr (testproto_str (short_one, "why"), ==, "too-short");
  host_end (h);
}

static const struct {
  const char *json;
  const char *code;
} malformed[] = {
  { "{\"type\":\"copy\",\"id\":1,\"event\":\"copy\",\"origin\":\"http://corp.test\"}", "bad_request" },
  { "{\"type\":\"copy\",\"id\":1,\"event\":\"copy\",\"text\":\"x\"}", "bad_request" },
  { "{\"type\":\"copy\",\"id\":1,\"origin\":\"http://corp.test\",\"text\":\"x\"}", "bad_request" },
  { "{\"type\":\"copy\",\"id\":1,\"event\":\"paste\",\"origin\":\"http://corp.test\",\"text\":\"x\"}", "bad_request" },
  { "{\"type\":\"copy\",\"id\":1,\"event\":\"copy\",\"origin\":\"http://corp.test\",\"text\":7}", "bad_request" },
  { "{\"type\":\"copy\",\"id\":1,\"event\":\"copy\",\"origin\":[],\"text\":\"x\"}", "bad_request" },
  { "{\"type\":\"copy\",\"id\":1,\"event\":\"copy\",\"origin\":\"http://corp.test\",\"url\":5,\"text\":\"x\"}",
    "bad_request" },
};

static void
test_malformed (Host *h, gconstpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      testproto_send_frame (h->to_host, malformed[i].json, strlen (malformed[i].json));
      g_autoptr (cJSON) reply = testproto_receive (h->from_host, REPLY_TIMEOUT_MS, NULL);
      g_assert_cmpstr (testproto_str (reply, "type"), ==, "error");
      g_assert_cmpstr (testproto_str (cJSON_GetObjectItem (reply, "error"), "code"), ==, malformed[i].code);
    }
  /* And the host serves on. */
  g_autoptr (cJSON) kept = copy (h, "cut", "http://corp.test", memo);
  g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (kept, "kept")));
  host_end (h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/host-copies/copy-paste", Host, NULL, host_start, test_copy_paste, host_stop);
  g_test_add ("/host-copies/rate-bound", Host, NULL, host_start, test_rate_bound, host_stop);
  g_test_add ("/host-copies/malformed", Host, NULL, host_start, test_malformed, host_stop);
  return g_test_run ();
}
