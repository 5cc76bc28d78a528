// Fail-safe under faults, end to end in Chromium with the real weir-host (issue 9), part 3:
// a pack half-written into the inbox while the host runs. See faults.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, HARMLESS, repo } from './lib/harness.js';
import { withBrowser, warnings, hostLog, records, weir, TIMEOUT_MS } from './lib/faults.js';

const INBOX_POLL_MS = 800; // CONTEXT_POLL_US and a margin

test('pack half-written into the inbox: refused and told once, then imported and enforced', async () => {
  await withBrowser({}, async (env, paster) => {
    const fixtures = path.join(repo, 'tests/fixtures/packs');
    weir(env, 'trust', 'add', path.join(fixtures, 'golden.pub'));
    await paster.lands(HARMLESS);
    const pid = env.hostPid();
    const minutes = fs.readFileSync(path.join(fixtures, 'golden-minutes.md'), 'utf8')
      .split('\n').slice(2, 8).join(' ').replace(/\s+/g, ' ').trim();
    const pack = fs.readFileSync(path.join(fixtures, 'golden.weirpack'));
    const inbox = path.join(env.weirHome, 'packs');
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'golden.weirpack'), pack.subarray(0, pack.length >> 1));
    await sleep(INBOX_POLL_MS);
    // Not protected yet: the text goes through, and the host's log says why (once).
    await paster.lands(minutes);
    await sleep(INBOX_POLL_MS);
    await paster.lands(HARMLESS);
    assert.equal(warnings(env, 'golden.weirpack').length, 1, `told once: ${hostLog(env)}`);
    // The rest of the file arrives: the running host imports it and enforces it.
    fs.writeFileSync(path.join(inbox, 'golden.weirpack'), pack);
    await sleep(INBOX_POLL_MS);
    const out = await paster.blocked(minutes, TIMEOUT_MS + 8000);
    assert.match(out.reasons, /minutes\.md/, 'the matched document is named');
    assert.equal(out.value, 'AB');
    assert.equal(env.hostPid(), pid, 'the same host');
    const events = records(env).map((r) => r.event);
    assert.ok(events.indexOf('pack-refuse') >= 0 && events.indexOf('pack-import') > events.indexOf('pack-refuse'),
      events.join(' '));
  });
});
