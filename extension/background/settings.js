// The settings the extension acts on: built-in defaults, then the host's hello policy, then
// the administrator's managed storage (chrome.storage.managed), which wins because it is
// set from the browser policy and holds even while the host is unreachable.

const DEFAULTS = Object.freeze({
  fail_mode: 'block',          // no hello and no managed value yet: fail safe
  timeout_ms: 3000,
  max_scan_bytes: 32 * 1024 * 1024,
  min_scan_chars: 8,
  guard_file_pages: true,
  guard_clipboard_read: true,
  exempt_origins: [],
  learn_more_url: '',
});

const FAIL_MODES = ['allow', 'warn', 'block'];

export class Settings {
  constructor() {
    this.hello = {};
    this.managed = {};
  }

  async load() {
    try {
      this.managed = sanitizeManaged(await chrome.storage.managed.get(null));
    } catch (e) {
      this.managed = {};            // no managed storage on this platform or no policy
    }
    chrome.storage.onChanged.addListener((changes, area) => {
      if (area !== 'managed') return;
      chrome.storage.managed.get(null).then((v) => { this.managed = sanitizeManaged(v); }, () => {});
    });
  }

  setHelloPolicy(policy) {
    const p = policy && typeof policy === 'object' ? policy : {};
    const hello = {};
    if (FAIL_MODES.includes(p.fail_mode)) hello.fail_mode = p.fail_mode;
    if (validInt(p.timeout_ms)) hello.timeout_ms = p.timeout_ms;
    if (validInt(p.max_scan_bytes)) hello.max_scan_bytes = p.max_scan_bytes;
    if (validInt(p.min_scan_chars)) hello.min_scan_chars = p.min_scan_chars;
    if (p.gpu && typeof p.gpu === 'object') hello.gpu = p.gpu;
    if (p.model_downloads && typeof p.model_downloads === 'object') hello.model_downloads = p.model_downloads;
    this.hello = hello;
  }

  get(name) {
    if (name in this.managed) return this.managed[name];
    if (name in this.hello) return this.hello[name];
    return DEFAULTS[name];
  }

  snapshot() {
    return Object.assign({}, DEFAULTS, this.hello, this.managed);
  }
}

function validInt(v) {
  return Number.isInteger(v) && v > 0;
}

// Managed values come from an admin's JSON; Chromium validates them against the schema but
// a value of the wrong shape must still never switch guarding off by accident.
function sanitizeManaged(v) {
  const out = {};
  if (!v || typeof v !== 'object') return out;
  if (FAIL_MODES.includes(v.fail_mode)) out.fail_mode = v.fail_mode;
  if (validInt(v.timeout_ms)) out.timeout_ms = Math.min(Math.max(v.timeout_ms, 100), 60000);
  if (typeof v.guard_file_pages === 'boolean') out.guard_file_pages = v.guard_file_pages;
  if (typeof v.guard_clipboard_read === 'boolean') out.guard_clipboard_read = v.guard_clipboard_read;
  if (Array.isArray(v.exempt_origins)) out.exempt_origins = v.exempt_origins.filter((o) => typeof o === 'string');
  if (typeof v.learn_more_url === 'string' && v.learn_more_url.startsWith('https://')) out.learn_more_url = v.learn_more_url;
  return out;
}
