#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weir-config.h"
#include "file.h"
#include "weir-error.h"

#if WEIR_HAVE_LIBSECRET
#include <libsecret/secret.h>
#endif

/* The child's reply on its pipe: one status byte, then the key (a lookup that worked)
 * or a short reason in UTF-8 (anything that failed). */
#define REPLY_OK 0
#define REPLY_FAILED 1
#define REPLY_REASON_MAX 400
#define REPLY_MAX (1 + STORE_KEYRING_KEK_BYTES + REPLY_REASON_MAX)

typedef enum { KEYRING_STORE, KEYRING_LOOKUP, KEYRING_FORGET } KeyringOp;

typedef struct {
  KeyringOp op;
  const guint8 *salt;
  const guint8 *kek;        /* KEYRING_STORE only */
  const char *store_path;   /* KEYRING_STORE only */
} KeyringRequest;

gboolean
store_keyring_wanted (const char **why)
{
  const char *choice = g_getenv ("WEIR_KEYRING");
  if (choice != NULL && g_ascii_strcasecmp (choice, "off") == 0)
    return *why = "WEIR_KEYRING=off", FALSE;
  if (!WEIR_HAVE_LIBSECRET)
    return *why = "this Weir was built without libsecret", FALSE;
  /* Without the variable GLib would guess a bus (X11 autolaunch can even start one):
   * no address is no session, hence no secret service. */
  const char *bus = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  if (bus == NULL || *bus == '\0')
    return *why = "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)", FALSE;
  /* GLib's way to say "no bus", which Chromium gives the processes it starts when it
   * was itself started without one (headless, CI). */
  if (g_str_has_prefix (bus, "disabled:"))
    return *why = "no session bus (DBUS_SESSION_BUS_ADDRESS is disabled:)", FALSE;
  return TRUE;
}

/* ---- the child: libsecret ---- */

#if WEIR_HAVE_LIBSECRET
static const SecretSchema *
keyring_schema (void)
{
  static const SecretSchema schema = {
    .name = "dev.weir.StoreKey",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
      { "store", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "path", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

static GHashTable *
keyring_attributes (const guint8 *salt, const char *store_path)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  char hex[STORE_SALT_BYTES * 2 + 1];
  sodium_bin2hex (hex, sizeof hex, salt, STORE_SALT_BYTES);
  g_hash_table_insert (attributes, "store", g_strdup (hex));
  if (store_path != NULL)
    g_hash_table_insert (attributes, "path", g_strdup (store_path));
  return attributes;
}

/* The service, only when one already runs: asking for an unowned name would have the
 * bus start one (D-Bus activation), which may then want to ask the user something. */
static SecretService *
child_service (GError **error)
{
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  if (bus == NULL)
    return NULL;
  g_autoptr (GVariant) owned = g_dbus_connection_call_sync (
    bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
    g_variant_new ("(s)", "org.freedesktop.secrets"), G_VARIANT_TYPE ("(b)"),
    G_DBUS_CALL_FLAGS_NO_AUTO_START, STORE_KEYRING_TIMEOUT_MS, NULL, error);
  if (owned == NULL)
    return NULL;
  gboolean running = FALSE;
  g_variant_get (owned, "(b)", &running);
  if (!running)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND,
                   "no secret service is running on the session bus");
      return NULL;
    }
  return secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, error);
}

static gboolean
child_store (SecretService *service, const KeyringRequest *req, GError **error)
{
  g_autoptr (SecretCollection) collection = secret_collection_for_alias_sync (
    service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, NULL, error);
  if (collection == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "the keyring has no default collection");
      return FALSE;
    }
  if (secret_collection_get_locked (collection))
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "the default keyring is locked");
      return FALSE;
    }
  g_autoptr (GHashTable) attributes = keyring_attributes (req->salt, req->store_path);
  g_autofree char *label = g_strdup_printf ("Weir store key (%s)", req->store_path);
  SecretValue *value = secret_value_new ((const char *) req->kek, STORE_KEYRING_KEK_BYTES,
                                         "application/octet-stream");
  g_autoptr (SecretItem) item = secret_item_create_sync (
    collection, keyring_schema (), attributes, label, value, SECRET_ITEM_CREATE_REPLACE, NULL, error);
  secret_value_unref (value);
  return item != NULL;
}

