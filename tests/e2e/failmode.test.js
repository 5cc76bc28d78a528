// The other fail modes, taken from the host's policy (hello): warn asks the user and
// proceeds without the host; allow lets content through and tells the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, findDialog, waitGone, press, sleep, within, HARMLESS, allTexts }
  from './lib/harness.js';

async function hostDown(env, page) {
  await writeClipboard(page, { text: HARMLESS });
  await page.evaluate(() => { document.getElementById('textarea').value = 'AB'; window.caret('textarea', 1); });
  await pasteKey(page);
  await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
  await env.waitConnected();
  env.setHostDown(true);
  process.kill(env.hostPid(), 'SIGKILL');
  for (let i = 0; i < 150 && (await env.status()).state !== 'down'; i++) await sleep(100);
  await page.evaluate(() => { document.getElementById('textarea').value = 'AB'; window.caret('textarea', 1); });
}

const value = (page) => within(3000, page.evaluate(() => window.valueOf('textarea')), 'value');

test('fail mode warn: the user decides, and a Proceed lands once', async () => {
  const env = await launch({ policy: { fail_mode: 'warn' } });
  try {
    const page = await env.open('fields.html');
    await hostDown(env, page);
    await pasteKey(page);
    const dialog = await findDialog(page);
    assert.ok(dialog, 'warn dialog while the host is down');
    assert.match(await dialog.locator('#message').innerText(), /not responding/);
    await press(page, dialog.locator('[data-action=proceed]'));
    assert.ok(await waitGone(page));
    await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
    await sleep(150);
    assert.equal(await value(page), `A${HARMLESS}B`);
  } finally {
    await env.close();
  }
});

test('fail mode allow: content goes through and the user is told', async () => {
  const env = await launch({ policy: { fail_mode: 'allow' } });
  try {
    const page = await env.open('fields.html');
    await hostDown(env, page);
    await pasteKey(page);
    await page.waitForFunction((t) => window.valueOf('textarea') === `A${t}B`, HARMLESS, { timeout: 15000 });
    // The notice sits in a closed shadow root the page cannot read; CDP can.
    const texts = await allTexts(env.ctx, page);
    assert.ok(texts.some((t) => /could not check this content/.test(t)), 'a notice tells the user');
    assert.equal(await page.evaluate(() => document.body.innerText.includes('could not check')), false,
      'the page cannot read it');
    const reports = await env.sw.evaluate(async () => ((await chrome.storage.session.get('weirReports')).weirReports || []).map((r) => r.body));
    assert.ok(reports.some((r) => r.event === 'fail-mode' && r.verdict === 'allow'), 'the event is queued for the audit log');
    assert.ok(!JSON.stringify(reports).includes(HARMLESS), 'reports never hold content');
  } finally {
    await env.close();
  }
});
