#!/usr/bin/env python3
"""Faults on the host's side, through the real weir-host over pipes, with no desktop
session (no DISPLAY, no session bus): what degrades protection is said in the host's
log (stderr, which the browser keeps), once per session, including problems that
arise after start; checks fail safe with a message that says why; and service
resumes by itself once the fault is gone, with the missed checks counted in an
audit-gap record and the chain still verifying.

usage: test-host-faults.py BUILD_DIR"""
import json
import os
import pwd
import resource
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
HARMLESS = "hello from the clipboard, nothing to see here"
RETRY = 1.2  # a little over the host's store retry interval (CONTEXT_STORE_RETRY_US)
POLL = 0.7   # a little over the inbox poll interval (CONTEXT_POLL_US)


class Host:
    """stderr is a pipe read as it comes (a log file would share the file-size limit)."""

    def __init__(self, env):
        self.proc = subprocess.Popen([HOST, "chrome-extension://faults/"], stdin=subprocess.PIPE,
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
        head = self.proc.stdout.read(4)
        assert len(head) == 4, "the host closed its output: " + self.log()
        reply = json.loads(self.proc.stdout.read(struct.unpack("=I", head)[0]))
        assert reply["id"] == request["id"], reply
        return reply

    def paste(self, text=HARMLESS):
        return self.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                         "url": "https://chat.example/c/1", "text": text})

    def log(self):
        time.sleep(0.05)  # what the host wrote before its reply has reached the reader
        return bytes(self.err).decode(errors="replace")

    def close(self):
        self.proc.stdin.close()
        status = self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert status == 0, f"weir-host exited {status}: {self.log()}"
        return self.log()


def warnings(log, text):
    """The log's warning lines that carry text."""
    return [line for line in log.splitlines() if "WARNING" in line and text in line]


