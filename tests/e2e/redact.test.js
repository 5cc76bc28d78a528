// Issue 24: "Paste without them". With the real host and the shipped default policy, a
// key in a paste gets a block dialog that offers the content with the key masked; with a
// policy whose verdict is redact, it goes in masked at once, without a dialog and without
// taking the focus. The same for plain fields, ProseMirror (formatting around the
// placeholder survives), CodeMirror, Monaco (which reads the clipboard itself), a page's
// navigator.clipboard.readText() and read(), and a drop of text.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitAudit } from './lib/gpu-env.js';
import { launch, writeClipboard, pasteKey, findDialog, waitGone, noDialog, press, sleep, shot, within } from './lib/harness.js';

const KEY = 'AKIAQYLPMN5HHHFPZAM2';
const SECRET_PART = 'QYLPMN5HHHFPZAM2';
const MASK = '[AWS access key removed]';
const TEXT = `region = eu-west-1\r\naws_access_key_id = ${KEY}\r\n# ask about the 😀 bug`;
const MASKED = TEXT.replace(KEY, MASK);

let offerEnv;   // the default policy: credentials block, and offer redaction
let redactEnv;  // credentials: redact
after(async () => {
  if (offerEnv) await offerEnv.close();
  if (redactEnv) await redactEnv.close();
});

async function offer() {
  offerEnv = offerEnv || await launch();
  return offerEnv;
}

async function redacting() {
  redactEnv = redactEnv || await launch({
    policy: { origins: [{ id: 'everywhere', match: ['*'], overrides: { credentials: 'redact' } }] },
  });
  return redactEnv;
}

async function waitFor(page, fn, arg, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: 15000 });
  } catch (e) {
    throw new Error(`${what}: ${e.message}`);
  }
}

async function fieldsPage(env) {
  const page = await env.open('fields.html');
  await page.bringToFront();
  await page.evaluate(() => { window.seen.length = 0; document.getElementById('textarea').value = 'AB'; window.caret('textarea', 1); });
  return page;
}

test('the block dialog offers "Paste without them"; the textarea gets the text with the key masked', async () => {
  const env = await offer();
  const page = await fieldsPage(env);
  await writeClipboard(page, { text: TEXT });
  await page.evaluate(() => window.caret('textarea', 1));
  await pasteKey(page);
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog shown');
  assert.equal(await dialog.locator('[data-action=proceed]').isVisible(), false, 'a block cannot be proceeded');
  const redact = dialog.locator('[data-action=redact]');
  assert.equal(await redact.isVisible(), true, 'the third choice is there');
  assert.equal(await redact.innerText(), 'Paste without them');
  assert.ok(!(await dialog.locator('.card').innerText()).includes(SECRET_PART), 'never the content');
  await shot(page, 'dialog-redact.png');
  await press(page, redact);
  assert.ok(await waitGone(page), 'dialog closed');
  await waitFor(page, (m) => document.getElementById('textarea').value.includes(m), MASK, 'masked text lands');
  await sleep(150);
  // The textarea normalises CRLF to LF, as it does for any paste.
  assert.equal(await page.evaluate(() => document.getElementById('textarea').value), `A${MASKED.replace(/\r\n/g, '\n')}B`);
  const seen = await page.evaluate(() => window.seen);
  assert.equal(seen.length, 1, 'one paste reaches the page');
  assert.equal(seen[0].text, MASKED, 'and its clipboardData holds the masked text, never the key');
  await page.close();
});

test('ProseMirror: "Paste without them" keeps the bold and italic around the placeholder', async () => {
  const env = await offer();
  const page = await env.open('prosemirror.html');
  await page.waitForFunction(() => window.ready === true);
  await page.bringToFront();
  const html = `<p>the <em>old</em> key <strong>${KEY}</strong> is <em>slanted</em> here</p>`;
  await writeClipboard(page, { text: `the old key ${KEY} is slanted here`, html });
  await page.evaluate(() => window.editor.reset());
  await pasteKey(page);
  const dialog = await findDialog(page);
  assert.ok(dialog, 'block dialog shown');
  await press(page, dialog.locator('[data-action=redact]'));
  assert.ok(await waitGone(page));
  await waitFor(page, (m) => window.editor.text().includes(m), MASK, 'masked text lands');
  await sleep(150);
  const json = await page.evaluate(() => window.editor.json());
  const text = await page.evaluate(() => window.editor.text());
  assert.ok(!text.includes(SECRET_PART), 'the key is gone');
  const marked = [];
  (function walk(node) {
    if (node.type === 'text') marked.push([node.text, (node.marks || []).map((m) => m.type).join(',')]);
    for (const c of node.content || []) walk(c);
  })(json);
  assert.ok(marked.some(([t, m]) => t.includes(MASK) && m === 'strong'), `the placeholder is bold: ${JSON.stringify(marked)}`);
  assert.ok(marked.some(([t, m]) => t === 'slanted' && m === 'em'), 'italic after it survives');
  assert.ok(marked.some(([t, m]) => t === 'old' && m === 'em'), 'italic before it survives');
  assert.equal(text.split(MASK).length - 1, 1, 'inserted once');
  await page.close();
});