static GList *
child_search (SecretService *service, const KeyringRequest *req, GError **error)
{
  g_autoptr (GHashTable) attributes = keyring_attributes (req->salt, NULL);
  /* No SECRET_SEARCH_UNLOCK: unlocking may prompt, and nobody may be there to answer. */
  return secret_service_search_sync (service, keyring_schema (), attributes,
                                     SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL, error);
}

/* A locked collection hides its items' attributes (GNOME Keyring matches none of
 * them), so an empty search in a locked default keyring is "locked", not "missing". */
static void
child_explain_missing (SecretService *service, GError **error)
{
  g_autoptr (SecretCollection) collection = secret_collection_for_alias_sync (
    service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, NULL, NULL);
  if (collection != NULL && secret_collection_get_locked (collection))
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "the keyring is locked");
  else
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_NOT_FOUND, "the keyring holds no key for this store");
}

static gboolean
child_lookup (SecretService *service, const KeyringRequest *req, guint8 *kek, GError **error)
{
  GList *items = child_search (service, req, error);
  if (items == NULL)
    {
      if (error != NULL && *error == NULL)
        child_explain_missing (service, error);
      return FALSE;
    }
  SecretItem *item = items->data;
  SecretValue *value = secret_item_get_locked (item) ? NULL : secret_item_get_secret (item);
  gsize len = 0;
  const char *bytes = value != NULL ? secret_value_get (value, &len) : NULL;
  gboolean ok = bytes != NULL && len == STORE_KEYRING_KEK_BYTES;
  if (ok)
    memcpy (kek, bytes, STORE_KEYRING_KEK_BYTES);
  else if (value == NULL)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "the keyring is locked");
  else
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED, "the keyring's item for this store is damaged");
  if (value != NULL)
    secret_value_unref (value);
  g_list_free_full (items, g_object_unref);
  return ok;
}

static gboolean
child_forget (SecretService *service, const KeyringRequest *req, GError **error)
{
  GList *items = child_search (service, req, error);
  gboolean ok = error == NULL || *error == NULL;
  for (GList *l = items; ok && l != NULL; l = l->next)
    ok = secret_item_delete_sync (l->data, NULL, error);
  g_list_free_full (items, g_object_unref);
  return ok;
}

static gboolean
child_serve (const KeyringRequest *req, guint8 *kek, GError **error)
{
  g_autoptr (SecretService) service = child_service (error);
  if (service == NULL)
    return FALSE;
  gboolean ok = req->op == KEYRING_STORE    ? child_store (service, req, error)
                : req->op == KEYRING_LOOKUP ? child_lookup (service, req, kek, error)
                                            : child_forget (service, req, error);
  g_clear_object (&service);
  secret_service_disconnect ();
  return ok;
}
#else
static gboolean
child_serve (const KeyringRequest *req, guint8 *kek, GError **error)
{
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "this Weir was built without libsecret");
  return FALSE;
}
#endif


/* Runs in the forked child and never returns. stdin and stdout become /dev/null: in
 * the host they carry protocol frames, which nothing here may touch; stderr too, as
 * libsecret's own warnings would break the CLI's one-line errors (the reason travels
 * in the reply). _exit, not exit: no atexit handler or stdio buffer runs twice. */
G_GNUC_NORETURN static void
child_run (int fd, const KeyringRequest *req)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2 (null, STDIN_FILENO);
      dup2 (null, STDOUT_FILENO);
      dup2 (null, STDERR_FILENO);
    }
  guint8 reply[REPLY_MAX] = { REPLY_OK };
  gsize len = 1;
  g_autoptr (GError) error = NULL;
  if (child_serve (req, reply + 1, &error))
    len += req->op == KEYRING_LOOKUP ? STORE_KEYRING_KEK_BYTES : 0;
  else
    {
      reply[0] = REPLY_FAILED;
      len += MIN (strlen (error->message), (gsize) REPLY_REASON_MAX);
      memcpy (reply + 1, error->message, len - 1);
    }
  gboolean sent = file_write_all (fd, reply, len);
  sodium_memzero (reply, sizeof reply);
  _exit (sent ? 0 : 1);
}