class HostFaults(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="weir-faults-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ, WEIR_HOME=self.home, WEIR_AUDIT_SHIP="off")
        for var in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            self.env.pop(var, None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def weir(self, *args):
        r = subprocess.run([WEIR, *args], env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, f"weir {' '.join(args)}: {r.stderr}")
        return r.stdout

    def records(self):
        out = os.path.join(self.tmp, "export.jsonl")
        self.weir("audit", "export", "-o", out)
        with open(out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def host(self):
        return Host(self.env)

    def assert_fails_safe(self, reply):
        self.assertEqual(reply["type"], "verdict", reply)
        self.assertEqual(reply["verdict"], "block", reply)
        self.assertEqual(reply["rule"], "fail-mode", reply)
        self.assertIn("cannot write its audit log", reply["message"])
        self.assertNotIn("audit", reply)

    def test_store_unreadable_then_repaired(self):
        # A store with a pinned key and some history, then damaged: the file is not a database.
        self.weir("audit", "key", "-o", os.path.join(self.tmp, "device.pub"))
        shutil.move(self.path("weir.db"), os.path.join(self.tmp, "weir.db.good"))
        with open(self.path("weir.db"), "wb") as f:
            f.write(b"this is not a database" * 100)
        host = self.host()
        hello = host.ask({"type": "hello", "extension_version": "1.0.0"})
        self.assertTrue(any("store cannot be opened" in p for p in hello["problems"]), hello)
        for _ in range(3):
            self.assert_fails_safe(host.paste())
        # Said once in the log, however many pastes hit it.
        self.assertEqual(len(warnings(host.log(), "The store cannot be opened")), 1, host.log())
        # Repaired while the host runs: the next paste after the retry interval is recorded.
        shutil.move(os.path.join(self.tmp, "weir.db.good"), self.path("weir.db"))
        time.sleep(RETRY)
        reply = host.paste()
        self.assertEqual(reply["verdict"], "allow", reply)
        self.assertIn("audit", reply)
        hello = host.ask({"type": "hello", "extension_version": "1.0.0"})
        self.assertEqual(hello["problems"], [], "the store's problem is gone")
        log = host.close()
        self.assertIn("the store is available again", log)
        self.assertEqual(len(warnings(log, "The store cannot be opened")), 1, log)
        records = self.records()
        events = [r["event"] for r in records]
        self.assertIn("store-open", events)
        # Opened late, inside the sandbox: the records still name the user, resolved before.
        me = pwd.getpwuid(os.getuid()).pw_name
        late = records[events.index("store-open"):]
        self.assertEqual({r.get("user") for r in late}, {me}, late)
        gap = [r for r in records if r["event"] == "audit-gap"]
        self.assertEqual(len(gap), 1, events)
        self.assertEqual(gap[0]["count"], 3, "the three checks that failed safe unrecorded")
        self.assertIn("store is unavailable", gap[0]["detail"])
        self.assertEqual(records[-2]["id"], reply["audit"])
        out = self.weir("audit", "verify", "-p", os.path.join(self.tmp, "device.pub"))
        self.assertTrue(out.startswith("ok: "), out)

    def test_disk_full_while_auditing(self):
        # RLIMIT_FSIZE set on the running host: any write that grows a file fails with EFBIG,
        # as on a full disk (SQLite reports both as SQLITE_FULL), and needs no root or mount.
        self.weir("audit", "key", "-o", os.path.join(self.tmp, "device.pub"))
        host = self.host()
        host.ask({"type": "hello", "extension_version": "1.0.0"})
        self.assertIn("audit", host.paste())
        soft, hard = resource.prlimit(host.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(host.proc.pid, resource.RLIMIT_FSIZE, (1, hard))
        failed = 0
        for i in range(40):   # until the WAL must grow (a fresh WAL grows with every record)
            reply = host.paste(f"{HARMLESS} {i}")
            if "audit" not in reply:
                self.assert_fails_safe(reply)
                failed += 1
            elif failed:
                self.fail("a record was written between two that could not be")
        self.assertGreater(failed, 0, "the file-size limit never bit")
        self.assertEqual(host.proc.poll(), None, "the host is still running (SIGXFSZ ignored)")
        log = host.log()
        self.assertEqual(len(warnings(log, "The audit log cannot be written")), 1, log)
        resource.prlimit(host.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))
        reply = host.paste()
        self.assertEqual(reply["verdict"], "allow", reply)
        self.assertIn("audit", reply)
        log = host.close()
        self.assertEqual(len(warnings(log, "The audit log cannot be written")), 1, log)
        records = self.records()
        gap = [r for r in records if r["event"] == "audit-gap"]
        self.assertEqual([g["count"] for g in gap], [failed])
        out = self.weir("audit", "verify", "-p", os.path.join(self.tmp, "device.pub"))
        self.assertTrue(out.startswith("ok: "), out)

    def test_problems_told_once_including_later_ones(self):
        with open(self.path("policy.json"), "w") as f:
            f.write('{"version": 1, "rules": [')   # cut short
        shutil.copy(os.path.join(FIXTURES, "golden.pub"), os.path.join(self.tmp, "golden.pub"))
        self.weir("trust", "add", os.path.join(self.tmp, "golden.pub"))
        host = self.host()
        hello = host.ask({"type": "hello", "extension_version": "1.0.0"})
        self.assertTrue(any("policy is invalid" in p for p in hello["problems"]), hello)
        self.assertEqual(hello["policy"]["fail_mode"], "block", "the default policy applies")
        # A pack half-written into the inbox while the host runs: refused, told once.
        with open(os.path.join(FIXTURES, "golden.weirpack"), "rb") as f:
            pack = f.read()
        os.makedirs(self.path("packs"), exist_ok=True)
        with open(self.path("packs", "golden.weirpack"), "wb") as f:
            f.write(pack[: len(pack) // 2])
        time.sleep(POLL)
        for _ in range(3):
            self.assertEqual(host.paste()["verdict"], "allow")
            time.sleep(POLL / 2)
        log = host.log()
        self.assertEqual(len(warnings(log, "policy is invalid")), 1, log)
        refused = warnings(log, "golden.weirpack")
        self.assertEqual(len(refused), 1, log)
        # The rest of the file arrives: imported without a restart.
        with open(self.path("packs", "golden.weirpack"), "wb") as f:
            f.write(pack)
        time.sleep(POLL)
        host.paste()
        log = host.close()
        self.assertEqual(len(warnings(log, "golden.weirpack")), 1, log)
        events = [r["event"] for r in self.records()]
        self.assertIn("pack-refuse", events)
        self.assertIn("pack-import", events)


NOTICE_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notice-server.py")


def desktop_missing():
    """Why a private session bus with a notification server cannot run here, or None."""
    if not shutil.which("dbus-daemon"):
        return "no dbus-daemon"
    probe = subprocess.run(["/usr/bin/python3", "-c", "import dbus, gi"], capture_output=True)
    return "no python3-dbus or python3-gi for /usr/bin/python3" if probe.returncode else None


@unittest.skipIf(desktop_missing(), desktop_missing())
class DesktopNotices(unittest.TestCase):
    """With a desktop session (a private dbus-daemon and a notification server on it), each
    problem is one desktop notice: at start and when it arises later, never repeated."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="weir-notices-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.stop, self.bus)
        address = self.bus.stdout.readline().strip()
        self.env = dict(os.environ, WEIR_HOME=self.home, WEIR_AUDIT_SHIP="off",
                        DBUS_SESSION_BUS_ADDRESS=address)
        self.env.pop("DISPLAY", None)
        self.notices = os.path.join(self.tmp, "notices.jsonl")
        self.server = subprocess.Popen(["/usr/bin/python3", NOTICE_SERVER, self.notices],
                                       stdout=subprocess.PIPE, text=True, env=self.env)
        self.addCleanup(self.stop, self.server)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.assertEqual(self.server.stdout.readline().strip(), "ready")

    @staticmethod
    def stop(proc):
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()

    def shown(self):
        try:
            with open(self.notices) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def test_each_problem_one_notice(self):
        with open(os.path.join(self.home, "policy.json"), "w") as f:
            f.write("{")
        host = Host(self.env)
        host.ask({"type": "hello", "extension_version": "1.0.0"})
        for _ in range(3):
            self.assertEqual(host.paste()["verdict"], "allow")
        with open(os.path.join(FIXTURES, "golden.weirpack"), "rb") as f:
            pack = f.read()
        os.makedirs(os.path.join(self.home, "packs"))
        with open(os.path.join(self.home, "packs", "golden.weirpack"), "wb") as f:
            f.write(pack[:100])
        for _ in range(3):
            time.sleep(POLL)
            host.paste()
        host.close()
        shown = self.shown()
        self.assertEqual([n["summary"] for n in shown], ["Weir protection is degraded"] * 2, shown)
        self.assertIn("policy is invalid", shown[0]["body"])
        self.assertIn("golden.weirpack", shown[1]["body"])
        self.assertEqual(shown[0]["app"], "Weir")


if __name__ == "__main__":
    unittest.main(verbosity=2)
