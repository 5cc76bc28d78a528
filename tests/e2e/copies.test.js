// Issue 25: text copied out of a source origin group's page is found again when it is
// pasted into another origin, in real Chromium with the real weir-host. Two local origins:
// `src` (its own server, in the policy as the source group "internal") and the harness's
// server (no source). Copy, cut, drag, the page's own writeText and execCommand('copy'),
// a copy in a same-origin iframe, and a browser restart between copy and paste; pasting back
// into the source and clipboard text from elsewhere pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, findDialog, pasteKey, writeClipboard, within, sleep } from './lib/harness.js';
import { startServer } from './lib/server.js';
import { records } from './lib/faults.js';

let env;
let src;   // the source group's origin

// Distinct texts, one per way of copying, so each finding proves its own path: made-up
// paragraphs that share no run of eight words.
const TEXTS = {
  copy: 'The steering group agreed to move the Lisbon support desk into the new building before the end ' +
    'of the third quarter, provided the landlord accepts the revised parking terms.',
  cut: 'Amber salaries for the platform team rise by four percent in March, while contractors keep their ' +
    'current day rates until the procurement review closes in late spring.',
  drag: 'Birch customers on the legacy invoicing plan will be migrated over two weekends, and support ' +
    'should expect a spike of password reset tickets on the following Monday morning.',
  writeText: 'Cedar incident twelve was caused by an expired certificate on the staging gateway, which ' +
    'nobody noticed because the alert routed to a mailbox that was deleted last year.',
  execCommand: 'Dune pricing for the enterprise tier drops to nine euros per seat for accounts above five ' +
    'hundred seats, effective once finance signs the updated discount matrix.',
  iframe: 'Ember hiring is frozen for the analytics group until the reorganisation is announced, although ' +
    'the two open offers already sent to candidates will still be honoured.',
};
const CROSS = 'Gorse paths along the ridge are closed for nesting birds until July, so the guided walks ' +
  'will start from the lower car park and follow the river to the old mill instead.';
const OTHER = 'Fjord volunteers meet at the harbour on Saturday to clean the beach, bring gloves and water, ' +
  'and the bakery on the corner has promised coffee for everyone who turns up.';

before(async () => {
  src = await startServer();
  env = await launch({
    policy: {
      rules: [{ id: 'internal-out', sources: ['internal'], verdict: 'block',
                message: 'Text copied from internal sites stays there.' }],
      origins: [{ id: 'corp', match: [src.origin], source: 'internal' }],
      copies: { audit: true },
    },
  });
  await grant();
});
after(async () => {
  if (env) await env.close();
  if (src) await src.close();
});

async function grant() {
  await env.ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: src.origin });
}

async function openSource() {
  const page = await env.ctx.newPage();
  await page.goto(`${src.origin}/copy.html`);
  await within(5000, page.bringToFront(), 'bringToFront');
  await page.evaluate((t) => window.setTexts({ memo: t.copy, source: t.cut, button: t.execCommand }), TEXTS);
  return page;
}

// How many copies the service worker has sent to the host: a copy is in the host's queue
// before the paste that follows it (one port, one host, in order).
function sent() {
  return env.status().then((s) => s.copies.sent);
}

async function waitSent(before) {
  for (let i = 0; i < 100; i++) {
    if (await sent() > before) return;
    await sleep(50);
  }
  assert.fail('the copy never reached the service worker');
}

// Pastes into a fresh page of origin (the harness's server unless given): with text, the
// clipboard is written there first (as another application or page would). Resolves to
// {blocked, value}.
async function pasteAt(origin, text) {
  const page = await env.ctx.newPage();
  try {
    await page.goto(`${origin || env.server.origin}/copy.html`);
    if (text) await writeClipboard(page, { text });
    await within(5000, page.bringToFront(), 'bringToFront');
    await page.evaluate(() => document.getElementById('target').focus());
    await pasteKey(page);
    for (let i = 0; i < 300; i++) {
      const value = await page.evaluate(() => window.valueOf('target'));
      if (value) return { blocked: false, value };
      const dialog = await findDialog(page, 50);
      if (dialog) {
        const body = await dialog.locator('.card').innerText();
        return { blocked: true, value, body };
      }
    }
    return { blocked: false, value: '' };
  } finally {
    await page.close();
  }
}

test('copy: selected text copied in the source is blocked elsewhere, allowed back in the source', async () => {
  const page = await openSource();
  const n = await sent();
  await page.evaluate(() => window.selectMemo());
  await page.keyboard.press('Control+C');
  await waitSent(n);
  await page.close();
  const out = await pasteAt(null);
  assert.equal(out.blocked, true, 'blocked outside the source group');
  assert.match(out.body, /Copied from “internal” \(\d+ words\)/, 'the dialog names the source');
  const back = await pasteAt(src.origin);
  assert.equal(back.blocked, false, 'pasted back into the source group');
  assert.match(back.value, /Lisbon support desk/);
});

test('cut: text cut from a field of the source is blocked elsewhere', async () => {
  const page = await openSource();
  const n = await sent();
  await page.evaluate(() => { const el = document.getElementById('source'); el.focus(); el.select(); });
  await page.keyboard.press('Control+X');
  await waitSent(n);
  assert.equal(await page.evaluate(() => window.valueOf('source')), '', 'the cut happened');
  await page.close();
  const out = await pasteAt(null);
  assert.equal(out.blocked, true);
});

