#include "vfs.h"

#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "weir-error.h"

#define P STORE_PAGE_SIZE
#define R STORE_RESERVE
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WAL_HDR 32      /* SQLite's WAL header */
#define FRAME_HDR 24    /* pgno, commit size, salt-1, salt-2, checksum-1, checksum-2 */
#define FRAME (FRAME_HDR + P)
#define AD_MAX 48

G_STATIC_ASSERT (R == NONCE_BYTES + TAG_BYTES);

static const unsigned char sqlite_magic[16] = "SQLite format 3";  /* with its NUL */

typedef enum { KIND_DB, KIND_WAL, KIND_JOURNAL } FileKind;

struct StoreVfs {
  sqlite3_vfs base;          /* pAppData points back here */
  sqlite3_vfs *root;         /* the default VFS doing the I/O */
  unsigned char *keys;       /* sodium_malloc'd: page key, then checksum-mask key */
  unsigned char salt[STORE_SALT_BYTES];
  char name[40];
  gint foreign;              /* atomic */
  gint bad_page;             /* atomic; negative: a WAL frame of that page */
};

typedef struct {
  sqlite3_file base;
  StoreVfs *vfs;
  FileKind kind;
  sqlite3_file *real;        /* the root VFS's file, allocated right after this struct */
} SealFile;

#define SEAL_FILE_SIZE ((sizeof (SealFile) + 15) & ~(gsize) 15)

static const unsigned char *
page_key (const StoreVfs *vfs)
{
  return vfs->keys;
}

static const unsigned char *
mask_key (const StoreVfs *vfs)
{
  return vfs->keys + STORE_KEY_BYTES;
}

static void
put_be32 (unsigned char *out, guint32 v)
{
  out[0] = v >> 24, out[1] = v >> 16, out[2] = v >> 8, out[3] = v;
}

static guint32
get_be32 (const unsigned char *in)
{
  return (guint32) in[0] << 24 | (guint32) in[1] << 16 | (guint32) in[2] << 8 | in[3];
}

static gsize
db_ad (const StoreVfs *vfs, guint32 pgno, unsigned char ad[AD_MAX])
{
  memcpy (ad, "weir-db1", 8);
  memcpy (ad + 8, vfs->salt, STORE_SALT_BYTES);
  put_be32 (ad + 24, pgno);
  return 28;
}

/* hdr: the first 16 bytes of the frame header (pgno, commit size, WAL salts). */
static gsize
wal_ad (const StoreVfs *vfs, const unsigned char *hdr, unsigned char ad[AD_MAX])
{
  memcpy (ad, "weir-wal", 8);
  memcpy (ad + 8, vfs->salt, STORE_SALT_BYTES);
  memcpy (ad + 24, hdr, 16);
  return 40;
}

/* Seals page[from, P - R) in place; nonce and tag go into the reserved bytes. */
static void
page_seal (const StoreVfs *vfs, unsigned char *page, gsize from, const unsigned char *ad, gsize ad_len)
{
  unsigned char *nonce = page + P - R, *tag = nonce + NONCE_BYTES;
  randombytes_buf (nonce, NONCE_BYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached (page + from, tag, NULL, page + from,
                                                       P - R - from, ad, ad_len, NULL, nonce,
                                                       page_key (vfs));
}

/* Opens page in place; on success the reserved bytes read as zeros, as SQLite wrote them. */
static gboolean
page_open (const StoreVfs *vfs, unsigned char *page, gsize from, const unsigned char *ad, gsize ad_len)
{
  unsigned char *nonce = page + P - R, *tag = nonce + NONCE_BYTES;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached (page + from, NULL, page + from,
                                                           P - R - from, tag, ad, ad_len, nonce,
                                                           page_key (vfs)) != 0)
    return FALSE;
  sodium_memzero (nonce, R);
  return TRUE;
}

/* Checks the tag only (libsodium skips decryption when m is NULL): the raw passes
 * authenticate every page without paying for the plaintext. */
static gboolean
page_verify (const StoreVfs *vfs, const unsigned char *page, gsize from, const unsigned char *ad,
             gsize ad_len)
{
  const unsigned char *nonce = page + P - R, *tag = nonce + NONCE_BYTES;
  return crypto_aead_xchacha20poly1305_ietf_decrypt_detached (NULL, NULL, page + from, P - R - from,
                                                              tag, ad, ad_len, nonce,
                                                              page_key (vfs)) == 0;
}

static gboolean
reserve_is_zero (const unsigned char *page)
{
  static const unsigned char zeros[R];
  return memcmp (page + P - R, zeros, R) == 0;
}

static void
note_bad_page (StoreVfs *vfs, guint32 pgno, gboolean wal)
{
  g_atomic_int_set (&vfs->bad_page, wal ? -(gint) MAX (pgno, 1) : (gint) pgno);
}

/* Seals main-file page pgno (1-based) held in page (plaintext, modified). */
static void
db_page_seal (const StoreVfs *vfs, guint32 pgno, unsigned char *page)
{
  unsigned char ad[AD_MAX];
  gsize ad_len = db_ad (vfs, pgno, ad);
  if (pgno == 1)
    memcpy (page, vfs->salt, STORE_SALT_BYTES);
  page_seal (vfs, page, pgno == 1 ? STORE_SALT_BYTES : 0, ad, ad_len);
}

