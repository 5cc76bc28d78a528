// Weir's MAIN-world script, every frame, document_start, before any page script. Wraps
// navigator.clipboard.readText() and read() so content a page reads from the clipboard
// itself goes through the same decision as a paste (event "clipboard-read").
//
// The channel: a MessageChannel made here; one port goes to the isolated world in a
// synchronous event dispatched before the page exists, the other stays in this closure.
// A page can forge events and postMessage all it likes, but cannot reach either port, so
// it can neither answer in Weir's name nor read another frame's answers. Request shapes
// are those of WeirMsg.mainRequest / mainReply in shared/messages.js (kind "scan" now,
// "gpu" for WebGPU adapter requests later).
//
// Everything the wrappers call is captured first: a page may later replace
// Promise.prototype.then, MessagePort.prototype.postMessage or Blob.prototype.text.
(function () {
  'use strict';
  const P = Promise;
  const then = P.prototype.then;
  const promiseAll = P.all;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const postMessage = MessagePort.prototype.postMessage;
  const blobText = Blob.prototype.text;
  const getType = typeof ClipboardItem === 'function' ? ClipboardItem.prototype.getType : null;
  const typesOf = typeof ClipboardItem === 'function'
    ? Object.getOwnPropertyDescriptor(ClipboardItem.prototype, 'types').get : null;
  const Item = typeof ClipboardItem === 'function' ? ClipboardItem : null;
  const BlobC = Blob;
  const DOMEx = DOMException;
  const MapC = Map;
  const mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete;

  const channel = new MessageChannel();
  const port = channel.port1;
  window.dispatchEvent(new MessageEvent('weir-channel', { ports: [channel.port2] }));

  const waiting = new MapC();
  let nextRid = 1;
  port.onmessage = (e) => {
    const reply = e.data;
    if (!reply || typeof reply.rid !== 'number') return;
    const resolve = apply(mapGet, waiting, [reply.rid]);
    if (!resolve) return;
    apply(mapDelete, waiting, [reply.rid]);
    // Issue 24: content let through masked comes back as {text, html}.
    resolve(reply.allowed !== true ? false
      : typeof reply.text === 'string' ? { text: reply.text, html: typeof reply.html === 'string' ? reply.html : '' }
        : true);
  };

  // Resolves true when Weir lets the content through, {text, html} when it lets it
  // through masked (a clipboard read), false otherwise.
  function ask(kind, fields) {
    return new P((resolve) => {
      const rid = nextRid++;
      apply(mapSet, waiting, [rid, resolve]);
      fields.kind = kind;
      fields.rid = rid;
      apply(postMessage, port, [fields]);
    });
  }

  // Issue 7: content/gpu-main.js, the next MAIN-world script, shares this channel. It takes
  // ask() from this property and deletes it at once; no page script runs in between.
  defineProperty(window, '__weirMainAsk', { value: ask, configurable: true });

  // then() on a promise we hold, without consulting anything the page can replace: the
  // promise's own "constructor" shadows a getter a page may have put on Promise.prototype.
  function on(promise, ok, fail) {
    defineProperty(promise, 'constructor', { value: P });
    return apply(then, promise, [ok, fail]);
  }

  function blocked() {
    return new DOMEx('Weir blocked reading the clipboard.', 'NotAllowedError');
  }

  function wrapReadText(original) {
    return function readText() {
      const clip = this;
      return new P((resolve, reject) => {
        on(apply(original, clip, []), (text) => {
          if (typeof text !== 'string' || text === '') return resolve(text);
          on(ask('scan', { event: 'clipboard-read', text }),
             (ok) => (ok === true ? resolve(text) : ok ? resolve(ok.text) : reject(blocked())));
        }, reject);
      });
    };
  }

  // read() hands out ClipboardItems: their text and HTML are read as text, anything else
  // (images) goes to the host as a file it may not be able to read, which the policy covers.
  // Let through masked (issue 24), the page gets one new item holding the masked text
  // and HTML instead of the clipboard's items.
  function wrapRead(original) {
    return function read() {
      const clip = this;
      const args = arguments;
      return new P((resolve, reject) => {
        on(apply(original, clip, args), (items) => {
          on(collect(items), (fields) => {
            on(ask('scan', fields), (ok) => {
              if (ok === true) return resolve(items);
              if (!ok || !Item) return reject(blocked());
              const parts = { 'text/plain': new BlobC([ok.text], { type: 'text/plain' }) };
              if (ok.html) parts['text/html'] = new BlobC([ok.html], { type: 'text/html' });
              return resolve([new Item(parts)]);
            });
          }, reject);
        }, reject);
      });
    };
  }

  function collect(items) {
    const fields = { event: 'clipboard-read', text: '', html: '', files: [] };
    const reads = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const types = apply(typesOf, item, []);
      for (let j = 0; j < types.length; j++) {
        const type = types[j];
        reads[reads.length] = on(apply(getType, item, [type]), (blob) => {
          if (type === 'text/plain' || type === 'text/html') {
            return on(apply(blobText, blob, []), (text) => {
              fields[type === 'text/plain' ? 'text' : 'html'] += text;
            });
          }
          fields.files[fields.files.length] = blob;
          return undefined;
        });
      }
    }
    return on(apply(promiseAll, P, [reads]), () => fields);
  }

  function install(win) {
    const proto = win.Clipboard && win.Clipboard.prototype;
    if (!proto) return;
    for (const [name, wrap] of [['readText', wrapReadText], ['read', wrapRead]]) {
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (!desc || typeof desc.value !== 'function') continue;
      const wrapped = wrap(desc.value);
      defineProperty(wrapped, 'name', { value: name });
      defineProperty(proto, name, { value: wrapped, writable: false, configurable: false, enumerable: desc.enumerable });
    }
  }

  install(window);

  // ---- issue 25: text the page puts on the clipboard itself ----
  // writeText() and write() once they succeed, and setData() on the clipboardData of a
  // trusted copy or cut event while it is dispatched (a page's own copy handler, also the
  // one execCommand('copy') runs). Told to the isolated world, which sends it on as a
  // "page-copy"; whether the page's origin is a source group is decided there, by the
  // browser's origin. Nothing waits for an answer.
  function tellCopy(text) {
    if (typeof text === 'string' && text !== '') apply(postMessage, port, [{ kind: 'copy', rid: 0, text }]);
  }

  function wrapWriteText(original) {
    return function writeText(text) {
      const result = apply(original, this, arguments);
      const copied = String(text);
      on(result, () => tellCopy(copied), () => {});
      return result;
    };
  }

  function wrapWrite(original) {
    return function write(items) {
      const result = apply(original, this, arguments);
      on(result, () => {
        try {
          on(collect(items), (fields) => tellCopy(fields.text), () => {});
        } catch (e) {
          // Items that are not ClipboardItems: the browser refused them, nothing was written.
        }
      }, () => {});
      return result;
    };
  }

  function installWrite(win) {
    const proto = win.Clipboard && win.Clipboard.prototype;
    if (!proto) return;
    for (const [name, wrap] of [['writeText', wrapWriteText], ['write', wrapWrite]]) {
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (!desc || typeof desc.value !== 'function') continue;
      const wrapped = wrap(desc.value);
      defineProperty(wrapped, 'name', { value: name });
      // Left writable, unlike the read wrappers: a page that replaces its own writes only
      // keeps its own copies from counting, which it could as well by not copying, and a
      // page that assigns these (a polyfill) must not break.
      defineProperty(proto, name, { value: wrapped, writable: true, configurable: true, enumerable: desc.enumerable });
    }
  }
  installWrite(window);

  let copyData = null;   // the clipboardData of the trusted copy or cut event being dispatched
  const setTimeoutNative = setTimeout;
  const onCopyEvent = (e) => {
    if (!e.isTrusted || !e.clipboardData) return;
    copyData = e.clipboardData;
    apply(setTimeoutNative, window, [() => { copyData = null; }, 0]);
  };
  window.addEventListener('copy', onCopyEvent, true);
  window.addEventListener('cut', onCopyEvent, true);
  const dtProto = DataTransfer.prototype;
  const nativeSetData = dtProto.setData;
  const toLower = String.prototype.toLowerCase;
  const setData = function setData(type, data) {
    const result = apply(nativeSetData, this, arguments);
    const kind = apply(toLower, String(type), []);
    if (this === copyData && (kind === 'text/plain' || kind === 'text')) {
      tellCopy(String(data));
    }
    return result;
  };
  defineProperty(dtProto, 'setData', { value: setData, writable: true, configurable: true,
                                       enumerable: Object.getOwnPropertyDescriptor(dtProto, 'setData').enumerable });

  // document.open(), and a write() that opens, erase every event listener of the window
  // and the document, the isolated world's too. Right after the browser erased them, this
  // tells the isolated world over a detached element it left here (a detached element
  // keeps its listeners), synchronously, so Weir's listeners are back before anything the
  // page writes next can run. An open of another frame's document through this frame's
  // function is caught by that frame's MutationObserver instead (content/guard.js).
  const reopenEl = document.querySelector('weir-reopen');
  if (reopenEl) {
    reopenEl.remove();
    const dispatch = EventTarget.prototype.dispatchEvent;
    const Ev = Event;
    const docProto = Document.prototype;
    const nativeOpen = docProto.open;
    const nativeWrite = docProto.write;
    const nativeWriteln = docProto.writeln;
    const readyStateOf = Object.getOwnPropertyDescriptor(docProto, 'readyState').get;
    const currentScriptOf = Object.getOwnPropertyDescriptor(docProto, 'currentScript').get;
    const tell = (doc) => {
      if (doc === document) apply(dispatch, reopenEl, [new Ev('weir-reopen')]);
    };
    const open = function open() {
      const result = apply(nativeOpen, this, arguments);
      if (arguments.length < 3) tell(this);  // with three arguments it is window.open
      return result;
    };
    // A write outside a running parser-inserted script opens the document first: done
    // here through open(), so the listeners are back before the written markup runs.
    const wrapWrite = (native, name) => {
      const write = function () {
        if (this === document && (apply(readyStateOf, this, []) !== 'loading' || !apply(currentScriptOf, this, []))) {
          apply(open, this, []);
        }
        return apply(native, this, arguments);
      };
      defineProperty(write, 'name', { value: name });
      return write;
    };
    for (const [name, fn] of [['open', open], ['write', wrapWrite(nativeWrite, 'write')],
      ['writeln', wrapWrite(nativeWriteln, 'writeln')]]) {
      const desc = Object.getOwnPropertyDescriptor(docProto, name);
      defineProperty(docProto, name, { value: fn, writable: false, configurable: false, enumerable: desc.enumerable });
    }
  }
})();
