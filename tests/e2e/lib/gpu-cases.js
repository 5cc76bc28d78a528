// What the WebGPU suites share: the test page and each way it can ask for an adapter.
import { policyWith } from './gpu-env.js';

export const ADAPTER = 'adapter:swiftshader';
export const PAGE = 'gpu/index.html';

// Each way a page can ask for an adapter, as a function of the test page.
export const CONTEXTS = {
  page: (p) => p.evaluate(() => window.pageAdapter()),
  'iframe (contentWindow)': (p) => p.evaluate(() => window.iframeAdapter('contentWindow')),
  'iframe (srcdoc)': (p) => p.evaluate(() => window.iframeAdapter('srcdoc')),
  'classic worker': (p) => p.evaluate(() => window.workerAdapter('classic')).then(firstPart),
  'module worker': (p) => p.evaluate(() => window.workerAdapter('module')).then(firstPart),
  'nested worker': (p) => p.evaluate(() => window.workerAdapter('classic', 'nested.js')).then(firstPart),
};

function firstPart(s) {
  return String(s).split('|')[0].replace(/^nested:/, '');
}

export function gpuPolicy(verdict) {
  return policyWith((p) => { p.gpu.verdict = verdict; });
}

export async function openPage(env) {
  const page = await env.ctx.newPage();
  await page.goto(env.url(PAGE));
  return page;
}