/* Opens main-file page pgno in place. Page 1 must carry this store's salt and the page
 * geometry the VFS seals with: anything else would let SQLite write into the nonce. */
static gboolean
db_page_open (const StoreVfs *vfs, guint32 pgno, unsigned char *page)
{
  unsigned char ad[AD_MAX];
  gsize ad_len = db_ad (vfs, pgno, ad);
  if (pgno != 1)
    return page_open (vfs, page, 0, ad, ad_len);
  if (sodium_memcmp (page, vfs->salt, STORE_SALT_BYTES) != 0
      || !page_open (vfs, page, STORE_SALT_BYTES, ad, ad_len))
    return FALSE;
  memcpy (page, sqlite_magic, sizeof sqlite_magic);
  return page[16] == (P >> 8) && page[17] == (P & 0xff) && page[20] == R;
}

/* ---- main database file ---- */

/* A main-file page that fails is read again, after pauses of 1, 2, 4 ... ms, before it
 * counts as damaged or tampered with: another Weir process's checkpoint may be writing
 * it back from the WAL as it is read, which no lock prevents where the reader holds none
 * (SQLite reads the header before it takes a lock; the walk of `weir store check` and of
 * a host reads the file beside SQLite), and a writer whose virtual CPU stops in the middle
 * of its copy leaves the page torn until it runs again. Page 1, which nearly every
 * checkpoint writes (the header's page count), up to half a second in all (CI saw it
 * fail for more than the 60 ms the walk used to wait); other pages 31 ms, so that a
 * damaged page does not hold a reader up for long. */
static int
settle_attempts (guint32 pgno)
{
  return pgno == 1 ? 9 : 5;
}

static StoreVfsSettleFunc settle_fn;
static gpointer settle_data;

void
store_vfs_on_settle (StoreVfsSettleFunc fn, gpointer data)
{
  settle_fn = fn;
  settle_data = data;
}

static void
settle_pause (guint32 pgno, int attempt)
{
  if (settle_fn != NULL)
    settle_fn (pgno, settle_data);
  g_usleep ((gulong) 1000 << attempt);
}

static int
db_read_page (SealFile *f, guint32 pgno, unsigned char *page)
{
  sqlite3_file *real = f->real;
  for (int attempt = 0;; attempt++)
    {
      int rc = real->pMethods->xRead (real, page, P, (sqlite3_int64) (pgno - 1) * P);
      if (rc == SQLITE_IOERR_SHORT_READ)
        {
          sqlite3_int64 size = 0;
          if (real->pMethods->xFileSize (real, &size) == SQLITE_OK && size <= (sqlite3_int64) (pgno - 1) * P)
            return SQLITE_IOERR_SHORT_READ;  /* beyond the end: zeros, as SQLite expects */
        }
      else if (rc != SQLITE_OK)
        return rc;
      if (rc == SQLITE_OK && db_page_open (f->vfs, pgno, page))
        return SQLITE_OK;
      if (attempt == settle_attempts (pgno))
        break;
      settle_pause (pgno, attempt);
    }
  note_bad_page (f->vfs, pgno, FALSE);
  return SQLITE_IOERR_DATA;
}

/* Any span: SQLite reads the 100-byte header before it knows the page size. */
static int
db_read (SealFile *f, void *buf, int amt, sqlite3_int64 off)
{
  unsigned char page[P];
  int result = SQLITE_OK;
  for (sqlite3_int64 pos = off; pos < off + amt;)
    {
      guint32 pgno = (guint32) (pos / P) + 1;
      sqlite3_int64 in_page = pos % P;
      sqlite3_int64 n = MIN (P - in_page, off + amt - pos);
      int rc = db_read_page (f, pgno, page);
      if (rc == SQLITE_IOERR_SHORT_READ)
        {
          memset (page, 0, P);
          result = rc;
        }
      else if (rc != SQLITE_OK)
        return rc;
      memcpy ((unsigned char *) buf + (pos - off), page + in_page, (gsize) n);
      pos += n;
    }
  sodium_memzero (page, P);
  return result;
}

/* SQLite may leave a gap when it writes past the end (a free page it never writes);
 * fill it with sealed zero pages so that every page of the file authenticates. */
static int
db_fill_gap (SealFile *f, sqlite3_int64 upto)
{
  sqlite3_int64 size = 0;
  int rc = f->real->pMethods->xFileSize (f->real, &size);
  if (rc != SQLITE_OK)
    return rc;
  for (sqlite3_int64 pos = (size + P - 1) / P * P; pos < upto; pos += P)
    {
      unsigned char page[P] = { 0 };
      db_page_seal (f->vfs, (guint32) (pos / P) + 1, page);
      if ((rc = f->real->pMethods->xWrite (f->real, page, P, pos)) != SQLITE_OK)
        return rc;
    }
  return SQLITE_OK;
}

