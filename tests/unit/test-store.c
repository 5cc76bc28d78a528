/* The encrypted store through its API: round trips across checkpoints, no plaintext
 * on disk, every flipped byte caught, foreign stores and bad keys refused, and the WAL
 * sealed without breaking crash recovery. Real SQLite, real files, real libsodium. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/vfs.h"
#include "weir-config.h"
#include "weir-error.h"

#define CANARY "weir-canary-7f3a9c"
#define FRAME (24 + STORE_PAGE_SIZE)

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("weir-store-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->path = g_build_filename (f->dir, "weir.db", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static Store *
open_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  Store *store = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
append (Store *store, int i, const char *extra)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("rec-%06d", i);
  g_autofree char *record = g_strdup_printf ("{\"n\":%d,\"text\":\"%s\"}", i, extra);
  g_assert_true (store_audit_append (store, id, record, NULL, &error));
  g_assert_no_error (error);
}

static void
append_many (Store *store, int from, int to, const char *extra)
{
  for (int i = from; i < to; i++)
    append (store, i, extra);
}

static gboolean
expect_sequence (gint64 seq, const char *id, const char *record, gpointer data)
{
  int *next = data;
  g_autofree char *want = g_strdup_printf ("rec-%06d", *next);
  g_assert_cmpstr (id, ==, want);
  (*next)++;
  return TRUE;
}

static void
flip_byte (const char *path, gint64 offset)
{
  FILE *file = fopen (path, "r+b");
  g_assert_nonnull (file);
  g_assert_cmpint (fseek (file, (long) offset, SEEK_SET), ==, 0);
  int c = fgetc (file);
  g_assert_cmpint (c, !=, EOF);
  g_assert_cmpint (fseek (file, (long) offset, SEEK_SET), ==, 0);
  fputc (c ^ 0x20, file);
  g_assert_cmpint (fclose (file), ==, 0);
}

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  g_assert_true (g_file_set_contents_full (to, data, (gssize) len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static gint64
size_of (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? st.st_size : -1;
}

/* Thousands of records: the WAL checkpoints into the file more than once; all read back. */
static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autofree char *filler = g_strnfill (1200, 'x');
  g_autoptr (GBytes) value = g_bytes_new_static (CANARY CANARY CANARY, 3 * strlen (CANARY));
  {
    g_autoptr (Store) store = open_ok (f->path);
    g_autoptr (GError) error = NULL;
    g_assert_true (store_setting_set (store, "probe", value, &error));
    append_many (store, 0, 4000, filler);
  }
  g_assert_cmpint (size_of (f->path), >, 1000 * STORE_PAGE_SIZE);
  g_autoptr (Store) store = open_ok (f->path);
  g_autoptr (GError) error = NULL;
  int next = 0;
  g_assert_true (store_audit_foreach (store, expect_sequence, &next, &error));
  g_assert_cmpint (next, ==, 4000);
  g_autoptr (GBytes) got = NULL;
  g_assert_true (store_setting_get (store, "probe", &got, &error));
  g_assert_true (g_bytes_equal (got, value));
  StoreCheck check;
  g_assert_true (store_check (store, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check.pages, >, 1000);
}

/* 1 if any file in dir holds needle. */
static gboolean
dir_contains (const char *dir, const char *needle)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean found = FALSE;
  while (!found && d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      if (g_file_get_contents (path, &data, &len, NULL))
        found = g_strstr_len (data, (gssize) len, needle) != NULL || memmem (data, len, needle, strlen (needle));
    }
  return found;
}

static void
write_canaries (Store *store)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_strnfill (20000, 'c');
  memcpy (big + 9000, CANARY, strlen (CANARY));  /* on an overflow page */
  g_autoptr (GBytes) value = g_bytes_new (big, strlen (big));
  g_assert_true (store_setting_set (store, "pack.name", value, &error));
  append_many (store, 0, 50, "https://" CANARY ".example " CANARY);
}

/* Nothing written reaches the disk in clear, while the store is open (WAL, shm) and
 * after. The same writes to an unsealed store do, which shows the search works. */
