#include "audit-verify.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "audit.h"
#include "audit-record.h"
#include "json.h"

/* What the walk knows after the records it has accepted. */
typedef struct {
  const SignPublicKey *root;
  SignPublicKey key;  /* the current epoch's key */
  guint64 epoch;
  gint64 since_us;    /* when the current epoch began */
  gint64 expect;      /* the next sequence number */
  gint64 time_us;     /* the last record's time */
  char prev[AUDIT_HASH_HEX];
  char *device;
  GHashTable *present;  /* every sequence number the input holds */
  AuditReport *report;
  gint64 line;
  gboolean own_prev;  /* the first record's prev is taken as it claims (a checkpoint start) */
} Walk;

/* One record's fields, borrowed from its parsed JSON. */
typedef struct {
  gint64 seq, time_us;
  guint64 epoch;
  const char *event, *device, *key, *prev;
  const cJSON *json;
} Fields;

const char *
audit_fault_name (AuditFault fault)
{
  static const char *const names[] = { "ok", "malformed", "edited", "missing", "out of order",
                                       "duplicated", "wrong key", "chain broken", "forged", "empty" };
  return fault < G_N_ELEMENTS (names) ? names[fault] : "unknown";
}

static gboolean G_GNUC_PRINTF (4, 5)
fail (Walk *walk, AuditFault fault, gint64 seq, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *detail = g_strdup_vprintf (format, args);
  va_end (args);
  walk->report->fault = fault;
  walk->report->line = walk->line;
  walk->report->seq = seq;
  walk->report->message = g_strdup_printf ("record %" G_GINT64_FORMAT " (line %" G_GINT64_FORMAT "): %s: %s",
                                           seq, walk->line, audit_fault_name (fault), detail);
  return FALSE;
}

static gboolean
integer_field (const cJSON *json, const char *name, gint64 min, gint64 *out)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (json, name);
  if (!cJSON_IsNumber (item) || item->valuedouble != floor (item->valuedouble)
      || item->valuedouble < (double) min || item->valuedouble > 9007199254740992.0)
    return FALSE;
  *out = (gint64) item->valuedouble;
  return TRUE;
}

static const char *
string_field (const cJSON *json, const char *name)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (json, name);
  return cJSON_IsString (item) ? item->valuestring : NULL;
}

static gboolean
fields_read (const cJSON *json, Fields *f)
{
  gint64 v = 0, epoch = 0;
  const char *time = string_field (json, "time");
  f->json = json;
  f->event = string_field (json, "event");
  f->device = string_field (json, "device");
  f->key = string_field (json, "key");
  f->prev = string_field (json, "prev");
  if (!integer_field (json, "v", 1, &v) || v != AUDIT_FORMAT_VERSION || !integer_field (json, "seq", 1, &f->seq)
      || !integer_field (json, "epoch", 0, &epoch) || string_field (json, "id") == NULL
      || !audit_time_parse (time, &f->time_us) || !f->event || !f->device || !f->key || !f->prev)
    return FALSE;
  f->epoch = (guint64) epoch;
  return TRUE;
}

/* Skips a collector's leading blanks and a trailing CR or LF. */
static const char *
line_trim (const char *line, gsize *len)
{
  while (*line == ' ' || *line == '\t')
    line++;
  *len = strlen (line);
  while (*len > 0 && (line[*len - 1] == '\r' || line[*len - 1] == '\n'))
    (*len)--;
  return line;
}

/* A record out of place: a repeat, a jump ahead over records that come later, or a
 * jump over records that are nowhere. */
static gboolean
check_sequence (Walk *walk, const Fields *f)
{
  if (f->seq == walk->expect)
    return TRUE;
  if (f->seq < walk->expect)
    return fail (walk, AUDIT_FAULT_DUPLICATE, f->seq, "record %" G_GINT64_FORMAT " came already", f->seq);
  if (g_hash_table_contains (walk->present, &walk->expect))
    return fail (walk, AUDIT_FAULT_ORDER, f->seq, "it comes before record %" G_GINT64_FORMAT, walk->expect);
  return fail (walk, AUDIT_FAULT_MISSING, walk->expect,
               "record %" G_GINT64_FORMAT " is missing (the next present is %" G_GINT64_FORMAT ")",
               walk->expect, f->seq);
}

