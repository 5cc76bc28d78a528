// Issue 26: the text in images. Screenshots of real pages, made here by headless Chromium at
// 100 % and 150 % zoom (and turned into JPEG, WebP, GIF, BMP and TIFF by Chromium and
// netpbm), are read by OCR in weir-extract's sandboxed child: a card number, a private key
// and an excerpt of a protected document are found and say "source": "ocr"; harmless
// screenshots raise nothing; the policy's OCR switch and bounds hold. Pictures inside
// documents (.docx and .odt by LibreOffice) and PDFs whose pages are images (printed by
// Chromium) are read the same way. Then in the browser: a
// pasted screenshot holding a key is blocked, with "checking the image" shown meanwhile.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { launch, repo, writeClipboard, resetTextarea, textareaValue, pasteKey, findDialog, press, waitGone,
  sleep } from './lib/harness.js';

const hostBin = process.env.WEIR_HOST_BIN || path.join(repo, 'build/host/src/host/weir-host');
const weirBin = path.join(path.dirname(hostBin), '../cli/weir');
const LICENSE = '/usr/share/common-licenses/Apache-2.0';
// Generous: the tests run on a busy machine, and only the bounds' own tests are about time.
const SLOW = { timeout_ms: 60000, ocr: { enabled: true, languages: ['eng'], time_ms: 30000, max_pixels: 40000000 } };

const NOTES = Array.from({ length: 10 }, (_, i) => `<p>Meeting ${i + 1}: we went through the quarterly ` +
  'roadmap, the onboarding flow and the billing questions the customer success team raised last week.</p>').join('');

function page(body, style = '') {
  return `<!doctype html><meta charset="utf-8"><style>body{font:16px/1.5 system-ui,sans-serif;margin:40px;` +
    `max-width:1100px;color:#222} pre{font:14px/1.4 monospace} ${style}</style>${body}`;
}

function privateKey() {
  return execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
    '-outform', 'PEM'], { encoding: 'utf8' }).replace('BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY')
    .replace('END PRIVATE KEY', 'END RSA PRIVATE KEY');
}

// Section 4 of the Apache licence as a page, in a narrow column with hyphenation, so OCR
// meets words broken at line ends.
function excerpt() {
  const text = fs.readFileSync(LICENSE, 'utf8');
  const start = text.indexOf('4. Redistribution.');
  const end = text.indexOf('5. Submission of Contributions.');
  return text.slice(start, end).replace(/\s+/g, ' ').trim().split(' ').slice(0, 170).join(' ');
}

function run(args, home, input) {
  return execFileSync(weirBin, args, { env: Object.assign({}, process.env, { WEIR_HOME: home }), input,
    encoding: 'utf8' });
}

function scanJson(home, file, origin = 'https://ocr.example') {
  return JSON.parse(run(['scan', '--json', '--origin', origin, file], home));
}

function kinds(verdict) {
  return verdict.reasons.map((r) => `${r.kind}:${r.rule || r.name}${r.source ? ':' + r.source : ''}`).sort();
}

function writeHome(dir, name, policyChange) {
  const home = path.join(dir, name);
  fs.mkdirSync(home, { mode: 0o700 });
  const policy = JSON.parse(fs.readFileSync(path.join(repo, 'rules/default-policy.json'), 'utf8'));
  Object.assign(policy, JSON.parse(JSON.stringify(SLOW)));
  policy.extract.time_per_file_ms = SLOW.timeout_ms;
  if (policyChange) policyChange(policy);
  fs.writeFileSync(path.join(home, 'policy.json'), JSON.stringify(policy, null, 2));
  return home;
}

