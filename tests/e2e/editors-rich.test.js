// Issue 20: more editors that take a plain paste must take a proceeded one too, installed
// from npm and served locally: Quill 2 (its own clipboard module), Lexical (Meta's editor,
// rich text) and Slate (on React 18). Each gets the paste cases every field gets; in Quill and
// Lexical a rich paste keeps its formatting (Slate leaves HTML to the application).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, writeClipboard, pasteKey, sleep } from './lib/harness.js';
import { pasteCases } from './lib/cases.js';

let env;
const pages = {};
before(async () => {
  env = await launch();
  for (const name of ['quill', 'lexical', 'slate']) {
    pages[name] = await env.open(`${name}.html`);
    await pages[name].waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  }
});
after(async () => env && env.close());

function editorField(name, page) {
  return {
    name,
    async reset(p) {
      await p.bringToFront();
      await p.evaluate(() => window.editor.reset());
    },
    value: (p) => p.evaluate(() => window.editor.text()),
    seen: (p) => p.evaluate(() => window.seen),
  };
}

pasteCases(() => pages.quill, editorField('Quill'));
pasteCases(() => pages.lexical, editorField('Lexical'));
pasteCases(() => pages.slate, editorField('Slate'));

for (const name of ['quill', 'lexical']) {
  test(`${name}: rich HTML keeps its formatting, inserted once`, async () => {
    const page = pages[name];
    await page.bringToFront();
    const html = '<p>plain <strong>bold</strong> and <em>slanted</em> words</p>';
    await writeClipboard(page, { text: 'plain bold and slanted words', html });
    await page.evaluate(() => window.editor.reset());
    await pasteKey(page);
    await page.waitForFunction(() => window.editor.text().includes('bold'), null, { timeout: 15000 });
    await sleep(150);
    assert.deepEqual(await page.evaluate(() => window.editor.formats()), ['bold', 'italic']);
    const text = await page.evaluate(() => window.editor.text());
    assert.equal(text.split('bold').length - 1, 1, 'inserted once');
  });
}
