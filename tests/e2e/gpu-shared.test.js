// Issue 20: shared workers and service workers run the page's script as it is, so Weir
// cannot wrap the GPU inside them. Where the origin's WebGPU verdict is block (or the
// document's answer was no), they do not start: a shared worker gets an "error" event and
// service worker registration rejects. Elsewhere they work as before. A page whose CSP
// refuses blob: workers gets a plain worker only when its answer is yes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchGpu, answerDialog, waitAudit } from './lib/gpu-env.js';
import { findDialog } from './lib/harness.js';
import { ADAPTER, PAGE, gpuPolicy, openPage } from './lib/gpu-cases.js';

const CSP = encodeURIComponent("worker-src 'self'; script-src 'self' 'unsafe-inline'");

async function unregisterAll(page) {
  await page.evaluate(async () => {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
  });
}

describe('gpu: shared and service workers under block', () => {
  let env;
  before(async () => { env = await launchGpu({ policy: gpuPolicy('block') }); });
  after(async () => env && env.close());

  test('a shared worker does not start: the page gets an error event, no adapter and no dialog', async () => {
    const page = await openPage(env);
    const answer = await page.evaluate(() => window.sharedAdapter());
    assert.match(answer, /^error:/);
    // The stand-in is a SharedWorker to the page, with a working port and onerror.
    const shape = await page.evaluate(() => {
      const w = new SharedWorker('worker-shared.js', 'shape');
      return [w instanceof SharedWorker, w.port instanceof MessagePort, w.port === w.port,
              Object.prototype.toString.call(w), typeof w.onerror].join(',');
    });
    assert.equal(shape, 'true,true,true,[object SharedWorker],object');
    assert.equal(await findDialog(page, 300), null);
    await page.close();
  });

  test('a shared worker from a fresh iframe\'s realm does not start either', async () => {
    const page = await openPage(env);
    const answer = await page.evaluate(() => new Promise((resolve) => {
      const f = document.createElement('iframe');
      document.body.appendChild(f);
      const w = new f.contentWindow.SharedWorker('worker-shared.js', 'from-iframe');
      w.onerror = () => resolve('error');
      w.port.onmessage = (e) => resolve(e.data);
      w.port.postMessage('go');
    }));
    assert.equal(answer, 'error');
    await page.close();
  });

  test('service worker registration is refused, also through a fresh iframe\'s container', async () => {
    const page = await openPage(env);
    assert.equal(await page.evaluate(() => window.serviceAdapter()), 'refused:SecurityError');
    const viaFrame = await page.evaluate(async () => {
      const f = document.createElement('iframe');
      document.body.appendChild(f);
      const register = f.contentWindow.ServiceWorkerContainer.prototype.register;
      try {
        await register.call(navigator.serviceWorker, 'worker-service.js');
        return 'registered';
      } catch (e) {
        return 'refused:' + e.name;
      }
    });
    assert.equal(viaFrame, 'refused:SecurityError');
    assert.equal((await page.evaluate(() => navigator.serviceWorker.getRegistrations())).length, 0);
    await page.close();
  });

  test('a CSP that refuses blob: workers: no plain worker starts, nothing reported as unguarded', async () => {
    const page = await env.ctx.newPage();
    await page.goto(env.url(`${PAGE}?csp=${CSP}`));
    const classic = await page.evaluate(() => window.workerAdapter('classic'));
    const module = await page.evaluate(() => window.workerAdapter('module'));
    assert.match(classic, /^error:/);
    assert.match(module, /^error:/);
    assert.equal(await page.evaluate(() => window.pageAdapter()), 'null');
    const records = await waitAudit(env, (r) => r.event === 'gpu' && r.verdict === 'block');
    assert.equal(records.filter((r) => r.reported === 'unguarded').length, 0);
    await page.close();
  });
});

describe('gpu: shared and service workers under allow', () => {
  let env;
  before(async () => { env = await launchGpu({ policy: gpuPolicy('allow') }); });
  after(async () => env && env.close());

  test('a shared worker starts, and two made before the answer is known share one instance', async () => {
    const page = await openPage(env);
    // Both are made at once, before the origin's verdict is known: both start from stand-ins.
    const counts = await page.evaluate(() => Promise.all([1, 2].map(() => new Promise((resolve) => {
      const w = new SharedWorker('worker-counter.js', 'counter');
      w.port.onmessage = (e) => resolve(e.data);
    }))));
    assert.deepEqual(counts.sort(), [1, 2], 'the second SharedWorker connects to the same instance');
    assert.equal(await page.evaluate(() => window.sharedAdapter('with-gpu')), ADAPTER);
    // Later ones start natively; they reach the same instance too.
    assert.equal(await page.evaluate(() => new Promise((resolve) => {
      const w = new SharedWorker('worker-counter.js', 'counter');
      w.port.onmessage = (e) => resolve(e.data);
    })), 3);
    await page.close();
  });

  test('a service worker registers and works', async () => {
    const page = await openPage(env);
    assert.equal(await page.evaluate(() => window.serviceAdapter()), ADAPTER);
    await unregisterAll(page);
    await page.close();
  });

  test('a CSP that refuses blob: workers: the worker runs plain, and it is reported', async () => {
    const page = await env.ctx.newPage();
    await page.goto(env.url(`${PAGE}?csp=${CSP}`));
    const classic = await page.evaluate(() => window.workerAdapter('classic'));
    const module = await page.evaluate(() => window.workerAdapter('module'));
    assert.match(classic, /\|classic-helper\|fetched\|\/gpu\/worker-classic\.js$/);
    assert.match(module, /\|module-helper\|fetched\|\/gpu\/worker-module\.mjs$/);
    const records = await waitAudit(env, (r) => r.reported === 'unguarded' && (r.detail || '').includes('module worker'));
    assert.ok(records.some((r) => r.reported === 'unguarded' && (r.detail || '').includes('classic worker')));
    await page.close();
  });
});

describe('gpu: shared and service workers under warn', () => {
  let env;
  before(async () => { env = await launchGpu({ policy: gpuPolicy('warn') }); });
  after(async () => env && env.close());

  test('they start without a dialog while the document has not been asked', async () => {
    const page = await openPage(env);
    assert.equal(await page.evaluate(() => window.sharedAdapter('warn-first')), ADAPTER);
    assert.equal(await findDialog(page, 300), null);
    await page.close();
  });

  test('after the user cancels the document\'s adapter request, neither starts', async () => {
    const page = await openPage(env);
    const result = page.evaluate(() => window.pageAdapter());
    await answerDialog(page, 'cancel');
    assert.equal(await result, 'null');
    assert.match(await page.evaluate(() => window.sharedAdapter('after-cancel')), /^error:/);
    assert.equal(await page.evaluate(() => window.serviceAdapter()), 'refused:SecurityError');
    await page.close();
  });
});
