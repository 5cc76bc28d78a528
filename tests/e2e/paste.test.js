// Keyboard paste (Control+V from the real clipboard) into plain fields and a srcdoc
// iframe, with the real host.
import { before, after } from 'node:test';
import { launch } from './lib/harness.js';
import { pasteCases } from './lib/cases.js';

let env;
let page;
before(async () => {
  env = await launch();
  page = await env.open('fields.html');
});
after(async () => env && env.close());

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
