#!/usr/bin/env python3
"""The read-only commands (store info, store check, audit export, audit verify, pack
list, trust list) on a disk that takes no more bytes: they work, write nothing, and a
command that must write says why instead of dying of SIGXFSZ. Through the real weir
CLI and weir-host: a file-size limit (RLIMIT_FSIZE, any user) and, as root, a real
full tmpfs.

usage: test-readonly-cli.py BUILD_DIR"""
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import unittest

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
HOST = os.path.join(BUILD, "host/src/host/weir-host")
WEIR = os.path.abspath(os.path.join(BUILD, "host/src/cli/weir"))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "packs")
CARD = "card 4111 1111 1111 1111 for the booking"
READ_ONLY = [["store", "info"], ["store", "info", "--json"], ["store", "check"], ["audit", "export"],
             ["audit", "verify"], ["pack", "list"], ["pack", "list", "--json"], ["trust", "list"]]


def no_file_growth():
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def snapshot(folder):
    """Every file below folder with its size, mtime and content digest."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            st = os.stat(path)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = (st.st_size, st.st_mtime_ns, hash(f.read()))
    return out


class ReadOnlyCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="weir-readonly-")
        self.home = os.path.join(self.tmp, "home")
        self.env = dict(os.environ, WEIR_HOME=self.home, WEIR_AUDIT_SHIP="off")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def weir(self, *args, limit=False, check=True):
        r = subprocess.run([WEIR, *args], env=self.env, capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL, preexec_fn=no_file_growth if limit else None)
        if check:
            self.assertEqual(r.returncode, 0, f"weir {' '.join(args)}: {r.returncode} {r.stderr}")
        return r

    def make_store(self):
        """A store with records and a pack, closed cleanly (no -wal, no -shm left)."""
        os.makedirs(self.home)
        shutil.copy(os.path.join(FIXTURES, "golden.pub"), os.path.join(self.tmp, "golden.pub"))
        self.weir("trust", "add", os.path.join(self.tmp, "golden.pub"))
        self.weir("pack", "import", os.path.join(FIXTURES, "golden.weirpack"))
        subprocess.run([WEIR, "scan", "-"], env=self.env, input=CARD, capture_output=True, text=True)
        self.weir("audit", "key", "-o", os.path.join(self.tmp, "device.pub"))

    def check_all_read_only(self, **kw):
        before = snapshot(self.home)
        out = {tuple(c): self.weir(*c, **kw).stdout for c in READ_ONLY}
        self.assertIn("golden", out[("pack", "list")])
        self.assertEqual([p["name"] for p in json.loads(out[("pack", "list", "--json")])], ["golden"])
        self.assertGreater(json.loads(out[("store", "info", "--json")])["records"], 2)
        self.assertTrue(out[("store", "check")].startswith("ok: "), out)
        self.assertTrue(out[("audit", "verify")].startswith("ok: "), out)
        events = [json.loads(line)["event"] for line in out[("audit", "export")].splitlines()]
        self.assertIn("pack-import", events)
        self.assertIn("verdict", events)
        r = self.weir("audit", "verify", "-p", os.path.join(self.tmp, "device.pub"), **kw)
        self.assertTrue(r.stdout.startswith("ok: "), r.stdout)
        after = snapshot(self.home)
        # Nothing written: the store, its key and the trusted keys as they were (SQLite may
        # leave an empty -wal behind while it opens).
        after.pop("weir.db-wal", None) if after.get("weir.db-wal", (0,))[0] == 0 else None
        before.pop("weir.db-wal", None) if before.get("weir.db-wal", (0,))[0] == 0 else None
        self.assertEqual({k: v for k, v in after.items() if k != "weir.db-shm"},
                         {k: v for k, v in before.items() if k != "weir.db-shm"})

    def test_file_size_limit_store_closed(self):
        self.make_store()
        self.check_all_read_only(limit=True)

    def test_file_size_limit_beside_a_running_host(self):
        self.make_store()
        host = subprocess.Popen([HOST, "chrome-extension://readonly/"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.env)
        try:
            data = json.dumps({"type": "hello", "id": 1, "extension_version": "1.0.0"}).encode()
            host.stdin.write(struct.pack("=I", len(data)) + data)
            host.stdin.flush()
            head = host.stdout.read(4)
            host.stdout.read(struct.unpack("=I", head)[0])
            # The host holds the store open (its -wal and -shm exist): the CLI reads beside it.
            self.assertTrue(os.path.exists(os.path.join(self.home, "weir.db-shm")))
            for c in READ_ONLY:
                self.weir(*c, limit=True)
        finally:
            host.stdin.close()
            self.assertEqual(host.wait(timeout=60), 0)
            host.stdout.close()

    def test_a_write_under_the_limit_is_an_error_not_a_signal(self):
        self.make_store()
        r = self.weir("audit", "export", "-o", os.path.join(self.tmp, "out.jsonl"), limit=True, check=False)
        self.assertNotEqual(r.returncode, -signal.SIGXFSZ, "killed by SIGXFSZ")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("File too large", r.stderr)
        r = self.weir("scan", "-", limit=True, check=False)
        self.assertNotEqual(r.returncode, -signal.SIGXFSZ, "killed by SIGXFSZ")

    def test_a_fresh_home_still_gets_its_store(self):
        # Only an existing store is opened read-only; a first command makes it, as before.
        os.makedirs(self.home)
        self.assertIn("records", json.loads(self.weir("store", "info", "--json").stdout))
        self.assertTrue(os.path.exists(os.path.join(self.home, "weir.db")))
        self.assertTrue(self.weir("audit", "verify").stdout.startswith("ok: "))
        self.assertEqual(json.loads(self.weir("pack", "list", "--json").stdout), [])

    @unittest.skipUnless(os.geteuid() == 0, "mounting a small tmpfs needs root")
    def test_real_full_disk(self):
        os.makedirs(self.home)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "weir-full", self.home],
                          capture_output=True).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(subprocess.run, ["umount", "-l", self.home])
        shutil.copy(os.path.join(FIXTURES, "golden.pub"), os.path.join(self.tmp, "golden.pub"))
        self.weir("trust", "add", os.path.join(self.tmp, "golden.pub"))
        self.weir("pack", "import", os.path.join(FIXTURES, "golden.weirpack"))
        subprocess.run([WEIR, "scan", "-"], env=self.env, input=CARD, capture_output=True, text=True)
        self.weir("audit", "key", "-o", os.path.join(self.tmp, "device.pub"))
        with open(os.path.join(self.home, "filler"), "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        self.assertEqual(shutil.disk_usage(self.home).free, 0)
        # A writing command fails: the disk is full indeed.
        r = subprocess.run([WEIR, "scan", "-"], env=self.env, input=CARD, capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.check_all_read_only()


if __name__ == "__main__":
    unittest.main(verbosity=2)
