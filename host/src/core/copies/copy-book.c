#include "copy-book.h"

#include <sodium.h>
#include <string.h>

#include "store/store-copies.h"
#include "weir-error.h"

#define KEY_SETTING "copy-key"

typedef struct {
  double tokens;
  gint64 last;   /* unix seconds */
} Bucket;

struct CopyBook {
  Store *store;          /* borrowed; NULL: memory only */
  CopyMemory *mem;
  GHashTable *buckets;   /* origin -> Bucket* */
  Bucket all;            /* every origin together */
  gint64 keep_seconds;
  gint64 read_through;   /* the highest row id read from the store */
  gint64 read_at;        /* unix seconds of the last read */
};

const char *
copy_outcome_name (CopyOutcome outcome)
{
  switch (outcome)
    {
    case COPY_KEPT: return "kept";
    case COPY_TOO_SHORT: return "too-short";
    case COPY_RATE_LIMITED: return "rate-limited";
    }
  g_assert_not_reached ();
}

/* The device's k-gram key, made on first use. */
static gboolean
book_key (Store *store, guint8 key[WINNOW_KEY_BYTES], GError **error)
{
  g_autoptr (GBytes) stored = NULL;
  if (store != NULL && !store_setting_get (store, KEY_SETTING, &stored, error))
    return FALSE;
  if (stored != NULL && g_bytes_get_size (stored) == WINNOW_KEY_BYTES)
    {
      memcpy (key, g_bytes_get_data (stored, NULL), WINNOW_KEY_BYTES);
      return TRUE;
    }
  if (sodium_init () < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "copies: libsodium would not start");
      return FALSE;
    }
  randombytes_buf (key, WINNOW_KEY_BYTES);
  if (store == NULL)
    return TRUE;
  g_autoptr (GBytes) fresh = g_bytes_new (key, WINNOW_KEY_BYTES);
  return store_setting_set (store, KEY_SETTING, fresh, error);
}

typedef struct {
  CopyMemory *mem;
  guint skipped;
  gint64 last_id;
} LoadState;

/* A row's picks: 12 bytes each, the hash then the position, little-endian. */
static gboolean
load_row (const StoreCopy *copy, gpointer data)
{
  LoadState *state = data;
  state->last_id = MAX (state->last_id, copy->id);
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (copy->picks, &len);
  if (len % 12 != 0 || len / 12 > COPY_MEMORY_MAX_PICKS)
    {
      state->skipped++;
      return TRUE;
    }
  guint n = (guint) (len / 12);
  g_autofree WinnowPick *picks = g_new (WinnowPick, MAX (n, 1));
  for (guint i = 0; i < n; i++, p += 12)
    {
      guint64 h;
      guint32 pos;
      memcpy (&h, p, 8);
      memcpy (&pos, p + 8, 4);
      picks[i] = (WinnowPick) { GUINT64_FROM_LE (h), GUINT32_FROM_LE (pos) };
    }
  copy_memory_add (state->mem, copy->id, copy->source, copy->copied_at, copy->words, picks, n, TRUE);
  return TRUE;
}

static GBytes *
picks_bytes (const GArray *picks)
{
  guint8 *buf = g_malloc (MAX (picks->len, 1) * 12), *p = buf;
  for (guint i = 0; i < picks->len; i++, p += 12)
    {
      const WinnowPick *pick = &g_array_index (picks, WinnowPick, i);
      guint64 h = GUINT64_TO_LE (pick->hash);
      guint32 pos = GUINT32_TO_LE (pick->pos);
      memcpy (p, &h, 8);
      memcpy (p + 8, &pos, 4);
    }
  return g_bytes_new_take (buf, picks->len * 12);
}

/* Reads the rows added since the last read: all of them when the book opens, then those
 * other hosts (other browser profiles) wrote. The book's own rows come back too and
 * replace themselves (the same fingerprints and source). */
static gboolean
book_read (CopyBook *book, gint64 now, GError **error)
{
  LoadState state = { book->mem, 0, book->read_through };
  if (!store_copies_foreach (book->store, now - book->keep_seconds, book->read_through, load_row, &state, error))
    return FALSE;
  if (state.skipped > 0)
    g_message ("copies: %u stored copies were not readable and are ignored", state.skipped);
  copy_memory_flush (book->mem);
  book->read_through = state.last_id;
  book->read_at = now;
  return TRUE;
}

