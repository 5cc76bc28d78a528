// Keyboard paste (Control+V from the real clipboard) into plain fields, with the real host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, findDialog, waitGone, sleep, saveShot, press,
  PRIVATE_KEY, CARD, HARMLESS } from './lib/harness.js';

let env;
let page;
before(async () => {
  env = await launch();
  page = await env.open('fields.html');
});
after(async () => env && env.close());

async function reset(id) {
  await page.evaluate((id) => {
    const el = document.getElementById(id);
    if ('value' in el) el.value = 'AB'; else el.textContent = 'AB';
    window.seen.length = 0;
  }, id);
  await page.evaluate(([id]) => window.caret(id, 1), [id]);
}

async function value(id) {
  return page.evaluate((id) => window.valueOf(id), id);
}

async function waitValue(id, expected, ms = 3000) {
  const until = Date.now() + ms;
  let v;
  while (Date.now() < until) {
    v = await value(id);
    if (v === expected) return v;
    await sleep(25);
  }
  return v;
}

for (const id of (process.env.FIELDS || 'ta,in,ce').split(',')) {
  test(`${id}: harmless text lands once at the caret`, async () => {
    await reset(id);
    await writeClipboard(page, { text: HARMLESS });
    await pasteKey(page);
    assert.equal(await waitValue(id, `A${HARMLESS}B`), `A${HARMLESS}B`);
    await sleep(200);
    assert.equal(await value(id), `A${HARMLESS}B`);
    const seen = await page.evaluate(() => window.seen);
    assert.equal(seen.length, 1, 'the page sees one paste');
    assert.equal(seen[0].trusted, false, 'it is the re-dispatched one');
  });

  test(`${id}: a private key lands nowhere and the block dialog shows`, async () => {
    await reset(id);
    await writeClipboard(page, { text: PRIVATE_KEY });
    await pasteKey(page);
    const dialog = await findDialog(page);
    assert.ok(dialog, 'block dialog shown');
    assert.equal(await dialog.locator('[role=dialog]').getAttribute('aria-modal'), 'true');
    assert.equal(await dialog.locator('[data-action=proceed]').isVisible(), false);
    const text = await dialog.locator('.card').innerText();
    assert.match(text, /private-key/);
    assert.ok(!text.includes('BEGIN RSA'), 'the dialog never shows the content');
    if (id === 'ta') await page.screenshot({ path: saveShot('dialog-block.png') });
    await press(page, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(page));
    assert.equal(await value(id), 'AB');
    assert.equal((await page.evaluate(() => window.seen)).length, 0, 'the page saw no paste');
  });

  test(`${id}: a card number warns; Cancel leaves the field, Proceed with justification lands once`, async () => {
    await reset(id);
    await writeClipboard(page, { text: CARD });
    await pasteKey(page);
    let dialog = await findDialog(page);
    assert.ok(dialog, 'warn dialog shown');
    assert.match(await dialog.locator('.card').innerText(), /credit-card/);
    await press(page, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(page));
    assert.equal(await value(id), 'AB');

    await pasteKey(page);
    dialog = await findDialog(page);
    assert.ok(dialog, 'warn dialog shown again');
    assert.equal(await dialog.locator('[data-action=proceed]').isDisabled(), true, 'justification required first');
    await dialog.locator('textarea').fill('customer asked for a refund');
    if (id === 'ta') await page.screenshot({ path: saveShot('dialog-warn.png') });
    await press(page, dialog.locator('[data-action=proceed]'));
    assert.ok(await waitGone(page));
    assert.equal(await waitValue(id, `A${CARD}B`), `A${CARD}B`);
    await sleep(200);
    assert.equal(await value(id), `A${CARD}B`);
  });
}