test('verdict redact: the paste goes in masked at once, no dialog, the focus stays in the field', async () => {
  const env = await redacting();
  const page = await fieldsPage(env);
  await writeClipboard(page, { text: TEXT });
  await page.evaluate(() => window.caret('textarea', 1));
  await pasteKey(page);
  await waitFor(page, (m) => document.getElementById('textarea').value.includes(m), MASK, 'masked text lands');
  assert.ok(await noDialog(page), 'no dialog');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'textarea', 'the notice did not take the focus');
  await page.keyboard.type('!');
  await sleep(100);
  assert.equal(await page.evaluate(() => document.getElementById('textarea').value),
    `A${MASKED.replace(/\r\n/g, '\n')}!B`, 'typing goes on where the paste ended');
  // The audit log: the verdict says redact, and a decision record refers to it with the
  // count and kinds of what was masked, never the key.
  const records = await waitAudit(env, (r) => r.event === 'decision' && r.action === 'redact');
  const decision = records.find((r) => r.event === 'decision' && r.action === 'redact');
  assert.ok(decision, 'a redact decision is recorded');
  assert.deepEqual(decision.redacted, { matches: 1, kinds: [{ kind: 'pattern', rule: 'aws-access-key', count: 1 }] });
  const verdict = records.find((r) => r.id === decision.ref);
  assert.ok(verdict && verdict.event === 'verdict' && verdict.verdict === 'redact', 'it refers to the redact verdict');
  assert.ok(!JSON.stringify(records).includes(SECRET_PART), 'no record holds the key');
  await page.close();
});

test('verdict redact: navigator.clipboard.readText() returns the masked text', async () => {
  const env = await redacting();
  const page = await fieldsPage(env);
  await writeClipboard(page, { text: TEXT });
  const got = await within(20000, page.evaluate(() => navigator.clipboard.readText()
    .then((t) => ({ ok: true, text: t }), (e) => ({ ok: false, name: e.name }))), 'readText');
  assert.deepEqual(got, { ok: true, text: MASKED });
  await page.close();
});

test('verdict redact: navigator.clipboard.read() gives one item of the masked text and HTML', async () => {
  const env = await redacting();
  const page = await fieldsPage(env);
  await writeClipboard(page, { text: TEXT, html: `<p>key <b>${KEY}</b> in bold</p>` });
  const got = await within(20000, page.evaluate(async () => {
    try {
      const items = await navigator.clipboard.read();
      const out = { ok: true, count: items.length, types: [...items[0].types].sort() };
      out.text = await (await items[0].getType('text/plain')).text();
      out.html = await (await items[0].getType('text/html')).text();
      return out;
    } catch (e) {
      return { ok: false, name: e.name };
    }
  }), 'read');
  assert.equal(got.ok, true, JSON.stringify(got));
  assert.equal(got.count, 1);
  assert.deepEqual(got.types, ['text/html', 'text/plain']);
  assert.equal(got.text, MASKED);
  assert.ok(!got.html.includes(SECRET_PART), got.html);
  assert.match(got.html, new RegExp(`<b>\\[AWS access key removed\\]</b>`), got.html);
  await page.close();
});

for (const [name, file] of [['CodeMirror 6', 'codemirror.html'], ['Monaco', 'monaco.html']]) {
  test(`verdict redact: ${name} gets the masked text`, async () => {
    const env = await redacting();
    const page = await env.open(file);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
    await page.bringToFront();
    await writeClipboard(page, { text: `key ${KEY} here` });
    await page.evaluate(() => window.editor.reset());
    await pasteKey(page);
    await waitFor(page, (m) => window.editor.text().includes(m), MASK, 'masked text lands');
    await sleep(300);
    const text = await page.evaluate(() => window.editor.text());
    assert.equal(text, `Akey ${MASK} hereB`);
    await page.close();
  });
}

test('verdict redact: a drop of text goes in masked', async () => {
  const env = await redacting();
  const page = await env.open('drop.html');
  await page.bringToFront();
  await page.evaluate(() => window.reset());
  const cdp = await env.ctx.newCDPSession(page);
  const box = await page.locator('#ta').boundingBox();
  const x = Math.round(box.x + box.width / 2);
  const y = Math.round(box.y + box.height / 2);
  const data = { dragOperationsMask: 1, items: [{ mimeType: 'text/plain', data: `dropped ${KEY} text` }] };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  await waitFor(page, (m) => document.getElementById('ta').value.includes(m), MASK, 'masked drop lands');
  const value = await page.evaluate(() => document.getElementById('ta').value);
  assert.ok(!value.includes(SECRET_PART), 'the key is gone');
  assert.ok(value.includes(`dropped ${MASK} text`));
  await page.close();
});
