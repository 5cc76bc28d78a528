// Weir's content script, isolated world, every frame, document_start. Stops trusted paste,
// drop and file-input events before the page sees them, asks the service worker, and puts
// allowed content back the way the page would have got it. Untrusted (page-made) events
// pass untouched: the browser inserts nothing for them, and re-inserting their content
// would let a page inject text. Also serves the MAIN-world clipboard wrapper over the
// private MessagePort it hands over at document_start.
(function () {
  'use strict';
  if (globalThis.WeirGuardInstalled) return;
  globalThis.WeirGuardInstalled = true;

  const Msg = globalThis.WeirMsg;
  const Capture = globalThis.WeirCapture;
  const Insert = globalThis.WeirInsert;
  const DialogHost = globalThis.WeirDialogHost;
  const Redact = globalThis.WeirRedact;
  const ORPHANED_NOTICE = 'Weir was updated or restarted and cannot check content on this page until it is ' +
    'reloaded. Nothing was pasted, dropped or uploaded.';

  // One event at a time, in the order the user made them: a second paste made while a
  // dialog is open lands after the first is settled, never before it.
  let queue = Promise.resolve();
  function serial(task) {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  }

  // The port to the service worker for checks, opened on the first one and again after
  // the worker stops (an update, a crash) or the page leaves the back/forward cache. A
  // message on an open port is about half the cost of chrome.runtime.sendMessage, which
  // opens and closes a channel every time (measured from an extension page: p50 0.5
  // against 0.9 ms, p99 3.1 against 5 ms), and a paste makes this trip twice.
  let port = null;
  let nextRid = 1;
  const waiting = new Map();   // rid -> {request, resolve, reject}

  function openPort() {
    const p = chrome.runtime.connect({ name: Msg.GUARD_PORT });  // throws once orphaned
    p.onMessage.addListener((m) => {
      const w = m && waiting.get(m.rid);
      if (!w) return;
      waiting.delete(m.rid);
      w.resolve(m.reply);
    });
    // The worker stopped or was replaced with checks in flight: each is asked again the
    // one-off way, which wakes a worker, and fails as before when the extension is gone.
    p.onDisconnect.addListener(() => {
      if (port === p) port = null;
      const again = [...waiting.values()];
      waiting.clear();
      for (const w of again) oneOff(w.request, w.resolve, w.reject);
    });
    return p;
  }

  // chrome.runtime.sendMessage throws, rather than rejects, once the extension is gone.
  function oneOff(request, resolve, reject) {
    try {
      chrome.runtime.sendMessage(request).then(resolve, reject);
    } catch (e) {
      reject(e);
    }
  }

  function ask(request) {
    return new Promise((resolve, reject) => {
      const rid = nextRid++;
      waiting.set(rid, { request, resolve, reject });
      try {
        if (!port) port = openPort();
        port.postMessage({ rid, body: request });
      } catch {
        // A port that closed before its disconnect event ran, or none could be opened
        // (the extension is gone, and the one-off way fails too): the one-off way.
        waiting.delete(rid);
        port = null;
        oneOff(request, resolve, reject);
      }
    });
  }

  // How a file too large for one message reaches the host: in chunks, through the
  // service worker (capture.js, filesForHost).
  const uploader = Object.freeze({
    info: () => ask(Msg.uploadInfo()),
    chunk: (msg) => ask(msg),
  });

  // What may go in: the content as it is, or (issue 24) masked with these spans.
  const AS_IS = Object.freeze({ redaction: null });

  // Asks the service worker and, for warn and block, shows the dialog. Resolves AS_IS or
  // {redaction} when the service worker says the content may go through, else null.
  async function decide(request) {
    let outcome;
    // Issue 26: an image is read by OCR, which takes a second or so; past 300 ms the user
    // sees that Weir is checking it.
    const slow = Array.isArray(request.files) && request.files.length > 0
      ? (request.files.some((f) => /^image\//.test(f.mime || '')) ? 'notice_checking_image' : 'notice_checking_files')
      : null;
    let stopProgress = null;
    const progressTimer = slow && setTimeout(() => {
      stopProgress = DialogHost.showProgress(chrome.i18n.getMessage(slow));
    }, 300);
    try {
      outcome = await ask(request);
    } catch (e) {
      // The extension was updated, reloaded or disabled under this page: nothing can check
      // the content, so it stays out, and the user learns why (chrome.i18n is gone too).
      DialogHost.showNotice(ORPHANED_NOTICE);
      return null;
    } finally {
      if (progressTimer) clearTimeout(progressTimer);
      if (stopProgress) stopProgress();
    }
    if (!outcome) return null;
    if (outcome.action === Msg.ALLOW) {
      if (outcome.notice) DialogHost.showNotice(chrome.i18n.getMessage('notice_' + outcome.notice));
      return AS_IS;
    }
    if (outcome.action === Msg.REDACT && outcome.redaction) {
      const { count, kinds } = Redact.summary(outcome.redaction);
      return { redaction: outcome.redaction, notice: chrome.i18n.getMessage('notice_redacted', [String(count), kinds.join(', ')]) };
    }
    if (outcome.action === Msg.DIALOG && typeof outcome.dialog === 'string') {
      const action = outcome.hosted ? await DialogHost.waitDialog(outcome.dialog)
                                    : await DialogHost.showDialog(outcome.dialog);
      if (action === Msg.PROCEED) return AS_IS;
      if (action === Msg.REDACT && outcome.redaction) return { redaction: outcome.redaction };
    }
    return null;
  }

  // The snapshot to insert: as it came, or masked (null: the spans do not fit it).
  function toInsert(snap, answer) {
    return answer.redaction ? Redact.maskSnapshot(snap, answer.redaction) : snap;
  }

  // After the insertion, so the paste itself waits for nothing: a small note of what a
  // redact verdict masked, which does not take the focus (the user types on).
  function noticeAfter(answer) {
    if (answer && answer.notice) DialogHost.showNotice(answer.notice);
  }

  async function scanRequest(event, snap) {
    const parts = snap.files.concat(Capture.otherStrings(snap));
    return Msg.scan(event, snap.text, snap.html, await Capture.filesForHost(parts, uploader));
  }

  // More files than one check may carry (a drop, an upload, a folder): refused whole, and
  // the user told why, rather than any of them passed unchecked.
  function tooMany() {
    DialogHost.showNotice(chrome.i18n.getMessage('notice_too_many_files', [String(Capture.MAX_FILES)]));
  }

  // ---- paste ----
  function onPaste(e) {
    if (!e.isTrusted || !e.clipboardData) return;
    const snap = Capture.snapshot(e.clipboardData);
    if (Capture.isEmpty(snap)) return;
    const target = e.composedPath()[0];
    const caret = Insert.saveCaret(target);
    e.preventDefault();
    e.stopImmediatePropagation();
    serial(async () => {
      const answer = await decide(await scanRequest('paste', snap));
      const out = answer && toInsert(snap, answer);
      if (!out) return Insert.restoreCaret(caret);
      approve(snap, out);
      await Insert.deliverPaste(target, caret, out);
      noticeAfter(answer);
    });
  }

  // What the user just let through a paste, for a moment: editors such as Monaco answer
  // the re-dispatched paste by reading the clipboard themselves, and that read must get the
  // same content without a second dialog (which left the paste waiting on it). Only the
  // exact text and HTML approved, in this frame, within APPROVED_MS. A paste let through
  // masked (issue 24) gives that read the masked text, never the clipboard's.
  const APPROVED_MS = 3000;
  let approved = null;
  function approve(snap, out) {
    approved = { text: snap.text, html: snap.html, masked: out !== snap ? out.text : null,
                 maskedHtml: out !== snap ? out.html : undefined, until: performance.now() + APPROVED_MS };
  }
  function wasApproved(text, html, files) {
    return !!approved && performance.now() < approved.until && !files.length && text === approved.text &&
      (html === '' || html === approved.html);
  }

  // ---- drop ----
  // A drag that started in this document moves content the page already has (text dragged
  // within a textarea): it passes untouched, so the browser's move still removes the source.
  // Such a drag is known by its source node: it ends at dragend (heard on the source node
  // itself too, which a page that removes the node keeps from reaching the window), at the
  // drop, and at the first pointer event after it (none fires during a drag); and a source
  // no longer in the document moves nothing, so a drop then is checked like any other.
  let dragSource = null;
  function onDragStart(e) {
    if (!e.isTrusted) return;
    const source = e.composedPath()[0];
    dragSource = source instanceof Node ? source : null;
    if (dragSource) dragSource.addEventListener('dragend', onDragEnd, { capture: true, once: true });
  }
  function onDragEnd(e) { if (e.isTrusted) dragSource = null; }
  function onPointer(e) { if (e.isTrusted && dragSource) dragSource = null; }
  function dragFromHere() {
    const source = dragSource;
    dragSource = null;
    return !!source && source.isConnected;
  }

  function onDrop(e) {
    if (!e.isTrusted || !e.dataTransfer || dragFromHere()) return;
    // Every drop is checked where it lands, a file input too: a page that cancels the drop
    // there reads dataTransfer itself, and the input's own events would never come.
    const target = e.composedPath()[0];
    const snap = Capture.snapshot(e.dataTransfer);
    if (Capture.isEmpty(snap)) return;
    const caret = Insert.saveCaret(target);
    const point = { clientX: e.clientX, clientY: e.clientY, screenX: e.screenX, screenY: e.screenY };
    e.preventDefault();
    e.stopImmediatePropagation();
    serial(async () => {
      if (!(await Capture.expand(snap))) return tooMany();
      const answer = await decide(await scanRequest('drop', snap));
      const out = answer && toInsert(snap, answer);
      if (!out) return Insert.restoreCaret(caret);
      const how = await Insert.deliverDrop(target, caret, out, point);
      noticeAfter(answer);
      // The browser's own default for files dropped on a file input: they become its files.
      if (how === 'none' && isFileInput(target) && snap.files.length) giveFiles(target, snap.files);
    });
  }

  // ---- <input type=file> ----
  // The browser fires input then change. The first trusted one takes the files out of the
  // input while Weir checks them (so a form submit or a poll of input.files sees nothing),
  // the second is swallowed; allowed files go back and both events are re-dispatched.
  // input is composed, so it reaches the window even from a closed shadow root, whose
  // input the path hides from this world; change is not, and finds the input emptied.
  const held = new WeakSet();
  function isFileInput(el) {
    return el instanceof HTMLInputElement && el.type === 'file';
  }

  // The file input an event came from, looking into shadow roots a page closed.
  function fileInputOf(e) {
    const first = e.composedPath()[0];
    if (isFileInput(first)) return first;
    return first instanceof Element ? filledInputIn(first, 0) : null;
  }

  function filledInputIn(host, depth) {
    const root = chrome.dom && chrome.dom.openOrClosedShadowRoot ? chrome.dom.openOrClosedShadowRoot(host) : host.shadowRoot;
    if (!root || depth > 32) return null;
    for (const el of root.querySelectorAll('*')) {
      if (isFileInput(el) && el.files && el.files.length && !held.has(el)) return el;
      const inner = filledInputIn(el, depth + 1);
      if (inner) return inner;
    }
    return null;
  }

  function giveFiles(input, files) {
    const back = new DataTransfer();
    for (const f of files) back.items.add(f);
    input.files = back.files;
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function onFileInput(e) {
    if (!e.isTrusted) return;
    const input = fileInputOf(e);
    if (!input) return;
    if (held.has(input)) {
      e.stopImmediatePropagation();
      return;
    }
    if (!input.files || !input.files.length) return;
    e.stopImmediatePropagation();
    // A copy: clearing the input empties its FileList object in place.
    const files = Array.from(input.files);
    input.value = '';
    held.add(input);
    setTimeout(() => held.delete(input), 0);
    serial(async () => {
      if (files.length > Capture.MAX_FILES) return tooMany();
      const request = Msg.scan('upload', '', '', await Capture.filesForHost(files, uploader));
      const answer = await decide(request);
      if (answer && !answer.redaction) giveFiles(input, files);   // files are never rewritten
    });
  }

  // document.open() (or a write that opens) erases every listener of the window and the
  // document, Weir's too. They are added again at once: main-world.js wraps open and
  // write and, right after the browser erased them, dispatches an event at a detached
  // element, which keeps its listeners; a MutationObserver on the document catches an
  // open through another frame's wrapper, at the next microtask. Adding a listener twice
  // is a no-op, so listen() is safe to call any time.
  function listen() {
    window.addEventListener('paste', onPaste, true);
    window.addEventListener('drop', onDrop, true);
    window.addEventListener('input', onFileInput, true);
    window.addEventListener('change', onFileInput, true);
    window.addEventListener('dragstart', onDragStart, true);
    window.addEventListener('dragend', onDragEnd, true);
    if (globalThis.WeirCopy) globalThis.WeirCopy.listen();
    for (const type of ['pointerdown', 'pointermove', 'pointerup']) window.addEventListener(type, onPointer, true);
  }
  listen();
  const REOPEN_EVENT = 'weir-reopen';
  const reopened = document.createElement('weir-reopen');
  reopened.addEventListener(REOPEN_EVENT, (e) => { e.stopImmediatePropagation(); listen(); });
  // main-world.js, the next script, takes the element from here and removes it before any
  // page script runs.
  (document.documentElement || document).appendChild(reopened);
  new MutationObserver(listen).observe(document, { childList: true });

  // ---- the MAIN world's private channel ----
  // main-world.js runs right after this script, still before any page script, creates a
  // MessageChannel and hands one port over in a synchronous event. Only the first such
  // event counts; everything later (a page forging one) is ignored, and nothing arrives
  // on the port except from the MAIN-world wrapper, which keeps its end in a closure.
  const CHANNEL_EVENT = 'weir-channel';
  function onChannel(e) {
    window.removeEventListener(CHANNEL_EVENT, onChannel, true);
    e.stopImmediatePropagation();
    const port = e.ports && e.ports[0];
    if (!(port instanceof MessagePort)) return;
    port.onmessage = (m) => serveMain(port, m.data);
  }
  window.addEventListener(CHANNEL_EVENT, onChannel, true);

  async function serveMain(port, m) {
    if (!m || typeof m !== 'object' || !Number.isInteger(m.rid) || !Msg.MAIN_KINDS.includes(m.kind)) return;
    // Issue 25: text the page put on the clipboard (content/copy.js); nothing to answer.
    if (m.kind === 'copy') return globalThis.WeirCopy.page(str(m.text));
    let request;
    if (m.kind === 'scan') {
      if (m.event !== 'clipboard-read') return port.postMessage(Msg.mainReply(m.rid, false));
      const files = Array.isArray(m.files) ? m.files.filter((f) => f instanceof Blob) : [];
      if (wasApproved(str(m.text), str(m.html), files)) {
        return port.postMessage(Msg.mainReply(m.rid, true, approved.masked === null ? undefined : approved.masked,
          approved.maskedHtml));
      }
      const named = files.map((b, i) => (b instanceof File ? b : new File([b], `clipboard-${i}`, { type: b.type })));
      request = Msg.scan('clipboard-read', str(m.text), str(m.html), await Capture.filesForHost(named, uploader));
    } else if (m.api === 'report') {
      // Issue 7: something the GPU guard could not cover (a worker the page's CSP kept plain).
      if (Msg.GPU_REPORTS.includes(m.report)) chrome.runtime.sendMessage(Msg.gpuReport(m.report, str(m.detail))).catch(() => {});
      return port.postMessage(Msg.mainReply(m.rid, false));
    } else if (m.api === 'policy') {
      // Issue 20: may this frame start shared and service workers (not block)?
      const answer = await chrome.runtime.sendMessage(Msg.gpuPolicy()).catch(() => null);
      return port.postMessage(Msg.mainReply(m.rid, !!answer && (answer.verdict === 'allow' || answer.verdict === 'warn')));
    } else {
      request = Msg.gpu(str(m.api) || 'requestAdapter');
    }
    // A dialog takes the focus; the page gets it back where it was, as after a paste.
    const caret = Insert.saveCaret(document.activeElement || document.body || document.documentElement);
    const answer = await serial(async () => {
      const ok = await decide(request);
      await Insert.restoreCaret(caret);
      return ok;
    });
    // A clipboard read let through masked returns the masked text and HTML (readText;
    // read() gets one item of them). Files cannot be rewritten: a read holding any is refused.
    let masked, maskedHtml;
    if (answer && answer.redaction) {
      const placeholders = answer.redaction.placeholders;
      masked = Redact.maskString(str(m.text), answer.redaction.text || [], placeholders, false);
      maskedHtml = str(m.html) ? Redact.maskString(str(m.html), answer.redaction.html || [], placeholders, true) : '';
      const files = Array.isArray(m.files) && m.files.length > 0;
      if (masked === null || maskedHtml === null || files) return port.postMessage(Msg.mainReply(m.rid, false));
    }
    port.postMessage(Msg.mainReply(m.rid, !!answer, masked, maskedHtml));
    noticeAfter(answer);
  }

  function str(v) {
    return typeof v === 'string' ? v : '';
  }
})();
