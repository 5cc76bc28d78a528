// A page built on the real @mlc-ai/web-llm (from npm, served from node_modules on
// 127.0.0.1) with its model files served locally as placeholders. Under a block policy its
// engine stops at WebLLM's own adapter request (in the page and in WebLLM's module worker),
// and its model fetches are blocked before they leave the browser and audited; the audit is
// read back with `weir audit export` from the test's WEIR_HOME. Under allow, the same page
// gets its adapter and its downloads go through, audited.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchGpu, policyWith, waitAudit, auditExport } from './lib/gpu-env.js';
import { sleep } from './lib/harness.js';
import { WEBLLM_FILES, MODEL_DIR, MODEL_LIB, isModelPath } from './lib/webllm-models.js';

function policy(verdict) {
  return policyWith((p) => {
    p.gpu.verdict = verdict;
    p.model_downloads = { verdict, audit: true };
  });
}

// The service worker has the policy's model-download rules in place.
async function rulesReady(env) {
  for (let i = 0; i < 100; i++) {
    const s = await env.status();
    if (s.models && s.models.rules !== null) return s.models;
    await sleep(100);
  }
  throw new Error('model-download rules never installed');
}

async function openWebllm(env) {
  const page = await env.ctx.newPage();
  await page.goto(env.url('gpu/webllm.html'));
  await page.waitForFunction(() => window.webllmReady === true);
  return page;
}

const downloads = (records) => records.filter((r) => r.event === 'report' && r.reported === 'model-download');

describe('WebLLM under block', () => {
  let env;
  before(async () => {
    env = await launchGpu({ policy: policy('block'), models: WEBLLM_FILES });
    await rulesReady(env);
  });
  after(async () => env && env.close());

  test('page: engine creation stops at the adapter request; nothing is downloaded', async () => {
    const page = await openWebllm(env);
    const result = await page.evaluate(() => window.pageEngine());
    assert.match(result, /^gpu-refused:.*compatible GPU/);
    assert.deepEqual(env.server.hits.filter(isModelPath), []);
    await page.close();
  });

  test('module worker (WebWorkerMLCEngine): stops at the adapter request too', async () => {
    const page = await openWebllm(env);
    const result = await page.evaluate(() => window.workerEngine());
    assert.match(result, /^gpu-refused:.*compatible GPU/);
    assert.deepEqual(env.server.hits.filter(isModelPath), []);
    await page.close();
  });

  test('straight to loading: the model fetches are blocked and audited', async () => {
    const page = await openWebllm(env);
    const result = await page.evaluate(() => window.createEngine());
    assert.match(result, /^load-failed:/);
    assert.deepEqual(env.server.hits.filter(isModelPath), [], 'no model file reached the server');
    const records = await waitAudit(env, (r) => r.reported === 'model-download' && (r.detail || '').includes('mlc-chat-config.json'));
    const hit = downloads(records).find((r) => (r.detail || '').includes(`${MODEL_DIR}/mlc-chat-config.json`));
    assert.ok(hit, 'the config fetch is audited');
    assert.equal(hit.verdict, 'block');
    assert.equal(hit.origin, env.server.origin);
    await page.close();
  });
});

describe('WebLLM under allow', () => {
  let env;
  before(async () => {
    env = await launchGpu({ policy: policy('allow'), models: WEBLLM_FILES });
    await rulesReady(env);
  });
  after(async () => env && env.close());

  test('the adapter is granted and the downloads go through, audited', async () => {
    const page = await openWebllm(env);
    const result = await page.evaluate(() => window.pageEngine());
    // The adapter check passed (not gpu-refused). The placeholder model library is an
    // empty module: WebLLM fetches and compiles it, then finds no TVM runtime in it.
    assert.match(result, /^load-failed:/);
    assert.ok(env.server.hits.includes(`${MODEL_DIR}/mlc-chat-config.json`));
    assert.ok(env.server.hits.includes(MODEL_LIB));
    const records = await waitAudit(env, (r) => r.reported === 'model-download' && (r.detail || '').includes('.wasm'));
    const hits = downloads(records);
    assert.ok(hits.some((r) => (r.detail || '').includes('mlc-chat-config.json') && r.verdict === 'allow'));
    assert.ok(hits.some((r) => (r.detail || '').includes('-webgpu.wasm') && r.verdict === 'allow'));
    assert.ok(auditExport(env).some((r) => r.event === 'gpu' && r.verdict === 'allow'));
    await page.close();
  });
});