CopyBook *
copy_book_open (Store *store, const CopyLimits *limits, gint64 now, GError **error)
{
  guint8 key[WINNOW_KEY_BYTES];
  if (!book_key (store, key, error))
    return NULL;
  g_autoptr (CopyBook) book = g_new0 (CopyBook, 1);
  book->store = store;
  book->mem = copy_memory_new (key, limits);
  sodium_memzero (key, sizeof key);
  book->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  book->all = (Bucket) { COPY_RATE_ALL_BURST, now };
  book->keep_seconds = limits->keep_seconds;
  if (store != NULL)
    {
      if (!book_read (book, now, error))
        return NULL;
      gint64 forgotten = copy_memory_expire (book->mem, now);
      if (!store_copies_forget (store, forgotten, now - limits->keep_seconds, error))
        return NULL;
    }
  return g_steal_pointer (&book);
}

void
copy_book_free (CopyBook *book)
{
  if (book == NULL)
    return;
  copy_memory_free (book->mem);
  if (book->buckets != NULL)
    g_hash_table_unref (book->buckets);
  g_free (book);
}

Store *
copy_book_store (const CopyBook *book)
{
  return book->store;
}

CopyMemory *
copy_book_memory (const CopyBook *book)
{
  return book->mem;
}

void
copy_book_set_limits (CopyBook *book, const CopyLimits *limits)
{
  copy_memory_set_limits (book->mem, limits);
  book->keep_seconds = limits->keep_seconds;
}

static void
bucket_fill (Bucket *b, gint64 now, double burst, double per_second)
{
  if (now > b->last)
    b->tokens = MIN (burst, b->tokens + (double) (now - b->last) * per_second);
  b->last = MAX (b->last, now);
}

/* A token bucket per origin and one for all of them; a copy takes a token from both. */
static gboolean
rate_allows (CopyBook *book, const char *origin, gint64 now)
{
  Bucket *b = g_hash_table_lookup (book->buckets, origin);
  if (b == NULL)
    {
      if (g_hash_table_size (book->buckets) >= COPY_RATE_ORIGINS)
        g_hash_table_remove_all (book->buckets);
      b = g_new0 (Bucket, 1);
      *b = (Bucket) { COPY_RATE_BURST, now };
      g_hash_table_insert (book->buckets, g_strdup (origin), b);
    }
  bucket_fill (b, now, COPY_RATE_BURST, 1.0 / COPY_RATE_SECONDS);
  bucket_fill (&book->all, now, COPY_RATE_ALL_BURST, COPY_RATE_ALL_PER_SECOND);
  if (b->tokens < 1 || book->all.tokens < 1)
    return FALSE;
  b->tokens -= 1;
  book->all.tokens -= 1;
  return TRUE;
}

CopyOutcome
copy_book_add (CopyBook *book, const char *origin, const char *source, const char *text, gsize len,
               gint64 now, guint32 *words, GError **error)
{
  /* The bound first, before any work: a flood costs a hash lookup per copy. */
  *words = 0;
  if (!rate_allows (book, origin, now))
    return COPY_RATE_LIMITED;
  if (len > COPY_MAX_BYTES)
    {
      len = COPY_MAX_BYTES;
      while (len > 0 && ((guchar) text[len] & 0xC0) == 0x80)
        len--;  /* not inside a UTF-8 sequence */
    }
  g_autoptr (GArray) picks = copy_memory_fingerprint (book->mem, text, len, words);
  if (picks->len == 0)
    return COPY_TOO_SHORT;
  gint64 id = 0;
  gboolean stored = TRUE;
  if (book->store != NULL)
    {
      g_autoptr (GBytes) bytes = picks_bytes (picks);
      stored = store_copy_put (book->store, source, now, *words, bytes, &id, error);
      /* The next row after all read so far is this one: the next read need not bring it back. */
      if (stored && id == book->read_through + 1)
        book->read_through = id;
    }
  copy_memory_add (book->mem, id, source, now, *words, (const WinnowPick *) picks->data, picks->len, FALSE);
  gint64 forgotten = copy_memory_expire (book->mem, now);
  if (stored && book->store != NULL && forgotten > 0)
    store_copies_forget (book->store, forgotten, 0, error);
  return COPY_KEPT;
}

void
copy_book_match (CopyBook *book, const char *text, gsize len, const char *exclude, gint64 now,
                 GPtrArray *findings)
{
  /* At most once a second, one indexed query: the copies other hosts remembered. */
  g_autoptr (GError) error = NULL;
  if (book->store != NULL && now > book->read_at && !book_read (book, now, &error))
    g_message ("copies: %s; matching what this host knows", error->message);
  gint64 forgotten = copy_memory_expire (book->mem, now);
  if (book->store != NULL && forgotten > 0 && !store_copies_forget (book->store, forgotten, 0, NULL))
    g_message ("copies: the store kept copies that expired; they are forgotten at the next start");
  copy_memory_match (book->mem, text, len, exclude, now, findings);
}
