// What the WebGPU guard costs a page: requestAdapter() timed in the page (SwiftShader,
// --enable-unsafe-webgpu) under an allow policy, first call (asks the host: content script,
// service worker, weir-host, audit record) and later calls (the document's cached answer),
// against the same browser with no extension. Also the cost of starting a dedicated worker
// (new Worker to its first message) with and without the prelude.
// Run: node bench/gpu/adapter-latency.mjs [rounds]   (needs tests/e2e's node_modules and a built host)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.resolve(here, '../../tests/e2e');
const { launchGpu, policyWith } = await import(pathToFileURL(path.join(e2e, 'lib/gpu-env.js')));
const { chromium } = await import(pathToFileURL(path.join(e2e, 'node_modules/playwright-core/index.mjs')));
const rounds = Number(process.argv[2] || 20);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(2)} ms, p90 ${q(0.9).toFixed(2)} ms (n=${s.length})`;
}

// Per round: a fresh page; the first requestAdapter, then a second one; then a worker start.
async function measure(ctx, url) {
  const first = [], later = [], worker = [];
  for (let i = 0; i < rounds; i++) {
    const page = await ctx.newPage();
    await page.goto(url);
    const r = await page.evaluate(async () => {
      let t = performance.now();
      await navigator.gpu.requestAdapter();
      const a = performance.now() - t;
      t = performance.now();
      await navigator.gpu.requestAdapter();
      const b = performance.now() - t;
      t = performance.now();
      await new Promise((resolve) => {
        const w = new Worker(URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' })));
        w.onmessage = () => { w.terminate(); resolve(); };
      });
      return [a, b, performance.now() - t];
    });
    first.push(r[0]); later.push(r[1]); worker.push(r[2]);
    await page.close();
  }
  return { first, later, worker };
}

const env = await launchGpu({ policy: policyWith((p) => { p.gpu.verdict = 'allow'; }) });
let guarded;
try {
  await env.waitConnected();
  guarded = await measure(env.ctx, env.url('gpu/index.html'));
} finally {
  await env.close();
}
const plainCtx = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                         args: ['--enable-unsafe-webgpu'] });
const { startGpuServer } = await import(pathToFileURL(path.join(e2e, 'lib/gpu-env.js')));
const server = await startGpuServer();
let plain;
try {
  plain = await measure(await plainCtx.newContext(), `${server.origin}/gpu/index.html`);
} finally {
  await plainCtx.close();
  await server.close();
}
console.log(`requestAdapter, first in a document:  with Weir ${stats(guarded.first)}; without ${stats(plain.first)}`);
console.log(`requestAdapter, later in a document:  with Weir ${stats(guarded.later)}; without ${stats(plain.later)}`);
console.log(`dedicated worker start to first message: with Weir ${stats(guarded.worker)}; without ${stats(plain.worker)}`);
