// The paste cases every kind of field gets: harmless text once at the caret, a private key
// blocked, a card number warned (Cancel, then Proceed with a justification).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { within, writeClipboard, pasteKey, findDialog, waitGone, sleep, shot, press,
  PRIVATE_KEY, CARD, HARMLESS } from './harness.js';

// field: {name, reset(page), value(page), seen(page), shots?}. reset puts "AB" in the
// field with the caret between A and B, and clears the page's record of paste events.
export function pasteCases(getPage, field) {
  const reset = (page) => within(5000, field.reset(page), 'reset the field');
  async function waitValue(page, expected, ms = 3000) {
    const until = Date.now() + ms;
    let v;
    while (Date.now() < until) {
      v = await within(3000, field.value(page), 'read the field');
      if (v === expected) break;
      await sleep(25);
    }
    return v;
  }

  test(`${field.name}: harmless text lands once at the caret`, async () => {
    const page = getPage();
    await reset(page);
    await writeClipboard(page, { text: HARMLESS });
    await reset(page);
    await pasteKey(page);
    assert.equal(await waitValue(page, `A${HARMLESS}B`), `A${HARMLESS}B`);
    await sleep(150);
    assert.equal(await field.value(page), `A${HARMLESS}B`, 'exactly once');
    const seen = await within(5000, field.seen(page), 'seen');
    assert.equal(seen.length, 1, 'the page sees one paste');
    assert.equal(seen[0].trusted, false, 'the re-dispatched one, never the original');
  });

  test(`${field.name}: a private key lands nowhere and the block dialog shows`, async () => {
    const page = getPage();
    await writeClipboard(page, { text: PRIVATE_KEY });
    await reset(page);
    await pasteKey(page);
    const dialog = await findDialog(page);
    assert.ok(dialog, 'block dialog shown');
    assert.equal(dialog.parentFrame(), page.mainFrame(), 'the dialog shows in the top frame');
    assert.equal(await within(5000, dialog.locator('[role=dialog]').getAttribute('aria-modal'), 'aria-modal'), 'true');
    assert.equal(await within(5000, dialog.locator('[data-action=proceed]').isVisible(), 'proceed visible'), false, 'no way to proceed');
    assert.equal(await within(5000, dialog.locator('textarea').isVisible(), 'textarea visible'), false);
    const text = await within(5000, dialog.locator('.card').innerText(), 'card text');
    assert.match(text, /private-key/);
    assert.ok(!text.includes('BEGIN RSA') && !text.includes('MIIE'), 'the dialog never shows the content');
    if (field.shots) await shot(page, `${field.shots}-block.png`);
    await press(page, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(page), 'dialog closed');
    await sleep(100);
    assert.equal(await field.value(page), 'AB');
    assert.equal((await within(5000, field.seen(page), 'seen')).length, 0, 'the page saw no paste');
  });

  test(`${field.name}: a card number warns; Cancel leaves the field, Proceed with justification lands once`, async () => {
    const page = getPage();
    await writeClipboard(page, { text: CARD });
    await reset(page);
    await pasteKey(page);
    let dialog = await findDialog(page);
    assert.ok(dialog, 'warn dialog shown');
    assert.match(await dialog.locator('.card').innerText(), /credit-card/);
    assert.ok(!(await dialog.locator('.card').innerText()).includes('4111'), 'never the content');
    const focused = await dialog.evaluate(() => document.activeElement && document.activeElement.dataset.action);
    assert.equal(focused, 'cancel', 'Cancel has the focus first');
    await press(page, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(page));
    await sleep(100);
    assert.equal(await field.value(page), 'AB', 'Cancel changes nothing');

    await pasteKey(page);
    dialog = await findDialog(page);
    assert.ok(dialog, 'warn dialog shown again');
    assert.equal(await dialog.locator('[data-action=proceed]').isDisabled(), true, 'justification first');
    await dialog.locator('textarea').fill('customer asked for a refund');
    if (field.shots) await shot(page, `${field.shots}-warn.png`);
    await press(page, dialog.locator('[data-action=proceed]'));
    assert.ok(await waitGone(page));
    assert.equal(await waitValue(page, `A${CARD}B`), `A${CARD}B`);
    await sleep(150);
    assert.equal(await field.value(page), `A${CARD}B`, 'lands once, at the caret');
  });
}
