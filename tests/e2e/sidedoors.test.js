// The side doors a hostile page can use around the paste, drop and upload guard (issue 20),
// each tried from the page's point of view in real Chromium with the real host: the page
// wants the content and uses whatever web API gives it. Every test asserts both that Weir
// stopped the private key (a dialog) and that the page's own listeners got none of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  launch, findDialog, waitGone, press, sleep, within, allTexts, writeClipboard, pasteKey, PRIVATE_KEY, HARMLESS,
} from './lib/harness.js';

let env;
let page;
let cdp;
let dir;
before(async () => {
  env = await launch();
  page = await env.open('sidedoors.html');
  cdp = await env.ctx.newCDPSession(page);
  dir = path.join(env.dir, 'files');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'meeting notes: buy more coffee\n');
  fs.writeFileSync(path.join(dir, 'id_rsa.txt'), PRIVATE_KEY);
});
after(async () => env && env.close());

const file = (name) => path.join(dir, name);
const got = () => within(3000, page.evaluate(() => window.got), 'read what the page got');

async function reset() {
  await within(5000, page.bringToFront(), 'bringToFront');
  await within(3000, page.evaluate(() => window.reset()), 'reset');
}

async function centre(selector) {
  const box = await page.locator(selector).boundingBox();
  return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
}

// The sequence a real drag from outside the browser ends with, as trusted input events.
async function drop(selector, data) {
  const { x, y } = await centre(selector);
  const payload = Object.assign({ dragOperationsMask: 1, items: [] }, data);
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x, y, data: payload });
  }
}

// Blocked: the dialog says so, and once it is closed the page has got nothing.
async function assertBlocked(what) {
  const dialog = await findDialog(page);
  assert.ok(dialog, `${what}: a block dialog`);
  assert.match(await dialog.locator('h1').innerText(), /blocked/i);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(300);
  const leaked = (await got()).filter((g) => String(g.value).includes('PRIVATE KEY'));
  assert.deepEqual(leaked, [], `${what}: the page got none of the key`);
}

async function waitGot(predicate, what) {
  const until = Date.now() + 5000;
  for (;;) {
    const now = await got();
    if (predicate(now)) return now;
    if (Date.now() > until) assert.fail(`${what}: the page got ${JSON.stringify(now)}`);
    await sleep(50);
  }
}

test('a key file dropped on a file input whose page cancels the drop is blocked', async () => {
  await reset();
  await drop('#grab', { files: [file('id_rsa.txt')] });
  await assertBlocked('drop on a file input');
});

test('a harmless file dropped on that file input reaches the page', async () => {
  await reset();
  await drop('#grab', { files: [file('notes.txt')] });
  const now = await waitGot((g) => g.some((x) => x.how === 'input-drop-file'), 'harmless drop on a file input');
  assert.deepEqual(now.filter((x) => x.how === 'input-drop-file').map((x) => x.value), ['meeting notes: buy more coffee\n']);
});

async function chooseHidden(name) {
  const { result } = await cdp.send('Runtime.evaluate', { expression: 'window.shadowInput()' });
  await cdp.send('DOM.setFileInputFiles', { files: [file(name)], objectId: result.objectId });
}

test('a key file chosen in a file input inside a closed shadow root is blocked', async () => {
  await reset();
  await chooseHidden('id_rsa.txt');
  await assertBlocked('closed shadow root upload');
});

test('a harmless file chosen in that closed shadow root reaches its change listener', async () => {
  await reset();
  await chooseHidden('notes.txt');
  await waitGot((g) => g.some((x) => x.how === 'shadow-change' && x.value.startsWith('meeting notes')), 'closed shadow root upload');
});

test('a private key in a custom type beside harmless text is blocked', async () => {
  await reset();
  await drop('#zone', { items: [{ mimeType: 'text/plain', data: HARMLESS }, { mimeType: 'text/x-anything', data: PRIVATE_KEY }] });
  await assertBlocked('custom MIME type');
});

test('more than 256 files in one drop: refused with a notice, none reaches the page', async () => {
  await reset();
  const many = path.join(dir, 'many');
  fs.mkdirSync(many, { recursive: true });
  const paths = [];
  for (let i = 0; i < 300; i++) {
    const p = path.join(many, `f${i}.txt`);
    fs.writeFileSync(p, i === 299 ? PRIVATE_KEY : `note ${i}\n`);
    paths.push(p);
  }
  await drop('#zone', { files: paths });
  const until = Date.now() + 5000;
  let texts = [];
  while (Date.now() < until && !texts.some((t) => /at most 256 files/.test(t))) {
    texts = await allTexts(env.ctx, page);
    await sleep(100);
  }
  assert.ok(texts.some((t) => /at most 256 files/.test(t)), 'the notice says why');
  await sleep(300);
  assert.deepEqual(await got(), [], 'the page got no file');
});