static gboolean
check_key (Walk *walk, const Fields *f)
{
  g_autofree char *want = sign_key_id_hex (walk->key.id);
  if (strcmp (f->key, want) == 0)
    return TRUE;
  if (walk->expect == 1)
    return fail (walk, AUDIT_FAULT_KEY, f->seq, "the chain starts with key %.16s, not the pinned key %s",
                 f->key, want);
  return fail (walk, AUDIT_FAULT_KEY, f->seq, "signed by key %.16s, but epoch %" G_GUINT64_FORMAT "'s key is %s",
               f->key, walk->epoch, want);
}

/* Times never go backwards along the chain, and no record predates its epoch: a
 * key taken today cannot produce a record that claims an earlier day. */
/* A key-epoch record may say the clock stepped back ("clock_back_from": the time the
 * chain had reached): it may then be dated earlier, and starts an epoch at its own
 * time. TRUE when f is such a record and its claim matches the chain. */
static gboolean
clock_step_at (Walk *walk, const Fields *f, gboolean exact)
{
  const char *from = string_field (f->json, "clock_back_from");
  gint64 from_us = 0;
  if (from == NULL || strcmp (f->event, "key-epoch") != 0 || f->seq == 1)
    return FALSE;
  return audit_time_parse (from, &from_us) && (exact ? from_us == walk->time_us : from_us >= walk->time_us)
         && f->time_us < from_us;
}

static gboolean
clock_step (Walk *walk, const Fields *f)
{
  return clock_step_at (walk, f, TRUE);
}

static void
note (Walk *walk, char *text)
{
  g_ptr_array_add (walk->report->notes, text);
}

static gboolean
check_time (Walk *walk, const Fields *f)
{
  if (f->epoch != walk->epoch)
    return fail (walk, AUDIT_FAULT_FORGED, f->seq, "it claims epoch %" G_GUINT64_FORMAT " but was signed by epoch %"
                 G_GUINT64_FORMAT "'s key", f->epoch, walk->epoch);
  if (clock_step (walk, f))
    {
      note (walk, g_strdup_printf ("record %" G_GINT64_FORMAT ": the clock stepped back from %s to %s (it had run "
                                   "ahead, or was set back); the chain follows it again from a new epoch",
                                   f->seq, string_field (f->json, "clock_back_from"), string_field (f->json, "time")));
      return TRUE;
    }
  if (f->time_us < walk->since_us)
    return fail (walk, AUDIT_FAULT_FORGED, f->seq, "dated %s, before epoch %" G_GUINT64_FORMAT " (whose key signed it) began",
                 string_field (f->json, "time"), walk->epoch);
  if (f->time_us < walk->time_us)
    return fail (walk, AUDIT_FAULT_FORGED, f->seq, "dated %s, before the record ahead of it",
                 string_field (f->json, "time"));
  if (walk->device != NULL && strcmp (walk->device, f->device) != 0)
    return fail (walk, AUDIT_FAULT_KEY, f->seq, "it comes from device %.32s, not %s", f->device, walk->device);
  return TRUE;
}

/* A key-epoch record hands the chain to the next key; the first one presents the
 * root key itself. */
static gboolean
apply_key_epoch (Walk *walk, const Fields *f)
{
  gint64 next = 0;
  SignPublicKey pk;
  if (!integer_field (f->json, "next_epoch", 0, &next)
      || !audit_public_key_decode (string_field (f->json, "next_key"), &pk))
    return fail (walk, AUDIT_FAULT_MALFORMED, f->seq, "a key-epoch record without a usable next key");
  gboolean first = walk->expect == 1;
  if (first ? (next != 0 || memcmp (&pk, walk->root, sizeof pk) != 0) : (guint64) next != walk->epoch + 1)
    return fail (walk, AUDIT_FAULT_KEY, f->seq, "the key-epoch record does not continue the pinned key's epochs");
  walk->key = pk;
  walk->epoch = (guint64) next;
  walk->since_us = f->time_us;
  return TRUE;
}

