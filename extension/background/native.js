// The one native port to dev.weir.host: opened lazily on the first request, request ids,
// a per-request timeout, and reconnection with exponential backoff after the host exits,
// crashes or hangs. Knows the protocol's framing of requests and replies, not their meaning.

export const HOST_NAME = 'dev.weir.host';

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 15000;

export class HostUnavailable extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'HostUnavailable';
  }
}

export class NativeHost {
  // onHello(reply) runs after every successful handshake (the policy may have changed).
  constructor({ extensionVersion, timeoutMs, onHello, onStateChange }) {
    this.extensionVersion = extensionVersion;
    this.timeoutMs = timeoutMs;          // a function, read per request (policy and managed storage change it)
    this.onHello = onHello;
    this.onStateChange = onStateChange || (() => {});
    this.port = null;
    this.ready = null;                   // Promise of the hello reply for the current port
    this.pending = new Map();            // id -> {resolve, reject, timer}
    this.nextId = 1;
    this.backoffMs = 0;
    this.nextAttemptAt = 0;
    this.retryTimer = null;
    this.lastError = '';
    this.state = 'idle';                 // idle | connecting | connected | down
  }

  // Sends one request and resolves with its reply, or rejects with HostUnavailable when the
  // host cannot be reached or does not answer within the timeout (plus extraMs: a scan of
  // a large uploaded file).
  async request(body, extraMs = 0) {
    await this.connect();
    return this.send(body, extraMs);
  }

  status() {
    return { state: this.state, lastError: this.lastError, backoffMs: this.backoffMs,
             pending: this.pending.size };
  }

  connect() {
    if (this.port && this.ready) return this.ready;
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) {
      // Inside the backoff window: the caller applies the fail mode now rather than waiting.
      return Promise.reject(new HostUnavailable(this.lastError || 'the host is restarting'));
    }
    return this.open();
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.setState('connecting');
    let port;
    try {
      port = chrome.runtime.connectNative(HOST_NAME);
    } catch (e) {
      this.failed(String(e && e.message || e));
      this.ready = null;
      return Promise.reject(new HostUnavailable(this.lastError));
    }
    this.port = port;
    port.onMessage.addListener((msg) => this.receive(port, msg));
    port.onDisconnect.addListener(() => {
      const reason = (chrome.runtime.lastError && chrome.runtime.lastError.message) || 'the host exited';
      this.dropPort(port, reason);
    });
    this.ready = this.send({ type: 'hello', extension_version: this.extensionVersion }).then((reply) => {
      if (reply.type !== 'hello' || reply.protocol !== 1) {
        throw new HostUnavailable('the host does not speak protocol 1');
      }
      this.backoffMs = 0;
      this.nextAttemptAt = 0;
      this.lastError = '';
      this.setState('connected');
      this.onHello(reply);
      return reply;
    });
    this.ready.catch((e) => this.dropPort(port, e.message));
    return this.ready;
  }

  send(body, extraMs = 0) {
    const port = this.port;
    if (!port) return Promise.reject(new HostUnavailable(this.lastError || 'not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HostUnavailable('timeout'));
        // A host that misses a deadline is treated as hung: the next request gets a new one.
        this.dropPort(port, 'the host did not answer in time');
      }, this.timeoutMs() + extraMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        port.postMessage(Object.assign({}, body, { id }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new HostUnavailable(String(e && e.message || e)));
      }
    });
  }

  receive(port, msg) {
    if (port !== this.port || !msg || typeof msg !== 'object') return;
    const entry = this.pending.get(msg.id);
    if (!entry) return;                  // a reply after its timeout: the caller already moved on
    this.pending.delete(msg.id);
    clearTimeout(entry.timer);
    entry.resolve(msg);
  }

  dropPort(port, reason) {
    if (port !== this.port) return;
    this.port = null;
    this.ready = null;
    try { port.disconnect(); } catch (e) { /* already gone */ }
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new HostUnavailable(reason));
      this.pending.delete(id);
    }
    this.failed(reason);
  }

  // Schedules the next attempt; each failure in a row doubles the wait up to the cap. The
  // retry runs in the background so queued reports reach the host once it is back.
  failed(reason) {
    this.lastError = reason;
    this.backoffMs = this.backoffMs ? Math.min(this.backoffMs * 2, BACKOFF_MAX_MS) : BACKOFF_FIRST_MS;
    this.nextAttemptAt = Date.now() + this.backoffMs;
    this.setState('down');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.port) this.open().catch(() => {});
    }, this.backoffMs);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange(state, this.lastError);
  }
}
