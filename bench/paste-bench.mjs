// Paste-to-insert time, measured in the page: from the keydown of Control+V to the input
// event of the insertion, in a textarea, with and without the Weir extension (real host,
// harmless text, so every paste goes to the host and comes back as allow).
//   node bench/paste-bench.mjs [iterations]      (after `npm ci` in tests/e2e)
import { chromium } from '../tests/e2e/node_modules/playwright-core/index.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../tests/e2e/lib/harness.js';
import { startServer } from '../tests/e2e/lib/server.js';

const N = Number(process.argv[2] || 300);
const WARMUP = 20;
const TEXT = 'The quarterly plan is in the shared folder; see section 3 for dates.';

async function plainBrowser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-'));
  const server = await startServer();
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-first-run', '--disable-sync', '--disable-component-update', '--disable-quic'],
  });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  return {
    ctx, url: (p) => `${server.origin}/${p}`,
    close: async () => { await ctx.close(); await server.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

async function measure(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.evaluate((t) => navigator.clipboard.writeText(t), TEXT);
  const times = [];
  let missed = 0;
  for (let i = 0; i < WARMUP + N; i++) {
    await page.evaluate(() => window.arm());
    await page.keyboard.press('Control+V');
    const d = await page.evaluate(() => window.result);
    if (d < 0) {
      if (++missed > 5) throw new Error('no input event within 5 s, several times');
      i--;
      continue;
    }
    if (i >= WARMUP) times.push(d);
  }
  await page.close();
  if (missed) console.error(`(${missed} pastes without an input event were retried)`);
  return times;
}

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

function show(name, st) {
  console.log(`${name.padEnd(22)} n=${st.n}  p50 ${st.p50.toFixed(2)} ms  p99 ${st.p99.toFixed(2)} ms  max ${st.max.toFixed(2)} ms`);
}

const plain = await plainBrowser();
const without = stats(await measure(plain.ctx, plain.url('bench.html')));
await plain.close();

const env = await launch({ timeoutMs: 3000 });
const withExt = stats(await measure(env.ctx, env.url('bench.html')));
await env.close();

console.log(`paste-to-insert (keydown of Control+V to input event), Chromium ${'headless'}, textarea, ${TEXT.length} chars`);
show('without extension', without);
show('with Weir', withExt);
console.log(`added by Weir: p50 ${(withExt.p50 - without.p50).toFixed(2)} ms, p99 ${(withExt.p99 - without.p99).toFixed(2)} ms`);
