// Fail-safe under faults, end to end in Chromium with the real weir-host (issue 9). Here:
// the host killed, hung, or answering garbage. All parts (faults*.test.js) together:
// the host killed, hung, answering garbage; the store unreadable; a pack half-written into
// the inbox; the disk full while auditing. In each: the fail mode (block, the shipped
// default) applies within the timeout, the user sees why, the event is audited when
// possible (checked in the store with the weir CLI, whose chain must still verify), and
// the next paste after the fault is gone works without restarting anything. One browser
// per test; the faults are split over faults*.test.js so each file stays well inside
// run.sh's --test-timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HARMLESS } from './lib/harness.js';
import {
  withBrowser, setGarbage, pinKey, records, verify, reportsFlushed, reportsOf, TIMEOUT_MS, NOT_RESPONDING,
} from './lib/faults.js';

test('host killed, then hung: fail mode, the user told, both events in the audit log', async () => {
  await withBrowser({}, async (env, paster) => {
    await paster.lands(HARMLESS);
    const key = pinKey(env);
    const pid = env.hostPid();
    env.setHostDown(true);
    process.kill(pid, 'SIGKILL');
    const killed = await paster.blocked(HARMLESS, TIMEOUT_MS + 8000);
    assert.match(killed.message, NOT_RESPONDING);
    assert.equal(killed.proceed, false, 'fail mode block: no way through');
    assert.equal(killed.value, 'AB', 'nothing let through');
    assert.ok(killed.took < TIMEOUT_MS, `at once for a dead host (${killed.took} ms)`);
    env.setHostDown(false);
    await env.waitConnected();
    await paster.lands(HARMLESS);

    const hung = env.hostPid();
    process.kill(hung, 'SIGSTOP');
    try {
      const stopped = await paster.blocked(HARMLESS, TIMEOUT_MS + 8000);
      assert.match(stopped.message, NOT_RESPONDING);
      assert.ok(stopped.took >= TIMEOUT_MS - 100 && stopped.took < TIMEOUT_MS + 4000, `${stopped.took} ms`);
    } finally {
      // Chrome may already have killed the stopped host after the port closed (it ends a
      // host that does not exit on its own): then there is nothing to continue.
      try { process.kill(hung, 'SIGCONT'); } catch (e) { if (e.code !== 'ESRCH') throw e; }
    }
    await env.waitConnected();
    await paster.lands(HARMLESS);
    await reportsFlushed(env);

    const recs = records(env);
    const fail = reportsOf(recs, 'fail-mode');
    assert.ok(fail.some((r) => r.verdict === 'block' && /paste/.test(r.detail)), 'the dead host, reported');
    assert.ok(fail.some((r) => r.detail === 'user chose cancel'), 'what the user chose, reported');
    assert.ok(reportsOf(recs, 'timeout').some((r) => r.verdict === 'block'), 'the hung host, reported');
    assert.match(verify(env, key), /^ok: /);
  });
});

test('host answering garbage: each kind fails safe, is reported, and the next paste works', async () => {
  await withBrowser({ garbage: true }, async (env, paster) => {
    await paster.lands(HARMLESS);
    const key = pinKey(env);
    // bad-json and huge break Chrome's framing (the port closes at once, a new host next);
    // not-a-verdict is answered on a live port; wrong-id is never answered: the timeout.
    for (const mode of ['bad-json', 'huge', 'not-a-verdict', 'wrong-id']) {
      setGarbage(env, mode);
      const out = await paster.blocked(HARMLESS, TIMEOUT_MS + 8000);
      assert.match(out.message, NOT_RESPONDING, mode);
      assert.equal(out.proceed, false, mode);
      assert.equal(out.value, 'AB', `${mode}: nothing let through`);
      assert.ok(out.took < TIMEOUT_MS + 4000, `${mode}: within the timeout (${out.took} ms)`);
      setGarbage(env, null);
      await env.waitConnected();
      await paster.lands(HARMLESS);
      await reportsFlushed(env);
    }
    const recs = records(env);
    const details = reportsOf(recs, 'fail-mode').map((r) => r.detail).join('\n');
    assert.match(details, /communicating with the native messaging host/, 'bad framing, reported');
    assert.match(details, /no verdict/, 'a reply that is not a verdict, reported');
    assert.ok(reportsOf(recs, 'timeout').length >= 1, 'the unanswered request, reported');
    assert.match(verify(env, key), /^ok: /);
  });
});
