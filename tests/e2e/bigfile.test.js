// A 100 MB file goes to the host in chunks (protocol 1's uploads, docs/protocol.md): a
// real drop in Chromium of a file made here with a private key near its end is blocked
// when the policy's max_scan_bytes allows its size, and gets the oversize verdict when it
// does not. The file is written in this run's temporary folder and removed with it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, findDialog, waitGone, press, sleep, PRIVATE_KEY } from './lib/harness.js';

const SIZE = 100 * 1000 * 1000;
const envs = [];
after(async () => { for (const env of envs) await env.close(); });

// size bytes of plain text, the key 4 KiB before the end when withKey.
function writeBigFile(file, withKey, size = SIZE) {
  const line = 'quarterly numbers, nothing secret here, just filler text 0123456789\n';
  const block = Buffer.from(line.repeat(Math.floor((1 << 20) / line.length)));
  const tail = Buffer.concat([Buffer.from(withKey ? PRIVATE_KEY : ''), Buffer.alloc(4096, '.')]);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  while (written + block.length < size - tail.length) written += fs.writeSync(fd, block);
  written += fs.writeSync(fd, Buffer.alloc(size - tail.length - written, 'x'));
  fs.writeSync(fd, tail);
  fs.closeSync(fd);
  assert.equal(fs.statSync(file).size, size);
}

async function dropFile(env, file) {
  const page = await env.open('drop.html');
  const cdp = await env.ctx.newCDPSession(page);
  const box = await page.locator('#zone').boundingBox();
  const x = Math.round(box.x + box.width / 2), y = Math.round(box.y + box.height / 2);
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x, y, data: { dragOperationsMask: 1, items: [], files: [file] } });
  }
  return page;
}

async function reasons(dialog) {
  return dialog.locator('#reasons').innerText().catch(() => '');
}

test('a 100 MB file with a private key near its end is blocked when max_scan_bytes allows it', async () => {
  const env = await launch({ timeoutMs: 20000, policy: { max_scan_bytes: 128 * 1024 * 1024 } });
  envs.push(env);
  const file = path.join(env.dir, 'export.log');
  writeBigFile(file, true);
  const hello = await env.sw.evaluate(() => globalThis.weir.status());
  assert.equal(hello.state, 'connected');
  const started = Date.now();
  const page = await dropFile(env, file);
  const dialog = await findDialog(page, 120000);
  assert.ok(dialog, 'a dialog');
  console.log(`# 100 MB drop -> dialog in ${Date.now() - started} ms`);
  assert.match(await dialog.locator('h1').innerText(), /Drop blocked/);
  // The key itself was found (not the fail mode, not oversize).
  assert.match(await reasons(dialog), /private-key/);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.dropped), []);
  // The host is still serving, and a harmless file too large to go inline (40 MB, past
  // the 32 MiB inline room) goes in chunks, is allowed, and reaches the page whole.
  const harmless = path.join(env.dir, 'harmless.log');
  writeBigFile(harmless, false, 40 * 1000 * 1000);
  const page2 = await dropFile(env, harmless);
  await page2.waitForFunction(() => window.dropped.length > 0, null, { timeout: 120000 });
  assert.deepEqual(await page2.evaluate(() => window.dropped.map((d) => [d.name, d.text.length])),
    [['harmless.log', 40 * 1000 * 1000]]);
  assert.equal((await env.status()).state, 'connected');
});

test('the same file gets the oversize verdict when max_scan_bytes is below its size', async () => {
  const env = await launch({ timeoutMs: 20000, policy: { max_scan_bytes: 64 * 1024 * 1024 } });
  envs.push(env);
  const file = path.join(env.dir, 'export.log');
  writeBigFile(file, true);
  const page = await dropFile(env, file);
  const dialog = await findDialog(page, 60000);
  assert.ok(dialog, 'a dialog');
  assert.match(await dialog.locator('#message').innerText(), /too large to check/);
  assert.match(await reasons(dialog), /oversize/);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.dropped), []);
});
