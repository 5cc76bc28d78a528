// Trusted drops (CDP Input.dispatchDragEvent) of text and of files, and files chosen in an
// <input type=file>, with the real host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, shot, findDialog, waitGone, press, sleep, PRIVATE_KEY, HARMLESS } from './lib/harness.js';

let env;
let page;
let cdp;
let files;
before(async () => {
  env = await launch();
  page = await env.open('drop.html');
  cdp = await env.ctx.newCDPSession(page);
  const dir = path.join(env.dir, 'files');
  fs.mkdirSync(dir);
  files = {
    notes: path.join(dir, 'notes.txt'),
    key: path.join(dir, 'id_rsa.txt'),
  };
  fs.writeFileSync(files.notes, 'meeting notes: buy more coffee\n');
  fs.writeFileSync(files.key, PRIVATE_KEY);
});
after(async () => env && env.close());

async function centre(selector) {
  const box = await page.locator(selector).boundingBox();
  return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
}

// The sequence a real drag ends with, as trusted input events.
async function drop(selector, data) {
  const { x, y } = await centre(selector);
  const payload = Object.assign({ dragOperationsMask: 1 }, data);
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x, y, data: payload });
  }
}

// Files chosen as the browser's own file chooser would set them (CDP DOM.setFileInputFiles):
// the input and change events are trusted, as for a user's choice.
async function choose(file) {
  const { result } = await cdp.send('Runtime.evaluate', { expression: "document.getElementById('file')" });
  await cdp.send('DOM.setFileInputFiles', { files: [file], objectId: result.objectId });
}

async function reset() {
  await page.bringToFront();
  await page.evaluate(() => window.reset());
}

test('drop: harmless text lands once in the textarea', async () => {
  await reset();
  await drop('#ta', { items: [{ mimeType: 'text/plain', data: HARMLESS }] });
  await page.waitForFunction((t) => document.getElementById('ta').value.includes(t), HARMLESS, { timeout: 15000 });
  await sleep(150);
  const value = await page.evaluate(() => document.getElementById('ta').value);
  assert.equal(value.split(HARMLESS).length - 1, 1, 'once');
  assert.equal(value.replace(HARMLESS, ''), 'AB', 'nothing else changed');
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events, [{ type: 'drop-ta', trusted: false }], 'the page saw only the re-dispatched drop');
});

test('drop: a private key as text is blocked', async () => {
  await reset();
  await drop('#ta', { items: [{ mimeType: 'text/plain', data: PRIVATE_KEY }] });
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog');
  assert.match(await dialog.locator('h1').innerText(), /Drop blocked/);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  assert.equal(await page.evaluate(() => document.getElementById('ta').value), 'AB');
  assert.deepEqual(await page.evaluate(() => window.events), []);
});

test('drop: a harmless file reaches the page once', async () => {
  await reset();
  await drop('#zone', { items: [], files: [files.notes] });
  await page.waitForFunction(() => window.dropped.length > 0, null, { timeout: 15000 });
  await sleep(150);
  const dropped = await page.evaluate(() => window.dropped);
  assert.deepEqual(dropped, [{ name: 'notes.txt', text: 'meeting notes: buy more coffee\n' }]);
});

test('drop: a file holding a private key is blocked', async () => {
  await reset();
  await drop('#zone', { items: [], files: [files.key] });
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog');
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.dropped), []);
  assert.deepEqual(await page.evaluate(() => window.events), []);
});

test('upload: a harmless file chosen in <input type=file> reaches the page', async () => {
  await reset();
  await choose(files.notes);
  await page.waitForFunction(() => window.uploaded.length > 0, null, { timeout: 15000 });
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.uploaded), [{ name: 'notes.txt', text: 'meeting notes: buy more coffee\n' }]);
  const events = await page.evaluate(() => window.events.map((e) => e.type));
  assert.deepEqual(events, ['input', 'change'], 'one input and one change');
});

test('upload: a file holding a private key never reaches the page', async () => {
  await reset();
  await choose(files.key);
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog');
  assert.match(await dialog.locator('h1').innerText(), /Upload blocked/);
  // While the dialog is open the input holds nothing the page could read or submit.
  assert.equal(await page.evaluate(() => document.getElementById('file').files.length), 0);
  await shot(page, 'dialog-upload-block.png');
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.uploaded), []);
  assert.deepEqual(await page.evaluate(() => window.events), []);
  assert.equal(await page.evaluate(() => document.getElementById('file').files.length), 0);
});

test('drop onto <input type=file>: harmless files arrive, a private key does not', async () => {
  await reset();
  await drop('#file', { items: [], files: [files.notes] });
  await page.waitForFunction(() => window.uploaded.length > 0, null, { timeout: 15000 });
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.uploaded), [{ name: 'notes.txt', text: 'meeting notes: buy more coffee\n' }]);

  await reset();
  await drop('#file', { items: [], files: [files.key] });
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog');
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.uploaded), []);
  assert.equal(await page.evaluate(() => document.getElementById('file').files.length), 0);
});
