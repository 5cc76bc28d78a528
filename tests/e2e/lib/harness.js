// Starts Debian's Chromium headless with the Weir extension loaded and the real weir-host
// registered under the test's own user-data-dir, with its own WEIR_HOME. No browser is
// downloaded: playwright-core drives /usr/bin/chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../../..');
export const extensionDir = path.join(repo, 'extension');
export const EXTENSION_ID = 'lofofefebcjmdipjobeoencailainimi';
// Screenshots the tests take go under build/; WEIR_UPDATE_DOCS_IMG=1 writes them into
// docs/img instead, to refresh the pictures the docs show (tests never touch tracked files
// otherwise).
export const docsImg = process.env.WEIR_UPDATE_DOCS_IMG === '1'
  ? path.join(repo, 'docs', 'img') : path.join(repo, 'build', 'e2e-shots');

export const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\n' +
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n' +
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n' +
  '-----END RSA PRIVATE KEY-----\n';
export const CARD = 'card 4111 1111 1111 1111 exp 12/29';
export const HARMLESS = 'hello from the clipboard';

function hostBinary() {
  const candidates = [process.env.WEIR_HOST_BIN, path.join(repo, 'build/host/src/host/weir-host')];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error('weir-host is not built: run `meson setup build && ninja -C build` first');
  return found;
}

// The test policy: the shipped default with a short timeout (the hang test waits for it)
// and a learn-more link on the credentials rule (the block dialog shows it).
function writePolicy(weirHome, timeoutMs, overrides) {
  const policy = JSON.parse(fs.readFileSync(path.join(repo, 'rules/default-policy.json'), 'utf8'));
  policy.timeout_ms = timeoutMs;
  Object.assign(policy, overrides);
  for (const rule of policy.rules) {
    if (rule.id === 'credentials') rule.learn_more = 'https://weir.example/policy/credentials';
  }
  fs.writeFileSync(path.join(weirHome, 'policy.json'), JSON.stringify(policy, null, 2));
}

// A wrapper the browser starts as the host: it records the host's pid, and refuses to start
// while WEIR_HOME/down exists, which is how tests keep the host away.
export function writeHost(dir, weirHome) {
  const wrapper = path.join(dir, 'weir-host-wrapper.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh
[ -e '${weirHome}/down' ] && exit 1
echo $$ > '${weirHome}/host.pid'
WEIR_HOME='${weirHome}' exec '${hostBinary()}' "$@"
`, { mode: 0o755 });
  return wrapper;
}

export function writeHostManifest(userDataDir, wrapper) {
  const dir = path.join(userDataDir, 'NativeMessagingHosts');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'dev.weir.host.json'), JSON.stringify({
    name: 'dev.weir.host',
    description: 'Weir host (test)',
    path: wrapper,
    type: 'stdio',
    allowed_origins: [`chrome-extension://${EXTENSION_ID}/`],
  }, null, 2));
}

// beforeLaunch({dir, weirHome}) runs once the folders and the host wrapper exist and
// before the browser starts: a test that replaces the wrapper does it there, or the
// extension may already have started a host through the old one.
export async function launch({ timeoutMs = 1500, lang = 'en-US', colorScheme = 'light', policy = {},
  beforeLaunch = null } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-e2e-'));
  const weirHome = path.join(dir, 'weir-home');
  const userDataDir = path.join(dir, 'profile');
  fs.mkdirSync(weirHome);
  fs.mkdirSync(userDataDir);
  writePolicy(weirHome, timeoutMs, policy);
  writeHostManifest(userDataDir, writeHost(dir, weirHome));
  if (beforeLaunch) beforeLaunch({ dir, weirHome });
  const server = await startServer();
  const browser = { lang, colorScheme };
  const { ctx, sw } = await startBrowser(userDataDir, browser, server);
  const env = new Env({ dir, weirHome, userDataDir, browser, ctx, sw, server });
  await env.ready();
  return env;
}

