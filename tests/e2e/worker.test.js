// The service worker stops (Chrome stops it when idle, and after an update) while a page
// holds the guard's port open: the next paste opens a new port to a new worker and is
// still checked by the host, and a check in flight when the worker stops is asked again
// rather than lost or let through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, findDialog, waitGone, press, sleep, CARD, HARMLESS, EXTENSION_ID,
  resetTextarea, textareaValue, allTexts } from './lib/harness.js';

let env;
let page;
before(async () => {
  env = await launch({ timeoutMs: 3000 });
  page = await env.open('fields.html');
});
after(async () => env && env.close());

const reset = () => resetTextarea(page);
const value = () => textareaValue(page);

async function paste(text) {
  await writeClipboard(page, { text });
  await reset();
  await pasteKey(page);
}

// Stops the extension's service worker (as an update or a crash does) through DevTools'
// ServiceWorker domain, and waits until it has stopped; a check waiting for it may start
// the next one at once.
async function stopWorker() {
  const cdp = await env.ctx.newCDPSession(page);
  try {
    const seen = [];
    cdp.on('ServiceWorker.workerVersionUpdated', (e) => seen.push(...e.versions));
    await cdp.send('ServiceWorker.enable');
    const ours = (v) => v.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`);
    for (let i = 0; i < 300 && !seen.some((v) => ours(v) && v.runningStatus === 'running'); i++) await sleep(50);
    const sw = seen.find((v) => ours(v) && v.runningStatus === 'running');
    assert.ok(sw, 'the service worker is running');
    const from = seen.length;
    await cdp.send('ServiceWorker.stopWorker', { versionId: sw.versionId });
    const stopped = () => seen.slice(from).some((v) => v.versionId === sw.versionId && v.runningStatus === 'stopped');
    for (let i = 0; i < 300 && !stopped(); i++) await sleep(50);
    assert.ok(stopped(), 'the service worker stopped');
  } finally {
    await cdp.detach();
  }
}

test('a paste after the service worker stopped opens a new port and is still checked', async () => {
  await paste(HARMLESS);
  await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
  await stopWorker();

  await paste(HARMLESS);
  await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });

  await paste(CARD);
  const dialog = await findDialog(page);
  assert.ok(dialog, 'the host warned again after the restart');
  assert.match(await dialog.locator('.card').innerText(), /credit-card/);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  assert.equal(await value(), 'AB');
});

test('a check in flight when the service worker stops is asked again, not lost or let through', async () => {
  // The host holds the check (stopped), so it is still in flight on the port when the
  // worker goes; the content script asks the new worker, which starts a new host.
  const held = env.hostPid();
  assert.ok(held > 0, 'the host is running');
  process.kill(held, 'SIGSTOP');
  try {
    await paste(CARD);
    await sleep(300);
    await stopWorker();
    const dialog = await findDialog(page, 8000);
    assert.ok(dialog, 'the new worker checked it and warned');
    assert.match(await dialog.locator('.card').innerText(), /credit-card/);
    assert.notEqual(env.hostPid(), held, 'a new host answered');
    assert.equal(await value(), 'AB', 'nothing landed before the answer');
    await dialog.locator('textarea').fill('support case 4471');
    await press(page, dialog.locator('[data-action=proceed]'));
    assert.ok(await waitGone(page));
    await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, CARD, { timeout: 15000 });
    await sleep(150);
    assert.equal(await value(), `A${CARD}B`, 'lands once');
  } finally {
    try { process.kill(held, 'SIGCONT'); process.kill(held, 'SIGKILL'); } catch { /* gone */ }
  }
});

test('a dialog open when the service worker stops cancels: nothing lands, the next paste works', async () => {
  await paste(CARD);
  assert.ok(await findDialog(page), 'warn dialog shown');
  await stopWorker();
  assert.ok(await waitGone(page), 'the dialog closed');
  await sleep(150);
  assert.equal(await value(), 'AB', 'cancelled, not let through');
  await paste(HARMLESS);
  await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
});

// Last: it leaves this page without a working extension.
test('the extension reloaded under a page: a paste is kept out and the user is told why', async () => {
  await paste(HARMLESS);   // a port is open when the extension goes
  await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
  const sw = env.ctx.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`)) ||
    await env.ctx.waitForEvent('serviceworker');
  await sw.evaluate(() => chrome.runtime.reload()).catch(() => {});   // the worker goes with it
  await sleep(1000);
  await paste(HARMLESS);
  await sleep(500);
  assert.equal(await value(), 'AB', 'nothing pasted without a check');
  const texts = await allTexts(env.ctx, page);
  assert.ok(texts.some((t) => /Weir was updated or restarted/.test(t)), 'a notice tells the user');
});
