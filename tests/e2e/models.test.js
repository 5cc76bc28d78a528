// Model downloads, the layer behind the WebGPU guard: the policy's patterns block the
// files that bring a model, from every kind of context a page has, including the shared
// and service workers the guard cannot reach; every hit is audited; an origin group can
// override the verdict.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { auditExport, launchGpu, policyWith, waitAudit } from './lib/gpu-env.js';
import { sleep } from './lib/harness.js';
import { WEBLLM_FILES, MODEL_DIR } from './lib/webllm-models.js';

const CONTEXTS = ['page', 'dedicated worker', 'shared worker', 'service worker'];
const FILES = [`${MODEL_DIR}/params_shard_0.bin`, `${MODEL_DIR}/tensor-cache.json`,
  '/models/llama/model-q4_k_m.gguf', '/Xenova/tiny/resolve/main/onnx/model_quantized.onnx',
  '/google/gemma/gemma3-1b-it-int4.task', '/weights/model.safetensors'];

async function rulesReady(env) {
  for (let i = 0; i < 100; i++) {
    const s = await env.status();
    if (s.models && s.models.rules !== null) return s.models;
    await sleep(100);
  }
  throw new Error('model-download rules never installed');
}

async function fetchPage(env) {
  const page = await env.ctx.newPage();
  await page.goto(env.url('gpu/fetch.html'));
  return page;
}

describe('model downloads: block', () => {
  let env;
  before(async () => {
    env = await launchGpu({ models: WEBLLM_FILES,
                            policy: policyWith((p) => { p.model_downloads = { verdict: 'block', audit: true }; }) });
    await rulesReady(env);
  });
  after(async () => env && env.close());

  for (const where of CONTEXTS) {
    test(`${where}: model files are blocked before they leave, and audited`, async () => {
      const page = await fetchPage(env);
      for (const file of FILES) {
        const url = `${file}?from=${encodeURIComponent(where)}`;
        assert.match(await page.evaluate(([w, u]) => window.fetchFrom(w, u), [where, url]), /^error:/, file);
      }
      // Ordinary files still load from the same context.
      assert.equal(await page.evaluate((w) => window.fetchFrom(w, '/gpu/data.json'), where), 'status:200');
      assert.deepEqual(env.server.hits.filter((h) => FILES.includes(h)), []);
      const last = FILES[FILES.length - 1];
      const records = await waitAudit(env, (r) => r.reported === 'model-download' && (r.detail || '').endsWith(last) &&
        r.verdict === 'block');
      for (const file of FILES) {
        assert.ok(records.some((r) => r.reported === 'model-download' && (r.detail || '').endsWith(file) &&
          r.verdict === 'block' && r.origin === env.server.origin), `${file} audited`);
      }
      assert.ok(records.every((r) => !(r.detail || '').includes('?from=')), 'no query string in the audit');
      await page.close();
    });
  }

  // What a server decodes or ignores on its way to the same file: percent-encoded dots and
  // letters, a ";params" suffix, a trailing slash.
  const EVASIONS = ['/weights/model%2Esafetensors', '/weights/model%2esafetensors', '/Xenova/tiny/%72esolve/main/config.json',
    '/weights/model.safetensors;v=1', '/models/llama/model-q4_k_m.gguf/', '/mlc/%70arams_shard_0.bin'];
  test('encoded, suffixed and slashed spellings of model files are blocked too', async () => {
    const page = await fetchPage(env);
    for (const url of EVASIONS) {
      assert.match(await page.evaluate((u) => window.fetchFrom('page', u), url), /^error:/, url);
    }
    assert.equal(await page.evaluate(() => window.fetchFrom('page', '/gpu/data.json')), 'status:200');
    assert.deepEqual(env.server.hits.filter((h) => EVASIONS.some((e) => h.startsWith(e.split(';')[0]))), []);
    await page.close();
  });
});

describe('model downloads: default audit only, an origin group blocks', () => {
  let env;
  before(async () => {
    env = await launchGpu({ models: WEBLLM_FILES, policy: policyWith((p) => {
      p.model_downloads = { verdict: 'allow', audit: true };
      p.origins.unshift({ id: 'no-models-here', match: ['http://localhost'], model_downloads: 'block' });
    }) });
    await rulesReady(env);
  });
  after(async () => env && env.close());

  test('127.0.0.1 is not in the group: downloads go through, audited as allowed', async () => {
    const page = await fetchPage(env);
    assert.equal(await page.evaluate(() => window.fetchFrom('page', '/models/llama/model-q4_k_m.gguf')), 'status:200');
    const records = await waitAudit(env, (r) => r.reported === 'model-download' && (r.detail || '').endsWith('.gguf'));
    assert.ok(records.some((r) => (r.detail || '').endsWith('/models/llama/model-q4_k_m.gguf') && r.verdict === 'allow'));
    await page.close();
  });

  test('localhost is: the same download is blocked', async () => {
    const page = await env.ctx.newPage();
    await page.goto(env.url('gpu/fetch.html').replace('127.0.0.1', 'localhost'));
    assert.match(await page.evaluate(() => window.fetchFrom('page', '/weights/model.safetensors')), /^error:/);
    const records = await waitAudit(env, (r) => r.reported === 'model-download' && (r.detail || '').endsWith('.safetensors'));
    assert.ok(records.some((r) => (r.detail || '').endsWith('/weights/model.safetensors') && r.verdict === 'block' &&
      r.origin.startsWith('http://localhost')));
    await page.close();
  });
});

// Issue 22: a page that fetches model files in a loop can no longer write a record per
// request. The extension sends the first 50 of a minute per origin and kind; the rest wait
// for the minute's one summary report.
describe('model downloads: a flood of reports', () => {
  let env;
  before(async () => {
    env = await launchGpu({ models: WEBLLM_FILES,
                            policy: policyWith((p) => { p.model_downloads = { verdict: 'block', audit: true }; }) });
    await rulesReady(env);
  });
  after(async () => env && env.close());

  test('300 blocked model fetches from one page make at most 50 records', async () => {
    const page = await fetchPage(env);
    const results = await page.evaluate(async () => {
      const out = [];
      for (let i = 0; i < 300; i++) out.push(await window.fetchFrom('page', `/weights/flood-${i}.safetensors`));
      return out;
    });
    assert.ok(results.every((r) => r.startsWith('error:')), 'every model fetch blocked');
    const flood = (r) => r.reported === 'model-download' && /flood-\d+\.safetensors$/.test(r.detail || '');
    await waitAudit(env, (r) => flood(r) && r.detail.endsWith('flood-49.safetensors'));
    await sleep(2000);  // anything past the 50th would have arrived by now
    const records = auditExport(env).filter(flood);
    assert.equal(records.length, 50, `${records.length} records for 300 requests`);
    // The extension held the other 250 itself: they never reached the host.
    assert.equal((await env.status()).reports.held, 250);
    await page.close();
  });
});
