// Weir's WebGPU guard, MAIN world, every frame, document_start, right after main-world.js
// and before any page script (issue 7). A page gets a GPUAdapter only when Weir lets it:
// GPU.prototype.requestAdapter asks the host (type "gpu") through the private channel of
// main-world.js; allow returns the adapter, warn shows the dialog and proceed returns it,
// block (or cancel) resolves to null, as on a browser without WebGPU.
//
// Where a page could find an unwrapped requestAdapter, and what covers it:
// - a fresh same-origin iframe (about:blank, srcdoc, javascript:): Chromium runs this script
//   in it too (match_about_blank), and the contentWindow/contentDocument getters and
//   window.open install the wrapper in a child window before handing it out, in case a page
//   reaches the child before its own content scripts have run;
// - dedicated workers (classic and module): window.Worker starts them with a prelude
//   (WORKER_PRELUDE below) that wraps the worker's GPU and asks through a MessagePort that
//   only this closure and the prelude hold; where the page's CSP refuses blob: workers the
//   plain worker starts and the host records an "unguarded" report;
// - shared and service workers cannot be reached inside: they start only where the
//   policy's WebGPU verdict for the origin is not block and this document's answer is not
//   no (issue 20); the model-download layer (background/models.js) sees their requests.
//   docs/webgpu.md has the whole picture.
//
// Everything used after document_start is captured first: a page may later replace
// Promise.prototype.then, Reflect, URL, Blob or MessagePort.prototype.postMessage.
(function () {
  'use strict';
  const HANDOFF = '__weirMainAsk';
  const handoff = Object.getOwnPropertyDescriptor(window, HANDOFF);
  delete window[HANDOFF];
  const ask = handoff && typeof handoff.value === 'function' ? handoff.value : null;

  const P = Promise;
  const then = P.prototype.then;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const defineProperty = Object.defineProperty;
  const getDescriptor = Object.getOwnPropertyDescriptor;
  const WeakSetC = WeakSet;
  const wsHas = WeakSet.prototype.has, wsAdd = WeakSet.prototype.add;
  const URLC = URL;
  const createObjectURL = URL.createObjectURL;
  const revokeObjectURL = URL.revokeObjectURL;
  const urlHref = getDescriptor(URL.prototype, 'href').get;
  const urlOrigin = getDescriptor(URL.prototype, 'origin').get;
  const urlProtocol = getDescriptor(URL.prototype, 'protocol').get;
  const BlobC = Blob;
  const MessageChannelC = MessageChannel;
  const channelPort1 = getDescriptor(MessageChannel.prototype, 'port1').get;
  const channelPort2 = getDescriptor(MessageChannel.prototype, 'port2').get;
  const portPost = MessagePort.prototype.postMessage;
  const portOnMessage = getDescriptor(MessagePort.prototype, 'onmessage').set;
  const workerPost = typeof Worker === 'function' ? Worker.prototype.postMessage : null;
  const eventData = getDescriptor(MessageEvent.prototype, 'data').get;
  const jsonStringify = JSON.stringify;
  const StringC = String;
  const setTimeoutF = setTimeout;
  const docBaseURI = getDescriptor(Node.prototype, 'baseURI').get;
  // A window's origin, read when it is needed: in a fresh iframe's initial about:blank
  // document this script runs while the origin still reads "null", before the creator's is
  // inherited (issue 20: a relative worker URL from such a realm then seemed cross-origin
  // and started natively, unguarded).
  const windowOrigin = getDescriptor(window, 'origin').get;

  // ---- the decision, once per document ----
  // The first request asks; every later one (from this frame or its workers) shares the
  // answer, so a page that calls requestAdapter in a loop gets one dialog and one audit
  // record. Without the channel (main-world.js did not run) the answer is no.
  let decision = null;
  function allowed() {
    if (decision === null) {
      decision = ask ? ask('gpu', { api: 'requestAdapter' }) : P.resolve(false);
    }
    return decision;
  }

  // Issue 20: whether this document may start shared and service workers, which Weir cannot
  // wrap inside. The policy's verdict for the origin (asked once, without a dialog or an
  // audit record) must not be block, and the document's own answer, once asked, must not be
  // no. A warn origin keeps them (asking would put a GPU dialog on every page that starts a
  // service worker); docs/webgpu.md says so.
  let originPolicy = null;
  let workersKnownOk = false;
  function workersAllowed() {
    if (originPolicy === null) originPolicy = ask ? ask('gpu', { api: 'policy' }) : P.resolve(false);
    return new P((resolve) => {
      on(originPolicy, (ok) => {
        if (ok !== true) return resolve(false);
        if (decision === null) {
          workersKnownOk = true;
          return resolve(true);
        }
        on(decision, (d) => resolve(d === true), () => resolve(false));
        return undefined;
      }, () => resolve(false));
    });
  }

  function on(promise, ok, fail) {
    defineProperty(promise, 'constructor', { value: P });
    return apply(then, promise, [ok, fail]);
  }

  // Tells the host something it cannot see itself (a worker Weir could not reach).
  function report(event, detail) {
    if (ask) on(ask('gpu', { api: 'report', report: event, detail: StringC(detail).slice(0, 160) }), () => {});
  }

  // ---- GPU.prototype.requestAdapter ----
  const wrappers = new WeakSetC();

  function wrapRequestAdapter(original) {
    // A method (not a function expression): not constructible, no prototype, as natives.
    const wrapped = {
      requestAdapter() {
        const gpu = this;
        const args = arguments;
        return new P((resolve, reject) => {
          on(allowed(), (ok) => {
            if (!ok) return resolve(null);
            on(apply(original, gpu, args), resolve, reject);
            return undefined;
          }, () => resolve(null));
        });
      },
    }.requestAdapter;
    apply(wsAdd, wrappers, [wrapped]);
    return wrapped;
  }

  // Replaces a method on proto for good: non-configurable, so neither the page nor a second
  // copy of this script (in a child frame this one reached first) can redefine it. Methods
  // pages commonly assign over (window.open, Worker's) stay writable: whatever a page puts
  // there can only call the wrapper, since no same-origin realm has an unwrapped one.
  function lockMethod(proto, name, wrap, writable) {
    const desc = proto && getDescriptor(proto, name);
    if (!desc || typeof desc.value !== 'function' || apply(wsHas, wrappers, [desc.value])) return;
    if (!desc.configurable) return;
    defineProperty(proto, name, { value: wrap(desc.value), writable: writable === true && desc.writable,
                                  configurable: false, enumerable: desc.enumerable });
  }

  function lockGetter(proto, name, wrap) {
    const desc = proto && getDescriptor(proto, name);
    if (!desc || typeof desc.get !== 'function' || apply(wsHas, wrappers, [desc.get]) || !desc.configurable) return;
    const get = wrap(desc.get);
    apply(wsAdd, wrappers, [get]);
    defineProperty(proto, name, { get, set: desc.set, configurable: false, enumerable: desc.enumerable });
  }

  // ---- child windows ----
  const installed = new WeakSetC();

  // Installs the guard in a window this frame can reach (itself or a same-origin child).
  // A cross-origin child throws on the first property read: it gets its own content scripts.
  function install(win) {
    let gpuClass;
    try {
      if (apply(wsHas, installed, [win])) return;
      gpuClass = win.GPU;
    } catch (e) {
      return;
    }
    apply(wsAdd, installed, [win]);
    if (typeof gpuClass === 'function') lockMethod(gpuClass.prototype, 'requestAdapter', wrapRequestAdapter);
    if (typeof win.Worker === 'function') {
      lockMethod(win.Worker.prototype, 'postMessage', wrapPostMessage, true);
      lockMethod(win.Worker.prototype, 'terminate', wrapTerminate, true);
      lockConstructor(win, 'Worker', (orig) => wrapWorker(orig, win));
    }
    if (typeof win.SharedWorker === 'function') lockConstructor(win, 'SharedWorker', wrapSharedWorker);
    if (typeof win.ServiceWorkerContainer === 'function') {
      lockMethod(win.ServiceWorkerContainer.prototype, 'register', (orig) => wrapRegister(orig, win));
    }
    for (const cls of ['HTMLIFrameElement', 'HTMLFrameElement', 'HTMLObjectElement']) {
      const proto = win[cls] && win[cls].prototype;
      lockGetter(proto, 'contentWindow', childGetter);
      lockGetter(proto, 'contentDocument', childGetter);
    }
    lockMethod(win, 'open', wrapOpen, true);
  }

  // contentWindow / contentDocument: the child gets the guard before the page gets the child.
  function childGetter(get) {
    return getDescriptor({
      get child() {
        const value = apply(get, this, []);
        if (value) {
          let win = value;
          try { if (value.defaultView) win = value.defaultView; } catch (e) { /* cross-origin window */ }
          install(win);
        }
        return value;
      },
    }, 'child').get;
  }

  function wrapOpen(original) {
    return {
      open() {
        const win = apply(original, this, arguments);
        if (win) install(win);
        return win;
      },
    }.open;
  }

  // ---- dedicated workers ----
  function lockConstructor(win, name, wrap) {
    const desc = getDescriptor(win, name);
    if (!desc || typeof desc.value !== 'function' || apply(wsHas, wrappers, [desc.value]) || !desc.configurable) return;
    const wrapped = wrap(desc.value);
    apply(wsAdd, wrappers, [wrapped]);
    defineProperty(win, name, { value: wrapped, writable: desc.writable, configurable: false,
                                enumerable: desc.enumerable });
  }

  // new Worker(url, options) starts a blob: worker whose prelude wraps the worker's GPU,
  // then loads the page's script from its real URL. The page gets a real Worker object.
  function wrapWorker(OriginalWorker, win) {
    function Worker(url, options) {
      if (!new.target) return apply(OriginalWorker, this, arguments);   // throws as native does
      const target = new.target === Worker ? OriginalWorker : new.target;
      // The arguments are read once, here: a URL whose toString() changes between calls, or
      // an options getter that throws once, must not show the native constructor something
      // other than what was checked. Nothing below falls back to an unguarded worker.
      const href = StringC(url);
      const opts = workerOptions(options);
      const real = resolveScript(href, win);
      if (real === null) return construct(OriginalWorker, opts ? [href, opts] : [href], target);   // native errors
      const module = opts !== undefined && opts.type === 'module';
      const blobUrl = apply(createObjectURL, URLC, [new BlobC([preludeSource(real, module)],
                                                             { type: 'text/javascript' })]);
      let worker;
      try {
        worker = construct(OriginalWorker, opts ? [blobUrl, opts] : [blobUrl], target);
      } finally {
        setTimeoutF(() => apply(revokeObjectURL, URLC, [blobUrl]), 30000);
      }
      const relay = { state: 'starting', held: [], plain: null,
                      fallback: () => construct(OriginalWorker, opts ? [real, opts] : [real], OriginalWorker),
                      what: `${module ? 'module' : 'classic'} worker ${withoutQuery(real)}` };
      apply(weakMapSet, relays, [worker, relay]);
      apply(addListener, worker, ['error', (e) => onStartError(worker, relay, e), true]);
      connectWorker(worker, relay);
      return worker;
    }
    defineProperty(Worker, 'prototype', { value: OriginalWorker.prototype });
    defineProperty(Worker, 'name', { value: 'Worker' });
    defineProperty(Worker, 'length', { value: 1 });
    return Worker;
  }

  // WorkerOptions as a plain object read once (undefined when none were given), so that
  // getters run once, before anything is decided.
  function workerOptions(options) {
    if (options === undefined) return undefined;
    if (options === null || typeof options !== 'object') return options;
    const copy = {};
    for (const key of ['type', 'credentials', 'name']) {
      const value = options[key];
      if (value !== undefined) copy[key] = StringC(value);
    }
    return copy;
  }

  // A report names the script, never its query string (which may carry a token).
  const strIndexOf = String.prototype.indexOf, strSlice = String.prototype.slice;
  function withoutQuery(u) {
    let end = u.length;
    for (const c of ['?', '#']) {
      const i = apply(strIndexOf, u, [c]);
      if (i !== -1 && i < end) end = i;
    }
    return apply(strSlice, u, [0, end]);
  }

  // The script URL the worker would have run, or null to let the native constructor decide
  // (and fail) exactly as it would have: cross-origin, unparseable, a scheme it refuses.
  // A fresh iframe's initial about:blank document may still have "about:blank" as its base,
  // against which a relative URL does not parse although the native constructor resolves
  // it (against the creator's): this document's base stands in then (issue 20).
  function resolveScript(url, win) {
    let parsed;
    try {
      parsed = new URLC(url, apply(docBaseURI, win.document, []));
    } catch (e) {
      try {
        parsed = new URLC(url, apply(docBaseURI, document, []));
      } catch (e2) {
        return null;
      }
    }
    const protocol = apply(urlProtocol, parsed, []);
    if (protocol === 'data:') return apply(urlHref, parsed, []);
    if (protocol !== 'blob:' && apply(urlOrigin, parsed, []) !== apply(windowOrigin, win, [])) return null;
    return apply(urlHref, parsed, []);
  }

  // The worker's private line: a MessageChannel whose port2 is the first message the worker
  // ever gets (the page holds the Worker object only after this returns). The prelude keeps
  // it in a closure; nothing else in the page or the worker can post on it.
  function connectWorker(worker, relay) {
    const channel = new MessageChannelC();
    const mine = apply(channelPort1, channel, []);
    const theirs = apply(channelPort2, channel, []);
    apply(portOnMessage, mine, [(e) => serveWorker(mine, apply(eventData, e, []), worker, relay)]);
    apply(workerPost, worker, [{ weirGpuPort: theirs }, [theirs]]);
  }

  function serveWorker(port, m, worker, relay) {
    if (m === null || typeof m !== 'object') return;
    if (m.kind === 'ready') {
      if (relay.state === 'starting') settle(worker, relay, 'guarded');
      return;
    }
    if (typeof m.rid !== 'number') return;
    const rid = m.rid;
    if (m.kind === 'report') {
      report('unguarded', StringC(m.detail));
      return;
    }
    on(allowed(), (ok) => apply(portPost, port, [{ rid, allowed: ok === true }]), () => {
      apply(portPost, port, [{ rid, allowed: false }]);
    });
  }

  // ---- a page CSP that refuses blob: workers ----
  // Chromium does not throw for it: the worker object is made, then gets a plain "error"
  // event and never runs. Until the prelude says it is running ("ready" on the port), the
  // page's messages to the worker are held (their transferables moved out, as posting
  // would). A plain error before that means the blob: worker was refused: the page's
  // script then starts as a plain worker (unguarded, and reported), and the Worker object
  // the page holds relays to it: messages both ways, errors, terminate().
  const relays = new WeakMap();
  const weakMapGet = WeakMap.prototype.get, weakMapSet = WeakMap.prototype.set;
  const addListener = EventTarget.prototype.addEventListener;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const stopNow = Event.prototype.stopImmediatePropagation;
  const ErrorEventC = ErrorEvent;
  const EventC = Event;
  const errorMessage = getDescriptor(ErrorEvent.prototype, 'message').get;
  const MessageEventC = MessageEvent;
  const eventPorts = getDescriptor(MessageEvent.prototype, 'ports').get;
  const workerTerminate = typeof Worker === 'function' ? Worker.prototype.terminate : null;
  const structuredCloneF = structuredClone;

  // Only the browser's own plain error counts: not one the page dispatches (isTrusted is an
  // own, unforgeable property), nor a script error (an ErrorEvent, told by the captured
  // getter's brand check, which holds across realms and whatever the page deletes).
  function isErrorEvent(e) {
    try {
      apply(errorMessage, e, []);
      return true;
    } catch (x) {
      return false;
    }
  }

  // The plain worker starts only when the document's answer is yes (issue 20): under block
  // the page's worker fails as a refused script would, and a warn asks first.
  function onStartError(worker, relay, e) {
    if (relay.state !== 'starting' || !e.isTrusted || isErrorEvent(e)) return;
    apply(stopNow, e, []);
    relay.state = 'deciding';
    const refuse = () => {
      if (relay.state !== 'deciding') return;
      relay.state = 'refused';
      relay.held = [];
      apply(dispatch, worker, [new EventC('error')]);
    };
    on(allowed(), (ok) => {
      if (ok !== true) return refuse();
      if (relay.state !== 'deciding') return undefined;   // terminated meanwhile
      report('unguarded', `${relay.what}: the page's Content-Security-Policy refuses blob: workers`);
      settle(worker, relay, 'relayed');
      return undefined;
    }, refuse);
  }

  function settle(worker, relay, state) {
    relay.state = state;
    const target = state === 'guarded' ? worker : (relay.plain = startPlain(worker, relay));
    const held = relay.held;
    relay.held = [];
    for (let i = 0; i < held.length; i++) apply(workerPost, target, [held[i].data, held[i].transfer]);
  }

  function startPlain(worker, relay) {
    const plain = relay.fallback();
    const forward = (type) => (e) => {
      const copy = type === 'message' || type === 'messageerror'
        ? new MessageEventC(type, { data: apply(eventData, e, []), ports: apply(eventPorts, e, []) })
        : new ErrorEventC('error', { message: e.message, filename: e.filename, lineno: e.lineno, colno: e.colno,
                                     error: e.error, cancelable: true });
      apply(dispatch, worker, [copy]);
    };
    apply(addListener, plain, ['message', forward('message')]);
    apply(addListener, plain, ['messageerror', forward('messageerror')]);
    apply(addListener, plain, ['error', forward('error')]);
    return plain;
  }

  function wrapPostMessage(original) {
    return {
      postMessage(message, transfer) {
        const relay = apply(weakMapGet, relays, [this]);
        if (!relay || relay.state === 'guarded') return apply(original, this, arguments);
        if (relay.state === 'relayed') return apply(original, relay.plain, arguments);
        if (relay.state === 'refused' || relay.state === 'terminated') return undefined;
        const list = transferList(transfer);
        const moved = structuredCloneF({ data: message, transfer: list }, { transfer: list });
        relay.held[relay.held.length] = moved;
        return undefined;
      },
    }.postMessage;
  }

  function transferList(t) {
    if (t === undefined || t === null) return [];
    if (typeof t === 'object' && !(Symbol.iterator in t) && t.transfer !== undefined) return [...t.transfer];
    return [...t];
  }

  function wrapTerminate(original) {
    return {
      terminate() {
        const relay = apply(weakMapGet, relays, [this]);
        if (relay && relay.plain) apply(original, relay.plain, []);
        if (relay) relay.state = 'terminated';
        return apply(original, this, arguments);
      },
    }.terminate;
  }

  // ---- shared workers (issue 20) ----
  // A shared worker runs the page's script as it is (a per-page blob: prelude would give
  // every page its own instance), so Weir cannot wrap the GPU inside it: it starts only
  // when workersAllowed(). Until that is known the page holds a stand-in: an object of the
  // SharedWorker class (an EventTarget underneath) whose port is one end of a
  // MessageChannel; once allowed, the real worker starts and the two ports are joined.
  // Refused, the stand-in gets an "error" event, as for a script that could not load (so
  // does a URL the native constructor would have thrown for, since it is tried only then).
  const shells = new WeakMap();
  const EventTargetC = EventTarget;
  const portStart = MessagePort.prototype.start;
  const portClose = MessagePort.prototype.close;

  function wrapSharedWorker(OriginalShared) {
    const proto = OriginalShared.prototype;
    const nativePort = getDescriptor(proto, 'port').get;
    function SharedWorker(url, options) {
      if (!new.target) return apply(OriginalShared, this, arguments);   // throws as native does
      const target = new.target === SharedWorker ? OriginalShared : new.target;
      const href = StringC(url);
      const opts = typeof options === 'object' && options !== null ? workerOptions(options)
        : options === undefined ? undefined : StringC(options);
      const args = opts === undefined ? [href] : [href, opts];
      if (workersKnownOk && decision === null) return construct(OriginalShared, args, target);
      const shell = construct(EventTargetC, [], target);
      const channel = new MessageChannelC();
      const pagePort = apply(channelPort1, channel, []);
      const mine = apply(channelPort2, channel, []);
      apply(weakMapSet, shells, [shell, pagePort]);
      on(workersAllowed(), (ok) => {
        if (ok !== true) {
          apply(portClose, mine, []);
          apply(dispatch, shell, [new EventC('error')]);
          return;
        }
        let real;
        try {
          real = construct(OriginalShared, args, OriginalShared);
        } catch (e) {
          apply(dispatch, shell, [new EventC('error')]);
          return;
        }
        join(mine, apply(nativePort, real, []));
        apply(addListener, real, ['error', () => apply(dispatch, shell, [new EventC('error')])]);
      }, () => apply(dispatch, shell, [new EventC('error')]));
      return shell;
    }
    defineProperty(SharedWorker, 'prototype', { value: proto });
    defineProperty(SharedWorker, 'name', { value: 'SharedWorker' });
    defineProperty(SharedWorker, 'length', { value: 1 });
    lockGetter(proto, 'port', (get) => getDescriptor({
      get port() {
        const stand = apply(weakMapGet, shells, [this]);
        return stand !== undefined ? stand : apply(get, this, []);
      },
    }, 'port').get);
    // AbstractWorker's onerror: the stand-in is no SharedWorker to the native accessor.
    const onerror = getDescriptor(proto, 'onerror');
    if (onerror && onerror.configurable && typeof onerror.set === 'function') {
      const handlers = new WeakMap();
      const removeListener = EventTarget.prototype.removeEventListener;
      defineProperty(proto, 'onerror', {
        get: getDescriptor({
          get onerror() {
            if (apply(weakMapGet, shells, [this]) === undefined) return apply(onerror.get, this, []);
            const h = apply(weakMapGet, handlers, [this]);
            return h === undefined ? null : h.value;
          },
        }, 'onerror').get,
        set: getDescriptor({
          set onerror(value) {
            if (apply(weakMapGet, shells, [this]) === undefined) return apply(onerror.set, this, [value]);
            const old = apply(weakMapGet, handlers, [this]);
            if (old !== undefined) apply(removeListener, this, ['error', old.listener]);
            if (typeof value !== 'function') {
              apply(weakMapSet, handlers, [this, { value: null, listener: null }]);
              return undefined;
            }
            const listener = (e) => apply(value, this, [e]);
            apply(weakMapSet, handlers, [this, { value, listener }]);
            apply(addListener, this, ['error', listener]);
            return undefined;
          },
        }, 'onerror').set,
        configurable: false, enumerable: onerror.enumerable,
      });
    }
    return SharedWorker;
  }

  // Joins the stand-in's port to the real worker's: messages and their ports both ways.
  function join(a, b) {
    const pass = (to) => (e) => apply(portPost, to, [apply(eventData, e, []), [...apply(eventPorts, e, [])]]);
    apply(portOnMessage, a, [pass(b)]);
    apply(portOnMessage, b, [pass(a)]);
    apply(portStart, a, []);
    apply(portStart, b, []);
  }

  // ---- service workers (issue 20) ----
  // navigator.serviceWorker.register() settles after workersAllowed(): refused, it rejects
  // with a SecurityError, as for a script the browser will not register.
  const DOMExceptionC = DOMException;
  function wrapRegister(original) {
    return {
      register(scriptURL) {
        const container = this;
        const options = arguments[1];
        const args = [typeof scriptURL === 'string' ? scriptURL : StringC(scriptURL)];
        if (options !== undefined) {
          const copy = {};
          if (options !== null && typeof options === 'object') {
            for (const key of ['scope', 'type', 'updateViaCache']) {
              const value = options[key];
              if (value !== undefined) copy[key] = StringC(value);
            }
          }
          args[1] = copy;
        }
        return new P((resolve, reject) => {
          const refuse = () => reject(new DOMExceptionC(
            'Weir: this site may not use the graphics processor, so it may not register a service worker',
            'SecurityError'));
          on(workersAllowed(), (ok) => {
            if (ok !== true) return refuse();
            on(apply(original, container, args), resolve, reject);
            return undefined;
          }, refuse);
        });
      },
    }.register;
  }

  function preludeSource(realUrl, module) {
    return `(${WORKER_PRELUDE})(${jsonStringify(realUrl)}, ${module ? 'true' : 'false'});`;
  }

  // ---- the worker prelude ----
  // Runs first in the worker (stringified into the blob). Kept self-contained: it shares
  // nothing with this closure but the port it receives.
  function WORKER_PRELUDE(realUrl, isModule) {
    'use strict';
    const P = Promise;
    const apply = Reflect.apply;
    const construct = Reflect.construct;
    const defineProperty = Object.defineProperty;
    const getDescriptor = Object.getOwnPropertyDescriptor;
    const then = P.prototype.then;
    const portPost = MessagePort.prototype.postMessage;
    const eventData = getDescriptor(MessageEvent.prototype, 'data').get;
    const eventPorts = getDescriptor(MessageEvent.prototype, 'ports').get;
    const stopNow = Event.prototype.stopImmediatePropagation;
    const addListener = EventTarget.prototype.addEventListener;
    const removeListener = EventTarget.prototype.removeEventListener;
    const dispatch = EventTarget.prototype.dispatchEvent;
    const MessageEventC = MessageEvent;
    const URLC = URL;
    const StringC = String;
    // Captured before the worker's own code runs, which may replace any of them before it
    // starts a nested worker.
    const BlobC = Blob;
    const createObjectURL = URL.createObjectURL;
    const MessageChannelC = MessageChannel;
    const channelPort1 = getDescriptor(MessageChannel.prototype, 'port1').get;
    const channelPort2 = getDescriptor(MessageChannel.prototype, 'port2').get;
    const portOnMessage = getDescriptor(MessagePort.prototype, 'onmessage').set;
    const urlHref = getDescriptor(URL.prototype, 'href').get;
    const jsonStringify = JSON.stringify;
    const MapC = Map;
    const mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete;
    const base = new URLC(realUrl);
    // A URL the browser could not parse is passed on as it was, to fail as it would have.
    const resolve = (u) => {
      if (typeof u !== 'string' && !(u instanceof URLC)) return u;
      try {
        return new URLC(StringC(u), base).href;
      } catch (e) {
        return u;
      }
    };

    // The page's port arrives as the first message; requests made before it wait for it.
    let port = null;
    const queued = [];
    const waiting = new MapC();
    let nextRid = 1;
    function onFirst(e) {
      const data = apply(eventData, e, []);
      // Only the browser's delivery of the page's first message counts: the worker's own
      // code can dispatch a MessageEvent with a port of its making, but not a trusted one.
      if (port !== null || !e.isTrusted || data === null || typeof data !== 'object' || !data.weirGpuPort) return;
      apply(stopNow, e, []);
      apply(removeListener, self, ['message', onFirst, true]);
      port = data.weirGpuPort;
      apply(portPost, port, [{ kind: 'ready' }]);
      apply(portOnMessage, port, [(m) => {
        const reply = apply(eventData, m, []);
        const done = reply && apply(mapGet, waiting, [reply.rid]);
        if (!done) return;
        apply(mapDelete, waiting, [reply.rid]);
        done(reply.allowed === true);
      }]);
      for (let i = 0; i < queued.length; i++) apply(portPost, port, [queued[i]]);
      queued.length = 0;
    }
    apply(addListener, self, ['message', onFirst, true]);

    function send(body) {
      if (port) apply(portPost, port, [body]);
      else queued[queued.length] = body;
    }
    function ask() {
      return new P((done) => {
        const rid = nextRid++;
        apply(mapSet, waiting, [rid, done]);
        send({ rid, kind: 'gpu', api: 'requestAdapter' });
      });
    }

    // The worker's GPU.
    if (typeof GPU === 'function') {
      const original = GPU.prototype.requestAdapter;
      const requestAdapter = {
        requestAdapter() {
          const gpu = this;
          const args = arguments;
          return new P((ok, fail) => {
            apply(then, ask(), [(yes) => (yes ? apply(then, apply(original, gpu, args), [ok, fail]) : ok(null))]);
          });
        },
      }.requestAdapter;
      defineProperty(GPU.prototype, 'requestAdapter', { value: requestAdapter, writable: false, configurable: false });
    }

    // Nested dedicated workers: same prelude, their requests relayed over this worker's port.
    if (typeof Worker === 'function') {
      const OriginalWorker = Worker;
      const workerPost = Worker.prototype.postMessage;
      const prelude = `(${StringC(WORKER_PRELUDE)})`;
      // Options read once into a plain object, as in the page's wrapper.
      const optionsOnce = (options) => {
        if (options === undefined || options === null || typeof options !== 'object') return options;
        const copy = {};
        for (const key of ['type', 'credentials', 'name']) {
          const value = options[key];
          if (value !== undefined) copy[key] = StringC(value);
        }
        return copy;
      };
      const NestedWorker = function Worker(url, options) {
        if (!new.target) return apply(OriginalWorker, this, arguments);
        const real = apply(urlHref, new URLC(StringC(url), base), []);
        const opts = optionsOnce(options);
        const module = opts !== null && typeof opts === 'object' && opts.type === 'module';
        const blob = new BlobC([`${prelude}(${jsonStringify(real)}, ${module});`], { type: 'text/javascript' });
        const worker = construct(OriginalWorker, opts === undefined ? [apply(createObjectURL, URLC, [blob])]
          : [apply(createObjectURL, URLC, [blob]), opts], new.target);
        const channel = new MessageChannelC();
        const mine = apply(channelPort1, channel, []);
        const theirs = apply(channelPort2, channel, []);
        apply(portOnMessage, mine, [(m) => {
          const body = apply(eventData, m, []);
          if (!body || typeof body.rid !== 'number') return undefined;
          if (body.kind === 'report') return send(body);
          return apply(then, ask(), [(yes) => apply(portPost, mine, [{ rid: body.rid, allowed: yes }])]);
        }]);
        apply(workerPost, worker, [{ weirGpuPort: theirs }, [theirs]]);
        return worker;
      };
      defineProperty(NestedWorker, 'prototype', { value: OriginalWorker.prototype });
      defineProperty(self, 'Worker', { value: NestedWorker, writable: true, configurable: false });
    }

    // The worker runs from a blob: URL, so its location and relative URLs would resolve
    // against that. Give back the real ones: location, importScripts, fetch, XHR, Request.
    const realLocation = new URLC(realUrl);
    defineProperty(WorkerGlobalScope.prototype, 'location', { get: () => realLocation, configurable: true });
    if (typeof importScripts === 'function') {
      const originalImport = importScripts;
      self.importScripts = function importScripts() {
        const urls = [];
        for (let i = 0; i < arguments.length; i++) urls.push(resolve(arguments[i]));
        return apply(originalImport, self, urls);
      };
    }
    const originalFetch = fetch;
    self.fetch = function fetch(input, init) {
      return apply(originalFetch, self, [resolve(input), init]);
    };
    const OriginalRequest = Request;
    self.Request = new Proxy(OriginalRequest, {
      construct: (t, args, nt) => construct(t, [resolve(args[0]), args[1]], nt === self.Request ? t : nt),
    });
    const xhrOpen = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function open(method, url) {
      const args = Array.prototype.slice.call(arguments);
      args[1] = resolve(url);
      return apply(xhrOpen, this, args);
    };

    // Now the page's own script, from its real URL. A module loads by dynamic import, which
    // finishes after this prelude returns: messages the page sends meanwhile are held and
    // delivered once the module has run, as they would have been.
    if (!isModule) {
      importScripts(realUrl);
      return;
    }
    const held = [];
    function hold(e) {
      apply(stopNow, e, []);
      held.push(e);
    }
    apply(addListener, self, ['message', hold, true]);
    const release = () => {
      apply(removeListener, self, ['message', hold, true]);
      for (const e of held.splice(0)) {
        apply(dispatch, self, [new MessageEventC('message', { data: apply(eventData, e, []),
                                                              ports: apply(eventPorts, e, []) })]);
      }
    };
    import(realUrl).then(release, (err) => {
      release();
      setTimeout(() => { throw err; });
    });
  }
  install(window);
})();