static void
test_no_plaintext (Fixture *f, gconstpointer data)
{
  {
    g_autoptr (Store) store = open_ok (f->path);
    write_canaries (store);
    g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
    g_assert_cmpint (size_of (wal), >, 0);
    g_assert_false (dir_contains (f->dir, CANARY));
  }
  g_assert_false (dir_contains (f->dir, CANARY));

  g_autofree char *plain_dir = g_build_filename (f->dir, "plain", NULL);
  g_autofree char *plain = g_build_filename (plain_dir, "weir.db", NULL);
  g_assert_cmpint (g_mkdir (plain_dir, 0700), ==, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open_full (plain, NULL, STORE_OPEN_UNSEALED_FOR_BENCH, &error);
  g_assert_no_error (error);
  write_canaries (store);
  g_assert_true (dir_contains (plain_dir, CANARY));
}

/* A byte flipped anywhere in any page: the store is refused, naming that page. */
static void
test_every_flip_caught (Fixture *f, gconstpointer data)
{
  {
    g_autoptr (Store) store = open_ok (f->path);
    append_many (store, 0, 60, "some text to fill a few pages with records");
  }
  g_autofree char *pristine = g_strconcat (f->path, ".orig", NULL);
  copy_file (f->path, pristine);
  gint64 pages = size_of (f->path) / STORE_PAGE_SIZE;
  g_assert_cmpint (pages, >=, 3);
  const gint64 offsets[] = { 0, 15, 16, 21, 99, 100, 2048, STORE_PAGE_SIZE - 41,
                             STORE_PAGE_SIZE - 40, STORE_PAGE_SIZE - 17, STORE_PAGE_SIZE - 1 };
  for (gint64 page = 1; page <= pages; page++)
    for (gsize i = 0; i < G_N_ELEMENTS (offsets); i++)
      {
        copy_file (pristine, f->path);
        flip_byte (f->path, (page - 1) * STORE_PAGE_SIZE + offsets[i]);
        g_autoptr (GError) error = NULL;
        g_autoptr (Store) store = store_open (f->path, &error);
        g_assert_null (store);
        g_assert_nonnull (error);
        g_autofree char *page_name = g_strdup_printf ("page %" G_GINT64_FORMAT " ", page);
        if (page == 1 && offsets[i] < STORE_SALT_BYTES)
          g_assert_error (error, WEIR_ERROR, WEIR_ERROR_REFUSED);
        else
          g_assert_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED);
        g_assert_nonnull (strstr (error->message, page_name));
      }
  copy_file (pristine, f->path);
  g_autoptr (Store) store = open_ok (f->path);
  g_assert_cmpint (store_audit_count (store, NULL), ==, 60);
}

typedef struct {
  const char *path;
  char *page;    /* page 1 as it was written */
  int pauses;    /* pauses before page 1 was read again */
} Settle;

static void
put_first_page_back (guint32 pgno, gpointer data)
{
  Settle *s = data;
  if (pgno != 1 || s->pauses++ > 0)
    return;
  FILE *file = fopen (s->path, "r+b");
  g_assert_nonnull (file);
  g_assert_cmpuint (fwrite (s->page, 1, STORE_PAGE_SIZE, file), ==, STORE_PAGE_SIZE);
  g_assert_cmpint (fclose (file), ==, 0);
}

/* Page 1 read while another process's checkpoint writes it (SQLite reads the header
 * before it takes any lock; this machine's files show a torn 4 KiB page in 2% of the
 * reads made while one is written over and over) fails at first and authenticates when
 * it is read again: the store opens. The page is damaged before the open and put back
 * at the first pause, as a checkpoint's write ends. */
static void
test_torn_first_page_settles (Fixture *f, gconstpointer data)
{
  {
    g_autoptr (Store) store = open_ok (f->path);
    append_many (store, 0, 40, "records to read back");
  }
  Settle settle = { .path = f->path };
  gsize len = 0;
  g_assert_true (g_file_get_contents (f->path, &settle.page, &len, NULL));
  g_assert_cmpuint (len, >=, STORE_PAGE_SIZE);
  flip_byte (f->path, 2048);
  store_vfs_on_settle (put_first_page_back, &settle);
  g_autoptr (Store) store = open_ok (f->path);
  store_vfs_on_settle (NULL, NULL);
  g_assert_cmpint (settle.pauses, >=, 1);
  int next = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (store_audit_foreach (store, expect_sequence, &next, &error));
  g_assert_cmpint (next, ==, 40);
  g_free (settle.page);
}

static void
assert_refused (const char *path, int code, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, WEIR_ERROR, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" lacks \"%s\"", error->message, fragment);
  g_assert_null (strchr (error->message, '\n'));
}