static int
db_write (SealFile *f, const void *buf, int amt, sqlite3_int64 off)
{
  unsigned char page[P];
  guint32 pgno = (guint32) (off / P) + 1;
  if (amt != P || off % P != 0)
    return SQLITE_IOERR_WRITE;  /* SQLite writes whole pages; anything else is a defect */
  memcpy (page, buf, P);
  if (!reserve_is_zero (page)
      || (pgno == 1 && (memcmp (page, sqlite_magic, sizeof sqlite_magic) != 0 || page[20] != R)))
    return SQLITE_IOERR_WRITE;  /* would lose bytes SQLite counts on */
  int rc = db_fill_gap (f, off);
  if (rc != SQLITE_OK)
    return rc;
  db_page_seal (f->vfs, pgno, page);
  return f->real->pMethods->xWrite (f->real, page, P, off);
}

/* ---- WAL file ---- */

/* The keyed pad that hides a frame header's running checksum (computed by SQLite over
 * plaintext pages) yet lets SQLite recover it: bound to the frame's position. */
static void
wal_checksum_pad (const StoreVfs *vfs, sqlite3_int64 frame_off, const unsigned char *hdr,
                  unsigned char pad[8])
{
  unsigned char in[8 + 16];
  for (int i = 0; i < 8; i++)
    in[i] = (unsigned char) (frame_off >> (56 - 8 * i));
  memcpy (in + 8, hdr, 16);
  crypto_generichash (pad, 8, in, sizeof in, mask_key (vfs), STORE_KEY_BYTES);
}

static int
raw_read_exact (sqlite3_file *real, void *buf, int amt, sqlite3_int64 off)
{
  int rc = real->pMethods->xRead (real, buf, amt, off);
  return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_READ : rc;
}

/* The first 16 bytes of frame header at hdr_off: from buf when it holds them, else the file. */
static int
wal_header16 (SealFile *f, const unsigned char *buf, sqlite3_int64 off, sqlite3_int64 len,
              sqlite3_int64 hdr_off, unsigned char out[16])
{
  if (hdr_off >= off && hdr_off + 16 <= off + len)
    {
      memcpy (out, buf + (hdr_off - off), 16);
      return SQLITE_OK;
    }
  return raw_read_exact (f->real, out, 16, hdr_off);
}

/* Transforms the frame header at hdr_off in out (the write buffer, at off). */
static int
wal_write_header (SealFile *f, unsigned char *out, sqlite3_int64 off, int amt, sqlite3_int64 hdr_off)
{
  if (hdr_off < off || hdr_off + FRAME_HDR > off + amt)
    return SQLITE_IOERR_WRITE;  /* SQLite writes whole frame headers */
  unsigned char *hdr = out + (hdr_off - off), pad[8];
  wal_checksum_pad (f->vfs, hdr_off, hdr, pad);
  for (int i = 0; i < 8; i++)
    hdr[16 + i] ^= pad[i];
  return SQLITE_OK;
}

static int
wal_write_data (SealFile *f, unsigned char *out, sqlite3_int64 off, int amt, sqlite3_int64 hdr_off)
{
  sqlite3_int64 data_off = hdr_off + FRAME_HDR;
  unsigned char hdr[16], ad[AD_MAX];
  if (data_off < off || data_off + P > off + amt)
    return SQLITE_IOERR_WRITE;  /* SQLite writes whole pages */
  unsigned char *page = out + (data_off - off);
  if (!reserve_is_zero (page))
    return SQLITE_IOERR_WRITE;
  /* The header precedes the data, in this buffer (already masked, but its first 16
   * bytes are left as they are) or on disk from an earlier write. */
  int rc = wal_header16 (f, out, off, amt, hdr_off, hdr);
  if (rc != SQLITE_OK)
    return rc;
  gsize ad_len = wal_ad (f->vfs, hdr, ad);
  page_seal (f->vfs, page, 0, ad, ad_len);
  return SQLITE_OK;
}

static int
wal_write (SealFile *f, const void *buf, int amt, sqlite3_int64 off)
{
  g_autofree unsigned char *out = g_malloc ((gsize) amt);
  memcpy (out, buf, (gsize) amt);
  int rc = SQLITE_OK;
  sqlite3_int64 end = off + amt;
  if (off < WAL_HDR && end > WAL_HDR)
    rc = SQLITE_IOERR_WRITE;  /* the WAL header is written alone */
  for (sqlite3_int64 k = off < WAL_HDR ? 0 : (off - WAL_HDR) / FRAME;
       rc == SQLITE_OK && end > WAL_HDR && WAL_HDR + k * FRAME < end; k++)
    {
      sqlite3_int64 hdr_off = WAL_HDR + k * FRAME, data_off = hdr_off + FRAME_HDR;
      if (hdr_off < end && hdr_off + FRAME_HDR > off)
        rc = wal_write_header (f, out, off, amt, hdr_off);
      if (rc == SQLITE_OK && data_off < end && data_off + P > off)
        rc = wal_write_data (f, out, off, amt, hdr_off);
    }
  if (rc == SQLITE_OK)
    rc = f->real->pMethods->xWrite (f->real, out, amt, off);
  sodium_memzero (out, (gsize) amt);
  return rc;
}

