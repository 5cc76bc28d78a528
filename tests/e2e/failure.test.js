// The host killed or hung mid-session: the policy's fail mode (block, from the host's
// hello) applies within the timeout and the user is told; once the host is back the next
// paste works, and the fail-mode events reach the host's audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, findDialog, waitGone, press, sleep, shot, HARMLESS,
  resetTextarea, textareaValue } from './lib/harness.js';

// Long enough that "at once" (a dead host) and "after the timeout" (a hung one) stay apart
// on a busy machine, where a dialog can take a second or two to show.
const TIMEOUT_MS = 4000;
let env;
let page;
before(async () => {
  env = await launch({ timeoutMs: TIMEOUT_MS });
  page = await env.open('fields.html');
});
after(async () => env && env.close());

const reset = () => resetTextarea(page);
const value = () => textareaValue(page);

async function pasteLands() {
  await writeClipboard(page, { text: HARMLESS });
  await reset();
  await pasteKey(page);
  await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
}

// Pastes and expects the fail-mode dialog; returns how long it took to show.
async function pasteFails(shotName) {
  await writeClipboard(page, { text: HARMLESS });
  await reset();
  const start = Date.now();
  await pasteKey(page);
  const dialog = await findDialog(page, TIMEOUT_MS + 4000);
  const took = Date.now() - start;
  assert.ok(dialog, 'the user is told');
  assert.match(await dialog.locator('#message').innerText(), /not responding/);
  assert.equal(await dialog.locator('[data-action=proceed]').isVisible(), false, 'fail mode block: no proceed');
  if (shotName) await shot(page, shotName);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(100);
  assert.equal(await value(), 'AB', 'nothing let through');
  return took;
}

async function reports() {
  return env.sw.evaluate(async () => ((await chrome.storage.session.get('weirReports')).weirReports || []).length);
}

test('host killed: fail mode at once, the next paste after it is back works', async () => {
  await pasteLands();
  const status = await env.waitConnected();
  assert.equal(status.settings.fail_mode, 'block', 'fail mode from the host policy');
  const pid = env.hostPid();
  assert.ok(pid > 0);
  env.setHostDown(true);
  process.kill(pid, 'SIGKILL');
  const took = await pasteFails('dialog-host-down.png');
  assert.ok(took < TIMEOUT_MS + 4000, `within the timeout (${took} ms)`);
  assert.ok((await reports()) >= 1, 'a fail-mode report waits for the host');
  env.setHostDown(false);
  await env.waitConnected();
  await pasteLands();
  assert.notEqual(env.hostPid(), pid, 'a new host');
  for (let i = 0; i < 150 && (await reports()) > 0; i++) await sleep(100);
  assert.equal(await reports(), 0, 'the report reached the host once it was back');
});

test('host hung (SIGSTOP): fail mode after the timeout, the next paste after SIGCONT works', async () => {
  await env.waitConnected();
  await pasteLands();
  const pid = env.hostPid();
  process.kill(pid, 'SIGSTOP');
  try {
    const took = await pasteFails();
    assert.ok(took >= TIMEOUT_MS - 100, `waited for the timeout (${took} ms)`);
    assert.ok(took < TIMEOUT_MS + 4000, `but not much longer (${took} ms)`);
  } finally {
    // Chrome may already have killed the stopped host after the port closed.
    try { process.kill(pid, 'SIGCONT'); } catch (e) { if (e.code !== 'ESRCH') throw e; }
  }
  await env.waitConnected();
  await pasteLands();
  for (let i = 0; i < 150 && (await reports()) > 0; i++) await sleep(100);
  assert.equal(await reports(), 0, 'the timeout report reached the host');
});