/* Reads the child's reply until end of file or the deadline. */
static gssize
reply_read (int fd, guint8 *reply, gint64 deadline)
{
  gsize len = 0;
  for (;;)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int rc = left_ms > 0 ? poll (&p, 1, (int) left_ms) : 0;
      if (rc < 0 && errno == EINTR)
        continue;
      if (rc <= 0)
        return -1;
      ssize_t r = read (fd, reply + len, REPLY_MAX - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || (len += (gsize) r) == REPLY_MAX)
        return r < 0 ? -1 : (gssize) len;
    }
}

static gboolean
reply_parse (const guint8 *reply, gssize len, const KeyringRequest *req, guint8 *kek, GError **error)
{
  gsize want = 1 + (req->op == KEYRING_LOOKUP ? STORE_KEYRING_KEK_BYTES : 0);
  if (len >= 1 && reply[0] == REPLY_OK && (gsize) len == want)
    {
      if (req->op == KEYRING_LOOKUP)
        memcpy (kek, reply + 1, STORE_KEYRING_KEK_BYTES);
      return TRUE;
    }
  if (len < 1)
    {
      if (len < 0)
        g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO,
                     "the secret service did not answer within %d ms", STORE_KEYRING_TIMEOUT_MS);
      else
        g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "the keyring lookup ended without an answer");
      return FALSE;
    }
  g_autofree char *reason = g_utf8_make_valid ((const char *) reply + 1, len - 1);
  g_strdelimit (reason, "\r\n", ' ');
  g_set_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED, "%s",
               reply[0] == REPLY_FAILED && *reason ? reason : "the keyring lookup failed");
  return FALSE;
}

static pid_t
child_start (const KeyringRequest *req, int *read_fd, GError **error)
{
  int fds[2];
  pid_t pid = -1;
  int saved = 0;
  if (pipe2 (fds, O_CLOEXEC) != 0)
    saved = errno;
  else if ((pid = fork ()) < 0)
    {
      saved = errno;
      close (fds[0]);
      close (fds[1]);
    }
  if (pid < 0)
    {
      /* Under the host's sandbox fork is refused: only the unsandboxed start asks. */
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "cannot ask the secret service: %s",
                   g_strerror (saved));
      return -1;
    }
  if (pid == 0)
    {
      close (fds[0]);
      child_run (fds[1], req);
    }
  close (fds[1]);
  *read_fd = fds[0];
  return pid;
}

static gboolean
keyring_run (const KeyringRequest *req, guint8 *kek, GError **error)
{
  int fd = -1;
  guint8 *reply = sodium_malloc (REPLY_MAX);
  if (reply == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "keyring: out of guarded memory");
      return FALSE;
    }
  pid_t pid = child_start (req, &fd, error);
  if (pid < 0)
    {
      sodium_free (reply);
      return FALSE;
    }
  gssize len = reply_read (fd, reply, g_get_monotonic_time () + STORE_KEYRING_TIMEOUT_MS * 1000);
  close (fd);
  /* A child past its deadline is stuck on a service that does not answer. */
  if (len < 0)
    kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  gboolean ok = reply_parse (reply, len, req, kek, error);
  sodium_free (reply);
  return ok;
}

gboolean
store_keyring_store (const guint8 salt[STORE_SALT_BYTES], const guint8 *kek,
                     const char *store_path, GError **error)
{
  KeyringRequest req = { .op = KEYRING_STORE, .salt = salt, .kek = kek, .store_path = store_path };
  return keyring_run (&req, NULL, error);
}

gboolean
store_keyring_lookup (const guint8 salt[STORE_SALT_BYTES], guint8 *kek, GError **error)
{
  KeyringRequest req = { .op = KEYRING_LOOKUP, .salt = salt };
  return keyring_run (&req, kek, error);
}

gboolean
store_keyring_forget (const guint8 salt[STORE_SALT_BYTES], GError **error)
{
  KeyringRequest req = { .op = KEYRING_FORGET, .salt = salt };
  return keyring_run (&req, NULL, error);
}