/* A line's signed message, its signature and its fields (which point into the returned
 * JSON); NULL, with the walk's fault set, for a line that is not a whole record. */
static cJSON *
record_parse (Walk *walk, const char *line, gsize len, char **msg, gsize *msg_len, guint8 *sig,
              Fields *f)
{
  if (!audit_record_open (line, len, msg, msg_len, sig))
    {
      fail (walk, AUDIT_FAULT_MALFORMED, walk->expect, "not a signed Weir audit record");
      return NULL;
    }
  cJSON *json = cJSON_ParseWithLength (*msg, *msg_len);
  if (json == NULL || !fields_read (json, f))
    {
      cJSON_Delete (json);
      fail (walk, AUDIT_FAULT_MALFORMED, walk->expect, "a field the format requires is missing or invalid");
      return NULL;
    }
  return json;
}

/* A key-epoch record before the walk's start: signed by the key in force, dated no
 * earlier than its epoch, and handing on to the next epoch (the first presents the
 * root key). Its links are not checked: the records between were pruned or lie
 * before the checkpoint. */
static gboolean
check_key_record (Walk *walk, const char *line, gsize len, gboolean first)
{
  g_autofree char *msg = NULL;
  gsize msg_len = 0;
  guint8 sig[SIGN_BYTES];
  Fields f = { 0 };
  g_autoptr (cJSON) json = record_parse (walk, line, len, &msg, &msg_len, sig, &f);
  if (json == NULL)
    return FALSE;
  if (first != (f.seq == 1))
    return fail (walk, AUDIT_FAULT_MISSING, 1, "the chain's first record (the root key's) is missing");
  walk->expect = f.seq;
  if (!check_key (walk, &f))
    return FALSE;
  if (!sign_verify (&walk->key, (const guint8 *) msg, msg_len, sig))
    return fail (walk, AUDIT_FAULT_EDITED, f.seq, "its signature does not match its content");
  /* The records between were pruned: a clock step can only be held to the time the
   * chain had reached by the key-epoch record before it. */
  if (f.epoch != walk->epoch || (!clock_step_at (walk, &f, FALSE) && f.time_us < walk->since_us))
    return fail (walk, AUDIT_FAULT_FORGED, f.seq, "its epoch or date does not fit the key that signed it");
  if (!apply_key_epoch (walk, &f))
    return FALSE;
  if (walk->device == NULL)
    walk->device = g_strdup (f.device);
  walk->time_us = f.time_us;
  walk->expect = f.seq + 1;
  return TRUE;
}

static gboolean
check_record (Walk *walk, const char *line, gsize len)
{
  g_autofree char *msg = NULL;
  gsize msg_len = 0;
  guint8 sig[SIGN_BYTES];
  Fields f = { 0 };
  g_autoptr (cJSON) json = record_parse (walk, line, len, &msg, &msg_len, sig, &f);
  if (json == NULL)
    return FALSE;
  if (!check_sequence (walk, &f) || !check_key (walk, &f))
    return FALSE;
  if (!sign_verify (&walk->key, (const guint8 *) msg, msg_len, sig))
    return fail (walk, AUDIT_FAULT_EDITED, f.seq, "its signature does not match its content");
  if (walk->own_prev)
    {
      /* Starting at a checkpoint: its signature covers its link; the records before it
       * are for --full. */
      if (strlen (f.prev) != AUDIT_HASH_HEX - 1)
        return fail (walk, AUDIT_FAULT_MALFORMED, f.seq, "its link is not a SHA-256");
      memcpy (walk->prev, f.prev, AUDIT_HASH_HEX);
      walk->own_prev = FALSE;
    }
  if (strcmp (f.prev, walk->prev) != 0)
    return fail (walk, AUDIT_FAULT_CHAIN, f.seq, "it does not link to the record before it");
  if (!check_time (walk, &f))
    return FALSE;
  if ((walk->expect == 1 || strcmp (f.event, "key-epoch") == 0) && !apply_key_epoch (walk, &f))
    return FALSE;
  if (walk->expect == 1 && strcmp (f.event, "key-epoch") != 0)
    return fail (walk, AUDIT_FAULT_MALFORMED, f.seq, "the chain does not start with its root key");
  gint64 lost_from = 0, lost_to = 0;
  if (strcmp (f.event, "audit-gap") == 0 && integer_field (json, "lost_from", 1, &lost_from)
      && integer_field (json, "lost_to", lost_from, &lost_to))
    note (walk, g_strdup_printf ("record %" G_GINT64_FORMAT ": records %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                                 " were committed to the store and lost from its end; their numbers were used "
                                 "again (a collector's copy holds the lost ones)", f.seq, lost_from, lost_to));
  const char *was_device = string_field (json, "previous_device"), *was_key = string_field (json, "previous_key");
  if (walk->expect == 1 && g_strcmp0 (string_field (json, "chain"), "restart") == 0)
    note (walk, g_strdup_printf ("the chain restarted: a previous chain was expected on this device (device %.64s, "
                                 "root key %.64s) and its store was deleted, replaced or lost; its records are "
                                 "only where they were shipped or exported",
                                 was_device ? was_device : "unknown", was_key ? was_key : "unknown"));
  if (walk->device == NULL)
    walk->device = g_strdup (f.device);
  audit_record_hash (line, len, walk->prev);
  walk->time_us = f.time_us;
  walk->expect++;
  return TRUE;
}

