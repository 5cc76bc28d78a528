// What a trusted paste or drop carries, read before the event is stopped (a DataTransfer is
// readable only during its dispatch), and rebuilt as an equivalent DataTransfer afterwards.
(function () {
  'use strict';

  // Past this many bytes of files the host gets names and sizes only and answers with the
  // policy's oversize verdict; it keeps messages under Chrome's 64 MiB message limit.
  const MAX_INLINE_BYTES = 32 * 1024 * 1024;

  // What one check may carry, as the protocol allows (a request names at most 256 files).
  const MAX_FILES = 256;
  // A dropped folder is walked to this depth; its files count towards MAX_FILES.
  const MAX_DEPTH = 16;

  // Each getData of a trusted paste asks the browser for the clipboard (0.1 to 0.2 ms
  // measured): every type is read once, text and HTML included. Every string type is
  // kept, because every one of them reaches the page: text and HTML go to the host as
  // such, the others (text/uri-list, a page's custom or "web " types) as text parts.
  // Folders are noted as entries now (webkitGetAsEntry works only during the dispatch)
  // and walked afterwards.
  function snapshot(dt) {
    const strings = [];
    for (const type of dt.types) {
      if (type !== 'Files') strings.push([type, dt.getData(type)]);
    }
    const read = (type) => {
      const found = strings.find(([t]) => t === type);
      return found ? found[1] : '';
    };
    const files = [];
    const folders = [];
    for (const item of dt.items) {
      if (item.kind !== 'file') continue;
      const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
      if (entry && entry.isDirectory) {
        folders.push(entry);
        continue;
      }
      const file = item.getAsFile();
      if (file) files.push(file);
    }
    if (!files.length && !folders.length && dt.files) for (const file of dt.files) files.push(file);
    return {
      text: read('text/plain'),
      html: read('text/html'),
      strings,
      files,
      folders,
    };
  }

  function isEmpty(snap) {
    return !snap.files.length && !snap.folders.length && !snap.strings.some(([, v]) => v);
  }

  // The files inside dropped folders, depth first, at most `room` of them; resolves to
  // {files, more}: more is true when there were others past the bound.
  async function folderFiles(folders, room) {
    const out = [];
    let more = false;
    const readAll = (reader) => new Promise((resolve, reject) => {
      const all = [];
      const next = () => reader.readEntries((batch) => {
        if (!batch.length) return resolve(all);
        all.push(...batch);
        next();
      }, reject);
      next();
    });
    const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
    async function walk(entry, depth) {
      if (more) return;
      if (entry.isFile) {
        if (out.length >= room) more = true;
        else out.push(await fileOf(entry));
        return;
      }
      if (depth >= MAX_DEPTH) {
        more = true;
        return;
      }
      for (const child of await readAll(entry.createReader())) await walk(child, depth + 1);
    }
    for (const folder of folders) await walk(folder, 0);
    return { files: out, more };
  }

  // Resolves the snapshot's folders into files (snap.files grows); false when the drop
  // holds more than one check may carry, which is then refused whole rather than passed
  // in part.
  async function expand(snap) {
    if (snap.folders.length) {
      const { files, more } = await folderFiles(snap.folders, MAX_FILES - snap.files.length);
      snap.files.push(...files);
      snap.folders = [];
      if (more) return false;
    }
    return snap.files.length <= MAX_FILES;
  }

  function rebuild(snap) {
    const dt = new DataTransfer();
    for (const [type, value] of snap.strings) dt.setData(type, value);
    for (const file of snap.files) dt.items.add(file);
    return dt;
  }

  // The string types other than text and HTML, as text parts the host reads like a
  // text file (mime text/plain, named after the type).
  function otherStrings(snap) {
    const parts = [];
    for (const [type, value] of snap.strings) {
      if (type === 'text/plain' || type === 'text/html' || !value) continue;
      parts.push(new File([value], `clipboard (${type})`.slice(0, 255), { type: 'text/plain' }));
    }
    return parts;
  }

  // Files as protocol 1 wants them: {name, mime, size, data: base64}. Each file whose
  // bytes fit in what is left of MAX_INLINE_BYTES is sent whole. One that does not goes
  // in chunks when the host takes uploads and the policy's max_scan_bytes allows its size
  // ({name, mime, size, upload}); otherwise as its name and size only, and gets the
  // policy's oversize verdict by itself, so a small key file beside a big video is still
  // read. transport: {info() -> {chunk_bytes, max_bytes} | {}, chunk(msg) -> reply}, the
  // service worker's upload-info and upload-chunk (shared/messages.js).
  async function filesForHost(files, transport) {
    let room = MAX_INLINE_BYTES;
    let info = null;
    let uploadRoom = 0;
    const out = [];
    for (const f of files) {
      const entry = { name: f.name || 'file', mime: f.type || '', size: f.size };
      if (f.size <= room) {
        entry.data = await sliceBase64(f, 0, f.size);
        room -= f.size;
      } else if (transport) {
        if (!info) {
          info = (await transport.info().catch(() => null)) || {};
          uploadRoom = Number.isInteger(info.max_bytes) ? info.max_bytes : 0;
        }
        if (info.chunk_bytes > 0 && f.size <= uploadRoom) {
          entry.upload = await sendChunks(f, info.chunk_bytes, transport);
          uploadRoom -= f.size;
        }
      }
      out.push(entry);
    }
    return out;
  }

  // Sends a file slice by slice; resolves to the upload id. Each chunk waits for the
  // service worker's answer (which follows the host's ack of the chunk before it), while
  // the next slice is read and encoded, so the page holds at most two chunks' copies. A chunk the host refused ends the transfer:
  // the scan then names an upload the host does not hold, and the fail mode applies
  // rather than the file passing unread.
  async function sendChunks(file, chunkBytes, transport) {
    let upload = null;
    let next = sliceBase64(file, 0, chunkBytes);
    for (let offset = 0; ; offset += chunkBytes) {
      const data = await next.catch(() => null);
      if (data === null) break;
      const sending = transport.chunk(WeirMsg.uploadChunk(upload, file.size, offset, data)).catch(() => null);
      const more = offset + chunkBytes < file.size;
      next = more ? sliceBase64(file, offset + chunkBytes, chunkBytes) : null;
      const reply = await sending;
      if (reply && typeof reply.upload === 'string') upload = reply.upload;
      if (!reply || reply.error || !upload || !more) break;
    }
    if (next) next.catch(() => {});
    // No id at all (the host was unreachable): a name no frame owns, which the service
    // worker answers with the fail mode.
    return upload || 'unsent';
  }

  // Bytes [offset, offset + length) of file as base64, encoded by the browser itself
  // (a data: URL), which is several times faster than btoa over a string in script.
  function sliceBase64(file, offset, length) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => {
        const url = String(reader.result);
        resolve(url.slice(url.indexOf(',') + 1));
      };
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file.slice(offset, offset + length));
    });
  }

  globalThis.WeirCapture = Object.freeze({ MAX_FILES, snapshot, isEmpty, expand, rebuild, otherStrings, filesForHost });
})();