static void
wal_read_header (SealFile *f, unsigned char *buf, sqlite3_int64 off, sqlite3_int64 len,
                 sqlite3_int64 hdr_off)
{
  unsigned char hdr[16], pad[8];
  if (wal_header16 (f, buf, off, len, hdr_off, hdr) != SQLITE_OK)
    return;
  wal_checksum_pad (f->vfs, hdr_off, hdr, pad);
  for (int i = 0; i < 8; i++)
    {
      sqlite3_int64 pos = hdr_off + 16 + i;
      if (pos >= off && pos < off + len)
        buf[pos - off] ^= pad[i];
    }
}

/* A frame that fails authentication inside a read of whole frames is SQLite scanning
 * the log to recover it: it is shown as an invalid frame (page 0), which ends the
 * scan as a torn write would. Any other read of it is an error. */
static int
wal_read_data (SealFile *f, unsigned char *buf, sqlite3_int64 off, sqlite3_int64 len,
               sqlite3_int64 hdr_off)
{
  sqlite3_int64 data_off = hdr_off + FRAME_HDR;
  unsigned char page[P], hdr[16], ad[AD_MAX];
  int rc;
  if (data_off >= off && data_off + P <= off + len)
    memcpy (page, buf + (data_off - off), P);
  else if ((rc = raw_read_exact (f->real, page, P, data_off)) != SQLITE_OK)
    return rc;
  if ((rc = wal_header16 (f, buf, off, len, hdr_off, hdr)) != SQLITE_OK)
    return rc;
  gsize ad_len = wal_ad (f->vfs, hdr, ad);
  if (!page_open (f->vfs, page, 0, ad, ad_len))
    {
      if (hdr_off >= off && data_off + P <= off + len)
        {
          memset (buf + (hdr_off - off), 0, FRAME);
          return SQLITE_OK;
        }
      note_bad_page (f->vfs, get_be32 (hdr), TRUE);
      return SQLITE_IOERR_DATA;
    }
  sqlite3_int64 from = MAX (off, data_off), to = MIN (off + len, data_off + P);
  memcpy (buf + (from - off), page + (from - data_off), (gsize) (to - from));
  sodium_memzero (page, P);
  return SQLITE_OK;
}

static int
wal_read (SealFile *f, void *out, int amt, sqlite3_int64 off)
{
  unsigned char *buf = out;
  int result = f->real->pMethods->xRead (f->real, buf, amt, off);
  sqlite3_int64 end = off + amt, file_end = G_MAXINT64;
  if (result == SQLITE_IOERR_SHORT_READ)
    {
      /* bytes past the end read as zeros and stay so */
      if (f->real->pMethods->xFileSize (f->real, &file_end) != SQLITE_OK)
        return SQLITE_IOERR_READ;
      end = CLAMP (file_end, off, off + amt);
    }
  else if (result != SQLITE_OK)
    return result;
  for (sqlite3_int64 k = off < WAL_HDR ? 0 : (off - WAL_HDR) / FRAME;
       end > WAL_HDR && WAL_HDR + k * FRAME < end; k++)
    {
      sqlite3_int64 hdr_off = WAL_HDR + k * FRAME, data_off = hdr_off + FRAME_HDR;
      if (hdr_off + 16 < end && hdr_off + FRAME_HDR > off && hdr_off + FRAME_HDR <= file_end)
        wal_read_header (f, buf, off, end - off, hdr_off);
      if (data_off < end && data_off + P > off)
        {
          if (data_off + P > file_end)
            memset (buf + (MAX (data_off, off) - off), 0, (gsize) (end - MAX (data_off, off)));
          else
            {
              int rc = wal_read_data (f, buf, off, end - off, hdr_off);
              if (rc != SQLITE_OK)
                return rc;
            }
        }
    }
  return result;
}

/* ---- rollback journals ---- */

/* The store runs in WAL mode; a rollback journal only appears while a new store is
 * created, and then holds no page. A page image (P bytes after a record's 4-byte page
 * number, so never sector-aligned) would be plaintext: refuse it. */
static int
journal_write (SealFile *f, const void *buf, int amt, sqlite3_int64 off)
{
  if (amt == P && off % 512 != 0)
    return SQLITE_IOERR_WRITE;
  return f->real->pMethods->xWrite (f->real, buf, amt, off);
}

/* ---- io methods ---- */

static int
seal_close (sqlite3_file *file)
{
  SealFile *f = (SealFile *) file;
  int rc = SQLITE_OK;
  if (f->real->pMethods != NULL)
    rc = f->real->pMethods->xClose (f->real);
  f->real->pMethods = NULL;
  return rc;
}

static int
seal_read (sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
  SealFile *f = (SealFile *) file;
  switch (f->kind)
    {
    case KIND_DB:
      return db_read (f, buf, amt, off);
    case KIND_WAL:
      return wal_read (f, buf, amt, off);
    default:
      return f->real->pMethods->xRead (f->real, buf, amt, off);
    }
}

