#!/usr/bin/env python3
"""Hostile files where Weir reads its configuration, through the real weir-host over
pipes and the real weir CLI: a FIFO, a symlink to /dev/zero or a 2 GB sparse file as the
policy, a trusted key, an inbox pack or a file named on the command line is refused
with its reason, at once and in bounded memory, never waited on; and configuration that
someone other than the user or root could have written is not obeyed.

Every wait here is a generous ceiling (a hang fails the test; nothing depends on speed).

usage: test-hostile-files.py BUILD_DIR"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
HOST = os.path.join(BUILD, "host/src/host/weir-host")
WEIR = os.path.join(BUILD, "host/src/cli/weir")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "packs")
HANG = int(os.environ.get("HANG", 60))       # seconds: past this a command or a reply is taken to hang
POLL = 0.7      # a little over the inbox poll interval (CONTEXT_POLL_US)
CARD = "card 4111 1111 1111 1111 for the booking"
NOBODY = 65534
# The memory a refusal may cost, far below the file's size (2 GiB) and /dev/zero's.
MEMORY_LIMIT_KB = 400 * 1024


class Host:
    def __init__(self, env):
        self.proc = subprocess.Popen([HOST, "chrome-extension://hostile/"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.next_id = 1
        self.err = bytearray()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.err += chunk

    def ask(self, request):
        request = dict(request, id=self.next_id)
        self.next_id += 1
        data = json.dumps(request).encode()
        self.proc.stdin.write(struct.pack("=I", len(data)) + data)
        self.proc.stdin.flush()
        result = {}

        def read():
            head = self.proc.stdout.read(4)
            if len(head) == 4:
                result["reply"] = json.loads(self.proc.stdout.read(struct.unpack("=I", head)[0]))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(HANG)
        if reader.is_alive():
            self.proc.kill()
            raise AssertionError(f"no reply within {HANG} s: the host hangs\n{self.log()}")
        assert "reply" in result, "the host closed its output: " + self.log()
        return result["reply"]

    def hello(self):
        return self.ask({"type": "hello", "extension_version": "1.0.0"})

    def paste(self, text="hello from the clipboard, nothing to see here"):
        return self.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                         "url": "https://chat.example/c/1", "text": text})

    def peak_kb(self):
        """VmHWM: the most resident memory the host has used so far."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def log(self):
        time.sleep(0.05)
        return bytes(self.err).decode(errors="replace")

    def close(self):
        self.proc.stdin.close()
        status = self.proc.wait(timeout=HANG)
        self.reader.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert status == 0, f"weir-host exited {status}: {self.log()}"
        return self.log()


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="weir-hostile-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home, mode=0o755)
        os.chmod(self.home, 0o755)
        self.env = dict(os.environ, WEIR_HOME=self.home, WEIR_AUDIT_SHIP="off")
        for var in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            self.env.pop(var, None)
        self.hosts = []

    def tearDown(self):
        for host in self.hosts:
            if host.proc.poll() is None:
                host.proc.kill()
                host.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def host(self):
        host = Host(self.env)
        self.hosts.append(host)
        return host

    def run_weir(self, *args):
        try:
            return subprocess.run([WEIR, *args], env=self.env, capture_output=True, text=True,
                                  timeout=HANG, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail(f"weir {' '.join(args)} hangs")

    def weir_ok(self, *args):
        r = self.run_weir(*args)
        self.assertEqual(r.returncode, 0, f"weir {' '.join(args)}: {r.stderr}")
        return r.stdout

    def weir_fails(self, *args):
        r = self.run_weir(*args)
        self.assertEqual(r.returncode, 2, f"weir {' '.join(args)}: {r.stdout} {r.stderr}")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        return r.stderr

    def records(self):
        out = os.path.join(self.tmp, "export.jsonl")
        self.weir_ok("audit", "export", "-o", out)
        with open(out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def trust_golden(self):
        shutil.copy(os.path.join(FIXTURES, "golden.pub"), os.path.join(self.tmp, "golden.pub"))
        self.weir_ok("trust", "add", os.path.join(self.tmp, "golden.pub"))

    def inbox(self, name):
        os.makedirs(self.path("packs"), mode=0o755, exist_ok=True)
        return self.path("packs", name)


class HangsAndUnboundedReads(Case):
    def test_fifo_as_policy(self):
        os.mkfifo(self.path("policy.json"))
        host = self.host()
        hello = host.hello()
        self.assertTrue(any("not a regular file" in p for p in hello["problems"]), hello)
        self.assertEqual(hello["policy"]["fail_mode"], "block", "the default policy applies")
        self.assertEqual(host.paste(CARD)["verdict"], "warn")
        host.close()
        err = self.weir_fails("scan", "--json", "-")
        self.assertIn("policy.json", err)
        self.assertIn("pipe", err)

    def test_fifo_as_trusted_key(self):
        self.trust_golden()
        os.mkfifo(self.path("trusted", "fifo.pub"))
        out = self.run_weir("trust", "list")
        self.assertIn("fifo.pub", out.stdout + out.stderr)
        self.assertIn("pipe", out.stdout + out.stderr)
        host = self.host()
        hello = host.hello()
        self.assertTrue(any("fifo.pub" in p for p in hello["problems"]), hello)
        host.close()

    def test_fifo_as_store_key(self):
        self.weir_ok("audit", "key", "-o", os.path.join(self.tmp, "device.pub"))
        shutil.move(self.path("store.key"), os.path.join(self.tmp, "store.key"))
        os.mkfifo(self.path("store.key"), 0o600)
        host = self.host()
        hello = host.hello()
        self.assertTrue(any("store cannot be opened" in p and "not a regular file" in p
                            for p in hello["problems"]), hello)
        self.assertEqual(host.paste()["rule"], "fail-mode")
        host.close()
        self.assertIn("not a regular file", self.weir_fails("store", "info"))

    def test_fifo_dev_zero_and_sparse_file_in_inbox_at_start(self):
        self.trust_golden()
        os.mkfifo(self.inbox("fifo.weirpack"))
        os.symlink("/dev/zero", self.inbox("zero.weirpack"))
        with open(self.inbox("sparse.weirpack"), "wb") as f:
            f.truncate(2 << 30)
        shutil.copy(os.path.join(FIXTURES, "golden.weirpack"), self.inbox("golden.weirpack"))
        host = self.host()
        hello = host.hello()
        for name in ("fifo", "zero", "sparse"):
            self.assertTrue(any(f"{name}.weirpack" in p for p in hello["problems"]), (name, hello))
        self.assertLess(host.peak_kb(), MEMORY_LIMIT_KB, "a refusal read the file whole")
        self.assertEqual(host.paste()["verdict"], "allow")
        # A refused file is not read again until it changes: another file arriving in
        # the inbox does not refuse (and record) the three again.
        shutil.copy(os.path.join(FIXTURES, "golden.weirpack"), self.inbox("copy.weirpack"))
        time.sleep(POLL)
        host.paste()
        log = host.close()
        for name in ("fifo", "zero", "sparse"):
            self.assertEqual(sum(f"{name}.weirpack" in line for line in log.splitlines()
                                 if "WARNING" in line), 1, (name, log))
        refused = sorted(r["pack"] for r in self.records() if r["event"] == "pack-refuse")
        self.assertEqual(refused, ["fifo.weirpack", "sparse.weirpack", "zero.weirpack"])
        out = self.weir_ok("pack", "list")
        self.assertIn("golden", out)

    def test_hostile_files_dropped_into_running_host(self):
        host = self.host()
        host.hello()
        self.assertEqual(host.paste()["verdict"], "allow")
        os.mkfifo(self.inbox("fifo.weirpack"))
        os.symlink("/dev/zero", self.inbox("zero.weirpack"))
        with open(self.inbox("sparse.weirpack"), "wb") as f:
            f.truncate(2 << 30)
        time.sleep(POLL)
        self.assertEqual(host.paste()["verdict"], "allow")
        self.assertEqual(host.paste(CARD)["verdict"], "warn")
        self.assertLess(host.peak_kb(), MEMORY_LIMIT_KB, "a refusal read the file whole")
        hello = host.hello()
        self.assertEqual(hello["type"], "hello")
        host.close()

    def test_cli_refuses_fifo_device_and_sparse_files(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        zero = os.path.join(self.tmp, "zero.weirpack")
        os.symlink("/dev/zero", zero)
        sparse = os.path.join(self.tmp, "sparse.weirpack")
        with open(sparse, "wb") as f:
            f.truncate(2 << 30)
        self.assertIn("pipe", self.weir_fails("scan", fifo))
        self.assertIn("device", self.weir_fails("scan", zero))
        self.assertIn("over the limit", self.weir_fails("scan", sparse))
        self.assertIn("pipe", self.weir_fails("pack", "import", fifo))
        self.assertIn("device", self.weir_fails("pack", "verify", zero))
        self.assertIn("not a Weir pack", self.weir_fails("pack", "verify", sparse))
        self.assertIn("pipe", self.weir_fails("trust", "add", fifo))
        self.assertIn("pipe", self.weir_fails("audit", "verify", "-p", fifo))
        # The trusted keys and the inbox, for the commands that read them.
        os.makedirs(self.path("trusted"))
        os.mkfifo(self.path("trusted", "fifo.pub"))
        os.mkfifo(self.inbox("fifo.weirpack"))
        self.weir_ok("pack", "list")
        self.run_weir("trust", "list")
        self.run_weir("pack", "import", os.path.join(FIXTURES, "golden.weirpack"))


ROOT_ONLY = unittest.skipUnless(os.geteuid() == 0, "needs root to make files owned by another user")


class StrangersConfiguration(Case):
    """Configuration someone other than the user or root could have written is refused,
    with the reason, by the host (in hello) and the CLI."""

    def strict_policy(self):
        # A stranger's policy that would let a card number through.
        with open(self.path("policy.json"), "w") as f:
            f.write('{"version": 1}')

    def assert_refused_policy(self, why):
        host = self.host()
        hello = host.hello()
        self.assertTrue(any("policy is not trusted" in p and why in p for p in hello["problems"]), hello)
        self.assertEqual(host.paste(CARD)["verdict"], "warn", "the default policy applies")
        host.close()
        err = self.weir_fails("scan", "--json", "-")
        self.assertIn("not trusted", err)
        self.assertIn(why, err)
        policy = [r for r in self.records() if r["event"] == "policy-load"]
        self.assertTrue(policy and "not trusted" in policy[-1].get("problem", ""), policy)

    def test_own_policy_obeyed(self):
        self.strict_policy()
        host = self.host()
        self.assertEqual(host.hello()["problems"], [])
        self.assertEqual(host.paste(CARD)["verdict"], "allow")
        host.close()

    @ROOT_ONLY
    def test_policy_of_another_user(self):
        self.strict_policy()
        os.chown(self.path("policy.json"), NOBODY, NOBODY)
        self.assert_refused_policy("belongs to another user")

    def test_world_writable_policy(self):
        self.strict_policy()
        os.chmod(self.path("policy.json"), 0o666)
        self.assert_refused_policy("writable by every user")

    @ROOT_ONLY
    def test_group_writable_policy(self):
        self.strict_policy()
        os.chown(self.path("policy.json"), 0, NOBODY)
        os.chmod(self.path("policy.json"), 0o664)
        self.assert_refused_policy("writable by its group")

    def test_world_writable_weir_home(self):
        self.strict_policy()
        os.chmod(self.home, 0o777)
        self.assert_refused_policy("writable by every user")

    def test_world_writable_weir_home_without_policy(self):
        # No policy to refuse: the folder itself is the problem, said in hello and the CLI.
        self.weir_ok("audit", "key", "-o", os.path.join(self.tmp, "device.pub"))
        os.chmod(self.home, 0o777)
        host = self.host()
        hello = host.hello()
        self.assertTrue(any("folder is not trusted" in p and "writable by every user" in p
                            for p in hello["problems"]), hello)
        host.close()
        self.assertIn("writable by every user", self.weir_fails("scan", "--json", "-"))
        os.chmod(self.home, 0o1777)  # sticky: others may add names, not replace Weir's
        host = self.host()
        self.assertEqual(host.hello()["problems"], [])
        host.close()

    @ROOT_ONLY
    def test_weir_home_in_a_strangers_folder(self):
        parent = os.path.join(self.tmp, "theirs")
        os.makedirs(parent)
        shutil.move(self.home, os.path.join(parent, "home"))
        self.home = os.path.join(parent, "home")
        self.env["WEIR_HOME"] = self.home
        os.chown(parent, NOBODY, NOBODY)
        self.strict_policy()
        self.assert_refused_policy("belongs to another user")

    @ROOT_ONLY
    def test_trusted_key_and_inbox_pack_of_another_user(self):
        self.trust_golden()
        key = [n for n in os.listdir(self.path("trusted"))][0]
        os.chown(self.path("trusted", key), NOBODY, NOBODY)
        r = self.run_weir("trust", "list")
        self.assertIn("belongs to another user", r.stdout + r.stderr)
        os.chown(self.path("trusted", key), 0, 0)
        shutil.copy(os.path.join(FIXTURES, "golden.weirpack"), self.inbox("golden.weirpack"))
        os.chown(self.inbox("golden.weirpack"), NOBODY, NOBODY)
        host = self.host()
        hello = host.hello()
        self.assertTrue(any("golden.weirpack" in p and "belongs to another user" in p
                            for p in hello["problems"]), hello)
        # Given back to its owner (a chown changes ctime): read again and imported.
        os.chown(self.inbox("golden.weirpack"), 0, 0)
        time.sleep(POLL)
        host.paste()
        host.close()
        events = [r["event"] for r in self.records()]
        self.assertIn("pack-refuse", events)
        self.assertIn("pack-import", events)


if __name__ == "__main__":
    unittest.main(verbosity=2)
