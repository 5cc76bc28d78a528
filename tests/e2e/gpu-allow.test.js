// WebGPU adapter requests under an allow policy: a page, iframes, a classic and a module
// worker all get the SwiftShader adapter, and workers keep their relative URLs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchGpu, answerDialog, waitAudit } from './lib/gpu-env.js';
import { findDialog, sleep } from './lib/harness.js';
import { ADAPTER, CONTEXTS, gpuPolicy, openPage } from './lib/gpu-cases.js';

describe('gpu: allow', () => {
  let env;
  before(async () => { env = await launchGpu({ policy: gpuPolicy('allow') }); });
  after(async () => env && env.close());

  for (const [name, run] of Object.entries(CONTEXTS)) {
    test(`${name}: the adapter`, async () => {
      const page = await openPage(env);
      assert.equal(await run(page), ADAPTER);
      await page.close();
    });
  }

  test('sandboxed, javascript: and blob: iframes and a popup get the adapter (no over-blocking)', async () => {
    const page = await openPage(env);
    for (const how of ['sandboxed', 'javascript', 'blob', 'popup']) {
      assert.equal(await page.evaluate((h) => window.iframeAdapter(h), how), ADAPTER, how);
    }
    await page.close();
  });

  test('workers keep their relative URLs: importScripts, import, fetch, location', async () => {
    const page = await openPage(env);
    assert.equal(await page.evaluate(() => window.workerAdapter('classic')),
      `${ADAPTER}|classic-helper|fetched|/gpu/worker-classic.js`);
    assert.equal(await page.evaluate(() => window.workerAdapter('module')),
      `${ADAPTER}|module-helper|fetched|/gpu/worker-module.mjs`);
    await page.close();
  });

  test('the verdict is audited once per document, with the page origin', async () => {
    const page = await openPage(env);
    await page.evaluate(() => Promise.all([window.pageAdapter(), window.pageAdapter(), window.pageAdapter()]));
    const records = await waitAudit(env, (r) => r.event === 'gpu');
    const gpu = records.filter((r) => r.event === 'gpu' && r.origin === env.server.origin);
    assert.ok(gpu.length >= 1);
    assert.equal(gpu[0].verdict, 'allow');
    assert.equal(gpu[0].api, 'requestAdapter');
    await page.close();
  });

  test('host unreachable: the fail mode (block) gives null without a dialog; back, the adapter', async () => {
    await env.waitConnected();
    env.setHostDown(true);
    process.kill(env.hostPid(), 'SIGKILL');
    for (let i = 0; i < 300 && (await env.status()).state === 'connected'; i++) await sleep(50);
    const page = await openPage(env);
    assert.equal(await page.evaluate(() => window.pageAdapter()), 'null');
    assert.equal(await findDialog(page, 300), null);
    await page.close();
    env.setHostDown(false);
    await env.waitConnected(30000);
    const again = await openPage(env);
    assert.equal(await again.evaluate(() => window.pageAdapter()), ADAPTER);
    const records = await waitAudit(env, (r) => r.reported === 'fail-mode' && (r.detail || '').startsWith('gpu/'));
    assert.ok(records.some((r) => r.reported === 'fail-mode' && r.verdict === 'block' &&
      (r.detail || '').startsWith('gpu/requestAdapter')));
    await again.close();
  });
});