static int
seal_write (sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
  SealFile *f = (SealFile *) file;
  switch (f->kind)
    {
    case KIND_DB:
      return db_write (f, buf, amt, off);
    case KIND_WAL:
      return wal_write (f, buf, amt, off);
    default:
      return journal_write (f, buf, amt, off);
    }
}

static int
seal_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  SealFile *f = (SealFile *) file;
  /* A checkpoint may grow the main file by truncation: seal the new pages. */
  if (f->kind == KIND_DB && size % P == 0)
    {
      int rc = db_fill_gap (f, size);
      if (rc != SQLITE_OK)
        return rc;
    }
  return f->real->pMethods->xTruncate (f->real, size);
}

#define REAL(file) (((SealFile *) (file))->real)

static int
seal_sync (sqlite3_file *file, int flags)
{
  return REAL (file)->pMethods->xSync (REAL (file), flags);
}

static int
seal_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  return REAL (file)->pMethods->xFileSize (REAL (file), size);
}

static int
seal_lock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xLock (REAL (file), level);
}

static int
seal_unlock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xUnlock (REAL (file), level);
}

static int
seal_check_reserved_lock (sqlite3_file *file, int *out)
{
  return REAL (file)->pMethods->xCheckReservedLock (REAL (file), out);
}

static int
seal_file_control (sqlite3_file *file, int op, void *arg)
{
  /* No memory map: SQLite would read raw (sealed) pages through it. */
  if (op == SQLITE_FCNTL_MMAP_SIZE)
    {
      *(sqlite3_int64 *) arg = 0;
      return SQLITE_OK;
    }
  return REAL (file)->pMethods->xFileControl (REAL (file), op, arg);
}

static int
seal_sector_size (sqlite3_file *file)
{
  return REAL (file)->pMethods->xSectorSize (REAL (file));
}

/* Power-safe overwrite keeps SQLite from padding WAL commits to a sector boundary,
 * which would split a frame across two writes; no atomic-write claims, which would
 * let SQLite skip the journal. */
static int
seal_device_characteristics (sqlite3_file *file)
{
  int dc = REAL (file)->pMethods->xDeviceCharacteristics (REAL (file));
  dc &= ~(SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_ATOMIC512 | SQLITE_IOCAP_ATOMIC1K
          | SQLITE_IOCAP_ATOMIC2K | SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_ATOMIC8K
          | SQLITE_IOCAP_ATOMIC16K | SQLITE_IOCAP_ATOMIC32K | SQLITE_IOCAP_ATOMIC64K
          | SQLITE_IOCAP_BATCH_ATOMIC);
  return dc | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static int
seal_shm_map (sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
  return REAL (file)->pMethods->xShmMap (REAL (file), page, size, extend, out);
}

static int
seal_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
  return REAL (file)->pMethods->xShmLock (REAL (file), offset, n, flags);
}

static void
seal_shm_barrier (sqlite3_file *file)
{
  REAL (file)->pMethods->xShmBarrier (REAL (file));
}

static int
seal_shm_unmap (sqlite3_file *file, int delete_flag)
{
  return REAL (file)->pMethods->xShmUnmap (REAL (file), delete_flag);
}

/* Version 2: the shared-memory methods for WAL, but no xFetch (memory-mapped pages). */
static const sqlite3_io_methods seal_methods = {
  .iVersion = 2,
  .xClose = seal_close,
  .xRead = seal_read,
  .xWrite = seal_write,
  .xTruncate = seal_truncate,
  .xSync = seal_sync,
  .xFileSize = seal_file_size,
  .xLock = seal_lock,
  .xUnlock = seal_unlock,
  .xCheckReservedLock = seal_check_reserved_lock,
  .xFileControl = seal_file_control,
  .xSectorSize = seal_sector_size,
  .xDeviceCharacteristics = seal_device_characteristics,
  .xShmMap = seal_shm_map,
  .xShmLock = seal_shm_lock,
  .xShmBarrier = seal_shm_barrier,
  .xShmUnmap = seal_shm_unmap,
};

/* ---- the VFS ---- */

/* A main file that already has a salt must have this store's. */
static int
db_check_salt (SealFile *f)
{
  unsigned char salt[STORE_SALT_BYTES];
  sqlite3_int64 size = 0;
  int rc = f->real->pMethods->xFileSize (f->real, &size);
  if (rc != SQLITE_OK || size < STORE_SALT_BYTES)
    return rc;
  if ((rc = raw_read_exact (f->real, salt, sizeof salt, 0)) != SQLITE_OK)
    return rc;
  if (sodium_memcmp (salt, f->vfs->salt, sizeof salt) != 0)
    {
      g_atomic_int_set (&f->vfs->foreign, 1);
      return SQLITE_NOTADB;
    }
  return SQLITE_OK;
}

