/* The audit chain: signed, linked records; each kind of tampering named; forward
 * security across epochs; several writers on one store; the journal datagram. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/audit-record.h"
#include "audit/audit-ship.h"
#include "audit/audit-verify.h"
#include "json.h"
#include "store/store-audit.h"

typedef struct {
  char *dir;
  char *db;
  Store *store;
  Audit *audit;
  SignPublicKey root;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_setenv ("WEIR_AUDIT_SHIP", "off", TRUE);
  f->dir = g_dir_make_tmp ("weir-audit-XXXXXX", NULL);
  f->db = g_build_filename (f->dir, "weir.db", NULL);
  f->store = store_open (f->db, &error);
  g_assert_no_error (error);
  f->audit = audit_new (f->store, &error);
  g_assert_no_error (error);
  g_assert_true (audit_root_key (f->audit, &f->root, &error));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  audit_free (f->audit);
  store_close (f->store);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->db);
  g_free (f->dir);
}

static char *
append (Fixture *f, const char *event, const char *verdict)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  if (verdict != NULL)
    cJSON_AddStringToObject (fields, "verdict", verdict);
  cJSON_AddStringToObject (fields, "origin", "https://chat.example");
  char *id = audit_append (f->audit, event, fields, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

static GPtrArray *
lines_of (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *lines = audit_store_lines (f->store, &error);
  g_assert_no_error (error);
  return lines;
}

/* Verifies and returns the fault (AUDIT_FAULT_NONE when the chain holds). */
static AuditFault
verify (const SignPublicKey *root, GPtrArray *lines, gint64 *seq)
{
  AuditReport report;
  gboolean ok = audit_verify_lines (root, lines, &report);
  AuditFault fault = report.fault;
  g_assert_true (ok == (fault == AUDIT_FAULT_NONE));
  if (!ok)
    g_test_message ("%s", report.message);
  if (seq != NULL)
    *seq = report.seq;
  audit_report_clear (&report);
  return fault;
}

static void
fill (Fixture *f, int n)
{
  for (int i = 0; i < n; i++)
    g_free (append (f, "verdict", i % 2 ? "warn" : "allow"));
}

static void
test_chain (Fixture *f, gconstpointer data)
{
  fill (f, 6);
  g_autoptr (GPtrArray) lines = lines_of (f);
  g_assert_cmpuint (lines->len, ==, 7);  /* the key-epoch record that starts the chain, then six */
  g_assert_cmpint (verify (&f->root, lines, NULL), ==, AUDIT_FAULT_NONE);
  g_autoptr (cJSON) first = cJSON_Parse (lines->pdata[0]);
  g_assert_cmpstr (cJSON_GetObjectItem (first, "event")->valuestring, ==, "key-epoch");
  g_autoptr (cJSON) last = cJSON_Parse (lines->pdata[6]);
  g_assert_cmpint (cJSON_GetObjectItem (last, "seq")->valueint, ==, 7);
  g_assert_cmpstr (cJSON_GetObjectItem (last, "device")->valuestring, ==, audit_device_id (f->audit));
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_assert_cmpint (verify (&f->root, none, NULL), ==, AUDIT_FAULT_EMPTY);
}

static void
replace_line (GPtrArray *lines, guint i, char *line)
{
  g_free (lines->pdata[i]);
  lines->pdata[i] = line;
}

static char *
edit (const char *line, const char *from, const char *to)
{
  g_autoptr (GString) s = g_string_new (line);
  g_assert_nonnull (strstr (line, from));
  g_string_replace (s, from, to, 1);
  return g_strdup (s->str);
}