/* Another device's store, a missing, exposed or damaged key: one clear line each. */
static void
test_keys_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *other_dir = g_build_filename (f->dir, "other", NULL);
  g_autofree char *other = g_build_filename (other_dir, "weir.db", NULL);
  g_autofree char *key = g_build_filename (f->dir, "store.key", NULL);
  g_assert_cmpint (g_mkdir (other_dir, 0700), ==, 0);
  store_close (open_ok (f->path));
  store_close (open_ok (other));
  g_assert_cmpint (size_of (key), ==, 136);
  struct stat st;
  g_assert_cmpint (stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_autofree char *saved = g_strconcat (f->path, ".mine", NULL);
  copy_file (f->path, saved);
  copy_file (other, f->path);
  assert_refused (f->path, WEIR_ERROR_REFUSED, "not made with this device's store key");
  copy_file (saved, f->path);

  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  assert_refused (f->path, WEIR_ERROR_REFUSED, "readable by other users");
  g_assert_cmpint (g_chmod (key, 0600), ==, 0);

  g_autofree char *key_saved = g_strconcat (key, ".saved", NULL);
  copy_file (key, key_saved);
  flip_byte (key, 100);
  assert_refused (f->path, WEIR_ERROR_TAMPERED, "damaged or was tampered with");
  g_assert_cmpint (g_unlink (key), ==, 0);
  assert_refused (f->path, WEIR_ERROR_REFUSED, "is missing");
  g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
  copy_file (key_saved, key);
  store_close (open_ok (f->path));
}

static void
set_byte (const char *path, gint64 offset, int value)
{
  FILE *file = fopen (path, "r+b");
  g_assert_nonnull (file);
  g_assert_cmpint (fseek (file, (long) offset, SEEK_SET), ==, 0);
  fputc (value, file);
  g_assert_cmpint (fclose (file), ==, 0);
}

/* The wrap kind byte (offset 24): a key file that says "keyring" needs the keyring and
 * is refused in one line without one, never tried with the key in the file; an unknown
 * kind is refused as such. Runs without a session bus: tests/store/test-keyring.py has
 * the real keyring. */
static void
test_key_wrap_kinds (Fixture *f, gconstpointer data)
{
  g_autofree char *key = g_build_filename (f->dir, "store.key", NULL);
  store_close (open_ok (f->path));
  set_byte (key, 24, 2);
  g_setenv ("WEIR_KEYRING", "off", TRUE);
  assert_refused (f->path, WEIR_ERROR_STORE, "WEIR_KEYRING=off forbids asking it");
  g_setenv ("WEIR_KEYRING", "auto", TRUE);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
#if WEIR_HAVE_LIBSECRET
  assert_refused (f->path, WEIR_ERROR_STORE,
                  "wrapped by the desktop keyring, which is locked or not running: no session bus");
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  assert_refused (f->path, WEIR_ERROR_STORE, "no session bus (DBUS_SESSION_BUS_ADDRESS is disabled:)");
#else
  /* Built without libsecret: that, not the missing bus, is why the keyring is not asked. */
  assert_refused (f->path, WEIR_ERROR_STORE,
                  "wrapped by the desktop keyring, which is locked or not running: this Weir was built without libsecret");
#endif
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  set_byte (key, 24, 3);
  assert_refused (f->path, WEIR_ERROR_REFUSED, "not a Weir store key this version can use");
  set_byte (key, 24, 1);
  g_setenv ("WEIR_KEYRING", "off", TRUE);
  store_close (open_ok (f->path));
}

/* A store from before the encryption (plain SQLite) is named as such, not misread. */
static void
test_plaintext_refused (Fixture *f, gconstpointer data)
{
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (Store) plain = store_open_full (f->path, NULL, STORE_OPEN_UNSEALED_FOR_BENCH, &error);
    g_assert_no_error (error);
    append (plain, 1, "plaintext");
  }
  assert_refused (f->path, WEIR_ERROR_REFUSED, "is not encrypted");
}

/* Garbage and truncation: refused with an error, never a crash. */
static void
test_garbage_refused (Fixture *f, gconstpointer data)
{
  store_close (open_ok (f->path));
  g_autofree char *noise = g_malloc (3 * STORE_PAGE_SIZE);
  for (gsize i = 0; i < 3 * STORE_PAGE_SIZE; i++)
    noise[i] = (char) g_random_int ();
  g_assert_true (g_file_set_contents (f->path, noise, 3 * STORE_PAGE_SIZE, NULL));
  assert_refused (f->path, WEIR_ERROR_REFUSED, "not made with this device's store key");

  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_unlink (f->path);
  {
    g_autoptr (Store) store = open_ok (f->path);
    append_many (store, 0, 30, "enough for a few pages");
  }
  g_autofree char *whole = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (f->path, &whole, &len, NULL));
  g_assert_true (g_file_set_contents (f->path, whole, STORE_PAGE_SIZE + 100, NULL));
  assert_refused (f->path, WEIR_ERROR_TAMPERED, "page 2 ");
  g_assert_true (g_file_set_contents (f->path, whole, 10, NULL));
  assert_refused (f->path, WEIR_ERROR_TAMPERED, "page 1 ");
}

