// Files too large for one message go to the host in chunks (protocol 1's uploads,
// docs/protocol.md). A content script reads a file slice by slice and sends each chunk
// here; this module names the upload (the id is made here, never by the page), forwards
// each chunk to the host, and remembers which frame owns which upload, so a scan may
// name only its own frame's uploads. Uploads a frame leaves behind (its port closed) are
// aborted at the host.

const MAX_OWNED = 64;

export class Uploads {
  constructor({ host }) {
    this.host = host;
    this.owned = new Map();   // upload id -> {owner, size, last: Promise of its last chunk's ack}
    this.info = null;         // the host's hello "uploads", when it announces version 1
    this.idleMs = 60000;      // the host drops an upload idle this long
  }

  // From each hello: what the host takes. A host without uploads leaves info null, and
  // large files go as name and size only, as before.
  configure(uploads) {
    const u = uploads && typeof uploads === 'object' ? uploads : {};
    const ok = u.version === 1 && Number.isInteger(u.chunk_bytes) && u.chunk_bytes > 0 &&
      Number.isInteger(u.max_bytes) && u.max_bytes >= 0;
    this.info = ok ? { chunk_bytes: u.chunk_bytes, max_bytes: u.max_bytes } : null;
    this.idleMs = Number.isInteger(u.idle_ms) && u.idle_ms > 0 ? u.idle_ms : 60000;
    // A new host process holds none of the old one's uploads.
    this.owned.clear();
  }

  // What a content script needs to chunk a file; {} when the host takes no uploads.
  describe() {
    return this.info ? Object.assign({}, this.info) : {};
  }

  // One chunk {upload?, size, offset, data} from a frame; the first (offset 0) has no
  // upload id and gets one. Resolves {upload, received} or {error, upload?}.
  //
  // Two chunks of an upload may be on their way at once: this one is sent to the host at
  // once, and the content script hears of the previous one's ack, so reading the next
  // slice in the page and the host's work on this one overlap. The first chunk waits for
  // its own ack (the id and whether the host takes it). The port to the host keeps order,
  // so the scan that names the upload reaches the host after its last chunk; a chunk
  // the host refused makes that scan an error, and the fail mode applies.
  async chunk(msg, sender) {
    const owner = ownerOf(sender);
    const offset = msg.offset, size = msg.size;
    if (!this.info || !Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || typeof msg.data !== 'string') {
      return { error: 'bad-chunk' };
    }
    let upload = msg.upload;
    if (offset === 0) {
      this.forgetIdle();
      if (this.owned.size >= MAX_OWNED) return { error: 'busy' };
      upload = crypto.randomUUID();
      this.owned.set(upload, { owner, size, last: null, touched: Date.now() });
    } else if (!this.owns(upload, owner)) {
      return { error: 'not-yours' };
    }
    const entry = this.owned.get(upload);
    entry.touched = Date.now();
    const previous = entry.last;
    const current = this.host.request({ type: 'file-chunk', upload, size, offset, data: msg.data })
      .then(ackOf, (e) => ({ error: String(e && e.message || e) }));
    entry.last = current;
    return Object.assign({ upload }, await (previous || current));
  }

  // Uploads no scan took (a content script that failed midway) and that the host has
  // dropped by now, being idle: forgotten here too, so they never fill MAX_OWNED.
  forgetIdle() {
    const before = Date.now() - 2 * this.idleMs;
    for (const [upload, entry] of this.owned) if (entry.touched < before) this.owned.delete(upload);
  }

  owns(upload, owner) {
    const entry = typeof upload === 'string' && this.owned.get(upload);
    return !!entry && entry.owner === owner;
  }

  // A scan takes its frame's uploads: true when every one named is this frame's. The
  // bytes they hold, for the reply's time allowance, in *bytes.
  take(files, sender) {
    const owner = ownerOf(sender);
    let bytes = 0;
    for (const f of files) {
      if (f.upload === undefined) continue;
      if (!this.owns(f.upload, owner)) return null;
      bytes += this.owned.get(f.upload).size;
      this.owned.delete(f.upload);
    }
    return { bytes };
  }

  // A check that needs no scan (an exempt origin) gives its uploads up at once.
  release(files, sender) {
    const owner = ownerOf(sender);
    for (const f of files) {
      if (f.upload === undefined || !this.owns(f.upload, owner)) continue;
      this.owned.delete(f.upload);
      this.host.request({ type: 'file-abort', upload: f.upload }).catch(() => {});
    }
  }

  // The frame's port closed (it navigated, the tab closed): its uploads are given up.
  dropOwner(sender) {
    const owner = ownerOf(sender);
    for (const [upload, entry] of this.owned) {
      if (entry.owner !== owner) continue;
      this.owned.delete(upload);
      this.host.request({ type: 'file-abort', upload }).catch(() => {});
    }
  }
}

// The host's reply to a chunk as the content script hears it.
function ackOf(reply) {
  if (reply && reply.type === 'ack') return { received: reply.received };
  return { error: reply && reply.error ? `${reply.error.code}: ${reply.error.message}` : 'no ack' };
}

function ownerOf(sender) {
  return sender.documentId || `${sender.tab ? sender.tab.id : -1}/${sender.frameId}`;
}
