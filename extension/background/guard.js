// Turns a content script's scan (or, for issue 7, gpu) request into an outcome: asks the
// host, applies its verdict, opens a dialog for warn and block, and applies the fail mode
// when the host cannot answer. The origin and URL come from the browser (sender), never
// from the page.

import { HostUnavailable } from './native.js';
import { decide } from './models.js';

const Msg = globalThis.WeirMsg;
const MAX_REPORTS = 200;
// As many as the host tells (VERDICT_MAX_FINDINGS plus its policy reasons); the dialog
// groups them by file and shows a few.
const MAX_REASONS = 70;
const REPORTS_KEY = 'weirReports';

export class Guard {
  constructor({ host, settings, dialogs, uploads }) {
    this.host = host;
    this.uploads = uploads;
    this.settings = settings;
    this.dialogs = dialogs;
    this.flushing = null;
    this.flushAgain = false;
    this.reportsTurn = Promise.resolve();
    this.queued = 0;
  }

  // msg is a Msg.scan() or Msg.gpu() body from a content script.
  async check(msg, sender) {
    const origin = senderOrigin(sender);
    if (!this.guarded(origin, msg.event)) {
      if (Array.isArray(msg.files)) this.uploads.release(msg.files, sender);
      return { action: Msg.ALLOW };
    }
    const request = msg.type === Msg.GPU ? gpuRequest(msg, origin, sender) : scanRequest(msg, origin, sender);
    if (!request) return { action: Msg.BLOCK };
    // A scan may name only its own frame's uploads; a large file takes longer to read, so
    // its reply may take longer: 2 s per 10 MB on top of the policy's timeout, twice what
    // the host allows its scan for them (verdict/decider.c), so its answer comes first.
    const taken = request.files ? this.uploads.take(request.files, sender) : { bytes: 0 };
    if (!taken) return this.failMode(request, sender, 'a file could not be sent to the host');
    const extraMs = Math.ceil(taken.bytes / 10e6) * 2000;
    let reply;
    try {
      reply = await this.host.request(request, extraMs);
    } catch (e) {
      if (!(e instanceof HostUnavailable)) throw e;
      return this.failMode(request, sender, e.message);
    }
    if (!reply || reply.type !== 'verdict') {
      const why = reply && reply.error ? `${reply.error.code}: ${reply.error.message}` : 'no verdict';
      return this.failMode(request, sender, why);
    }
    return this.verdict(reply, request, sender);
  }

  guarded(origin, event) {
    if (origin.startsWith('file:') && !this.settings.get('guard_file_pages')) return false;
    if (event === 'clipboard-read' && !this.settings.get('guard_clipboard_read')) return false;
    return !this.settings.get('exempt_origins').includes(origin);
  }

  async verdict(reply, request, sender) {
    if (reply.verdict === 'allow') return { action: Msg.ALLOW };
    // Issue 24: where the findings are, when the host offers the content masked.
    const redaction = request.type === 'scan' ? offeredRedaction(reply) : null;
    if (reply.verdict === 'redact' && redaction) {
      this.recordRedaction(reply.audit);
      return { action: Msg.REDACT, redaction };
    }
    // Issue 7: a blocked adapter request resolves to null, as on a browser without WebGPU,
    // without a dialog: pages ask for an adapter on load, often just to detect a feature.
    if (request.type === 'gpu' && reply.verdict !== 'warn') return { action: Msg.BLOCK };
    const verdict = reply.verdict === 'warn' ? 'warn' : 'block';
    const view = {
      verdict,
      kind: request.type,
      event: request.event || request.api,
      message: typeof reply.message === 'string' ? reply.message : '',
      rule: typeof reply.rule === 'string' ? reply.rule : '',
      reasons: Array.isArray(reply.reasons) ? reply.reasons.slice(0, MAX_REASONS).map(reasonView) : [],
      justification: verdict === 'warn' && reply.justification === true,
      redact: !!redaction,
      placeholders: redaction ? redaction.placeholders.slice(0, 5) : [],
      learn_more: safeLink(reply.learn_more) || this.settings.get('learn_more_url'),
      origin: request.origin,
    };
    const outcome = await this.openDialog(view, sender, verdict === 'warn' || redaction ? reply.audit : null);
    if (redaction) outcome.redaction = redaction;
    return outcome;
  }

  // Issue 24: the host records a masked paste like a decision on its verdict.
  async recordRedaction(audit) {
    if (typeof audit !== 'string') return;
    const decision = { type: 'decision', audit, action: Msg.REDACT };
    try {
      await this.host.request(decision);
    } catch (e) {
      this.queueReport(decision);
    }
  }

