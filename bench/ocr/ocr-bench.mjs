// OCR benchmark (issue 26): a 1920x1080 screenshot of a text page, made by headless Chromium,
// sent to the real weir-host over its native-messaging framing as a pasted image, N times;
// prints the verdict time's p50 and p90 beside a paste of the same text and the first
// (cold) image, which includes starting weir-extract and loading Tesseract's model.
//
//   node bench/ocr/ocr-bench.mjs [N] [--zoom 1.5]     (N default 10; build/ must be built)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = await import(path.join(repo, 'tests/e2e/node_modules/playwright-core/index.mjs'));
const args = process.argv.slice(2);
const zoomAt = args.indexOf('--zoom');
const zoom = zoomAt >= 0 ? Number(args.splice(zoomAt, 2)[1]) : 1;
const N = Number(args[0] || 10);
const host = process.env.WEIR_HOST_BIN || path.join(repo, 'build/host/src/host/weir-host');

const notes = Array.from({ length: 14 }, (_, i) => `Meeting ${i + 1}: we went through the quarterly roadmap, ` +
  'the onboarding flow and the billing questions the customer success team raised last week.');
const text = ['Refund request', 'Please refund the card on file: 4111 1111 1111 1111, expiry 12/29.', ...notes].join('\n');
const html = `<!doctype html><meta charset="utf-8"><style>body{font:16px/1.5 system-ui;margin:40px;max-width:1100px}</style>` +
  text.split('\n').map((l, i) => (i ? `<p>${l}</p>` : `<h1>${l}</h1>`)).join('');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const ctx = await browser.newContext({ viewport: { width: Math.round(1920 / zoom), height: Math.round(1080 / zoom) },
                                       deviceScaleFactor: zoom });
const page = await ctx.newPage();
await page.setContent(html);
const png = await page.screenshot();
await browser.close();

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ocr-bench-'));
const policy = JSON.parse(fs.readFileSync(path.join(repo, 'rules/default-policy.json'), 'utf8'));
policy.timeout_ms = 30000;
policy.ocr.enabled = true;
policy.ocr.time_ms = 20000;
fs.writeFileSync(path.join(home, 'policy.json'), JSON.stringify(policy));

const child = spawn(host, [], { env: Object.assign({}, process.env, { WEIR_HOME: home }), stdio: ['pipe', 'pipe', 'inherit'] });
let buf = Buffer.alloc(0);
const waiting = [];
child.stdout.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
    const n = buf.readUInt32LE(0);
    const msg = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
    buf = buf.subarray(4 + n);
    waiting.shift()(msg);
  }
});
let nextId = 1;
function ask(body) {
  const data = Buffer.from(JSON.stringify(Object.assign({ id: nextId++ }, body)));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(data.length);
  child.stdin.write(Buffer.concat([head, data]));
  return new Promise((resolve) => waiting.push(resolve));
}
async function timed(body) {
  const t = process.hrtime.bigint();
  const reply = await ask(body);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, reply };
}
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

await ask({ type: 'hello', extension_version: 'bench' });
const image = { type: 'scan', event: 'paste', origin: 'https://bench.example', url: 'https://bench.example/',
                files: [{ name: 'screenshot.png', mime: 'image/png', size: png.length, data: png.toString('base64') }] };
const paste = { type: 'scan', event: 'paste', origin: 'https://bench.example', url: 'https://bench.example/', text };
const cold = await timed(image);
const images = [], pastes = [];
for (let i = 0; i < N; i++) {
  images.push((await timed(image)).ms);
  pastes.push((await timed(paste)).ms);
}
child.stdin.end();
fs.rmSync(home, { recursive: true, force: true });
const found = cold.reply.reasons.map((r) => `${r.rule || r.name}${r.source ? '/' + r.source : ''}`).join(', ');
console.log(`OCR of a ${Math.round(1920)}x1080 screenshot at ${zoom * 100} % zoom (${png.length} bytes PNG), ` +
  `${N} runs, real weir-host, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
console.log(`  verdict: ${cold.reply.verdict} (${found})`);
console.log(`  image, first (starts weir-extract, loads the model)  ${cold.ms.toFixed(0)} ms`);
console.log(`  image p50 ${pct(images, 0.5).toFixed(0)} ms   p90 ${pct(images, 0.9).toFixed(0)} ms   (target p50 <= 1500 ms)`);
console.log(`  same text pasted p50 ${pct(pastes, 0.5).toFixed(2)} ms   p90 ${pct(pastes, 0.9).toFixed(2)} ms`);
