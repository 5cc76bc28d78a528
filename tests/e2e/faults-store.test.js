// Fail-safe under faults, end to end in Chromium with the real weir-host (issue 9), part 2:
// the store unreadable, the disk full while auditing. See faults.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, sleep, HARMLESS } from './lib/harness.js';
import {
  withBrowser, installWrapper, warnings, hostLog, pinKey, records, verify, Paster, TIMEOUT_MS, UNRECORDED,
} from './lib/faults.js';

const STORE_RETRY_MS = 1300; // CONTEXT_STORE_RETRY_US and a margin

test('store unreadable: the host fails safe and says why; repaired, the same host resumes', async () => {
  await withBrowser({}, async (env, paster) => {
    await paster.lands(HARMLESS);
    const key = pinKey(env);
    // The host is stopped, the store (with its WAL) set aside and a damaged file put in its place.
    env.setHostDown(true);
    const killed = env.hostPid();
    process.kill(killed, 'SIGKILL');
    const db = path.join(env.weirHome, 'weir.db');
    const aside = path.join(env.dir, 'store-aside');
    fs.mkdirSync(aside);
    for (const f of ['weir.db', 'weir.db-wal', 'weir.db-shm']) {
      if (fs.existsSync(path.join(env.weirHome, f))) fs.renameSync(path.join(env.weirHome, f), path.join(aside, f));
    }
    fs.writeFileSync(db, 'this is not a database'.repeat(100), { mode: 0o600 });
    env.setHostDown(false);
    // Until the extension has seen the killed host's port close it still says
    // "connected": wait for the new host process itself, then for its hello.
    const until = Date.now() + 60000;
    while ((env.hostPid() === killed || env.hostPid() === 0) && Date.now() < until) await sleep(100);
    assert.notEqual(env.hostPid(), killed, 'a new host was started');
    await env.waitConnected();
    const pid = env.hostPid();
    for (let i = 0; i < 2; i++) {
      const out = await paster.blocked(HARMLESS, TIMEOUT_MS + 8000);
      assert.match(out.message, UNRECORDED, 'the user sees why');
      assert.equal(out.proceed, false);
      assert.equal(out.value, 'AB', 'nothing let through');
    }
    assert.equal(warnings(env, 'The store cannot be opened').length, 1, `told once: ${hostLog(env)}`);
    // Repaired: the same host opens it on its next request, no restart.
    for (const f of ['weir.db', 'weir.db-wal', 'weir.db-shm']) fs.rmSync(path.join(env.weirHome, f), { force: true });
    for (const f of fs.readdirSync(aside)) fs.renameSync(path.join(aside, f), path.join(env.weirHome, f));
    await sleep(STORE_RETRY_MS);
    await paster.lands(HARMLESS);
    assert.equal(env.hostPid(), pid, 'the same host');
    assert.match(hostLog(env), /the store is available again/);
    const recs = records(env);
    const gaps = recs.filter((r) => r.event === 'audit-gap');
    assert.deepEqual(gaps.map((g) => g.count), [2], 'the two unrecorded checks, counted');
    assert.equal(recs.filter((r) => r.event === 'store-open').length, 1);
    assert.match(verify(env, key), /^ok: /);
  });
});

// A tmpfs of 4 MiB as WEIR_HOME, filled up while the host runs. Needs mount (root here);
// tests/faults/test-host-faults.py covers the same on any machine with RLIMIT_FSIZE.
function mountTmpfs(dir) {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return String(e.stderr || e.message).trim();
  }
}

function fill(dir) {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

test('disk full while auditing: fail safe with the reason, told once, resumes when space returns', async (t) => {
  // The small tmpfs and the wrapper go in before the browser starts: a host the
  // extension started at once would otherwise write beside the tmpfs, not into it.
  let why = null;
  const env = await launch({
    timeoutMs: TIMEOUT_MS,
    beforeLaunch: (e) => {
      const policy = fs.readFileSync(path.join(e.weirHome, 'policy.json'));
      why = mountTmpfs(e.weirHome);
      if (!why) fs.writeFileSync(path.join(e.weirHome, 'policy.json'), policy);
      installWrapper(e);
    },
  });
  const mounted = !why;
  try {
    if (why) {
      t.skip(`cannot mount a tmpfs: ${why}`);
      return;
    }
    const paster = new Paster(await env.open('fields.html'));
    await paster.lands(HARMLESS);
    const key = pinKey(env);
    const pid = env.hostPid();
    fill(env.weirHome);
    for (let i = 0; i < 2; i++) {
      const out = await paster.blocked(`${HARMLESS} ${i}`, TIMEOUT_MS + 8000);
      assert.match(out.message, UNRECORDED, 'the user sees why');
      assert.equal(out.value, 'AB', 'nothing let through');
    }
    assert.equal(warnings(env, 'The audit log cannot be written').length, 1, `told once: ${hostLog(env)}`);
    fs.rmSync(path.join(env.weirHome, 'filler'));
    await paster.lands(HARMLESS);
    assert.equal(env.hostPid(), pid, 'the same host');
    const gaps = records(env).filter((r) => r.event === 'audit-gap');
    assert.deepEqual(gaps.map((g) => g.count), [2]);
    assert.match(gaps[0].detail, /full/);
    assert.match(verify(env, key), /^ok: /);
  } finally {
    if (mounted) {
      await Promise.race([env.ctx.close().catch(() => {}), sleep(15000)]);
      execFileSync('umount', ['-l', env.weirHome]);
    }
    await env.close();
  }
});
