// Office files dropped into a page, with the real host and weir-extract: a .docx holding a
// private key is blocked, an .xlsx holding card numbers warns, a harmless .docx arrives.
// The files come from LibreOffice (tests/extract/fixtures.py, built once under build/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, findDialog, waitGone, press, sleep } from './lib/harness.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let env;
let page;
let cdp;
let fixtures;
let hostLog;
const log = () => (hostLog && fs.existsSync(hostLog) ? fs.readFileSync(hostLog, 'utf8') : '');
before(async () => {
  // Skips only when a producer is missing (installer/deps.sh installs them).
  fixtures = execFileSync('python3', [path.join(repo, 'tests/extract/fixtures.py'), path.join(repo, 'build')],
    { encoding: 'utf8', timeout: 600000 }).trim();
  // The host's log (its stderr) kept for a failure's message: never content.
  env = await launch({ timeoutMs: 30000, beforeLaunch: ({ dir, weirHome }) => {
    const wrapper = path.join(dir, 'weir-host-wrapper.sh');
    const text = fs.readFileSync(wrapper, 'utf8').replace(/"\$@"\n$/, `"$@" 2>>'${weirHome}/host.log'\n`);
    fs.writeFileSync(wrapper, text, { mode: 0o755 });
    hostLog = path.join(weirHome, 'host.log');
  } });
  page = await env.open('drop.html');
  cdp = await env.ctx.newCDPSession(page);
});
after(async () => env && env.close());

async function dropFile(name) {
  await page.bringToFront();
  await page.evaluate(() => window.reset());
  const box = await page.locator('#zone').boundingBox();
  const x = Math.round(box.x + box.width / 2);
  const y = Math.round(box.y + box.height / 2);
  const data = { dragOperationsMask: 1, items: [], files: [path.join(fixtures, name)] };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  }
}

test('drop: a .docx holding a private key is blocked', async () => {
  await dropFile('key.docx');
  const dialog = await findDialog(page);
  assert.ok(dialog, `block dialog; host log:\n${log()}`);
  assert.match(await dialog.locator('h1').innerText(), /Drop blocked/);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.dropped), []);
});

test('drop: an .xlsx holding card numbers asks first', async () => {
  await dropFile('cardsheet.xlsx');
  const dialog = await findDialog(page);
  assert.ok(dialog, `warn dialog; host log:\n${log()}`);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.deepEqual(await page.evaluate(() => window.dropped), []);
});

test('drop: a harmless .docx reaches the page', async () => {
  await dropFile('harmless.docx');
  await page.waitForFunction(() => window.dropped.length > 0, null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.dropped[0].name), 'harmless.docx');
});