static int
vfs_open (sqlite3_vfs *base, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
  StoreVfs *vfs = base->pAppData;
  SealFile *f = (SealFile *) file;
  memset (f, 0, sizeof *f);
  /* Temporary databases, statement journals and the like stay in memory
   * (temp_store=MEMORY); a file for them would hold plaintext. */
  if (name == NULL || !(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)))
    return SQLITE_CANTOPEN;
  f->vfs = vfs;
  f->real = (sqlite3_file *) ((char *) f + SEAL_FILE_SIZE);
  f->kind = flags & SQLITE_OPEN_MAIN_DB ? KIND_DB : flags & SQLITE_OPEN_WAL ? KIND_WAL : KIND_JOURNAL;
  int rc = vfs->root->xOpen (vfs->root, name, f->real, flags, out_flags);
  if (f->real->pMethods != NULL)
    f->base.pMethods = &seal_methods;  /* so that SQLite's xClose reaches the real file */
  if (rc == SQLITE_OK && f->kind == KIND_DB)
    rc = db_check_salt (f);
  return rc;
}

static int
vfs_delete (sqlite3_vfs *base, const char *name, int sync_dir)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xDelete (root, name, sync_dir);
}

static int
vfs_access (sqlite3_vfs *base, const char *name, int flags, int *out)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xAccess (root, name, flags, out);
}

static int
vfs_full_pathname (sqlite3_vfs *base, const char *name, int n, char *out)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xFullPathname (root, name, n, out);
}

static int
vfs_randomness (sqlite3_vfs *base, int n, char *out)
{
  randombytes_buf (out, (size_t) n);
  return n;
}

static int
vfs_sleep (sqlite3_vfs *base, int micro)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xSleep (root, micro);
}

static int
vfs_current_time (sqlite3_vfs *base, double *out)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xCurrentTime (root, out);
}

static int
vfs_get_last_error (sqlite3_vfs *base, int n, char *out)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xGetLastError (root, n, out);
}

static int
vfs_current_time_int64 (sqlite3_vfs *base, sqlite3_int64 *out)
{
  sqlite3_vfs *root = ((StoreVfs *) base->pAppData)->root;
  return root->xCurrentTimeInt64 (root, out);
}

StoreVfs *
store_vfs_new (const unsigned char *key, const unsigned char salt[STORE_SALT_BYTES], GError **error)
{
  static gint counter;
  sqlite3_vfs *root = sqlite3_vfs_find (NULL);
  if (sodium_init () < 0 || root == NULL || root->iVersion < 2)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store: no usable SQLite VFS or libsodium");
      return NULL;
    }
  g_autoptr (StoreVfs) vfs = g_new0 (StoreVfs, 1);
  vfs->keys = sodium_malloc (2 * STORE_KEY_BYTES);  /* sodium_init ran above */
  if (vfs->keys == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store: out of guarded memory");
      return NULL;
    }
  /* Separate subkeys for the AEAD and for the checksum mask. */
  crypto_kdf_derive_from_key (vfs->keys, STORE_KEY_BYTES, 1, "weirpage", key);
  crypto_kdf_derive_from_key (vfs->keys + STORE_KEY_BYTES, STORE_KEY_BYTES, 2, "weirpage", key);
  sodium_mprotect_readonly (vfs->keys);
  memcpy (vfs->salt, salt, STORE_SALT_BYTES);
  vfs->root = root;
  g_snprintf (vfs->name, sizeof vfs->name, "weir-seal-%d-%d", (int) getpid (),
              g_atomic_int_add (&counter, 1));
  vfs->base = (sqlite3_vfs) {
    .iVersion = 2,
    .szOsFile = (int) SEAL_FILE_SIZE + root->szOsFile,
    .mxPathname = root->mxPathname,
    .zName = vfs->name,
    .pAppData = vfs,
    .xOpen = vfs_open,
    .xDelete = vfs_delete,
    .xAccess = vfs_access,
    .xFullPathname = vfs_full_pathname,
    .xRandomness = vfs_randomness,
    .xSleep = vfs_sleep,
    .xCurrentTime = vfs_current_time,
    .xGetLastError = vfs_get_last_error,
    .xCurrentTimeInt64 = vfs_current_time_int64,
  };
  if (sqlite3_vfs_register (&vfs->base, 0) != SQLITE_OK)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "store: cannot register the sealing VFS");
      return NULL;
    }
  return g_steal_pointer (&vfs);
}

void
store_vfs_free (StoreVfs *vfs)
{
  if (vfs == NULL)
    return;
  if (vfs->base.zName != NULL)
    sqlite3_vfs_unregister (&vfs->base);
  if (vfs->keys != NULL)
    sodium_free (vfs->keys);
  g_free (vfs);
}

StoreVfs *
store_vfs_from_sqlite (void *sqlite_vfs)
{
  sqlite3_vfs *base = sqlite_vfs;
  return base != NULL && base->xOpen == vfs_open ? base->pAppData : NULL;
}

const char *
store_vfs_name (const StoreVfs *vfs)
{
  return vfs->name;
}

gboolean
store_vfs_saw_foreign (const StoreVfs *vfs)
{
  return g_atomic_int_get (&vfs->foreign) != 0;
}

guint32
store_vfs_last_bad_page (const StoreVfs *vfs, gboolean *in_wal)
{
  gint v = g_atomic_int_get (&vfs->bad_page);
  if (in_wal != NULL)
    *in_wal = v < 0;
  return (guint32) ABS (v);
}

/* ---- checks outside SQLite ---- */

