// Helpers for faults.test.js, on top of harness.js: a host wrapper that keeps the host's
// log and can put a garbage-answering proxy in front of the real weir-host, the weir CLI
// on the test's WEIR_HOME, and pastes that land or fail.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch, repo, writeClipboard, pasteKey, findDialog, waitGone, sleep } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export function hostBinary() {
  const candidates = [process.env.WEIR_HOST_BIN, path.join(repo, 'build/host/src/host/weir-host')];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error('weir-host is not built');
  return found;
}

// The weir CLI of the same build as the host.
export function weirBinary() {
  const sibling = path.resolve(path.dirname(hostBinary()), '../cli/weir');
  return process.env.WEIR_BIN || sibling;
}

// Replaces the harness's wrapper (the manifest names it; the browser runs it at every
// connect): the same down flag and pid file, plus the host's stderr kept in DIR/host.log
// (outside WEIR_HOME, so a full WEIR_HOME does not lose it), and with {garbage: true}
// the faulty-host.py proxy, which answers garbage while DIR/garbage names a mode.
export function installWrapper(env, { garbage = false } = {}) {
  const wrapper = path.join(env.dir, 'weir-host-wrapper.sh');
  const run = garbage
    ? `exec python3 '${path.join(here, 'faulty-host.py')}' '${garbageFile(env)}' '${hostBinary()}' "$@"`
    : `exec '${hostBinary()}' "$@"`;
  fs.writeFileSync(wrapper, `#!/bin/sh
[ -e '${env.weirHome}/down' ] && exit 1
echo $$ > '${env.weirHome}/host.pid'
export WEIR_HOME='${env.weirHome}'
exec 2>>'${hostLogPath(env)}'
${run}
`, { mode: 0o755 });
}

export function garbageFile(env) {
  return path.join(env.dir, 'garbage');
}

export function setGarbage(env, mode) {
  if (mode) fs.writeFileSync(garbageFile(env), mode);
  else fs.rmSync(garbageFile(env), { force: true });
}

function hostLogPath(env) {
  return path.join(env.dir, 'host.log');
}

export function hostLog(env) {
  try {
    return fs.readFileSync(hostLogPath(env), 'utf8');
  } catch (e) {
    return '';
  }
}

// The host's warning lines that carry text (each problem is told once per session).
export function warnings(env, text) {
  return hostLog(env).split('\n').filter((l) => l.includes('WARNING') && l.includes(text));
}

export function weir(env, ...args) {
  const cliEnv = Object.assign({}, process.env, { WEIR_HOME: env.weirHome });
  for (const v of ['DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS']) delete cliEnv[v];
  return execFileSync(weirBinary(), args, { env: cliEnv, encoding: 'utf8', timeout: 60000 });
}

export function pinKey(env) {
  const key = path.join(env.dir, 'device.pub');
  weir(env, 'audit', 'key', '-o', key);
  return key;
}

export function records(env) {
  const out = path.join(env.dir, 'export.jsonl');
  weir(env, 'audit', 'export', '-o', out);
  return fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export function verify(env, key) {
  return weir(env, 'audit', 'verify', '-p', key);
}

// A page with the plain fields, and pastes into its textarea.
export class Paster {
  constructor(page) {
    this.page = page;
  }

  async reset() {
    await this.page.bringToFront();
    await this.page.evaluate(() => {
      document.getElementById('textarea').value = 'AB';
      window.caret('textarea', 1);
    });
  }

  value() {
    return this.page.evaluate(() => window.valueOf('textarea'));
  }

  async paste(text) {
    await writeClipboard(this.page, { text });
    await this.reset();
    const start = Date.now();
    await pasteKey(this.page);
    return start;
  }

  // The text is inserted: Weir let it through.
  async lands(text, ms = 15000) {
    await this.paste(text);
    await this.page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, text, { timeout: ms });
  }

  // A dialog comes up within ms; returns {message, took, proceed, reasons} and closes it
  // with its cancel/close button, then checks nothing was inserted.
  async blocked(text, ms) {
    const start = await this.paste(text);
    const dialog = await findDialog(this.page, ms);
    const took = Date.now() - start;
    if (!dialog) throw new Error(`no dialog within ${ms} ms`);
    const out = {
      took,
      message: await dialog.locator('#message').innerText(),
      title: await dialog.locator('#title').innerText(),
      proceed: await dialog.locator('[data-action=proceed]').isVisible(),
      reasons: await dialog.locator('#reasons').innerText().catch(() => ''),
    };
    await click(this.page, dialog.locator('[data-action=cancel]'));
    if (!(await waitGone(this.page))) throw new Error('the dialog did not go away');
    await sleep(100);
    out.value = await this.value();
    return out;
  }
}

// A trusted click at the element's centre, like harness.js's press, but not waiting for
// the renderer's acknowledgement of the mouse-up: the click removes the dialog's frame,
// and that acknowledgement was seen lost now and then (the click then hung for good).
// Its effect is awaited instead (waitGone).
async function click(page, locator) {
  await locator.waitFor({ state: 'visible', timeout: 15000 });
  const box = await locator.boundingBox();
  page.mouse.click(box.x + box.width / 2, box.y + box.height / 2).catch(() => {});
}

// Waits until the extension's queued reports have reached the host.
export async function reportsFlushed(env, ms = 8000) {
  const until = Date.now() + ms;
  for (;;) {
    const n = await env.sw.evaluate(async () => ((await chrome.storage.session.get('weirReports')).weirReports || []).length);
    if (n === 0) return;
    if (Date.now() > until) throw new Error(`${n} reports still queued`);
    await sleep(100);
  }
}

// Long enough that "at once" (a dead host) and "after the timeout" (a hung one) stay apart
// on a busy machine, where a dialog can take a second or two to show.
export const TIMEOUT_MS = 4000;
export const NOT_RESPONDING = /not responding/;       // the extension's own fail-mode text
export const UNRECORDED = /cannot write its audit log/; // the host's fail-safe verdict text

// A browser with the extension, the wrapper above and the plain-fields page, closed after.
export async function withBrowser(options, body) {
  // The wrapper goes in before the browser starts: the extension may connect at once.
  const env = await launch({ timeoutMs: TIMEOUT_MS, beforeLaunch: (e) => installWrapper(e, options) });
  try {
    const paster = new Paster(await env.open('fields.html'));
    await body(env, paster);
  } finally {
    await env.close();
  }
}

export const reportsOf = (recs, kind) => recs.filter((r) => r.event === 'report' && r.reported === kind);
