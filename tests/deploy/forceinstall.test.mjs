// The deployed Weir, as an organisation runs it: the weir Debian package is installed and the
// policy files from /usr/share/weir/policies are in /etc/chromium/policies/managed/. Chromium
// starts WITHOUT --load-extension: the extension must arrive by force-install from the
// file:// update URL and find the host through the system manifest folder.
// Run by tests/deploy/run.sh, which installs the package and writes the policy first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { writeClipboard, press, sleep, PRIVATE_KEY, HARMLESS } from '../e2e/lib/harness.js';
import { startServer } from '../e2e/lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(path.join(here, '../e2e/package.json'))('playwright-core');
const HOST = '/usr/lib/weir/weir-host';
const SYSTEM_POLICY = '/usr/share/weir/policies/weir.json';
// The ID comes from the installed policy: the development key's, or an organisation's own
// when installed with install.sh --extension-key.
const EXTENSION_ID = JSON.parse(fs.readFileSync(SYSTEM_POLICY, 'utf8')).ExtensionInstallForcelist[0].split(';')[0];
const DIALOG = `chrome-extension://${EXTENSION_ID}/dialog/dialog.html`;

let dir, ctx, sw, server, page, marker, dataHome;

function isOurs(worker) {
  return worker.url().startsWith(`chrome-extension://${EXTENSION_ID}/`);
}

// A user-level host manifest that NativeMessagingUserLevelHosts=false must make the browser
// ignore: its "host" only leaves a marker behind.
function writeDecoyUserHost(profile) {
  const decoy = path.join(dir, 'decoy-host.sh');
  fs.writeFileSync(decoy, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(profile, 'NativeMessagingHosts'));
  fs.writeFileSync(path.join(profile, 'NativeMessagingHosts', 'dev.weir.host.json'), JSON.stringify({
    name: 'dev.weir.host', description: 'decoy', path: decoy, type: 'stdio',
    allowed_origins: [`chrome-extension://${EXTENSION_ID}/`],
  }));
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-deploy-browser-'));
  const profile = path.join(dir, 'profile');
  dataHome = path.join(dir, 'data');
  marker = path.join(dir, 'decoy-started');
  fs.mkdirSync(profile);
  writeDecoyUserHost(profile);
  server = await startServer();
  const started = Date.now();
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 900, height: 640 },
    // No --load-extension. Playwright's --disable-background-networking would stop the
    // policy's extension download, so it goes too.
    ignoreDefaultArgs: ['--disable-extensions', '--disable-component-extensions-with-background-pages',
      '--disable-background-networking'],
    args: ['--no-first-run', '--disable-sync', '--disable-component-update', '--disable-quic'],
    // The host inherits the browser's environment: its state goes to a scratch XDG_DATA_HOME.
    env: { ...process.env, XDG_DATA_HOME: dataHome },
  });
  sw = ctx.serviceWorkers().find(isOurs)
    || await ctx.waitForEvent('serviceworker', { predicate: isOurs, timeout: 60000 });
  console.log(`# force-installed extension ${EXTENSION_ID} running after ${Date.now() - started} ms`);
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
});

after(async () => {
  await ctx?.close().catch(() => {});
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the extension is installed by policy, not loaded unpacked', async () => {
  const self = await sw.evaluate(() => chrome.management.getSelf());
  assert.equal(self.id, EXTENSION_ID);
  assert.equal(self.installType, 'admin');
  assert.equal(self.mayDisable, false, 'users cannot disable a force-installed extension');
});

test('the managed configuration reaches the extension', async () => {
  // The browser loads an extension's managed policy once the extension and its schema are
  // installed, a moment after the service worker first runs.
  let managed = {};
  const until = Date.now() + 15000;
  while (Object.keys(managed).length === 0 && Date.now() < until) {
    managed = await sw.evaluate(() => chrome.storage.managed.get());
    if (Object.keys(managed).length === 0) await sleep(200);
  }
  const expected = JSON.parse(fs.readFileSync(SYSTEM_POLICY, 'utf8'))['3rdparty'].extensions[EXTENSION_ID];
  assert.deepEqual(managed, expected);
});

// The extension's dialog frame once its card shows, or null after ms (the e2e harness's
// helpers know only the development ID).
async function findDialog(page, ms) {
  const until = Date.now() + ms;
  do {
    for (const frame of page.frames()) {
      if (frame.url().startsWith(DIALOG) && await frame.locator('.card:not([hidden])').count().catch(() => 0)) {
        return frame;
      }
    }
    await sleep(50);
  } while (Date.now() < until);
  return null;
}

async function waitGone(page, ms = 5000) {
  const until = Date.now() + ms;
  while (page.frames().some((f) => f.url().startsWith(DIALOG))) {
    if (Date.now() > until) return false;
    await sleep(50);
  }
  return true;
}

// A step that does not finish names itself, rather than the whole file timing out.
function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// The page opens once the extension has settled (installed, its managed policy loaded), so
// its content scripts are those of the extension that stays.
async function paste(text) {
  if (!page) {
    page = await ctx.newPage();
    await within(20000, 'open the test page', page.goto(`${server.origin}/fields.html`));
  }
  await within(10000, 'focus the field',
    page.evaluate(() => { const t = document.getElementById('textarea'); t.value = ''; t.focus(); }));
  await within(10000, 'write the clipboard', writeClipboard(page, { text }));
  await within(10000, 'press Control+V', page.keyboard.press('Control+V'));
}

const fieldValue = () => within(10000, "read the field", page.evaluate(() => document.getElementById("textarea").value));

test('a private key is blocked', async () => {
  await paste(PRIVATE_KEY);
  const dialog = await findDialog(page, 8000);
  assert.ok(dialog, 'the block dialog shows');
  assert.equal(await dialog.locator('.card').getAttribute('data-verdict'), 'block');
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  assert.equal(await fieldValue(), '', 'nothing reached the page');
});

test('a harmless line is inserted', async () => {
  await paste(HARMLESS);
  const until = Date.now() + 5000;
  while (await fieldValue() !== HARMLESS && Date.now() < until) await sleep(25);
  assert.equal(await fieldValue(), HARMLESS);
  assert.equal(await findDialog(page, 300), null, 'no dialog');
});

test('the verdicts came from the installed host, found through the system manifest folder', async () => {
  const until = Date.now() + 20000;
  let status;
  for (;;) {
    status = await sw.evaluate(() => globalThis.weir.status());
    if (status.state === 'connected' || Date.now() > until) break;
    await sleep(100);
  }
  assert.equal(status.state, 'connected', JSON.stringify(status));
  const hosts = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try { return fs.readlinkSync(`/proc/${pid}/exe`) === HOST; } catch { return false; }
  });
  assert.ok(hosts.length >= 1, `a ${HOST} process runs`);
  assert.equal(fs.existsSync(marker), false, 'the user-level manifest was ignored (NativeMessagingUserLevelHosts)');
});

test('the installed host keeps its audit store in the user data folder, never the content', () => {
  const store = path.join(dataHome, 'weir');
  const files = fs.readdirSync(store);
  assert.ok(files.includes('weir.db'), `store in ${store}: ${files.join(', ')}`);
  for (const f of files) {
    const bytes = fs.readFileSync(path.join(store, f));
    assert.equal(bytes.includes('BEGIN RSA PRIVATE KEY'), false, `${f} holds no pasted key`);
    assert.equal(bytes.includes(HARMLESS), false, `${f} holds no pasted text`);
  }
});