// The browser on userDataDir, with the extension; resolves once its service worker runs.
async function startBrowser(userDataDir, { lang, colorScheme }, server) {
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    locale: lang,
    colorScheme,
    viewport: { width: 900, height: 640 },
    // Chromium on Linux takes its UI locale (chrome.i18n) from LANGUAGE, not only --lang.
    env: Object.assign({}, process.env, { LANGUAGE: lang.replace('-', '_'), LANG: `${lang.replace('-', '_')}.UTF-8` }),
    ignoreDefaultArgs: ['--disable-extensions', '--disable-component-extensions-with-background-pages'],
    args: [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`,
      '--no-first-run', '--disable-sync', '--disable-component-update', '--disable-quic', `--lang=${lang}`],
  });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const sw = ctx.serviceWorkers().find(isOurs) || await ctx.waitForEvent('serviceworker', { predicate: isOurs });
  return { ctx, sw };
}

function isOurs(worker) {
  return worker.url().startsWith(`chrome-extension://${EXTENSION_ID}/`);
}

export class Env {
  constructor(fields) {
    Object.assign(this, fields);
  }

  url(page) {
    return `${this.server.origin}/${page}`;
  }

  async open(pageName) {
    const page = await this.ctx.newPage();
    await page.goto(this.url(pageName));
    return page;
  }

  // The service worker's view of the host: {state, lastError, ...}.
  status() {
    return this.sw.evaluate(() => globalThis.weir.status());
  }

  // The first check of a test must not race the host's start: on a busy machine a cold
  // start can take longer than the extension's timeout, and the paste would then meet the
  // fail mode. Waits for the host unless the test keeps it away (WEIR_HOME/down).
  async ready() {
    if (!fs.existsSync(path.join(this.weirHome, 'down'))) await this.waitConnected(60000);
  }

  async waitConnected(ms = 20000) {
    const until = Date.now() + ms;
    for (;;) {
      const s = await this.status();
      if (s.state === 'connected') return s;
      if (Date.now() > until) throw new Error(`host not connected: ${JSON.stringify(s)}`);
      await sleep(100);
    }
  }

  hostPid() {
    try {
      return Number(fs.readFileSync(path.join(this.weirHome, 'host.pid'), 'utf8').trim());
    } catch (e) {
      return 0;
    }
  }

  setHostDown(down) {
    const flag = path.join(this.weirHome, 'down');
    if (down) fs.writeFileSync(flag, '');
    else fs.rmSync(flag, { force: true });
  }

  // Closes the browser and starts it again on the same profile and WEIR_HOME (issue 25:
  // what the host remembers must outlive a browser restart). The old host ends with its
  // port; the new browser starts a new one. Permissions granted to other origins are gone.
  async restart() {
    await Promise.race([this.ctx.close().catch(() => {}), sleep(15000)]);
    Object.assign(this, await startBrowser(this.userDataDir, this.browser, this.server));
    await this.ready();
  }

  async close() {
    // A browser that does not close in time must not hold the suite.
    await Promise.race([this.ctx.close().catch(() => {}), sleep(15000)]);
    await this.server.close();
    const pid = this.hostPid();
    if (pid) {
      try { process.kill(pid, 'SIGCONT'); process.kill(pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Playwright calls without a timeout of their own (evaluate, count) get one here, so a
// stuck frame fails the test with a name instead of holding the suite.
export async function within(ms, promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- page helpers ----

export async function writeClipboard(page, { text, html, png }) {
  await within(5000, page.bringToFront(), 'bringToFront');
  await within(5000, page.evaluate(async ({ text, html, png }) => {
    if (!html && !png) return navigator.clipboard.writeText(text);
    const parts = {};
    if (text) parts['text/plain'] = new Blob([text], { type: 'text/plain' });
    if (html) parts['text/html'] = new Blob([html], { type: 'text/html' });
    if (png) {
      const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
      parts['image/png'] = new Blob([bytes], { type: 'image/png' });
    }
    return navigator.clipboard.write([new ClipboardItem(parts)]);
  }, { text, html, png }), 'clipboard write');
}

// fields.html's textarea: "AB" with the caret between the two letters, and its value.
export async function resetTextarea(page) {
  await within(5000, page.bringToFront(), 'bringToFront');
  await within(5000, page.evaluate(() => {
    document.getElementById('textarea').value = 'AB';
    window.caret('textarea', 1);
  }), 'reset the textarea');
}

export function textareaValue(page) {
  return within(3000, page.evaluate(() => window.valueOf('textarea')), 'read the textarea');
}

// Every text node of the page, closed shadow roots included (which the page cannot
// read; CDP can): where Weir's notices are.
export async function allTexts(ctx, page) {
  const cdp = await ctx.newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const texts = [];
    (function walk(n) {
      if (n.nodeType === 3) texts.push(n.nodeValue);
      for (const c of [...(n.children || []), ...(n.shadowRoots || [])]) walk(c);
    })(root);
    return texts;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

export async function pasteKey(page) {
  await within(5000, page.keyboard.press('Control+V'), 'Control+V');
}

// The dialog frame (extension origin) once its card is showing, or null after ms. Waits
// that expect something to happen are generous (15 s): they return as soon as it does, and
// CI runs on a busy machine, where a host's cold start can take seconds.
export async function findDialog(page, ms = 15000) {
  const until = Date.now() + ms;
  const prefix = `chrome-extension://${EXTENSION_ID}/dialog/dialog.html`;
  while (Date.now() < until) {
    for (const frame of page.frames()) {
      if (!frame.url().startsWith(prefix)) continue;
      const shown = await within(1000, frame.locator('.card:not([hidden])').count(), 'dialog frame').catch(() => 0);
      // A closed dialog's frame stays a moment, hidden, before it is removed.
      const visible = shown && await within(1000, frame.frameElement().then((el) => el.isVisible()), 'dialog frame element')
        .catch(() => false);
      if (visible) return frame;
    }
    await sleep(50);
  }
  return null;
}

export async function noDialog(page) {
  const prefix = `chrome-extension://${EXTENSION_ID}/dialog/`;
  return !page.frames().some((f) => f.url().startsWith(prefix));
}

export async function waitGone(page, ms = 15000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await noDialog(page)) return true;
    await sleep(50);
  }
  return false;
}

// A 1x1 PNG, for image pastes.
export const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export function saveShot(name) {
  fs.mkdirSync(docsImg, { recursive: true });
  return path.join(docsImg, name);
}

// A screenshot for the docs. caret: 'initial' keeps Playwright from injecting a style into
// every frame (the dialog's frame included), which was seen to stall; a screenshot that
// still fails is reported, not fatal: it documents, it does not test.
export async function shot(page, name) {
  try {
    await within(15000, page.screenshot({ path: saveShot(name), caret: 'initial', animations: 'allow', timeout: 10000 }), 'screenshot');
  } catch (e) {
    console.error(`screenshot ${name} not taken: ${e.message}`);
  }
}

// A trusted click at the element's centre, as raw input to the page (the dialog frame goes
// away as a result of the click, which Playwright's own locator.click may wait on forever).
// In Weir's dialog it first waits until the dialog has been in plain view long enough for a
// Proceed to count (card[data-seen], dialog.js), as a user's reading time would.
export async function press(page, locator) {
  await locator.waitFor({ state: 'visible', timeout: 15000 });
  await within(15000, locator.evaluate(async (el) => {
    const card = el.closest('.card');
    for (let i = 0; card && card.dataset.seen !== 'true' && i < 280; i++) await new Promise((r) => setTimeout(r, 50));
  }), 'the dialog in plain view');
  const box = await within(5000, locator.boundingBox(), 'boundingBox');
  await within(5000, page.mouse.click(box.x + box.width / 2, box.y + box.height / 2), 'mouse click');
}