static void
test_tampering (Fixture *f, gconstpointer data)
{
  fill (f, 6);
  gint64 seq = 0;
  {
    g_autoptr (GPtrArray) lines = lines_of (f);
    replace_line (lines, 3, edit (lines->pdata[3], "\"allow\"", "\"block\""));
    g_assert_cmpint (verify (&f->root, lines, &seq), ==, AUDIT_FAULT_EDITED);
    g_assert_cmpint (seq, ==, 4);
  }
  {
    g_autoptr (GPtrArray) lines = lines_of (f);
    g_ptr_array_remove_index (lines, 4);
    g_assert_cmpint (verify (&f->root, lines, &seq), ==, AUDIT_FAULT_MISSING);
    g_assert_cmpint (seq, ==, 5);
  }
  {
    g_autoptr (GPtrArray) lines = lines_of (f);
    gpointer tmp = lines->pdata[2];
    lines->pdata[2] = lines->pdata[3];
    lines->pdata[3] = tmp;
    g_assert_cmpint (verify (&f->root, lines, &seq), ==, AUDIT_FAULT_ORDER);
    g_assert_cmpint (seq, ==, 4);
  }
  {
    g_autoptr (GPtrArray) lines = lines_of (f);
    g_ptr_array_insert (lines, 3, g_strdup (lines->pdata[2]));
    g_assert_cmpint (verify (&f->root, lines, &seq), ==, AUDIT_FAULT_DUPLICATE);
    g_assert_cmpint (seq, ==, 3);
  }
  {
    g_autoptr (GPtrArray) lines = lines_of (f);
    SignPublicKey other;
    g_autoptr (SignSecretKey) sk = sign_secret_key_generate (&other);
    g_assert_cmpint (verify (&other, lines, &seq), ==, AUDIT_FAULT_KEY);
    g_assert_cmpint (seq, ==, 1);
  }
  {
    g_autoptr (GPtrArray) lines = lines_of (f);
    replace_line (lines, 5, g_strdup ("{\"v\":1,\"seq\":6}"));
    g_assert_cmpint (verify (&f->root, lines, NULL), ==, AUDIT_FAULT_MALFORMED);
  }
}

/* The current epoch's key as an attacker who copied the store would read it. */
static SignSecretKey *
steal_epoch_key (Fixture *f, guint64 *epoch)
{
  guint8 blob[16 + SIGN_SECRET_BLOB_BYTES];
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (store_setting_read (f->store, "audit.epoch_key", blob, sizeof blob, &len, &error));
  g_assert_cmpuint (len, ==, sizeof blob);
  memcpy (epoch, blob, 8);
  *epoch = GUINT64_FROM_LE (*epoch);
  SignSecretKey *sk = sign_secret_key_from_bytes (blob + 16, SIGN_SECRET_BLOB_BYTES, &error);
  g_assert_no_error (error);
  sodium_memzero (blob, sizeof blob);
  return sk;
}

/* A record as the writer would make it, at the given place in the chain. */
static char *
forge (const SignSecretKey *sk, const char *claimed_key, guint64 epoch, gint64 seq, const char *time,
       const char *prev)
{
  g_autoptr (cJSON) r = cJSON_CreateObject ();
  cJSON_AddNumberToObject (r, "v", 1);
  cJSON_AddNumberToObject (r, "seq", (double) seq);
  cJSON_AddStringToObject (r, "id", "forged000000000000000000");
  cJSON_AddStringToObject (r, "time", time);
  cJSON_AddStringToObject (r, "device", "x");
  cJSON_AddStringToObject (r, "user", "someone");
  cJSON_AddStringToObject (r, "event", "verdict");
  cJSON_AddStringToObject (r, "verdict", "allow");
  cJSON_AddNumberToObject (r, "epoch", (double) epoch);
  cJSON_AddStringToObject (r, "key", claimed_key);
  cJSON_AddStringToObject (r, "prev", prev);
  g_autofree char *text = cJSON_PrintUnformatted (r);
  return audit_record_seal (sk, text);
}

static gboolean
file_contains (const char *path, const guint8 *needle, gsize n)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  return len >= n && memmem (data, len, needle, n) != NULL;
}

