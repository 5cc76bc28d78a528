"""Helpers the audit tests share: a temporary WEIR_HOME, the real weir-host over
pipes (Chrome's framing), and the weir CLI."""
import atexit
import json
import os
import shutil
import struct
import subprocess
import tempfile


class Host:
    """weir-host as Chromium runs it: frames on stdin, frames on stdout."""

    def __init__(self, binary, env):
        self.proc = subprocess.Popen([binary, "chrome-extension://test/"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.next_id = 1

    def ask(self, request):
        request = dict(request, id=self.next_id)
        self.next_id += 1
        data = json.dumps(request).encode()
        self.proc.stdin.write(struct.pack("=I", len(data)) + data)
        self.proc.stdin.flush()
        head = self.proc.stdout.read(4)
        assert len(head) == 4, "the host closed its output"
        (length,) = struct.unpack("=I", head)
        reply = json.loads(self.proc.stdout.read(length))
        assert reply["id"] == request["id"], reply
        return reply

    def close(self):
        self.proc.stdin.close()
        status = self.proc.wait(timeout=60)
        err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert status == 0, f"weir-host exited {status}: {err}"
        return err


class Home:
    """A WEIR_HOME of its own, and the CLI run inside it."""

    def __init__(self, build, **env):
        self.dir = tempfile.mkdtemp(prefix="weir-audit-test-")
        atexit.register(shutil.rmtree, self.dir, True)
        self.build = build
        self.env = dict(os.environ, WEIR_HOME=self.dir, WEIR_AUDIT_SHIP="off")
        self.env.update(env)

    def path(self, name):
        return os.path.join(self.dir, name)

    def weir(self, *args, check=True):
        result = subprocess.run([os.path.join(self.build, "host/src/cli/weir"), *args], env=self.env,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"weir {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def host(self):
        return Host(os.path.join(self.build, "host/src/host/weir-host"), self.env)


def read_lines(path):
    with open(path) as f:
        return [line for line in f.read().split("\n") if line.strip()]


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