/* Data-page offset of WAL frame k (0-based). */
static gint64
frame_data (gint64 k)
{
  return 32 + k * FRAME + 24;
}

/* A WAL frame tampered with while the store is open: the next reader sees an error
 * naming the page, never the altered bytes. */
static void
test_wal_tamper_seen (Fixture *f, gconstpointer data)
{
  g_autoptr (Store) writer = open_ok (f->path);
  append_many (writer, 0, 40, "records that stay in the WAL");
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  gint64 frames = (size_of (wal) - 32) / FRAME;
  g_assert_cmpint (frames, >, 4);
  flip_byte (wal, frame_data (frames - 1) + 300);

  g_autoptr (Store) reader = open_ok (f->path);
  g_autoptr (GError) error = NULL;
  int next = 0;
  StoreCheck check;
  gboolean read = store_audit_foreach (reader, expect_sequence, &next, &error)
                  && store_check (reader, &check, &error);
  g_assert_false (read);
  g_assert_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED);
  g_assert_nonnull (strstr (error->message, "in the WAL"));
}

/* What a crash leaves (file and WAL, no shared memory), copied aside and reopened. */
static char *
crash_copy (Fixture *f, const char *name)
{
  g_autofree char *dir = g_build_filename (f->dir, name, NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  const char *const files[] = { "weir.db", "weir.db-wal", "store.key" };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (f->dir, files[i], NULL);
      g_autofree char *to = g_build_filename (dir, files[i], NULL);
      copy_file (from, to);
    }
  return g_build_filename (dir, "weir.db", NULL);
}

/* Recovery still works through the seal: a damaged last frame is a torn write (the
 * last transaction is dropped, the rest is there); a damaged frame followed by good
 * ones is tampering and refused. */
static void
test_wal_recovery (Fixture *f, gconstpointer data)
{
  g_autoptr (Store) writer = open_ok (f->path);
  append_many (writer, 0, 30, "records in the WAL at the crash");
  g_autofree char *intact = crash_copy (f, "intact");
  g_autofree char *torn = crash_copy (f, "torn");
  g_autofree char *middle = crash_copy (f, "middle");
  g_autofree char *torn_wal = g_strconcat (torn, "-wal", NULL);
  g_autofree char *middle_wal = g_strconcat (middle, "-wal", NULL);
  gint64 frames = (size_of (torn_wal) - 32) / FRAME;
  flip_byte (torn_wal, frame_data (frames - 1) + 10);
  flip_byte (middle_wal, frame_data (frames / 2) + 10);

  g_autoptr (Store) a = open_ok (intact);
  g_assert_cmpint (store_audit_count (a, NULL), ==, 30);
  g_autoptr (Store) b = open_ok (torn);
  g_assert_cmpint (store_audit_count (b, NULL), ==, 29);
  g_autoptr (GError) error = NULL;
  StoreCheck check;
  g_assert_true (store_check (b, &check, &error));
  g_assert_no_error (error);
  assert_refused (middle, WEIR_ERROR_TAMPERED, "in the WAL");
}

/* Commits never checkpoint (that would delay a verdict); store_maintain() does, once the
 * WAL has passed the threshold, and the store reads back whole after it. */
static void
test_checkpoint_off_commit_path (Fixture *f, gconstpointer data)
{
  g_autoptr (Store) store = open_ok (f->path);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *filler = g_strnfill (3000, 'x');
  g_assert_false (store_maintain (store));
  append_many (store, 0, 1100, filler);
  GStatBuf st;
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  /* Over 1000 pages of 4 KiB: SQLite's own auto-checkpoint would have reset it by now. */
  g_assert_cmpint (st.st_size, >, 1000 * 4096);
  g_assert_true (store_maintain (store));
  g_assert_false (store_maintain (store));
  append_many (store, 1100, 1110, filler);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (store_audit_count (store, &error), ==, 1110);
  StoreCheck check;
  g_assert_true (store_check (store, &check, &error));
  g_assert_no_error (error);
}