  // The host is unreachable, hung, or answered with an error: the policy's fail mode applies,
  // the user is told, and a report goes to the host once it is back.
  failMode(request, sender, reason) {
    const mode = this.settings.get('fail_mode');
    const event = reason === 'timeout' ? 'timeout' : 'fail-mode';
    this.queueReport({ type: 'report', event, origin: request.origin, verdict: mode,
                       detail: `${request.type}/${request.event || request.api}: ${reason}`.slice(0, 200) });
    if (mode === 'allow') return { action: Msg.ALLOW, notice: 'fail_open' };
    // Issue 7: as for a block verdict, no adapter and no dialog (the report above records it).
    if (request.type === 'gpu' && mode === 'block') return { action: Msg.BLOCK };
    const view = { verdict: mode, kind: request.type, event: request.event || request.api, failure: true,
                   message: '', rule: 'weir-unavailable', reasons: [], justification: false,
                   learn_more: this.settings.get('learn_more_url'), origin: request.origin };
    return this.openDialog(view, sender, null);
  }

  // A subframe's dialog goes to the top frame when its content script answers; otherwise
  // (the top document is one Weir does not run in) the subframe shows it itself.
  async openDialog(view, sender, audit) {
    const tabId = sender.tab.id;
    const id = this.dialogs.create(view, { tabId, frameId: sender.frameId, hostFrameId: sender.frameId, audit,
                                           origin: view.origin });
    if (sender.frameId !== 0) {
      this.dialogs.setHostFrame(id, 0);     // before asking: the top frame waits on it at once
      const shown = await chrome.tabs.sendMessage(tabId, Msg.dialogShow(id), { frameId: 0 }).catch(() => null);
      if (shown && shown.shown === true) return { action: Msg.DIALOG, dialog: id, hosted: true };
      this.dialogs.setHostFrame(id, sender.frameId);
    }
    return { action: Msg.DIALOG, dialog: id };
  }

  // The dialog page's choice. Proceed is honoured only on a warn; a required justification
  // is checked here as well as by the host, so an empty one never gets through.
  async decide(entry, action, justification) {
    const view = entry.view;
    if (action !== Msg.PROCEED && action !== Msg.CANCEL && action !== Msg.REDACT) return { error: 'bad-action' };
    if (action === Msg.PROCEED && view.verdict !== 'warn') return { error: 'blocked' };
    if (action === Msg.REDACT && !view.redact) return { error: 'blocked' };
    const text = typeof justification === 'string' ? justification.trim().slice(0, 2000) : '';
    if (action === Msg.PROCEED && view.justification && !text) return { error: 'justification' };
    if (entry.audit) {
      const decision = { type: 'decision', audit: entry.audit, action };
      if (text && action === Msg.PROCEED) decision.justification = text;
      try {
        const reply = await this.host.request(decision);
        if (reply.type === 'error' && reply.error && reply.error.code !== 'not_found') {
          return { error: 'host', detail: reply.error.message };
        }
      } catch (e) {
        // The choice stands; the host hears of it when it is back.
        this.queueReport(decision);
      }
    } else if (view.failure) {
      this.queueReport({ type: 'report', event: 'fail-mode', origin: view.origin, verdict: view.verdict,
                         detail: `user chose ${action}` });
    }
    this.dialogs.settle(entry.id, action);
    return { ok: true };
  }

  // Issue 20: the policy's WebGPU verdict for the frame's origin, from the hello (no dialog,
  // no audit record): shared and service workers, which Weir cannot reach inside, are
  // refused where it is block. Without a host the fail mode stands in for it.
  async gpuPolicy(sender) {
    const origin = senderOrigin(sender);
    if (!this.guarded(origin, 'gpu')) return { verdict: 'allow' };
    let hello;
    try {
      hello = await this.host.connect();
    } catch (e) {
      if (!(e instanceof HostUnavailable)) throw e;
    }
    const gpu = hello && hello.policy && hello.policy.gpu;
    if (!gpu || typeof gpu.verdict !== 'string') {
      return { verdict: this.settings.get('fail_mode') === 'block' ? 'block' : 'allow' };
    }
    const origins = Array.isArray(gpu.origins) ? gpu.origins.filter((g) => g && Array.isArray(g.match)) : [];
    return { verdict: decide({ verdict: gpu.verdict, origins }, origin) };
  }

  // Issue 7: what the MAIN world's GPU guard could not cover, recorded by the host.
  // A page sends these at will, so they go through the limiter (reports.js) when given one.
  gpuReport(msg, sender, limiter = null) {
    if (!Msg.GPU_REPORTS.includes(msg.report)) return {};
    const detail = typeof msg.detail === 'string' ? msg.detail.slice(0, 200) : '';
    const body = { type: 'report', event: msg.report, origin: senderOrigin(sender), detail };
    if (limiter) limiter.offer(body);
    else this.queueReport(body);
    return {};
  }

