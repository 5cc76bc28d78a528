#!/usr/bin/env python3
"""How long a paste waits while hostile files land in the inbox of a running weir-host
(issue 22: a 2 GB sparse file held a paste 4.9 s, a symlink to /dev/zero 11 s). Pastes
go one after another for a few seconds; a 2 GB sparse file, a symlink to /dev/zero and a
FIFO are dropped into packs/ partway. Prints the round trips before and after the drop
and the host's peak memory.

usage: bench/inbox/inbox-latency.py BUILD_DIR [SECONDS] [--no-fifo]"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2][0] != "-" else 4.0
HOST = os.path.join(BUILD, "host/src/host/weir-host")


def ask(host, request):
    data = json.dumps(request).encode()
    host.stdin.write(struct.pack("=I", len(data)) + data)
    host.stdin.flush()
    head = host.stdout.read(4)
    return json.loads(host.stdout.read(struct.unpack("=I", head)[0]))


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def summary(name, times):
    times = sorted(times)
    if not times:
        return f"{name}: no paste"
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return (f"{name}: {len(times)} pastes, p50 {times[len(times) // 2] * 1000:.2f} ms, "
            f"p99 {p99 * 1000:.2f} ms, max {times[-1] * 1000:.2f} ms")


def main():
    tmp = tempfile.mkdtemp(prefix="weir-inbox-bench-")
    try:
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "packs"))
        env = dict(os.environ, WEIR_HOME=home, WEIR_AUDIT_SHIP="off", WEIR_KEYRING="off")
        host = subprocess.Popen([HOST, "chrome-extension://bench/"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        ask(host, {"type": "hello", "id": 0, "extension_version": "1.0.0"})
        before, after = [], []
        dropped = False
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < SECONDS:
            if not dropped and time.monotonic() - start > SECONDS / 3:
                with open(os.path.join(home, "packs", "sparse.weirpack"), "wb") as f:
                    f.truncate(2 << 30)
                os.symlink("/dev/zero", os.path.join(home, "packs", "zero.weirpack"))
                if "--no-fifo" not in sys.argv:  # before issue 22 a FIFO hung the host
                    os.mkfifo(os.path.join(home, "packs", "fifo.weirpack"))
                dropped = True
            n += 1
            t0 = time.perf_counter()
            reply = ask(host, {"type": "scan", "id": n, "event": "paste", "origin": "https://chat.example",
                               "url": "https://chat.example/c/1", "text": f"an ordinary paste, number {n}"})
            (after if dropped else before).append(time.perf_counter() - t0)
            assert reply["type"] == "verdict", reply
            time.sleep(0.01)
        print(summary("before the drop", before))
        print(summary("after the drop ", after))
        print(f"host peak RSS: {peak_kb(host.pid) / 1024:.1f} MiB")
        host.stdin.close()
        host.wait(timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
