// A 100 MB file dropped in Chromium, end to end: from the trusted drop (CDP) to the
// block dialog, through the content script reading it slice by slice, the service worker,
// the real weir-host's chunks and scan. The file has a private key 4 KiB before its end.
// Prints the median and each run; not a test.
//   node bench/upload/bigfile-bench.mjs [runs] [MB]       (after `npm ci` in tests/e2e)
import fs from 'node:fs';
import path from 'node:path';
import { launch, findDialog, waitGone, press, PRIVATE_KEY } from '../../tests/e2e/lib/harness.js';

const RUNS = Number(process.argv[2] || 3);
const SIZE = Number(process.argv[3] || 100) * 1000 * 1000;

function writeBigFile(file) {
  const line = 'quarterly numbers, nothing secret here, just filler text 0123456789\n';
  const block = Buffer.from(line.repeat(Math.floor((1 << 20) / line.length)));
  const tail = Buffer.concat([Buffer.from(PRIVATE_KEY), Buffer.alloc(4096, '.')]);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  while (written + block.length < SIZE - tail.length) written += fs.writeSync(fd, block);
  written += fs.writeSync(fd, Buffer.alloc(SIZE - tail.length - written, 'x'));
  fs.writeSync(fd, tail);
  fs.closeSync(fd);
}

const env = await launch({ timeoutMs: 20000, policy: { max_scan_bytes: 256 * 1024 * 1024 } });
try {
  const file = path.join(env.dir, 'export.log');
  writeBigFile(file);
  const page = await env.open('drop.html');
  const cdp = await env.ctx.newCDPSession(page);
  const box = await page.locator('#zone').boundingBox();
  const x = Math.round(box.x + box.width / 2), y = Math.round(box.y + box.height / 2);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    for (const type of ['dragEnter', 'dragOver', 'drop']) {
      await cdp.send('Input.dispatchDragEvent', { type, x, y, data: { dragOperationsMask: 1, items: [], files: [file] } });
    }
    const dialog = await findDialog(page, 300000);
    if (!dialog) throw new Error('no dialog');
    times.push(performance.now() - started);
    if (!/private-key/.test(await dialog.locator('#reasons').innerText())) throw new Error('not the key');
    await press(page, dialog.locator('[data-action=cancel]'));
    await waitGone(page);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(`Chromium drop of a ${SIZE / 1e6} MB file to its block dialog, ${RUNS} runs`);
  console.log(`median ${med.toFixed(0)} ms (${(SIZE / 1e6 / (med / 1000)).toFixed(1)} MB/s); runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
} finally {
  await env.close();
}