  // Reports (and decisions the host missed) wait in session storage, which outlives a
  // service worker restart, and go out after the next successful hello. Each carries a queue
  // id so a flush removes exactly what it sent; changes to the stored list run one at a time,
  // so a report queued while a flush is sending is neither lost nor left behind.
  async queueReport(body) {
    const entry = { qid: `${Date.now()}-${++this.queued}`, body };
    await this.changeReports((stored) => stored.concat([entry]).slice(-MAX_REPORTS));
    if (this.host.state === 'connected') this.flushReports();
  }

  changeReports(change) {
    const run = this.reportsTurn.then(async () => {
      const stored = await storedReports();
      await chrome.storage.session.set({ [REPORTS_KEY]: change(stored) });
    });
    this.reportsTurn = run.catch(() => {});
    return run;
  }

  // Sends until the list is empty or the host stops answering; a flush asked for while one
  // runs makes that one look again when it is done.
  flushReports() {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        await this.reportsTurn;
        const stored = await storedReports();
        for (const entry of stored) {
          try {
            await this.host.send(entry.body);
          } catch (e) {
            return;
          }
          await this.changeReports((now) => now.filter((e) => e.qid !== entry.qid));
        }
      } while (this.flushAgain);
    })().finally(() => { this.flushing = null; });
    return this.flushing;
  }
}

async function storedReports() {
  return (await chrome.storage.session.get(REPORTS_KEY))[REPORTS_KEY] || [];
}

export function senderOrigin(sender) {
  if (typeof sender.origin === 'string' && sender.origin !== 'null') return sender.origin;
  try {
    const url = new URL(sender.url);
    return url.protocol === 'file:' ? 'file://' : url.origin;
  } catch (e) {
    return 'null';
  }
}

// Issue 24: the spans of a verdict that offers the content masked, checked for shape
// (content/redact.js checks them against the strings); null without a valid offer.
const MAX_PIECES = 16384;
function offeredRedaction(reply) {
  const r = reply.redaction;
  if (!r || typeof r !== 'object' || r.offer !== true || !Array.isArray(r.placeholders)) return null;
  const placeholders = r.placeholders.filter((p) => typeof p === 'string').map((p) => p.slice(0, 200));
  if (placeholders.length !== r.placeholders.length || !placeholders.length) return null;
  const pieces = (list) => (Array.isArray(list) && list.length <= MAX_PIECES ? list : []);
  return { placeholders, text: pieces(r.text), html: pieces(r.html) };
}

function scanRequest(msg, origin, sender) {
  if (!Msg.EVENTS.includes(msg.event)) return null;
  // spans: this extension can paste content with what the host found masked (issue 24).
  const req = { type: 'scan', event: msg.event, origin, url: String(sender.url || ''), spans: true };
  if (typeof msg.text === 'string' && msg.text) req.text = msg.text;
  if (typeof msg.html === 'string' && msg.html) req.html = msg.html;
  if (Array.isArray(msg.files) && msg.files.length) req.files = msg.files.slice(0, 256).map(fileEntry);
  return req;
}

function gpuRequest(msg, origin, sender) {
  return { type: 'gpu', origin, url: String(sender.url || ''), api: String(msg.api || 'requestAdapter').slice(0, 64) };
}

function fileEntry(f) {
  const entry = { name: String(f && f.name || 'file').slice(0, 255), mime: String(f && f.mime || '') };
  if (f && Number.isFinite(f.size)) entry.size = f.size;
  if (f && typeof f.data === 'string') entry.data = f.data;
  else if (f && typeof f.upload === 'string') entry.upload = f.upload;
  return entry;
}

// What the dialog may name: rule, pack or document name, label, counts and scores, and
// for what a file held, the file's name and where in it (names, never content).
function reasonView(r) {
  const out = {};
  for (const k of ['kind', 'rule', 'name', 'label', 'columns', 'source']) if (typeof r[k] === 'string') out[k] = r[k].slice(0, 120);
  for (const k of ['file', 'where']) if (typeof r[k] === 'string' && r[k]) out[k] = r[k].slice(0, 300);
  for (const k of ['count', 'score', 'words']) if (typeof r[k] === 'number') out[k] = r[k];
  if (r.source === 'ocr') out.source = 'ocr';   // issue 26: read from an image
  return out;
}

function safeLink(url) {
  return typeof url === 'string' && /^https:\/\//.test(url) ? url : '';
}
