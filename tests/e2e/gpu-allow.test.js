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
});
