// Keyboard paste into editors installed from npm and served locally: ProseMirror,
// CodeMirror 6 and Monaco run their own paste handling on the re-dispatched event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, sleep, PNG_1x1 } from './lib/harness.js';
import { pasteCases } from './lib/cases.js';

let env;
let pm;
let cm;
let mo;
before(async () => {
  env = await launch();
  pm = await env.open('prosemirror.html');
  await pm.waitForFunction(() => window.ready === true);
  cm = await env.open('codemirror.html');
  await cm.waitForFunction(() => window.ready === true);
  mo = await env.open('monaco.html');
  await mo.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
});
after(async () => env && env.close());

function editorField(name, shots) {
  return {
    name,
    shots,
    async reset(p) {
      await p.bringToFront();
      await p.evaluate(() => window.editor.reset());
    },
    value: (p) => p.evaluate(() => window.editor.text()),
    seen: (p) => p.evaluate(() => window.seen),
  };
}

pasteCases(() => pm, editorField('ProseMirror', 'prosemirror'));
pasteCases(() => cm, editorField('CodeMirror 6'));
pasteCases(() => mo, editorField('Monaco'));

function marksIn(json) {
  const marks = new Set();
  (function walk(node) {
    for (const m of node.marks || []) marks.add(m.type);
    for (const c of node.content || []) walk(c);
  })(json);
  return marks;
}

test('ProseMirror: rich HTML keeps its formatting', async () => {
  await pm.bringToFront();
  const html = '<p>plain <strong>bold</strong> and <em>slanted</em> words</p>';
  await writeClipboard(pm, { text: 'plain bold and slanted words', html });
  await pm.evaluate(() => window.editor.reset());
  await pasteKey(pm);
  await pm.waitForFunction(() => window.editor.text().includes('bold'), null, { timeout: 15000 });
  await sleep(150);
  const json = await pm.evaluate(() => window.editor.json());
  const marks = marksIn(json);
  assert.ok(marks.has('strong'), 'bold survives');
  assert.ok(marks.has('em'), 'italic survives');
  const text = await pm.evaluate(() => window.editor.text());
  assert.equal(text.split('bold').length - 1, 1, 'inserted once');
});

test('ProseMirror: an image paste still reaches the editor', async () => {
  await pm.bringToFront();
  await writeClipboard(pm, { png: PNG_1x1 });
  await pm.evaluate(() => window.editor.reset());
  await pasteKey(pm);
  await pm.waitForFunction(() => window.images.length > 0, null, { timeout: 15000 });
  await sleep(150);
  const images = await pm.evaluate(() => window.images);
  assert.equal(images.length, 1, 'one image, once');
  assert.equal(images[0].type, 'image/png');
  const json = await pm.evaluate(() => window.editor.json());
  assert.ok(JSON.stringify(json).includes('"image"'), 'an image node is in the document');
});
