// Weir's service worker: routes the content scripts' and the dialog page's messages.
// The native port, the settings, the dialogs and the verdict logic live in their own modules.

import '../shared/messages.js';
import { NativeHost } from './native.js';
import { Settings } from './settings.js';
import { Dialogs } from './dialogs.js';
import { Guard } from './guard.js';
import { ModelDownloads } from './models.js';

const Msg = globalThis.WeirMsg;
const settings = new Settings();
const dialogs = new Dialogs();
// chrome.storage.managed can take seconds to answer right after the browser starts (seen:
// 2.6 s, waiting on the policy service). A paste does not wait that long for it: until it
// answers, the host's policy and the fail-safe defaults apply.
const MANAGED_WAIT_MS = 150;
const managedLoad = settings.load();
const loaded = Promise.race([managedLoad, new Promise((r) => setTimeout(r, MANAGED_WAIT_MS))]);

const host = new NativeHost({
  extensionVersion: chrome.runtime.getManifest().version,
  timeoutMs: () => settings.get('timeout_ms'),
  onHello: (reply) => {
    settings.setHelloPolicy(reply.policy);
    guard.flushReports();
    models.configure(reply.policy && reply.policy.model_downloads);
  },
  onStateChange: (state) => showState(state),
});
const guard = new Guard({ host, settings, dialogs });

// Issue 7: model downloads are watched from the start, so the policy's rules come with a
// hello at once rather than with the first paste.
const models = new ModelDownloads({ report: (body) => host.request(body).catch(() => guard.queueReport(body)) });
models.listen();
host.connect().catch(() => {});

// Tests and the curious read this from the service worker's console.
globalThis.weir = Object.freeze({
  status: () => Object.assign(host.status(), { settings: settings.snapshot(), models: models.snapshot() }),
});

const handlers = {
  // From content scripts (any frame of any tab).
  [Msg.SCAN]: (msg, sender) => guard.check(msg, sender),
  [Msg.GPU]: (msg, sender) => guard.check(msg, sender),
  [Msg.GPU_REPORT]: (msg, sender) => guard.gpuReport(msg, sender),
  [Msg.GPU_POLICY]: (msg, sender) => guard.gpuPolicy(sender),
  [Msg.DIALOG_WAIT]: (msg, sender) => dialogs.wait(msg.dialog, sender),
  [Msg.DIALOG_ABORT]: (msg, sender) => { dialogs.abort(msg.dialog, sender); return {}; },
  // From the dialog page.
  [Msg.DIALOG_GET]: (msg, sender) => {
    const entry = dialogs.claim(msg.dialog, sender);
    return entry ? { view: entry.view } : { error: 'gone' };
  },
  [Msg.DIALOG_DECISION]: (msg, sender) => {
    const entry = dialogs.owned(msg.dialog, sender);
    return entry ? guard.decide(entry, msg.action, msg.justification) : { error: 'gone' };
  },
};

// Only this extension's own scripts reach onMessage and onConnect (no
// externally_connectable); every request still comes from a tab's frame, content script
// or dialog alike.
function handlerFor(msg, sender) {
  const handler = msg && typeof msg.type === 'string' && Object.hasOwn(handlers, msg.type) && handlers[msg.type];
  if (!handler || sender.id !== chrome.runtime.id || !sender.tab) return null;
  return handler;
}

function answer(handler, msg, sender) {
  return loaded.then(() => handler(msg, sender)).catch((e) => {
    console.error('weir:', e);
    return { action: Msg.BLOCK, error: String(e && e.message || e) };
  });
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const handler = handlerFor(msg, sender);
  if (!handler) return false;
  answer(handler, msg, sender).then(sendResponse);
  return true;
});

// The content scripts' checks (scan, gpu) over their port: {rid, body} -> {rid, reply}.
chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== Msg.GUARD_PORT) return;
  port.onMessage.addListener((m) => {
    const body = m && m.body;
    const handler = Number.isInteger(m && m.rid) && body && (body.type === Msg.SCAN || body.type === Msg.GPU) &&
      handlerFor(body, port.sender);
    if (!handler) return;
    answer(handler, body, port.sender).then((reply) => {
      try {
        port.postMessage({ rid: m.rid, reply });
      } catch {
        // The frame went away while it was being checked: nobody is left to tell.
      }
    });
  });
});

chrome.tabs.onRemoved.addListener((tabId) => dialogs.dropTab(tabId));

// The toolbar icon tells the user when Weir cannot reach its host.
function showState(state) {
  const down = state === 'down';
  chrome.action.setBadgeText({ text: down ? '!' : '' }).catch(() => {});
  chrome.action.setBadgeBackgroundColor({ color: '#b3261e' }).catch(() => {});
  chrome.action.setTitle({ title: chrome.i18n.getMessage(down ? 'action_title_down' : 'action_title') }).catch(() => {});
}
