// A page that tries to get content past Weir or to approve it in the user's name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, within, writeClipboard, pasteKey, findDialog, waitGone, press, sleep, noDialog,
  PRIVATE_KEY, CARD } from './lib/harness.js';

let env;
let page;
before(async () => {
  env = await launch();
  page = await env.open('hostile.html');
});
after(async () => env && env.close());

async function reset() {
  await page.bringToFront();
  await page.evaluate(() => {
    const ta = document.getElementById('ta');
    ta.value = 'AB';
    ta.focus();
    ta.setSelectionRange(1, 1);
    window.caught.length = 0;
  });
}

const value = () => page.evaluate(() => document.getElementById('ta').value);

test('a synthetic paste or drop from the page inserts nothing and asks nothing', async () => {
  await reset();
  await page.evaluate(() => window.attack.syntheticPaste('injected by the page'));
  await sleep(500);
  assert.equal(await value(), 'AB');
  assert.ok(await noDialog(page), 'no dialog for an untrusted event');
});

test('forged channel messages get no answer and approve nothing', async () => {
  await reset();
  await page.evaluate(() => window.attack.forgeChannel());
  await sleep(500);
  assert.deepEqual(await page.evaluate(() => window.channelReplies), []);
  assert.ok(await noDialog(page), 'no dialog from forged requests');
  // Weir's own channel still works afterwards: a clipboard read of harmless text passes.
  await writeClipboard(page, { text: 'just a harmless sentence' });
  await reset();
  assert.deepEqual(await page.evaluate(() => window.attack.readText()), { ok: true, length: 24 });
});

test('clicking everything, synthetic keys and messages to frames cannot approve a warn', async () => {
  await writeClipboard(page, { text: CARD });
  await reset();
  await pasteKey(page);
  const dialog = await findDialog(page);
  assert.ok(dialog, 'warn dialog');
  await dialog.locator('textarea').fill('the page will not get to use this');
  const clicked = await page.evaluate(() => window.attack.clickEverything());
  assert.ok(clicked > 3);
  await page.evaluate(() => window.attack.forgeChannel());
  await sleep(700);
  assert.ok(await findDialog(page, 500), 'the dialog is still waiting for the user');
  assert.equal(await value(), 'AB', 'nothing landed');
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  await sleep(150);
  assert.equal(await value(), 'AB');
});

test('removing the dialog from the page cancels, it does not approve', async () => {
  await writeClipboard(page, { text: CARD });
  await reset();
  await pasteKey(page);
  assert.ok(await findDialog(page), 'warn dialog');
  // The page cannot see into the closed shadow root, but it can wipe the document's children.
  await page.evaluate(() => { for (const el of Array.from(document.body.children)) if (!el.id && el.tagName === 'DIV') el.remove(); });
  assert.ok(await waitGone(page), 'dialog gone');
  await sleep(300);
  assert.equal(await value(), 'AB');
});

test('a blocked clipboard read rejects, and hooks the page set up catch nothing', async () => {
  await writeClipboard(page, { text: PRIVATE_KEY });
  await reset();
  const result = page.evaluate(() => window.attack.readText());
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog for the page reading the clipboard');
  assert.match(await dialog.locator('h1').innerText(), /Clipboard read blocked/);
  await press(page, dialog.locator('[data-action=cancel]'));
  assert.ok(await waitGone(page));
  assert.deepEqual(await result, { ok: false, name: 'NotAllowedError' });
  const caught = await page.evaluate(() => window.caught);
  assert.ok(!caught.some((v) => v && v.includes('PRIVATE KEY')), 'Promise.prototype.then saw no content');
});

test('a page reading a card number from the clipboard gets the warn dialog; Proceed resolves it', async () => {
  await writeClipboard(page, { text: CARD });
  await reset();
  const result = page.evaluate(() => navigator.clipboard.readText().then((t) => ({ ok: true, text: t }), (e) => ({ ok: false, name: e.name })));
  const dialog = await findDialog(page);
  assert.ok(dialog, 'warn dialog');
  assert.match(await dialog.locator('h1').innerText(), /wants to read your clipboard/);
  await dialog.locator('textarea').fill('pasting into our own billing form');
  await press(page, dialog.locator('[data-action=proceed]'));
  assert.ok(await waitGone(page));
  assert.deepEqual(await result, { ok: true, text: CARD });
});

test('clipboard.read() of harmless rich content passes untouched', async () => {
  await writeClipboard(page, { text: 'plain words here', html: '<b>plain</b> words here' });
  await reset();
  const got = await within(10000, page.evaluate(async () => {
    const items = await navigator.clipboard.read();
    const item = items[0];
    return { types: [...item.types].sort(), text: await (await item.getType('text/plain')).text() };
  }), 'clipboard.read()');
  assert.deepEqual(got, { types: ['text/html', 'text/plain'], text: 'plain words here' });
  assert.ok(await noDialog(page));
});

test('a Proceed clicked through an overlay the page put above the dialog does not count', async () => {
  await writeClipboard(page, { text: CARD });
  await reset();
  await pasteKey(page);
  const dialog = await findDialog(page);
  assert.ok(dialog, 'warn dialog');
  await dialog.locator('textarea').fill('the page wants me to click OK');
  const proceed = dialog.locator('[data-action=proceed]');
  await proceed.waitFor({ state: 'visible' });
  const box = await proceed.boundingBox();
  // The page raises its own popover above Weir's (the top layer is in order of showing): an
  // opaque fake "OK" that lets clicks through to whatever is below it.
  await page.evaluate(() => {
    const fake = document.createElement('div');
    fake.id = 'fake';
    fake.popover = 'manual';
    fake.textContent = 'Click OK to continue';
    fake.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;margin:0;border:0;background:#fff;' +
      'pointer-events:none;font:40px system-ui;display:grid;place-items:center;';
    document.body.appendChild(fake);
    fake.showPopover();
  });
  await sleep(1000);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await sleep(700);
  assert.equal(await within(3000, page.evaluate(() => document.getElementById('ta').value), 'value'), 'AB',
    'nothing landed from a click the user could not see');
  assert.ok(await findDialog(page, 1000), 'the dialog still waits');
  assert.match(await dialog.locator('#justification-error').innerText(), /covered/);
  // The overlay gone, the user sees the dialog and chooses Proceed: that counts.
  await page.evaluate(() => document.getElementById('fake').remove());
  await press(page, proceed);
  assert.ok(await waitGone(page));
  await page.waitForFunction((c) => document.getElementById('ta').value === `A${c}B`, CARD, { timeout: 15000 });
});