test('a folder holding a key file, dropped on a drop zone, is blocked', async () => {
  await reset();
  const folder = path.join(dir, 'project');
  fs.mkdirSync(path.join(folder, 'keys'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'readme.txt'), 'a project\n');
  fs.writeFileSync(path.join(folder, 'keys', 'deploy.pem'), PRIVATE_KEY);
  await drop('#zone', { files: [folder] });
  await assertBlocked('a dropped folder');
});

test('a harmless folder dropped on a drop zone reaches the page as its files', async () => {
  await reset();
  const folder = path.join(dir, 'notes-folder');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'a.txt'), 'first note\n');
  fs.writeFileSync(path.join(folder, 'b.txt'), 'second note\n');
  await drop('#zone', { files: [folder] });
  const now = await waitGot((g) => g.filter((x) => x.how === 'zone-file').length === 2, 'harmless folder');
  assert.deepEqual(now.filter((x) => x.how === 'zone-file').map((x) => x.value).sort(), ['first note\n', 'second note\n']);
});

test('a key file beside a file too large to send is still read, and blocked', async () => {
  await reset();
  const big = path.join(dir, 'video.bin');
  fs.writeFileSync(big, Buffer.alloc(33 * 1024 * 1024, 7));
  await drop('#zone', { files: [big, file('id_rsa.txt')] });
  const dialog = await findDialog(page);
  assert.ok(dialog, 'a dialog');
  assert.match(await dialog.locator('.card').innerText(), /private-key/, 'the small file was read');
  await assertBlocked('a key beside a big file');
});

test('a private key in a UTF-16 text file (as PowerShell writes it) is blocked', async () => {
  await reset();
  const utf16 = path.join(dir, 'key-utf16.txt');
  fs.writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PRIVATE_KEY, 'utf16le')]));
  await drop('#zone', { files: [utf16] });
  await assertBlocked('a UTF-16 key file');
});

test('a drag whose source removed itself does not let a later outside drop through', async () => {
  await reset();
  // A real drag from the page's own element (raw mouse input, intercepted by CDP), then
  // cancelled, as Esc would.
  await cdp.send('Input.setInterceptDrags', { enabled: true });
  const intercepted = new Promise((resolve) => cdp.once('Input.dragIntercepted', resolve));
  const from = await centre('#source');
  const mouse = (type, x, y) => cdp.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount: 1 });
  await mouse('mousePressed', from.x, from.y);
  for (let i = 1; i <= 5; i++) await mouse('mouseMoved', from.x + 8 * i, from.y + 8 * i);
  const { data } = await within(5000, intercepted, 'drag intercepted');
  await cdp.send('Input.setInterceptDrags', { enabled: false });
  const to = await centre('#zone');
  await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', x: to.x, y: to.y, data });
  await cdp.send('Input.dispatchDragEvent', { type: 'dragCancel', x: to.x, y: to.y, data });
  await mouse('mouseReleased', to.x, to.y);
  assert.equal(await within(3000, page.evaluate(() => !!document.getElementById('source')), 'source'), false,
    'the page removed the drag source');
  // Then a private key dragged in from outside.
  await drop('#zone', { items: [{ mimeType: 'text/plain', data: PRIVATE_KEY }] });
  await assertBlocked('an outside drop after a vanished drag');
});

test('after document.open() a pasted key is still blocked, and the page\'s new listeners see none of it', async () => {
  await within(5000, page.bringToFront(), 'bringToFront');
  await within(3000, page.evaluate(() => window.reopen()), 'reopen');
  await page.locator('#ta').click();
  await writeClipboard(page, { text: PRIVATE_KEY });
  await page.locator('#ta').click();
  await pasteKey(page);
  await assertBlocked('paste after document.open');
  assert.equal(await page.locator('#ta').inputValue(), 'AB');
  // And a harmless paste still works there, once, through Weir.
  await writeClipboard(page, { text: HARMLESS });
  await page.locator('#ta').click();
  await pasteKey(page);
  await page.waitForFunction((t) => document.getElementById('ta').value.includes(t), HARMLESS, { timeout: 15000 });
  const seen = await got();
  assert.ok(seen.every((g) => g.value === HARMLESS), JSON.stringify(seen));
  // Reload for any test after this one: the reopened document has no helpers.
  await page.goto(env.url('sidedoors.html'));
});
