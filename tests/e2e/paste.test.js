// Keyboard paste (Control+V from the real clipboard) into plain fields and a srcdoc
// iframe, with the real host.
import { before, after } from 'node:test';
import { launch, sleep } from './lib/harness.js';
import { startServer } from './lib/server.js';
import { pasteCases } from './lib/cases.js';

let env;
let page;
let other;   // a second origin, for a cross-origin iframe
before(async () => {
  env = await launch();
  other = await startServer();
  await env.ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: other.origin });
  page = await env.open('fields.html');
  await page.evaluate((src) => {
    const f = document.createElement('iframe');
    f.id = 'cross';
    f.src = src;
    document.body.append(f);
  }, `${other.origin}/frame-child.html`);
  for (let i = 0; i < 150 && !crossFrame(); i++) await sleep(100);
});
after(async () => {
  if (env) await env.close();
  if (other) await other.close();
});

function crossFrame() {
  return page.frames().find((f) => other && f.url().startsWith(other.origin));
}

function plain(id, shots) {
  return {
    name: id,
    shots,
    reset: (p) => p.evaluate((id) => {
      const el = document.getElementById(id);
      if ('value' in el) el.value = 'AB'; else el.textContent = 'AB';
      window.seen.length = 0;
      window.caret(id, 1);
    }, id),
    value: (p) => p.evaluate((id) => window.valueOf(id), id),
    seen: (p) => p.evaluate(() => window.seen),
  };
}

const srcdoc = {
  name: 'srcdoc iframe textarea',
  frame: (p) => p.frames().find((f) => f.url() === 'about:srcdoc'),
  reset(p) {
    return this.frame(p).evaluate(() => {
      const el = document.getElementById('ta');
      el.value = 'AB';
      el.focus();
      el.setSelectionRange(1, 1);
      window.seen.length = 0;
    });
  },
  value(p) { return this.frame(p).evaluate(() => document.getElementById('ta').value); },
  seen(p) { return this.frame(p).evaluate(() => window.seen.map((t) => ({ trusted: t }))); },
};

pasteCases(() => page, plain('textarea', 'dialog'));
pasteCases(() => page, plain('input'));
pasteCases(() => page, plain('contenteditable'));
pasteCases(() => page, srcdoc);
// A cross-origin iframe: its dialog shows in the top frame, and the focus goes back into
// the frame afterwards, so Proceed lands the content where the user pasted.
pasteCases(() => page, Object.assign({}, srcdoc, { name: 'cross-origin iframe textarea', frame: () => crossFrame() }));
