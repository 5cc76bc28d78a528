/* keyring.h: a store's key-encryption key kept by the desktop's secret service.
 *
 * The secret service (org.freedesktop.secrets: GNOME Keyring, KeePassXC, KWallet's
 * bridge) is reached through libsecret, always from a short-lived child process: GDBus
 * starts a worker thread that never ends, and the host must stay single-threaded until
 * its sandbox is in place (Landlock binds only the thread that asks for it). The child
 * is killed at STORE_KEYRING_TIMEOUT_MS, so a service that hangs, or would show an
 * unlock prompt, costs the caller that long at most. Nothing here ever prompts: a
 * locked collection is an answer ("locked"), not a question to the user.
 *
 * One item per store: schema "dev.weir.StoreKey", attribute "store" = the store's salt
 * in hex (its id, also at the start of the store file), "path" = the store file, label
 * "Weir store key (PATH)"; the secret is the 32-byte key-encryption key. */
#pragma once

#include <glib.h>

#include "store/vfs.h"

#define STORE_KEYRING_KEK_BYTES 32
#define STORE_KEYRING_TIMEOUT_MS 2000

/* Whether a secret service may be asked at all: WEIR_KEYRING is not "off" and the
 * session has a bus (DBUS_SESSION_BUS_ADDRESS). FALSE, with the reason in *why (a
 * static string), means "no secret service" without any attempt. */
gboolean store_keyring_wanted (const char **why);

/* Puts kek in the default collection for the store with this salt. Fails (and the
 * caller keeps the key in the file) when there is no secret service, no default
 * collection, or it is locked. */
gboolean store_keyring_store (const guint8 salt[STORE_SALT_BYTES], const guint8 *kek,
                              const char *store_path, GError **error);

/* Reads the store's key-encryption key into kek (STORE_KEYRING_KEK_BYTES). The error
 * says why not, in a few words: no session bus, service not running, locked, no item,
 * no answer in time. */
gboolean store_keyring_lookup (const guint8 salt[STORE_SALT_BYTES], guint8 *kek, GError **error);

/* Deletes the store's item, if any and unlocked. */
gboolean store_keyring_forget (const guint8 salt[STORE_SALT_BYTES], GError **error);