/* What a line says of itself without parsing it all: its seq (0 when it cannot be
 * told) and whether it is a key-epoch or checkpoint record. The fields come in a fixed
 * order and every string is escaped, so the first "seq": and ,"event":" are the
 * record's own. A line this misreads is still checked in full where it counts. */
typedef struct {
  gint64 seq;
  gboolean key_epoch, checkpoint;
} Peek;

static Peek
line_peek (const char *line, gsize len)
{
  Peek p = { 0 };
  const char *seq = g_strstr_len (line, (gssize) MIN (len, 200), "\"seq\":");
  const char *event = g_strstr_len (line, (gssize) len, ",\"event\":\"");
  if (seq != NULL)
    p.seq = g_ascii_strtoll (seq + 6, NULL, 10);
  if (event != NULL)
    {
      gsize left = len - (gsize) (event + 10 - line);
      p.key_epoch = left >= 10 && memcmp (event + 10, "key-epoch\"", 10) == 0;
      p.checkpoint = left >= 11 && memcmp (event + 10, "checkpoint\"", 11) == 0;
    }
  return p;
}

/* The set of sequence numbers present, to tell "out of order" from "missing". */
static GHashTable *
present_seqs (GArray *peeks)
{
  GHashTable *present = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < peeks->len; i++)
    if (g_array_index (peeks, Peek, i).seq > 0)
      g_hash_table_add (present, &g_array_index (peeks, Peek, i).seq);
  return present;
}

/* Where a walk starts: seq 1, or after what a checkpoint says was pruned (full), or at
 * the last checkpoint. prev is what the first record must link to (NULL: that
 * record's own claim, checked by its signature). */
typedef struct {
  gint64 start, pruned_to, checkpoint;
  char prev[AUDIT_HASH_HEX];
  gboolean own_prev;
} Start;

static void
start_find (GPtrArray *lines, GArray *peeks, AuditVerifyFrom from, Start *st)
{
  gint64 best = 0;
  guint at = 0;
  memset (st, 0, sizeof *st);
  st->start = 1;
  memcpy (st->prev, AUDIT_GENESIS_PREV, AUDIT_HASH_HEX);
  for (guint i = 0; i < peeks->len; i++)
    if (g_array_index (peeks, Peek, i).checkpoint && g_array_index (peeks, Peek, i).seq > best)
      best = g_array_index (peeks, Peek, i).seq, at = i;
  if (best == 0)
    return;
  gsize len;
  const char *line = line_trim (lines->pdata[at], &len);
  g_autoptr (cJSON) json = cJSON_ParseWithLength (line, len);
  gint64 pruned = 0;
  const char *head = string_field (json, "pruned_head");
  if (!integer_field (json, "pruned_to", 0, &pruned) || head == NULL || strlen (head) != AUDIT_HASH_HEX - 1
      || pruned >= best)
    return;  /* the walk from seq 1 reports what is wrong with it */
  st->checkpoint = best;
  st->pruned_to = pruned;
  if (from == AUDIT_VERIFY_FULL)
    {
      st->start = pruned + 1;
      memcpy (st->prev, head, AUDIT_HASH_HEX);
    }
  else
    {
      st->start = best;
      st->own_prev = TRUE;
    }
}

