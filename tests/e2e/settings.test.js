// The settings precedence of the service worker (extension/background/settings.js), run in
// node: defaults < the host's hello policy < managed storage, and managed values of the
// wrong shape never loosen anything. The browser's chrome.storage is replaced by an object
// holding what an administrator's policy would put there; the module under test is real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

function fakeChrome(managed) {
  return {
    storage: {
      managed: { get: async () => managed },
      onChanged: { addListener: () => {} },
    },
  };
}

// The extension's .js files are ES modules without a package.json to say so (Chrome needs
// none). Node 20 detects that; Node 18 (Debian 12's) does not, so the file is imported as a
// module from its text. It imports nothing itself.
const source = fs.readFileSync(new URL('../../extension/background/settings.js', import.meta.url), 'utf8');
const { Settings } = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);

test('defaults fail safe before the host or an admin said anything', async () => {
  globalThis.chrome = fakeChrome({});
  const s = new Settings();
  await s.load();
  assert.equal(s.get('fail_mode'), 'block');
  assert.equal(s.get('timeout_ms'), 3000);
  assert.equal(s.get('guard_file_pages'), true);
});

test('the host policy overrides the defaults, managed storage overrides both', async () => {
  globalThis.chrome = fakeChrome({ fail_mode: 'warn', timeout_ms: 800 });
  const s = new Settings();
  await s.load();
  s.setHelloPolicy({ fail_mode: 'allow', timeout_ms: 5000, max_scan_bytes: 1024 });
  assert.equal(s.get('fail_mode'), 'warn', 'managed wins');
  assert.equal(s.get('timeout_ms'), 800);
  assert.equal(s.get('max_scan_bytes'), 1024, 'from the host');
});

test('managed values of the wrong shape are ignored', async () => {
  globalThis.chrome = fakeChrome({ fail_mode: 'off', timeout_ms: -1, guard_file_pages: 'no',
    exempt_origins: 'https://x', learn_more_url: 'javascript:alert(1)' });
  const s = new Settings();
  await s.load();
  s.setHelloPolicy({ fail_mode: 'block' });
  assert.equal(s.get('fail_mode'), 'block');
  assert.equal(s.get('timeout_ms'), 3000);
  assert.equal(s.get('guard_file_pages'), true);
  assert.deepEqual(s.get('exempt_origins'), []);
  assert.equal(s.get('learn_more_url'), '');
});

test('a managed timeout is clamped to 100 ms .. 60 s', async () => {
  globalThis.chrome = fakeChrome({ timeout_ms: 600000 });
  const s = new Settings();
  await s.load();
  assert.equal(s.get('timeout_ms'), 60000);
});
