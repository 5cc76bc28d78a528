// WebGPU adapter requests under a warn policy: the dialog, proceed returns the adapter,
// cancel resolves to null; both audited.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchGpu, answerDialog, waitAudit } from './lib/gpu-env.js';
import { findDialog, sleep } from './lib/harness.js';
import { ADAPTER, CONTEXTS, gpuPolicy, openPage } from './lib/gpu-cases.js';

describe('gpu: warn', () => {
  let env;
  before(async () => { env = await launchGpu({ policy: gpuPolicy('warn') }); });
  after(async () => env && env.close());

  for (const [name, run] of Object.entries(CONTEXTS)) {
    test(`${name}: the dialog, and proceed returns the adapter`, async () => {
      const page = await openPage(env);
      const result = run(page);
      const text = await answerDialog(page, 'proceed', name === 'page' ? 'dialog-gpu-warn.png' : null);
      assert.match(text, /graphics processor/);
      assert.match(text, /can run AI models locally/);
      assert.equal(await result, ADAPTER);
      // The answer holds for the document and its workers: no second dialog. (A new
      // iframe is a new document and asks again.)
      if (!name.startsWith('iframe')) assert.equal(await run(page), ADAPTER);
      await page.close();
    });
  }

  test('cancel resolves to null, and the decision is audited', async () => {
    const page = await openPage(env);
    const result = page.evaluate(() => window.pageAdapter());
    await answerDialog(page, 'cancel');
    assert.equal(await result, 'null');
    const records = await waitAudit(env, (r) => r.event === 'decision' && r.action === 'cancel');
    assert.ok(records.some((r) => r.event === 'gpu' && r.verdict === 'warn'));
    assert.ok(records.some((r) => r.event === 'decision' && r.action === 'cancel'));
    await sleep(50);
    await page.close();
  });
});