describe('OCR of screenshots (weir scan)', () => {
  let dir, home, shots;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ocr-'));
    if (process.env.WEIR_KEEP_OCR) console.log('# kept:', dir);
    home = writeHome(dir, 'home');
    // A protected document: the Apache licence, as a signed pack imported into the store.
    const docs = path.join(dir, 'docs');
    fs.mkdirSync(docs);
    fs.copyFileSync(LICENSE, path.join(docs, 'apache-2.0.txt'));
    run(['keygen', '-s', path.join(dir, 'admin.key'), '-p', path.join(dir, 'admin.pub')], home);
    run(['trust', 'add', path.join(dir, 'admin.pub')], home);
    run(['pack', 'build', '--name', 'licences', '--label', 'confidential', '--docs', docs,
      '--sign', path.join(dir, 'admin.key'), '-o', path.join(dir, 'licences.weirpack')], home);
    run(['pack', 'import', path.join(dir, 'licences.weirpack')], home);
    // The screenshots, by Chromium (without Weir: these are fixtures).
    const pages = {
      card: page('<h1>Refund request</h1><p>Please refund the card on file: 4111 1111 1111 1111, ' +
        `expiry 12/29.</p>${NOTES}`),
      key: page(`<h1>Deploy notes</h1><p>The deploy key for the build server:</p><pre>${privateKey()}</pre>`),
      excerpt: page(`<h1>Draft</h1><p lang="en" style="hyphens:auto;width:420px;text-align:justify">${excerpt()}</p>`),
      harmless: page(`<h1>Team notes</h1>${NOTES}`),
    };
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    shots = {};
    try {
      for (const zoom of [1, 1.5]) {
        const ctx = await browser.newContext({ viewport: { width: Math.round(1920 / zoom), height: Math.round(1080 / zoom) },
                                               deviceScaleFactor: zoom });
        const p = await ctx.newPage();
        for (const [name, html] of Object.entries(pages)) {
          await p.setContent(html);
          const file = path.join(dir, `${name}-${zoom * 100}.png`);
          await p.screenshot({ path: file, fullPage: name === 'key' || name === 'excerpt' });
          shots[`${name}-${zoom * 100}`] = file;
        }
        if (zoom === 1) {
          // The card screenshot in the other formats: JPEG from Chromium, WebP through a
          // canvas, GIF, BMP and TIFF through netpbm.
          await p.setContent(pages.card);
          shots['card.jpg'] = path.join(dir, 'card.jpg');
          await p.screenshot({ path: shots['card.jpg'], type: 'jpeg', quality: 85 });
          const png = fs.readFileSync(shots['card-100']).toString('base64');
          const webp = await p.evaluate(async (b64) => {
            const img = new Image();
            img.src = `data:image/png;base64,${b64}`;
            await img.decode();
            const c = document.createElement('canvas');
            c.width = img.width;
            c.height = img.height;
            c.getContext('2d').drawImage(img, 0, 0);
            return c.toDataURL('image/webp', 0.9).split(',')[1];
          }, png);
          shots['card.webp'] = path.join(dir, 'card.webp');
          fs.writeFileSync(shots['card.webp'], Buffer.from(webp, 'base64'));
        }
        await ctx.close();
      }
      // Scanned documents: PDFs whose pages are images (Chromium prints the screenshots).
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      for (const name of ['key', 'harmless']) {
        const png = fs.readFileSync(shots[`${name}-100`]).toString('base64');
        await p.setContent(`<!doctype html><body style="margin:0"><img style="width:100%" ` +
          `src="data:image/png;base64,${png}"></body>`);
        shots[`${name}.pdf`] = path.join(dir, `scanned-${name}.pdf`);
        await p.pdf({ path: shots[`${name}.pdf`], format: 'A4', landscape: true });
      }
      await ctx.close();
    } finally {
      await browser.close();
    }
    // The card screenshot as a picture in a text document, by LibreOffice (.docx and .odt).
    const card = fs.readFileSync(shots['card-100']).toString('base64');
    fs.writeFileSync(path.join(dir, 'report.html'), '<!doctype html><meta charset="utf-8"><h1>Report</h1>' +
      `<p>The refund request, as the customer sent it:</p><img style="width:6in" src="data:image/png;base64,${card}">`);
    for (const [ext, filter] of [['docx', 'docx:MS Word 2007 XML'], ['odt', 'odt']]) {
      execFileSync('soffice', [`-env:UserInstallation=file://${dir}/lo-profile`, '--headless', '--norestore',
        '--convert-to', filter, '--outdir', dir, path.join(dir, 'report.html')], { stdio: 'ignore' });
      shots[`report.${ext}`] = path.join(dir, `report.${ext}`);
      assert.ok(fs.existsSync(shots[`report.${ext}`]), `LibreOffice made no report.${ext}`);
    }
    const pnm = execFileSync('pngtopnm', [shots['card-100']], { maxBuffer: 64 << 20 });
    const netpbm = (name, cmd) => {
      shots[name] = path.join(dir, name);
      fs.writeFileSync(shots[name], execFileSync('sh', ['-c', cmd], { input: pnm, maxBuffer: 64 << 20 }));
    };
    netpbm('card.bmp', 'ppmtobmp 2>/dev/null');
    netpbm('card.tif', 'pnmtotiff 2>/dev/null');
    // GIF needs 256 colours: pnmcolormap and pnmremap (C programs; pnmquant is a Perl
    // script needing modules a bare Debian lacks).
    const pnmFile = path.join(dir, 'card.pnm');
    fs.writeFileSync(pnmFile, pnm);
    shots['card.gif'] = path.join(dir, 'card.gif');
    fs.writeFileSync(shots['card.gif'], execFileSync('sh', ['-c', `pnmcolormap 256 '${pnmFile}' > '${pnmFile}.map' ` +
      `2>/dev/null && pnmremap -mapfile='${pnmFile}.map' '${pnmFile}' 2>/dev/null | ppmtogif 2>/dev/null`],
    { maxBuffer: 64 << 20 }));
  });
  after(() => dir && !process.env.WEIR_KEEP_OCR && fs.rmSync(dir, { recursive: true, force: true }));

  for (const zoom of [100, 150]) {
    test(`${zoom} %: a card number is found, read from the image`, () => {
      const v = scanJson(home, shots[`card-${zoom}`]);
      assert.equal(v.verdict, 'warn', JSON.stringify(v));
      assert.ok(kinds(v).includes('pattern:credit-card:ocr'), JSON.stringify(v));
      assert.ok(v.reasons.every((r) => r.file === path.basename(shots[`card-${zoom}`])));
      // Not the record's id: random hex, which holds "4111" now and then.
      assert.ok(!JSON.stringify({ ...v, audit: undefined }).includes('4111'), 'the reply never holds the content');
    });

    test(`${zoom} %: a private key is found and blocked`, () => {
      const v = scanJson(home, shots[`key-${zoom}`]);
      assert.equal(v.verdict, 'block', JSON.stringify(v));
      assert.ok(kinds(v).includes('pattern:private-key:ocr'), JSON.stringify(v));
    });

    test(`${zoom} %: an excerpt of a protected document, hyphenated at line ends, is found`, () => {
      const v = scanJson(home, shots[`excerpt-${zoom}`]);
      const doc = v.reasons.find((r) => r.kind === 'document');
      assert.ok(doc, JSON.stringify(v));
      assert.equal(doc.source, 'ocr');
      assert.equal(doc.label, 'confidential');
    });

    test(`${zoom} %: a harmless screenshot raises nothing`, () => {
      const v = scanJson(home, shots[`harmless-${zoom}`]);
      assert.equal(v.verdict, 'allow', JSON.stringify(v));
      assert.deepEqual(v.reasons, []);
    });
  }

  for (const format of ['jpg', 'webp', 'gif', 'bmp', 'tif']) {
    test(`the card screenshot as ${format.toUpperCase()} is read too`, () => {
      const v = scanJson(home, shots[`card.${format}`]);
      assert.ok(kinds(v).includes('pattern:credit-card:ocr'), JSON.stringify(v));
    });
  }

  for (const ext of ['docx', 'odt']) {
    test(`a card number in a picture inside a .${ext} is found, naming the picture`, () => {
      const v = scanJson(home, shots[`report.${ext}`]);
      const r = v.reasons.find((x) => x.rule === 'credit-card');
      assert.ok(r, JSON.stringify(v));
      assert.equal(r.source, 'ocr');
      assert.match(r.where, /^picture .+\.png$/);
    });
  }

  test('a scanned PDF (pages that are images) holding a private key is blocked, naming page and image', () => {
    const v = scanJson(home, shots['key.pdf']);
    assert.equal(v.verdict, 'block', JSON.stringify(v));
    const r = v.reasons.find((x) => x.rule === 'private-key');
    assert.equal(r.source, 'ocr');
    assert.match(r.where, /^page \d+ › image \d+$/);
  });

  test('a scanned PDF of a harmless page raises nothing', () => {
    const v = scanJson(home, shots['harmless.pdf']);
    assert.equal(v.verdict, 'allow', JSON.stringify(v));
    assert.deepEqual(v.reasons, []);
  });

  test('where OCR is off, the pictures of a document are one unreadable note, never a finding', () => {
    const off = writeHome(dir, 'off-docs', (p) => { p.ocr.enabled = false; });
    for (const file of [shots['report.docx'], shots['key.pdf']]) {
      const v = scanJson(off, file);
      assert.equal(v.verdict, 'allow', JSON.stringify(v));
      assert.equal(v.reasons.length, 1, JSON.stringify(v));
      assert.equal(v.reasons[0].rule, 'unreadable');
      assert.match(v.reasons[0].detail, /1 image, OCR is off/);
    }
  });

  test('where the policy turns OCR off, an image is unreadable and says so', () => {
    const off = writeHome(dir, 'off', (p) => { p.ocr.enabled = false; });
    const v = scanJson(off, shots['key-100']);
    assert.equal(v.verdict, 'allow');
    assert.equal(v.reasons.length, 1);
    assert.equal(v.reasons[0].rule, 'unreadable');
    assert.match(v.reasons[0].detail, /OCR is off/);
    // An origin group can turn it on for its sites alone.
    const group = writeHome(dir, 'group', (p) => {
      p.ocr.enabled = false;
      p.origins.unshift({ id: 'scanned', match: ['https://ocr.example'], ocr: true });
    });
    const on = scanJson(group, shots['key-100']);
    assert.ok(kinds(on).includes('pattern:private-key:ocr'), JSON.stringify(on));
    assert.match(scanJson(group, shots['key-100'], 'https://other.example').reasons[0].detail, /OCR is off/);
  });

  test('an image larger than ocr.max_pixels is oversize, naming the bound', () => {
    const small = writeHome(dir, 'pixels', (p) => { p.ocr.max_pixels = 100000; });
    const v = scanJson(small, shots['card-100']);
    const r = v.reasons.find((x) => x.rule === 'oversize');
    assert.ok(r, JSON.stringify(v));
    assert.equal(r.bound, 'ocr_max_pixels');
  });

  test('an image not read within ocr.time_ms is unreadable, naming the bound', () => {
    const quick = writeHome(dir, 'quick', (p) => { p.ocr.time_ms = 100; });
    const v = scanJson(quick, shots['excerpt-150']);
    const r = v.reasons.find((x) => x.rule === 'unreadable');
    assert.ok(r, JSON.stringify(v));
    assert.match(r.detail, /ocr\.time_ms \(100 ms\)/);
  });
});

