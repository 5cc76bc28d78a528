// Issue 25: what Weir adds to a copy in a source group's page, measured in the page: from
// the keydown of Control+C to the copy event's bubble phase (Weir's capture listener reads
// the selection and posts it in between), 100 selected words, with and without the
// extension. The copy is never held for the host: it is told afterwards.
//   node bench/copy-bench.mjs [iterations]      (after `npm ci` in tests/e2e)
import { chromium } from '../tests/e2e/node_modules/playwright-core/index.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../tests/e2e/lib/harness.js';
import { startServer } from '../tests/e2e/lib/server.js';

const N = Number(process.argv[2] || 300);
const WARMUP = 20;

async function plainBrowser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-'));
  const server = await startServer();
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-first-run', '--disable-sync', '--disable-component-update', '--disable-quic'],
  });
  return {
    ctx, url: (p) => `${server.origin}/${p}`,
    close: async () => { await ctx.close(); await server.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

async function measure(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url);
  const times = [];
  for (let i = 0; i < WARMUP + N; i++) {
    await page.evaluate(() => window.arm());
    await page.keyboard.press('Control+C');
    const d = await page.evaluate(() => window.result);
    if (d < 0) throw new Error('no copy event within 5 s');
    if (i >= WARMUP) times.push(d);
  }
  await page.close();
  return times;
}

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p99: at(0.99) };
}

function show(name, st) {
  console.log(`${name.padEnd(34)} n=${st.n}  p50 ${st.p50.toFixed(3)} ms  p99 ${st.p99.toFixed(3)} ms`);
}

const plain = await plainBrowser();
const without = stats(await measure(plain.ctx, plain.url('copy-bench.html')));
await plain.close();

// Every local page is in the source group "internal" (a pattern without a port matches any).
const env = await launch({ policy: { origins: [{ id: 'local', match: ['http://127.0.0.1'], source: 'internal' }] } });
const withExt = stats(await measure(env.ctx, env.url('copy-bench.html')));
const sent = (await env.status()).copies.sent;
await env.close();

console.log('copy (keydown of Control+C to the copy event), Chromium headless, 100 selected words');
show('without extension', without);
show('with Weir, page in a source group', withExt);
console.log(`added by Weir: p50 ${(withExt.p50 - without.p50).toFixed(3)} ms, p99 ${(withExt.p99 - without.p99).toFixed(3)} ms` +
            ` (copies sent to the host: ${sent})`);