static void
test_forward_security (Fixture *f, gconstpointer data)
{
  audit_set_epoch_seconds (f->audit, 1);
  guint64 epoch = 0;
  g_autoptr (SignSecretKey) first = steal_epoch_key (f, &epoch);
  guint8 *first_secret = sign_secret_key_to_bytes (first);
  fill (f, 2);
  g_usleep (1100 * 1000);
  fill (f, 2);  /* the first of these starts epoch 1 */
  g_usleep (1100 * 1000);
  fill (f, 2);
  g_autoptr (GPtrArray) lines = lines_of (f);
  AuditReport report;
  g_assert_true (audit_verify_lines (&f->root, lines, &report));
  g_assert_cmpuint (report.epochs, ==, 2);
  audit_report_clear (&report);

  /* The erased root secret is gone from the database file and its WAL. */
  g_autofree char *wal = g_strconcat (f->db, "-wal", NULL);
  g_assert_false (file_contains (f->db, first_secret + 10, 64));
  g_assert_false (file_contains (wal, first_secret + 10, 64));
  sodium_free (first_secret);

  g_autoptr (SignSecretKey) sk = steal_epoch_key (f, &epoch);
  g_assert_cmpuint (epoch, ==, 2);
  g_autofree char *key = sign_key_id_hex (sign_secret_key_id (sk));
  g_autoptr (cJSON) rec1 = cJSON_Parse (lines->pdata[1]);  /* dated in epoch 0 */
  const char *early = cJSON_GetObjectItem (rec1, "time")->valuestring;
  char head[AUDIT_HASH_HEX];
  audit_record_hash (lines->pdata[lines->len - 1], strlen (lines->pdata[lines->len - 1]), head);

  /* Appended at the end, dated in epoch 0, signed with the stolen key. */
  g_ptr_array_add (lines, forge (sk, key, 2, lines->len + 1, early, head));
  gint64 seq = 0;
  g_assert_cmpint (verify (&f->root, lines, &seq), ==, AUDIT_FAULT_FORGED);
  g_assert_cmpint (seq, ==, lines->len);
  g_ptr_array_set_size (lines, lines->len - 1);

  /* Slipped into epoch 0 in place of a record: the stolen key is not epoch 0's, and
   * claiming epoch 0's key id does not make the signature epoch 0's. */
  g_autoptr (cJSON) rec2 = cJSON_Parse (lines->pdata[2]);
  const char *prev = cJSON_GetObjectItem (rec2, "prev")->valuestring;
  const char *key0 = cJSON_GetObjectItem (rec2, "key")->valuestring;
  g_autoptr (GPtrArray) copy = lines_of (f);
  replace_line (copy, 2, forge (sk, key, 0, 3, early, prev));
  g_assert_cmpint (verify (&f->root, copy, NULL), ==, AUDIT_FAULT_KEY);
  replace_line (copy, 2, forge (sk, key0, 0, 3, early, prev));
  g_assert_cmpint (verify (&f->root, copy, NULL), ==, AUDIT_FAULT_EDITED);
}

typedef struct {
  const char *db;
  int count;
} Writer;

static gpointer
writer_run (gpointer data)
{
  Writer *w = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (w->db, &error);
  g_assert_no_error (error);
  g_autoptr (Audit) audit = audit_new (store, &error);
  g_assert_no_error (error);
  for (int i = 0; i < w->count; i++)
    {
      g_autofree char *id = audit_append (audit, "verdict", NULL, &error);
      g_assert_no_error (error);
    }
  return NULL;
}

/* Two processes' worth of connections appending at once never fork the chain. */
static void
test_concurrent_writers (Fixture *f, gconstpointer data)
{
  Writer w = { f->db, 150 };
  GThread *a = g_thread_new ("a", writer_run, &w);
  GThread *b = g_thread_new ("b", writer_run, &w);
  g_thread_join (a);
  g_thread_join (b);
  g_autoptr (GPtrArray) lines = lines_of (f);
  g_assert_cmpuint (lines->len, ==, 301);
  g_assert_cmpint (verify (&f->root, lines, NULL), ==, AUDIT_FAULT_NONE);
}

/* Two writers taking turns, each remembering its own last head: every turn must
 * link to the other's record, not to its own last one. */
static void
test_interleaved_writers (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (f->db, &error);
  g_autoptr (Audit) other = audit_new (store, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 5; i++)
    {
      g_free (append (f, "verdict", "allow"));
      g_free (append (f, "verdict", "warn"));
      g_autofree char *id = audit_append (other, "verdict", NULL, &error);
      g_assert_no_error (error);
    }
  g_autoptr (GPtrArray) lines = lines_of (f);
  g_assert_cmpuint (lines->len, ==, 16);
  g_assert_cmpint (verify (&f->root, lines, NULL), ==, AUDIT_FAULT_NONE);
}