/* The raw passes read through the root VFS, never a file descriptor of their own:
 * closing any descriptor of a file drops every POSIX lock the process holds on it,
 * which would let another process take the store's WAL away from a live connection.
 * The root VFS shares its descriptors and defers such closes. */
static gboolean
pread_exact (sqlite3_file *file, void *buf, gsize n, gint64 off)
{
  return file->pMethods->xRead (file, buf, (int) n, off) == SQLITE_OK;
}

static void
raw_close (sqlite3_file *file)
{
  if (file->pMethods != NULL)
    file->pMethods->xClose (file);
  g_free (file);
}

/* NULL with no error: the file does not exist. */
static sqlite3_file *
raw_open (StoreVfs *vfs, const char *path, int type, gint64 *size, GError **error)
{
  sqlite3_vfs *root = vfs->root;
  int exists = 0, out = 0;
  *size = 0;
  if (root->xAccess (root, path, SQLITE_ACCESS_EXISTS, &exists) != SQLITE_OK || !exists)
    return NULL;
  sqlite3_filename name = sqlite3_create_filename (path, "", "", 0, NULL);
  sqlite3_file *file = g_malloc0 ((gsize) root->szOsFile);
  sqlite3_int64 n = 0;
  int rc = name ? root->xOpen (root, name, file, SQLITE_OPEN_READONLY | type, &out) : SQLITE_NOMEM;
  if (rc == SQLITE_OK)
    rc = file->pMethods->xFileSize (file, &n);
  sqlite3_free_filename (name);
  if (rc != SQLITE_OK)
    {
      raw_close (file);
      /* Gone since it was there: another process's last connection checkpointed its WAL
       * and deleted it as it closed (a `weir store info` ending while a host starts). */
      if (root->xAccess (root, path, SQLITE_ACCESS_EXISTS, &exists) == SQLITE_OK && !exists)
        return NULL;
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "cannot read %s (SQLite I/O error %d)", path, rc);
      return NULL;
    }
  *size = n;
  return file;
}

/* Page pgno read alone and authenticated, and read again as db_read_page does while it
 * fails: a checkpoint in another process may be rewriting it, which no SQLite lock held
 * here prevents; a page that still fails is damaged or tampered with. */
static gboolean
db_page_settles (StoreVfs *vfs, sqlite3_file *fd, guint32 pgno, unsigned char *page)
{
  for (int attempt = 0;; attempt++)
    {
      unsigned char ad[AD_MAX];
      gsize ad_len = db_ad (vfs, pgno, ad);
      /* Page 1 is opened whole: its header's geometry is checked too. */
      if (pread_exact (fd, page, P, (gint64) (pgno - 1) * P)
          && (pgno == 1 ? db_page_open (vfs, pgno, page) : page_verify (vfs, page, 0, ad, ad_len)))
        return TRUE;
      if (attempt == settle_attempts (pgno))
        return FALSE;
      settle_pause (pgno, attempt);
    }
}

/* Pages read with one call: 4 KiB a call, reading 245 MB took 77 ms of system calls
 * and copies, 16 KiB 52 ms; larger reads were no faster here, and the walk as a whole
 * slower (the pages no longer in the first-level cache when authenticated). */
#define WALK_CHUNK_PAGES 4

struct StoreVfsWalk {
  StoreVfs *vfs;
  sqlite3_file *file;
  guint32 next;           /* the next page to authenticate, 1-based */
  guint32 pages;          /* the file's pages when the walk started */
  gint64 size;            /* and its size */
  unsigned char *page;    /* one page, sodium_malloc: page 1 is opened whole */
  unsigned char *chunk;   /* WALK_CHUNK_PAGES pages as they are on disk */
};

StoreVfsWalk *
store_vfs_walk_new (StoreVfs *vfs, const char *path, GError **error)
{
  gint64 size = 0;
  sqlite3_file *file = raw_open (vfs, path, SQLITE_OPEN_MAIN_DB, &size, error);
  if (file == NULL)
    return NULL;
  StoreVfsWalk *walk = g_new0 (StoreVfsWalk, 1);
  walk->vfs = vfs;
  walk->file = file;
  walk->next = 1;
  walk->pages = (guint32) ((size + P - 1) / P);
  walk->size = size;
  walk->page = sodium_malloc (P);
  walk->chunk = g_malloc ((gsize) WALK_CHUNK_PAGES * P);
  return walk;
}

void
store_vfs_walk_free (StoreVfsWalk *walk)
{
  if (walk == NULL)
    return;
  raw_close (walk->file);
  sodium_free (walk->page);
  g_free (walk->chunk);
  g_free (walk);
}

guint32
store_vfs_walk_pages (const StoreVfsWalk *walk)
{
  return walk->pages;
}

/* Whether the file shrank since the walk started and now ends before page pgno: a
 * host's walk lasts a while, and another process may have shrunk the file meanwhile (a
 * VACUUM); its pages are then gone, not damaged. A page cut short in the file as it was
 * when the walk started is damage. */
