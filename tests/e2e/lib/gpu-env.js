// The WebGPU and model-download suites' browser: the harness's Chromium, extension and real
// weir-host, plus --enable-unsafe-webgpu (a SwiftShader adapter in headless Chromium), a
// policy of the test's choosing in WEIR_HOME/policy.json, and a server that also serves
// model files (small placeholders at the paths real model hubs use) and per-page headers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Env, EXTENSION_ID, extensionDir, repo, writeHost, writeHostManifest, findDialog, press, sleep, saveShot }
  from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.resolve(here, '..');
const pagesDir = path.join(e2e, 'pages');
const modulesDir = path.join(e2e, 'node_modules');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.json': 'application/json', '.wasm': 'application/wasm' };

// The shipped default policy with the test's changes merged over it.
export function policyWith(change) {
  const policy = JSON.parse(fs.readFileSync(path.join(repo, 'rules/default-policy.json'), 'utf8'));
  policy.timeout_ms = 3000;
  return change ? change(policy) || policy : policy;
}

// A page's headers: ?csp=... on a page URL becomes its Content-Security-Policy.
function headersFor(url) {
  const headers = { 'cache-control': 'no-store' };
  const csp = url.searchParams.get('csp');
  if (csp) headers['content-security-policy'] = csp;
  return headers;
}

function fileFor(urlPath) {
  const clean = decodeURIComponent(urlPath);
  const [root, rest] = clean.startsWith('/node_modules/')
    ? [modulesDir, clean.slice('/node_modules/'.length)] : [pagesDir, clean.slice(1)];
  const file = path.resolve(root, rest);
  return file.startsWith(root + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile() ? file : null;
}

// models: {urlPath: Buffer | string | (() => Buffer)} served as they are; every request
// the server sees is recorded in `hits` (path only), so a test can tell a blocked request
// (never arrived) from one that arrived.
export async function startGpuServer(models = {}) {
  const hits = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    hits.push(url.pathname);
    const headers = headersFor(url);
    if (Object.hasOwn(models, url.pathname)) {
      const body = models[url.pathname];
      const type = TYPES[path.extname(url.pathname)] || 'application/octet-stream';
      res.writeHead(200, Object.assign(headers, { 'content-type': type, 'access-control-allow-origin': '*' }))
        .end(typeof body === 'function' ? body() : body);
      return;
    }
    const file = fileFor(url.pathname);
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    res.writeHead(200, Object.assign(headers, { 'content-type': type })).end(fs.readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, hits, close: () => new Promise((r) => server.close(r)) };
}

// policy: the object to write as WEIR_HOME/policy.json.
export async function launchGpu({ policy = policyWith(), models = {}, webgpu = true } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-gpu-'));
  const weirHome = path.join(dir, 'weir-home');
  const userDataDir = path.join(dir, 'profile');
  fs.mkdirSync(weirHome);
  fs.mkdirSync(userDataDir);
  fs.writeFileSync(path.join(weirHome, 'policy.json'), JSON.stringify(policy, null, 2));
  writeHostManifest(userDataDir, writeHost(dir, weirHome));
  const server = await startGpuServer(models);
  const args = [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`,
    '--no-first-run', '--disable-sync', '--disable-component-update', '--disable-quic', '--lang=en-US'];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    locale: 'en-US',
    viewport: { width: 900, height: 640 },
    ignoreDefaultArgs: ['--disable-extensions', '--disable-component-extensions-with-background-pages'],
    args,
  });
  const isOurs = (w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`);
  const sw = ctx.serviceWorkers().find(isOurs) || await ctx.waitForEvent('serviceworker', { predicate: isOurs });
  const env = new Env({ dir, weirHome, ctx, sw, server });
  await env.ready();
  return env;
}

// The audit log as `weir audit export` prints it from the test's WEIR_HOME: one object a record.
export function auditExport(env) {
  const candidates = [process.env.WEIR_BIN, path.join(repo, 'build/host/src/cli/weir')];
  const bin = candidates.find((p) => p && fs.existsSync(p));
  if (!bin) throw new Error('weir is not built');
  const out = execFileSync(bin, ['audit', 'export', '--format', 'jsonl'],
    { env: Object.assign({}, process.env, { WEIR_HOME: env.weirHome }), encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

// Waits until the audit log has a record that pred accepts.
export async function waitAudit(env, pred, ms = 8000) {
  const until = Date.now() + ms;
  let records = [];
  while (Date.now() < until) {
    records = auditExport(env);
    if (records.some(pred)) return records;
    await sleep(150);
  }
  return records;
}

// Answers the GPU warn dialog in the page's top frame; shot names a screenshot for docs/img.
export async function answerDialog(page, action, shot) {
  const dialog = await findDialog(page, 8000);
  if (!dialog) throw new Error('no dialog');
  const text = await dialog.locator('.card').innerText();
  if (shot) await page.screenshot({ path: saveShot(shot) });
  await press(page, dialog.locator(`button[data-action="${action}"]`));
  return text;
}