/* A key-epoch record's place: its seq and its line's index. */
typedef struct {
  gint64 seq;
  guint at;
} KeyLine;

static gint
key_line_order (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const KeyLine *) a)->seq, y = ((const KeyLine *) b)->seq;
  return (x > y) - (x < y);
}

/* The key-epoch records before the start, in seq order, each signed by the key before
 * it: they lead the pinned root key to the key in force where the walk starts. */
static gboolean
walk_keys (Walk *walk, GPtrArray *lines, GArray *peeks, gint64 start)
{
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (KeyLine));
  for (guint i = 0; i < peeks->len; i++)
    {
      const Peek *p = &g_array_index (peeks, Peek, i);
      KeyLine k = { p->seq, i };
      if (p->key_epoch && p->seq > 0 && p->seq < start)
        g_array_append_val (keys, k);
    }
  g_array_sort (keys, key_line_order);
  if (keys->len == 0)
    return fail (walk, AUDIT_FAULT_MISSING, 1, "the chain's first record (the root key's) is missing");
  for (guint i = 0; i < keys->len; i++)
    {
      guint at = g_array_index (keys, KeyLine, i).at;
      gsize len;
      const char *line = line_trim (lines->pdata[at], &len);
      walk->line = at + 1;
      if (!check_key_record (walk, line, len, i == 0))
        return FALSE;
    }
  return TRUE;
}

gboolean
audit_verify_lines_from (const SignPublicKey *root, GPtrArray *lines, AuditVerifyFrom from, AuditReport *report)
{
  memset (report, 0, sizeof *report);
  report->notes = g_ptr_array_new_with_free_func (g_free);
  Walk walk = { .root = root, .key = *root, .expect = 1, .report = report };
  memcpy (walk.prev, AUDIT_GENESIS_PREV, AUDIT_HASH_HEX);
  g_autoptr (GArray) peeks = g_array_sized_new (FALSE, FALSE, sizeof (Peek), lines->len);
  for (guint i = 0; i < lines->len; i++)
    {
      gsize len;
      const char *line = line_trim (lines->pdata[i], &len);
      Peek p = line_peek (line, len);
      g_array_append_val (peeks, p);
    }
  walk.present = present_seqs (peeks);
  Start st;
  start_find (lines, peeks, from, &st);
  gboolean ok = st.start == 1 || walk_keys (&walk, lines, peeks, st.start);
  if (ok && st.start > 1)
    {
      walk.expect = st.start;
      walk.time_us = walk.since_us;
      walk.own_prev = st.own_prev;
      memcpy (walk.prev, st.prev, AUDIT_HASH_HEX);
    }
  gint64 first = walk.expect;
  for (guint i = 0; ok && i < lines->len; i++)
    {
      gint64 seq = g_array_index (peeks, Peek, i).seq;
      if (seq > 0 && seq < st.start)
        continue;
      gsize len;
      const char *line = line_trim (lines->pdata[i], &len);
      walk.line = i + 1;
      ok = check_record (&walk, line, len);
    }
  if (ok && walk.expect == first)
    ok = fail (&walk, AUDIT_FAULT_EMPTY, 0, "there are no records");
  if (ok && st.pruned_to > 0)
    note (&walk, g_strdup_printf ("records 1 to %" G_GINT64_FORMAT " were pruned by retention (checkpoint record %"
                                  G_GINT64_FORMAT "); the key-epoch records kept from them lead the root key to "
                                  "the records kept", st.pruned_to, st.checkpoint));
  if (ok && from == AUDIT_VERIFY_FROM_CHECKPOINT && st.start > 1)
    note (&walk, g_strdup_printf ("checked from the last checkpoint (record %" G_GINT64_FORMAT "); --full checks "
                                  "every record kept", st.start));
  report->records = walk.expect - first;
  report->epochs = walk.epoch;
  report->head_seq = walk.expect - 1;
  memcpy (report->head_hash, walk.prev, AUDIT_HASH_HEX);
  g_hash_table_unref (walk.present);
  g_free (walk.device);
  return ok;
}