/* Records reach a journal socket as native-protocol datagrams. */
static void
test_journal (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "journal.sock", NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  int fd = socket (AF_UNIX, SOCK_DGRAM, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_setenv ("WEIR_AUDIT_SHIP", "journal", TRUE);
  g_setenv ("WEIR_AUDIT_JOURNAL_SOCKET", path, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (Audit) audit = audit_new (f->store, &error);
  g_setenv ("WEIR_AUDIT_SHIP", "off", TRUE);
  g_autofree char *id = append (f, "verdict", "warn");  /* f->audit does not ship */
  g_free (id);
  g_autoptr (cJSON) fields = cJSON_CreateObject ();
  cJSON_AddStringToObject (fields, "verdict", "block");
  cJSON_AddStringToObject (fields, "origin", "https://a.example/\nWEIR_EVENT=forged");
  id = audit_append (audit, "verdict", fields, &error);
  g_assert_no_error (error);
  char buf[8192];
  ssize_t n = recv (fd, buf, sizeof buf - 1, MSG_DONTWAIT);
  g_assert_cmpint (n, >, 0);
  buf[n] = '\0';
  g_autoptr (GPtrArray) lines = lines_of (f);
  g_autofree char *message = g_strdup_printf ("MESSAGE=%s\n", (char *) lines->pdata[lines->len - 1]);
  g_assert_true (g_str_has_prefix (buf, message));
  g_assert_nonnull (strstr (buf, "\nWEIR_EVENT=verdict\n"));
  g_assert_nonnull (strstr (buf, "\nPRIORITY=4\n"));
  g_assert_nonnull (strstr (buf, "\nSYSLOG_IDENTIFIER=weir-audit\n"));
  /* An origin with a newline travels in the binary form, so it cannot add a field. */
  g_assert_nonnull (strstr (buf, "\nWEIR_ORIGIN\n"));
  g_assert_null (strstr (buf, "\nWEIR_EVENT=forged"));
  close (fd);
  g_unsetenv ("WEIR_AUDIT_JOURNAL_SOCKET");
}

/* ---- a clock that runs ahead, then is put right (issue 22) ---- */

static gint64
test_clock (gpointer data)
{
  return *(const gint64 *) data;
}

static gint64
record_time (const char *line)
{
  g_autoptr (cJSON) json = cJSON_Parse (line);
  gint64 us = 0;
  g_assert_true (audit_time_parse (cJSON_GetObjectItem (json, "time")->valuestring, &us));
  return us;
}

static const char *
record_event (const cJSON *json)
{
  return cJSON_GetObjectItem (json, "event")->valuestring;
}

/* One jump of ten days ahead (a bad NTP answer), then the clock is right again: the
 * chain records the step, dates later records by the clock, and rotates the key on
 * schedule; the whole chain verifies and verify names the step. */
static void
test_clock_jump (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time ();
  const gint64 hour = (gint64) 3600 * G_USEC_PER_SEC, day = 24 * hour;
  audit_set_clock (f->audit, test_clock, &now);
  audit_set_epoch_seconds (f->audit, 3600);
  g_free (append (f, "verdict", "allow"));
  now += 10 * day;
  g_free (append (f, "verdict", "allow"));
  now += 5 * G_USEC_PER_SEC;
  g_free (append (f, "verdict", "allow"));
  gint64 real = now - 10 * day + G_USEC_PER_SEC;
  now = real;
  g_free (append (f, "verdict", "warn"));
  g_autoptr (GPtrArray) lines = lines_of (f);
  g_autoptr (cJSON) step = cJSON_Parse (lines->pdata[lines->len - 2]);
  g_assert_cmpstr (record_event (step), ==, "key-epoch");
  g_assert_nonnull (cJSON_GetObjectItem (step, "clock_back_from"));
  g_assert_cmpint (record_time (lines->pdata[lines->len - 1]), ==, real);
  guint epochs_before = 0;
  for (guint i = 0; i < lines->len; i++)
    {
      g_autoptr (cJSON) json = cJSON_Parse (lines->pdata[i]);
      epochs_before += strcmp (record_event (json), "key-epoch") == 0;
    }

  /* An hour on, the key evolves again, by the real clock's schedule. */
  now += hour + G_USEC_PER_SEC;
  g_free (append (f, "verdict", "allow"));
  g_autoptr (GPtrArray) after = lines_of (f);
  g_autoptr (cJSON) rotated = cJSON_Parse (after->pdata[after->len - 2]);
  g_assert_cmpstr (record_event (rotated), ==, "key-epoch");
  g_assert_cmpuint (after->len, ==, lines->len + 2);
  g_assert_cmpint (record_time (after->pdata[after->len - 1]), ==, now);

  AuditReport report;
  g_assert_true (audit_verify_lines (&f->root, after, &report));
  g_assert_cmpuint (report.notes->len, ==, 1);
  g_assert_nonnull (strstr (report.notes->pdata[0], "the clock stepped back"));
  g_assert_cmpuint (report.epochs, ==, epochs_before);  /* root, the jump's, the step's, then +1 */
  audit_report_clear (&report);

  /* A step the chain did not record is still refused: a later record dated back. */
  g_autoptr (GPtrArray) forged = lines_of (f);
  g_autofree char *from = g_strdup_printf ("\"clock_back_from\":");
  replace_line (forged, lines->len - 2, edit (forged->pdata[lines->len - 2], from, "\"clock_back_frum\":"));
  g_assert_cmpint (verify (&f->root, forged, NULL), !=, AUDIT_FAULT_NONE);

  /* Retention later removes everything around the step but the key-epoch records:
   * both ways of verifying still hold. */
  now += 30 * day;
  g_autoptr (GError) error = NULL;
  AuditRetention r = { 1, 0, FALSE };
  AuditPruneResult done;
  g_assert_true (audit_prune (f->audit, &r, FALSE, &done, &error));
  g_assert_cmpint (done.removed, >, 0);
  g_autoptr (GPtrArray) pruned = lines_of (f);
  g_assert_cmpint (verify (&f->root, pruned, NULL), ==, AUDIT_FAULT_NONE);
  g_assert_true (audit_verify_lines_from (&f->root, pruned, AUDIT_VERIFY_FROM_CHECKPOINT, &report));
  audit_report_clear (&report);
}

/* Retention by age, with the clock moved on 100 days: the old records go (but the
 * key-epoch record), a checkpoint seals them, and both ways of verifying hold. */
static void
test_retention_age (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();
  audit_set_clock (f->audit, test_clock, &now);
  fill (f, 5);
  now += (gint64) 100 * 24 * 3600 * G_USEC_PER_SEC;
  fill (f, 3);
  AuditRetention r = { 90, 0, FALSE };
  AuditPruneResult done;
  g_assert_true (audit_prune (f->audit, &r, FALSE, &done, &error));
  g_assert_no_error (error);
  g_assert_cmpint (done.pruned_to, ==, 6);
  g_assert_cmpint (done.removed, ==, 5);
  g_assert_cmpint (done.checkpoint, ==, 11);
  g_autoptr (GPtrArray) lines = lines_of (f);
  g_assert_cmpuint (lines->len, ==, 6);  /* the root's key-epoch, the new epoch's, three, the checkpoint */
  g_assert_cmpint (verify (&f->root, lines, NULL), ==, AUDIT_FAULT_NONE);
  g_autoptr (GPtrArray) quick = audit_store_lines_to_verify (f->store, FALSE, &error);
  AuditReport report;
  g_assert_true (audit_verify_lines_from (&f->root, quick, AUDIT_VERIFY_FROM_CHECKPOINT, &report));
  g_assert_cmpint (report.records, ==, 1);
  g_assert_cmpint (report.head_seq, ==, 11);
  audit_report_clear (&report);
  /* The database itself refuses a delete past what a checkpoint sealed. */
  gint64 removed = 0;
  g_autoptr (GError) refused = NULL;
  g_assert_false (store_audit_prune (f->store, 6, 9, &removed, &refused));
  g_assert_nonnull (strstr (refused->message, "append-only"));
  g_clear_error (&refused);
  g_assert_true (store_audit_begin (f->store, &refused));
  g_assert_true (store_audit_prune (f->store, 0, 6, &removed, &refused));
  g_assert_cmpint (removed, ==, 0);  /* 2-6 are gone; 1, the root key-epoch record, stays */
  store_audit_rollback (f->store);

  /* Nothing more is due: a second run writes nothing. */
  g_assert_true (audit_prune (f->audit, &r, FALSE, &done, &error));
  g_assert_cmpint (done.checkpoint, ==, 0);
  /* Without the checkpoint the kept records do not verify: the pruned ones are missing. */
  g_ptr_array_remove_index (lines, lines->len - 1);
  g_assert_cmpint (verify (&f->root, lines, NULL), ==, AUDIT_FAULT_MISSING);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/audit/chain", Fixture, NULL, setup, test_chain, teardown);
  g_test_add ("/audit/tampering", Fixture, NULL, setup, test_tampering, teardown);
  g_test_add ("/audit/forward-security", Fixture, NULL, setup, test_forward_security, teardown);
  g_test_add ("/audit/concurrent-writers", Fixture, NULL, setup, test_concurrent_writers, teardown);
  g_test_add ("/audit/interleaved-writers", Fixture, NULL, setup, test_interleaved_writers, teardown);
  g_test_add ("/audit/journal", Fixture, NULL, setup, test_journal, teardown);
  g_test_add ("/audit/clock-jump", Fixture, NULL, setup, test_clock_jump, teardown);
  g_test_add ("/audit/retention-age", Fixture, NULL, setup, test_retention_age, teardown);
  return g_test_run ();
}