describe('OCR in the browser', () => {
  let env, shotB64;
  before(async () => {
    env = await launch({ timeoutMs: 60000, policy: JSON.parse(JSON.stringify(SLOW)) });
    // A full-page screenshot of a long page holding a key: OCR takes well over 300 ms.
    const p = await env.ctx.newPage();
    await p.setViewportSize({ width: 1280, height: 900 });
    await p.setContent(page(`<h1>Deploy notes</h1>${NOTES}<pre>${privateKey()}</pre>${NOTES}`));
    shotB64 = (await p.screenshot({ fullPage: true })).toString('base64');
    await p.close();
  });
  after(async () => env && env.close());

  test('a pasted screenshot holding a private key is blocked; "checking the image" shows meanwhile', async () => {
    const p = await env.open('fields.html');
    await p.evaluate(() => {
      window.progressSeen = 0;
      new MutationObserver((list) => {
        for (const m of list) for (const n of m.addedNodes) if (n.dataset && 'weirProgress' in n.dataset) window.progressSeen++;
      }).observe(document.body, { childList: true });
    });
    await writeClipboard(p, { png: shotB64 });
    await resetTextarea(p);
    await pasteKey(p);
    const dialog = await findDialog(p, 60000);
    assert.ok(dialog, 'block dialog');
    const text = await dialog.locator('.card').innerText();
    assert.match(text, /private-key/);
    assert.match(text, /read from an image/);
    assert.equal(await p.evaluate(() => window.progressSeen), 1, 'the progress notice was shown once');
    assert.equal(await p.evaluate(() => document.querySelectorAll('[data-weir-progress]').length), 0,
      'and is gone once the answer came');
    await press(p, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(p));
    assert.equal(await textareaValue(p), 'AB');
    await p.close();
  });

  test('a page reading a screenshot holding a key through clipboard.read() is blocked', async () => {
    const p = await env.open('fields.html');
    await writeClipboard(p, { png: shotB64 });
    const result = p.evaluate(() => navigator.clipboard.read().then(
      (items) => ({ ok: true, types: items.flatMap((i) => [...i.types]) }), (e) => ({ ok: false, name: e.name })));
    const dialog = await findDialog(p, 60000);
    assert.ok(dialog, 'block dialog for the page reading the clipboard');
    assert.match(await dialog.locator('.card').innerText(), /private-key/);
    await press(p, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(p));
    assert.deepEqual(await result, { ok: false, name: 'NotAllowedError' });
    await p.close();
  });

  test('a dropped screenshot file holding a key is blocked; the page never gets it', async () => {
    const p = await env.open('drop.html');
    await p.bringToFront();
    await p.evaluate(() => window.reset());
    const file = path.join(env.dir, 'deploy-notes.png');
    fs.writeFileSync(file, Buffer.from(shotB64, 'base64'));
    const cdp = await env.ctx.newCDPSession(p);
    const box = await p.locator('#zone').boundingBox();
    const at = { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
    for (const type of ['dragEnter', 'dragOver', 'drop']) {
      await cdp.send('Input.dispatchDragEvent', { type, ...at, data: { dragOperationsMask: 1, items: [], files: [file] } });
    }
    const dialog = await findDialog(p, 60000);
    assert.ok(dialog, 'block dialog');
    const text = await dialog.locator('.card').innerText();
    assert.match(text, /private-key/);
    assert.match(text, /deploy-notes\.png/);
    await press(p, dialog.locator('[data-action=cancel]'));
    assert.ok(await waitGone(p));
    assert.deepEqual(await p.evaluate(() => window.events), []);
    await p.close();
  });

  test('a pasted harmless image still reaches the page', async () => {
    const p = await env.open('fields.html');
    const q = await env.ctx.newPage();
    await q.setContent(page(`<h1>Team notes</h1>${NOTES}`));
    const harmless = (await q.screenshot()).toString('base64');
    await q.close();
    await p.evaluate(() => {
      window.pastedFiles = [];
      document.addEventListener('paste', (e) => {
        for (const f of e.clipboardData.files) window.pastedFiles.push(f.type);
      });
    });
    await writeClipboard(p, { png: harmless });
    await resetTextarea(p);
    await pasteKey(p);
    await p.waitForFunction(() => window.pastedFiles.length > 0, null, { timeout: 60000 });
    await sleep(200);
    assert.deepEqual(await p.evaluate(() => window.pastedFiles), ['image/png']);
    assert.equal(await findDialog(p, 300), null);
    await p.close();
  });
});
