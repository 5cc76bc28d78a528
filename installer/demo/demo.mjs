// The browser half of the quick start: Debian's Chromium with the Weir extension and the
// weir-host just built, on the default policy, on a local page that stands in for a web chat.
// Headed (a DISPLAY): the window stays open for the user to try until it is closed.
// Headless: it pastes a harmless line, a card number and a private key, prints what happened
// to each paste, and saves a screenshot.
//
//   node installer/demo/demo.mjs --host PATH [--headless] [--screenshot FILE]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { writeClipboard, findDialog, press, waitGone, sleep, PRIVATE_KEY, CARD, HARMLESS, EXTENSION_ID }
  from '../../tests/e2e/lib/harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
// playwright-core comes from the e2e suite's node_modules (demo.sh runs npm ci there).
const { chromium } = createRequire(path.join(repo, 'tests/e2e/package.json'))('playwright-core');

const SAMPLES = [
  { title: 'A harmless line', text: HARMLESS },
  { title: 'A card number', text: CARD },
  { title: 'A private key', text: PRIVATE_KEY },
];

function parseArgs(argv) {
  const args = { headless: false, screenshot: path.join(repo, 'weir-demo.png') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--host') args.host = argv[++i];
    else if (argv[i] === '--headless') args.headless = true;
    else if (argv[i] === '--screenshot') args.screenshot = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.host) throw new Error('--host PATH (the weir-host binary) is required');
  return args;
}

// A throwaway profile whose NativeMessagingHosts folder registers the host, started through
// a wrapper that gives it a throwaway WEIR_HOME: the shipped default policy applies.
function makeProfile(hostBin) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-demo-browser-'));
  const weirHome = path.join(dir, 'weir-home');
  const profile = path.join(dir, 'profile');
  fs.mkdirSync(weirHome);
  fs.mkdirSync(path.join(profile, 'NativeMessagingHosts'), { recursive: true });
  const wrapper = path.join(dir, 'weir-host.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nWEIR_HOME='${weirHome}' exec '${path.resolve(hostBin)}' "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(profile, 'NativeMessagingHosts', 'dev.weir.host.json'), JSON.stringify({
    name: 'dev.weir.host', description: 'Weir host (demo)', path: wrapper, type: 'stdio',
    allowed_origins: [`chrome-extension://${EXTENSION_ID}/`],
  }));
  return { dir, weirHome, profile };
}

async function serve() {
  const page = fs.readFileSync(path.join(here, 'page.html'), 'utf8')
    .replace('/*SAMPLES*/[]', JSON.stringify(SAMPLES).replace(/</g, '\\u003c'));
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(req.url === '/' ? page : 'not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

// Pastes one sample into the chat box and says what became of it: inserted, or the dialog's
// verdict and message (the user then cancels, as the demo does for every dialog).
async function pasteAndReport(page, sample, screenshot) {
  await page.evaluate(() => { const t = document.getElementById('chat'); t.value = ''; t.focus(); });
  await writeClipboard(page, { text: sample.text });
  await page.keyboard.press('Control+V');
  const until = Date.now() + 8000;
  while (Date.now() < until) {
    const value = await page.evaluate(() => document.getElementById('chat').value);
    if (value === sample.text) return { outcome: 'inserted', detail: 'the page received it' };
    const dialog = await findDialog(page, 200);
    if (dialog) {
      const card = dialog.locator('.card');
      const verdict = await card.getAttribute('data-verdict');
      const message = (await dialog.locator('#message').innerText()).trim();
      if (screenshot) await page.screenshot({ path: screenshot });
      await press(page, dialog.locator('[data-action=cancel]'));
      await waitGone(page);
      const after = await page.evaluate(() => document.getElementById('chat').value);
      return { outcome: verdict, detail: message, leaked: after !== '' };
    }
    await sleep(50);
  }
  return { outcome: 'no answer', detail: 'neither inserted nor a dialog within 8 s' };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { dir, weirHome, profile } = makeProfile(args.host);
  const { server, origin } = await serve();
  const ext = path.join(repo, 'extension');
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: args.headless,
    viewport: args.headless ? { width: 900, height: 700 } : null,
    ignoreDefaultArgs: ['--disable-extensions', '--disable-component-extensions-with-background-pages'],
    args: [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-first-run',
      '--disable-sync', '--disable-component-update', '--disable-quic'],
  });
  // No step may hang the quick start: each browser action gives up after 20 s and the
  // whole demo after 3 minutes, with a message instead of a silent wait.
  ctx.setDefaultTimeout(20000);
  const watchdog = setTimeout(() => { console.error('demo: gave up after 3 minutes'); process.exit(2); }, 180000);
  watchdog.unref();
  let failed = false;
  try {
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(origin + '/');
    if (!args.headless) {
      console.log(`Chromium is open on ${origin}/ with Weir. Copy a sample, paste it into the box,`);
      console.log('and see what Weir does. Close the browser window (or press Ctrl+C) to end the demo.');
      await new Promise((r) => { ctx.on('close', r); process.once('SIGINT', r); process.once('SIGTERM', r); });
      return;
    }
    for (const [i, sample] of SAMPLES.entries()) {
      const r = await pasteAndReport(page, sample, i === SAMPLES.length - 1 ? args.screenshot : null);
      console.log(`paste ${i + 1}, ${sample.title.toLowerCase()}: ${r.outcome}: ${r.detail}`);
      if (r.leaked) { console.log('  FAIL: the page received it after the dialog'); failed = true; }
      if (r.outcome === 'no answer') failed = true;
    }
    console.log(`screenshot of the last dialog: ${args.screenshot}`);
    const held = fs.readdirSync(weirHome).some((f) => {
      const bytes = fs.readFileSync(path.join(weirHome, f));
      return bytes.includes('4111 1111 1111 1111') || bytes.includes('BEGIN RSA PRIVATE KEY');
    });
    console.log(held ? 'FAIL: a pasted value was written to disk' : 'The host wrote audit records, never the pasted text.');
    failed ||= held;
  } finally {
    await ctx.close().catch(() => {});
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 2 : 0;
}

main().catch((e) => { console.error(`demo: ${e.message}`); process.exit(2); });