test('drag: text dragged out of the source counts as copied', async () => {
  const page = await openSource();
  await page.evaluate((t) => window.setTexts({ memo: t }), TEXTS.drag);
  await page.evaluate(() => window.selectMemo());
  const n = await sent();
  const box = await page.locator('#memo').boundingBox();
  const to = await page.locator('#target').boundingBox();
  await page.mouse.move(box.x + 40, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + 80, box.y + box.height / 2 + 10, { steps: 5 });
  await page.mouse.move(to.x + 20, to.y + 20, { steps: 10 });
  await page.mouse.up();
  await waitSent(n);
  await page.close();
  const out = await pasteAt(env.server.origin, TEXTS.drag);
  assert.equal(out.blocked, true, 'the dragged text was remembered');
});

test("page-initiated: the source page's writeText and execCommand('copy') count as copies", async () => {
  const page = await openSource();
  let n = await sent();
  await page.evaluate((t) => navigator.clipboard.writeText(t), TEXTS.writeText);
  await waitSent(n);
  n = await sent();
  await page.click('#copy-button');
  assert.equal(await page.evaluate(() => window.copied), true, 'execCommand copied');
  await waitSent(n);
  // A same-origin iframe of the source page writes too.
  n = await sent();
  const frame = page.frames().find((f) => f.url().endsWith('/frame-child.html'));
  await frame.locator('#ta').click();   // the frame's document must have the focus to write
  await frame.evaluate((t) => navigator.clipboard.writeText(t), TEXTS.iframe);
  await waitSent(n);
  await page.close();
  assert.equal((await pasteAt(env.server.origin, TEXTS.writeText)).blocked, true, 'writeText');
  assert.equal((await pasteAt(env.server.origin, TEXTS.execCommand)).blocked, true, 'execCommand');
  assert.equal((await pasteAt(env.server.origin, TEXTS.iframe)).blocked, true, 'iframe');
  // Workers have no navigator.clipboard: a page cannot copy from one.
  const w = await openSource();
  const inWorker = await w.evaluate(() => new Promise((resolve) => {
    const worker = new Worker(URL.createObjectURL(new Blob(['postMessage(typeof navigator.clipboard)'])));
    worker.onmessage = (e) => resolve(e.data);
  }));
  assert.equal(inWorker, 'undefined');
  await w.close();
});

test('other text passes: never copied in the source, or written by a page outside it', async () => {
  const page = await env.open('copy.html');
  await writeClipboard(page, { text: OTHER });   // a non-source page's own copy
  await page.close();
  const out = await pasteAt(null);
  assert.equal(out.blocked, false);
  assert.match(out.value, /Fjord volunteers/);
  const own = await pasteAt(null, 'Lunch at the usual place on Friday? The team booked a table by the river for noon.');
  assert.equal(own.blocked, false);
});

test('a cross-origin frame in a source page is its own origin: its copies are not the source\'s', async () => {
  const page = await openSource();
  await page.evaluate((src) => {
    const f = document.createElement('iframe');
    f.id = 'cross';
    f.allow = 'clipboard-read; clipboard-write';   // a cross-origin frame's clipboard needs it
    f.src = src;
    document.body.append(f);
  }, `${env.server.origin}/frame-child.html`);
  let frame = null;
  for (let i = 0; i < 150 && !frame; i++) {
    frame = page.frames().find((f) => f.url().startsWith(env.server.origin));
    if (!frame) await sleep(100);
  }
  assert.ok(frame, 'the cross-origin frame loaded');
  await frame.locator('#ta').click();
  const n = await sent();
  await frame.evaluate((t) => navigator.clipboard.writeText(t), CROSS);
  await frame.locator('#ta').evaluate((el) => { el.value = 'cross frame text to cut here'; el.select(); });
  await page.keyboard.press('Control+C');
  await sleep(500);
  assert.equal(await sent(), n, 'nothing sent for the frame');
  await page.close();
  const out = await pasteAt(null, CROSS);
  assert.equal(out.blocked, false);
});

test('a browser restart between copy and paste: still blocked', async () => {
  await env.restart();
  await grant();
  const out = await pasteAt(env.server.origin, TEXTS.copy);
  assert.equal(out.blocked, true, 'remembered across the restart');
  const back = await pasteAt(src.origin, TEXTS.copy);
  assert.equal(back.blocked, false);
});

test('the audit log: copy events (no text) and the copied findings', async () => {
  const all = records(env);
  const copies = all.filter((r) => r.event === 'copy');
  const kinds = new Set(copies.map((r) => r.copy_event));
  for (const k of ['copy', 'cut', 'drag', 'page-copy']) assert.ok(kinds.has(k), `a ${k} record`);
  for (const r of copies) {
    assert.equal(r.origin, src.origin);
    assert.equal(r.source, 'internal');
    assert.ok(r.bytes > 0 && r.words > 0);
  }
  const copied = all.filter((r) => r.event === 'verdict' && (r.reasons || []).some((x) => x.kind === 'copied'));
  assert.ok(copied.length >= 6, `copied findings: ${copied.length}`);
  const text = JSON.stringify(all);
  for (const t of Object.values(TEXTS)) assert.equal(text.includes(t.slice(0, 40)), false, 'no copied text');
  assert.equal(text.includes('Lisbon'), false);
  assert.equal(text.includes('Fjord'), false);
});