/* Opened for a host (STORE_OPEN_DEFER_CHECK), a store with a damaged page that no query
 * reads opens and is written to, and its walk, a slice at a time, then names the page,
 * as a plain open does at once. Records are appended in id order, so the old records'
 * pages in the middle of the file are never read again; a candidate page that a query
 * did read (an interior page) is skipped for the next. */
static void
test_deferred_check (Fixture *f, gconstpointer data)
{
  {
    g_autoptr (Store) store = open_ok (f->path);
    g_autofree char *filler = g_strnfill (300, 'x');
    append_many (store, 0, 1500, filler);
  }
  g_autofree char *pristine = g_strconcat (f->path, ".orig", NULL);
  copy_file (f->path, pristine);
  gint64 pages = size_of (f->path) / STORE_PAGE_SIZE;
  g_assert_cmpint (pages, >, 64);
  gboolean caught = FALSE;
  for (gint64 page = pages / 2; !caught && page < pages / 2 + 10; page++)
    {
      copy_file (pristine, f->path);
      flip_byte (f->path, (page - 1) * STORE_PAGE_SIZE + 2048);
      g_autofree char *page_name = g_strdup_printf ("page %" G_GINT64_FORMAT " ", page);
      g_autoptr (GError) error = NULL;
      g_autoptr (Store) refused = store_open (f->path, &error);
      g_assert_null (refused);
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED);
      g_assert_nonnull (strstr (error->message, page_name));
      g_clear_error (&error);

      g_autoptr (Store) store = store_open_full (f->path, NULL, STORE_OPEN_DEFER_CHECK, &error);
      g_assert_no_error (error);
      g_assert_true (store_check_pending (store));
      g_autofree char *id = g_strdup_printf ("late-%" G_GINT64_FORMAT, page);
      if (!store_audit_append (store, id, "{\"n\":-1}", NULL, &error))
        {
          g_test_message ("page %" G_GINT64_FORMAT " is read by an append: %s", page, error->message);
          continue;
        }
      guint steps = 0;
      while (store_check_pending (store) && store_check_step (store, 16, &error))
        steps++;
      g_assert_error (error, WEIR_ERROR, WEIR_ERROR_TAMPERED);
      g_assert_nonnull (strstr (error->message, page_name));
      g_assert_cmpuint (steps, ==, (guint) ((page - 1) / 16));  /* slices of 16 pages before its own */
      g_assert_false (store_check_pending (store));
      caught = TRUE;
    }
  g_assert_true (caught);

  /* Pristine: the walk ends without a word, and the store was usable all along. */
  copy_file (pristine, f->path);
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = store_open_full (f->path, NULL, STORE_OPEN_DEFER_CHECK, &error);
  g_assert_no_error (error);
  g_assert_cmpint (store_audit_count (store, NULL), ==, 1500);
  while (store_check_pending (store))
    {
      g_assert_true (store_check_step (store, 100, &error));
      g_assert_no_error (error);
    }
  g_assert_true (store_check_step (store, 100, &error));
  g_clear_pointer (&store, store_close);

  /* The file shrunk by another process during the walk (as by a VACUUM): the pages
   * past its new end are gone, not damaged. */
  copy_file (pristine, f->path);
  store = store_open_full (f->path, NULL, STORE_OPEN_DEFER_CHECK, &error);
  g_assert_no_error (error);
  g_assert_true (store_check_step (store, 16, &error));
  g_assert_cmpint (truncate (f->path, (pages / 2) * STORE_PAGE_SIZE), ==, 0);
  while (store_check_pending (store))
    {
      g_assert_true (store_check_step (store, 16, &error));
      g_assert_no_error (error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/store/round-trip", test_round_trip);
  ADD ("/store/no-plaintext", test_no_plaintext);
  ADD ("/store/every-flip-caught", test_every_flip_caught);
  ADD ("/store/torn-first-page-settles", test_torn_first_page_settles);
  ADD ("/store/deferred-check", test_deferred_check);
  ADD ("/store/keys-refused", test_keys_refused);
  ADD ("/store/key-wrap-kinds", test_key_wrap_kinds);
  ADD ("/store/plaintext-refused", test_plaintext_refused);
  ADD ("/store/garbage-refused", test_garbage_refused);
  ADD ("/store/wal-tamper-seen", test_wal_tamper_seen);
  ADD ("/store/wal-recovery", test_wal_recovery);
  ADD ("/store/checkpoint-off-commit-path", test_checkpoint_off_commit_path);
  return g_test_run ();
}
