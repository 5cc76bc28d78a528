// WebGPU adapter requests under a block policy resolve to null everywhere, including for
// pages that forge the channel, take a pristine method from a fresh iframe, or forge a
// worker's port.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchGpu, answerDialog, waitAudit } from './lib/gpu-env.js';
import { findDialog, sleep } from './lib/harness.js';
import { ADAPTER, CONTEXTS, PAGE, gpuPolicy, openPage } from './lib/gpu-cases.js';

describe('gpu: block', () => {
  let env;
  before(async () => { env = await launchGpu({ policy: gpuPolicy('block') }); });
  after(async () => env && env.close());

  for (const [name, run] of Object.entries(CONTEXTS)) {
    test(`${name}: null, and no dialog`, async () => {
      const page = await openPage(env);
      assert.equal(await run(page), 'null');
      assert.equal(await findDialog(page, 300), null);
      await page.close();
    });
  }

  test('the block is audited', async () => {
    const page = await openPage(env);
    await page.evaluate(() => window.pageAdapter());
    const records = await waitAudit(env, (r) => r.event === 'gpu' && r.verdict === 'block');
    assert.ok(records.some((r) => r.event === 'gpu' && r.verdict === 'block' && r.origin === env.server.origin));
    await page.close();
  });

  test('a pristine requestAdapter from a fresh iframe gets nothing', async () => {
    const page = await openPage(env);
    assert.equal(await page.evaluate(() => window.iframeAdapter('pristine-method')), 'null');
    assert.equal(await page.evaluate(() => window.iframeAdapter('index')), 'null');
    assert.equal(await page.evaluate(() => window.iframeAdapter('popup')), 'null');
    await page.close();
  });

  test('a worker that replaces URL.createObjectURL, Blob and MessageChannel gets no adapter in its nested worker', async () => {
    const page = await openPage(env);
    const answer = await page.evaluate(() => window.workerAdapter('classic', 'nested-hostile.js'));
    assert.ok(!/adapter:/.test(answer), answer);
    await page.close();
  });

  test('a worker URL whose toString() changes, and options that throw on a second read, get no adapter', async () => {
    const page = await openPage(env);
    const answers = await page.evaluate(async () => {
      const ask = (make) => new Promise((resolve) => {
        let w;
        try {
          w = make();
        } catch (e) {
          resolve('threw:' + e.name);
          return;
        }
        w.onmessage = (e) => { resolve(String(e.data)); w.terminate(); };
        w.onerror = (e) => { resolve('error:' + (e.message || 'worker error')); w.terminate(); };
        w.postMessage('go');
        setTimeout(() => resolve('no answer'), 8000);
      });
      let calls = 0;
      const shifty = { toString: () => (calls++ === 0 ? 'https://elsewhere.example/worker-classic.js' : 'worker-classic.js') };
      let reads = 0;
      const options = { get type() { if (++reads === 2) throw new Error('second read'); return 'classic'; } };
      return [await ask(() => new Worker(shifty)), await ask(() => new Worker('worker-classic.js', options))];
    });
    for (const a of answers) assert.ok(!/^adapter:/.test(a), JSON.stringify(answers));
    await page.close();
  });

  test('data: workers (classic and module) are guarded too', async () => {
    const page = await openPage(env);
    const src = 'onmessage = async () => postMessage(String(await navigator.gpu.requestAdapter()));';
    for (const type of ['classic', 'module']) {
      const url = 'data:text/javascript,' + encodeURIComponent(src);
      assert.equal(await page.evaluate(([t, u]) => window.workerAdapter(t, u), [type, url]), 'null', type);
    }
    await page.close();
  });

  for (const how of ['sandboxed', 'javascript', 'blob']) {
    test(`a ${how} iframe asking for itself gets nothing`, async () => {
      const page = await openPage(env);
      assert.equal(await page.evaluate((h) => window.iframeAdapter(h), how), 'null');
      await page.close();
    });
  }

  test('a page that forges the channel or its answers gets nothing', async () => {
    const page = await openPage(env);
    const result = await page.evaluate(async () => {
      // A forged channel hand-over, forged replies on every channel a page can reach, and
      // the hand-off property main-world.js used (deleted before any page script ran).
      const fake = new MessageChannel();
      window.dispatchEvent(new MessageEvent('weir-channel', { ports: [fake.port2] }));
      fake.port1.onmessage = (e) => fake.port1.postMessage({ rid: e.data && e.data.rid, allowed: true });
      const handoff = typeof window.__weirMainAsk;
      const pending = navigator.gpu.requestAdapter();
      for (let rid = 0; rid < 20; rid++) {
        window.postMessage({ rid, allowed: true }, '*');
        window.dispatchEvent(new CustomEvent('weir-reply', { detail: JSON.stringify({ rid, allowed: true }) }));
      }
      const adapter = await pending;
      return `${handoff}|${adapter ? 'adapter' : 'null'}`;
    });
    assert.equal(result, 'undefined|null');
    await page.close();
  });

  test('a worker cannot forge its port: a fake first message is not the channel', async () => {
    const page = await openPage(env);
    const result = await page.evaluate(() => new Promise((resolve) => {
      const src = `
        const fake = new MessageChannel();
        fake.port2.onmessage = (e) => fake.port2.postMessage({ rid: e.data.rid, allowed: true });
        self.dispatchEvent(new MessageEvent('message', { data: { weirGpuPort: fake.port1 } }));
        onmessage = async () => {
          const a = await navigator.gpu.requestAdapter();
          postMessage(a ? 'adapter' : 'null');
        };`;
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      w.onmessage = (e) => resolve(e.data);
      w.postMessage('go');
    }));
    assert.equal(result, 'null');
    await page.close();
  });

  test('a worker made from a fresh iframe\'s realm with a relative URL gets no adapter', async () => {
    const page = await openPage(env);
    const answer = await page.evaluate(() => new Promise((resolve) => {
      const f = document.createElement('iframe');
      document.body.appendChild(f);
      const w = new f.contentWindow.Worker('worker-classic.js');
      w.onmessage = (e) => resolve(String(e.data));
      w.onerror = (e) => resolve('error:' + e.message);
      w.postMessage('go');
    }));
    assert.match(answer, /^null\|classic-helper\|fetched\|\/gpu\/worker-classic\.js$/);
    await page.close();
  });

  test('a worker whose script throws at once is not mistaken for a CSP refusal', async () => {
    const page = await openPage(env);
    const result = await page.evaluate(() => new Promise((resolve) => {
      const src = 'throw new Error("broken on purpose");';
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      w.onerror = (e) => resolve('error:' + e.message);
      w.dispatchEvent(new Event('error'));   // a forged plain error: must not start a plain copy
    }));
    assert.match(result, /^error:(Uncaught Error: )?broken on purpose|^error:undefined$/);
    await sleep(300);
    const records = (await waitAudit(env, () => false, 300)).filter((r) => r.reported === 'unguarded');
    assert.equal(records.filter((r) => (r.detail || '').includes('worker blob:')).length, 0);
    await page.close();
  });
});