static gboolean
walk_past_end (StoreVfsWalk *walk, guint32 pgno)
{
  sqlite3_int64 size = 0;
  return walk->file->pMethods->xFileSize (walk->file, &size) == SQLITE_OK && size < walk->size
         && (sqlite3_int64) (pgno - 1) * P >= size;
}

gboolean
store_vfs_walk_step (StoreVfsWalk *walk, guint32 max_pages, guint32 *bad)
{
  *bad = 0;
  guint32 end = walk->pages - walk->next + 1 <= max_pages ? walk->pages + 1 : walk->next + max_pages;
  while (walk->next < end)
    {
      guint32 pgno = walk->next;
      guint32 n = MIN (end - pgno, WALK_CHUNK_PAGES);
      gboolean read = pread_exact (walk->file, walk->chunk, (gsize) n * P, (gint64) (pgno - 1) * P);
      for (guint32 i = 0; i < n; i++, pgno++)
        {
          unsigned char ad[AD_MAX];
          gsize ad_len = db_ad (walk->vfs, pgno, ad);
          if (pgno > 1 && read && page_verify (walk->vfs, walk->chunk + (gsize) i * P, 0, ad, ad_len))
            continue;
          /* Read alone, and again while another process may be writing it. */
          if (!db_page_settles (walk->vfs, walk->file, pgno, walk->page))
            {
              *bad = walk_past_end (walk, pgno) ? 0 : pgno;
              walk->next = walk->pages + 1;
              return TRUE;
            }
        }
      walk->next = pgno;
    }
  return walk->next > walk->pages;
}

gboolean
store_vfs_verify_file (StoreVfs *vfs, const char *path, guint32 *pages, guint32 *bad, GError **error)
{
  g_autoptr (GError) local = NULL;
  StoreVfsWalk *walk = store_vfs_walk_new (vfs, path, &local);
  *pages = 0, *bad = 0;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (walk == NULL)
    return TRUE;
  while (!store_vfs_walk_step (walk, G_MAXUINT32, bad))
    ;
  *pages = walk->pages;
  store_vfs_walk_free (walk);
  return TRUE;
}

static gboolean
verify_wal_frame (StoreVfs *vfs, sqlite3_file *fd, gint64 off, const unsigned char *wal_hdr,
                  unsigned char *frame, gboolean *current)
{
  unsigned char ad[AD_MAX];
  *current = FALSE;
  if (!pread_exact (fd, frame, FRAME, off) || memcmp (frame + 8, wal_hdr + 16, 8) != 0
      || get_be32 (frame) == 0)
    return FALSE;
  *current = TRUE;
  gsize ad_len = wal_ad (vfs, frame, ad);
  return page_verify (vfs, frame + FRAME_HDR, 0, ad, ad_len);
}

/* A frame that failed while a later one holds: read it again, since a writer in
 * another process may have been between its header and its page. */
static gboolean
wal_frame_settles (StoreVfs *vfs, sqlite3_file *fd, gint64 off, const unsigned char *wal_hdr, unsigned char *frame)
{
  gboolean current;
  for (int attempt = 0; attempt < 4; attempt++)
    {
      g_usleep (2000);
      if (verify_wal_frame (vfs, fd, off, wal_hdr, frame, &current) || !current)
        return TRUE;
    }
  return FALSE;
}

/* Walks the frames that carry the WAL header's salts; see vfs.h. */
static void
verify_wal_frames (StoreVfs *vfs, sqlite3_file *fd, gint64 size, const unsigned char *wal_hdr,
                   guint32 *frames, guint32 *bad)
{
  unsigned char *frame = sodium_malloc (FRAME);
  gint64 failed = 0;
  guint32 failed_page = 0;
  gboolean current = FALSE;
  for (gint64 off = WAL_HDR; off + FRAME <= size; off += FRAME)
    {
      if (verify_wal_frame (vfs, fd, off, wal_hdr, frame, &current))
        {
          (*frames)++;
          if (failed != 0 && !wal_frame_settles (vfs, fd, failed, wal_hdr, frame))
            {
              *bad = MAX (failed_page, 1);
              break;
            }
          failed = 0;
        }
      else if (!current)
        break;
      else if (failed == 0)
        failed = off, failed_page = get_be32 (frame);
    }
  sodium_free (frame);
}

gboolean
store_vfs_verify_wal (StoreVfs *vfs, const char *path, guint32 *frames, guint32 *bad, GError **error)
{
  gint64 size = 0;
  unsigned char hdr[WAL_HDR];
  g_autoptr (GError) local = NULL;
  sqlite3_file *file = raw_open (vfs, path, SQLITE_OPEN_WAL, &size, &local);
  *frames = 0, *bad = 0;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (file == NULL)
    return TRUE;
  if (size >= WAL_HDR && pread_exact (file, hdr, WAL_HDR, 0))
    {
      /* SQLite ignores a WAL without its magic number; one of another page size is
       * not the store's. */
      guint32 magic = get_be32 (hdr);
      if (magic == 0x377f0682 || magic == 0x377f0683)
        {
          if (get_be32 (hdr + 8) == P)
            verify_wal_frames (vfs, file, size, hdr, frames, bad);
          else
            *bad = 1;
        }
    }
  raw_close (file);
  return TRUE;
}
