"""Helpers for tests that drive the real weir and weir-host binaries."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

WEIR = os.environ.get("WEIR_BIN")
WEIR_HOST = os.environ.get("WEIR_HOST_BIN")

SECRET = ("The quarterly board minutes record that the merger with Example Corporation will "
          "close in March, that the price per share was agreed at forty one dollars, and that "
          "nobody may tell the press or any customer before the public announcement on the "
          "first of the month, as the general counsel insisted twice during the meeting.")
OTHER = ("Minutes of the garden club: the roses along the north wall need pruning before "
         "winter, the compost heap must be turned every second week, the new shed arrives on "
         "Friday and the treasurer asks every member to pay the yearly fee by the end of June.")


def read(path):
    with open(path, "rb") as f:
        return f.read()


class WeirCase(unittest.TestCase):
    """A fresh WEIR_HOME per test, with admin keys a (trusted) and b (not trusted)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="weir-pack-test-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ, WEIR_HOME=self.home)
        self.env.pop("DISPLAY", None)
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        for k in ("a", "b"):
            self.ok("keygen", "-s", self.path(k + ".key"), "-p", self.path(k + ".pub"))
        self.ok("trust", "add", self.path("a.pub"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def weir(self, *args, input=None):
        return subprocess.run([WEIR, *args], env=self.env, input=input, capture_output=True,
                              text=isinstance(input, str) or input is None, timeout=120)

    def ok(self, *args, input=None):
        r = self.weir(*args, input=input)
        self.assertEqual(r.returncode, 0, f"weir {' '.join(args)}: {r.stderr}")
        return r

    def write_docs(self, name, text):
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "minutes.md"), "w") as f:
            f.write(text)
        return d

    def build(self, out, text=SECRET, version=1, key="a", name="board", label="confidential", extra=()):
        docs = self.write_docs("docs-" + os.path.basename(out), text)
        self.ok("pack", "build", "--name", name, "--label", label, "--version", str(version),
                "--docs", docs, "--sign", self.path(key + ".key"), "-o", out, *extra)
        return out

    def scan(self, text):
        r = self.ok("scan", "--json", "-", input=text)
        return json.loads(r.stdout)


def documents(verdict):
    return [r["name"] for r in verdict.get("reasons", []) if r["kind"] == "document"]


class Host:
    """weir-host over pipes, speaking protocol 1."""

    def __init__(self, env):
        self.proc = subprocess.Popen([WEIR_HOST], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 1

    def request(self, obj):
        obj = dict(obj, id=self.next_id)
        self.next_id += 1
        data = json.dumps(obj).encode()
        self.proc.stdin.write(struct.pack("=I", len(data)) + data)
        self.proc.stdin.flush()
        head = self.proc.stdout.read(4)
        if len(head) != 4:
            raise EOFError("the host closed its output")
        (n,) = struct.unpack("=I", head)
        return json.loads(self.proc.stdout.read(n))

    def scan(self, text):
        return self.request({"type": "scan", "event": "paste", "origin": "https://chat.example",
                             "url": "https://chat.example/c/1", "text": text})

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=30)
        err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err
