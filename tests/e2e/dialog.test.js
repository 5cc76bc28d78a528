// The dialog itself: German and dark theme, keyboard use (Esc cancels, Tab stays inside),
// and a screenshot of each state for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, findDialog, waitGone, press, sleep, shot,
  PRIVATE_KEY, CARD } from './lib/harness.js';

let env;
let page;
before(async () => {
  env = await launch({ lang: 'de-DE', colorScheme: 'dark' });
  page = await env.open('fields.html');
});
after(async () => env && env.close());

async function pasteInto(text) {
  await writeClipboard(page, { text });
  await page.evaluate(() => {
    document.getElementById('textarea').value = 'AB';
    window.caret('textarea', 1);
  });
  await pasteKey(page);
  return findDialog(page);
}

const value = () => page.evaluate(() => window.valueOf('textarea'));

test('German and dark: the warn dialog', async () => {
  const dialog = await pasteInto(CARD);
  assert.ok(dialog);
  assert.equal(await dialog.locator('h1').innerText(), 'Vor dem Einfügen prüfen');
  assert.equal(await dialog.locator('[data-action=proceed]').innerText(), 'Fortfahren');
  assert.equal(await dialog.locator('[data-action=cancel]').innerText(), 'Abbrechen');
  assert.equal(await dialog.evaluate(() => document.documentElement.lang), 'de');
  const bg = await dialog.locator('.card').evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 200, `dark card background (${bg})`);
  await dialog.locator('textarea').fill('Kunde hat um Erstattung gebeten');
  await shot(page, 'dialog-warn-de-dark.png');
  // Esc cancels.
  await page.keyboard.press('Escape');
  assert.ok(await waitGone(page));
  await sleep(100);
  assert.equal(await value(), 'AB');
});

test('German and dark: the block dialog', async () => {
  const dialog = await pasteInto(PRIVATE_KEY);
  assert.ok(dialog);
  assert.equal(await dialog.locator('h1').innerText(), 'Einfügen blockiert');
  assert.equal(await dialog.locator('[data-action=cancel]').innerText(), 'Schließen');
  // Credentials block, and the default policy offers them masked (issue 24).
  assert.equal(await dialog.locator('button:visible').count(), 2, 'close, and paste without them');
  assert.equal(await dialog.locator('[data-action=redact]').innerText(), 'Ohne sie einfügen');
  assert.equal(await dialog.locator('#learn-more').getAttribute('href'), 'https://weir.example/policy/credentials');
  await shot(page, 'dialog-block-de-dark.png');
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
});

test('keyboard: focus stays in the dialog, Enter on Cancel cancels, Proceed needs a reason', async () => {
  const dialog = await pasteInto(CARD);
  assert.ok(dialog);
  const focused = () => dialog.evaluate(() => {
    const el = document.activeElement;
    return el ? (el.dataset.action || el.id || el.tagName) : null;
  });
  assert.equal(await focused(), 'cancel');
  // Proceed is disabled until a reason is typed, so Tab cycles textarea -> cancel ->
  // paste without them (issue 24; it needs no reason) -> textarea.
  const seen = new Set();
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    seen.add(await focused());
  }
  assert.deepEqual([...seen].sort(), ['cancel', 'justification', 'redact'], `Tab stays inside (${[...seen]})`);
  await dialog.locator('textarea').focus();
  await page.keyboard.type('reviewed with the data owner');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'proceed');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'cancel');
  await page.keyboard.press('Enter');
  assert.ok(await waitGone(page));
  await sleep(100);
  assert.equal(await value(), 'AB', 'Enter on Cancel cancels');
});