gboolean
audit_verify_lines (const SignPublicKey *root, GPtrArray *lines, AuditReport *report)
{
  return audit_verify_lines_from (root, lines, AUDIT_VERIFY_FULL, report);
}

/* ---- salvage ---- */

static void
gap_note (GPtrArray *gaps, gint64 seq, const char *why)
{
  AuditGap *last = gaps->len > 0 ? gaps->pdata[gaps->len - 1] : NULL;
  if (last != NULL && last->to == seq - 1 && strcmp (last->why, why) == 0)
    {
      last->to = seq;
      return;
    }
  AuditGap *gap = g_new0 (AuditGap, 1);
  gap->from = gap->to = seq;
  gap->why = g_strdup (why);
  g_ptr_array_add (gaps, gap);
}

static void
gap_free (gpointer data)
{
  AuditGap *gap = data;
  g_free (gap->why);
  g_free (gap);
}

/* Whether one record authenticates: signed by the key of the epoch it claims, that key
 * being the root or one a key-epoch record certified. A key-epoch record that does
 * adds the next epoch's key. NULL when it does, else why not. */
static const char *
salvage_check (GHashTable *keys, const char *line, gint64 seq)
{
  g_autofree char *msg = NULL;
  gsize msg_len = 0, len = 0;
  guint8 sig[SIGN_BYTES];
  Fields f = { 0 };
  line = line_trim (line, &len);
  if (!audit_record_open (line, len, &msg, &msg_len, sig))
    return "not a signed record";
  g_autoptr (cJSON) json = cJSON_ParseWithLength (msg, msg_len);
  if (json == NULL || !fields_read (json, &f) || f.seq != seq)
    return "not a well-formed record";
  const SignPublicKey *key = g_hash_table_lookup (keys, &f.epoch);
  if (key == NULL)
    return "signed by an epoch key whose key-epoch record was lost";
  g_autofree char *want = sign_key_id_hex (key->id);
  if (strcmp (f.key, want) != 0 || !sign_verify (key, (const guint8 *) msg, msg_len, sig))
    return "does not authenticate (damaged or edited)";
  gint64 next = 0;
  SignPublicKey pk;
  if (strcmp (f.event, "key-epoch") == 0 && integer_field (json, "next_epoch", 1, &next)
      && (guint64) next == f.epoch + 1 && audit_public_key_decode (string_field (json, "next_key"), &pk))
    {
      guint64 *epoch = g_new (guint64, 1);
      *epoch = (guint64) next;
      g_hash_table_replace (keys, epoch, g_memdup2 (&pk, sizeof pk));
    }
  return NULL;
}

GPtrArray *
audit_salvage (const SignPublicKey *root, GPtrArray *lines, GPtrArray *why, GPtrArray **gaps)
{
  GHashTable *keys = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  guint64 *zero = g_new0 (guint64, 1);
  g_hash_table_insert (keys, zero, g_memdup2 (root, sizeof *root));
  GPtrArray *kept = g_ptr_array_new ();
  *gaps = g_ptr_array_new_with_free_func (gap_free);
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = lines->pdata[i];
      const char *bad = line != NULL ? salvage_check (keys, line, (gint64) i + 1) : why->pdata[i];
      if (bad == NULL)
        g_ptr_array_add (kept, (gpointer) line);
      else
        gap_note (*gaps, (gint64) i + 1, bad);
    }
  g_hash_table_unref (keys);
  return kept;
}

void
audit_report_clear (AuditReport *report)
{
  g_clear_pointer (&report->message, g_free);
  g_clear_pointer (&report->notes, g_ptr_array_unref);
}
