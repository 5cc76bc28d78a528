#!/usr/bin/env python3
"""The time to check a 100 MB file sent in chunks (docs/protocol.md), through the real
weir-host over pipes as Chromium runs it, beside the inline path's rate for a file that
fits in one message (32 MB). Prints one table; not a test, nothing fails.

usage: bench/upload/bench-upload.py [--build-dir build] [--runs 3] [--mb 100]

The file is plain text with a private key 4 KiB before its end, made in memory here;
the host's WEIR_HOME is a temporary folder (store and audit on, as in use). Rows:
  chunks   sending every file-chunk request and reading its ack (base64 made beforehand:
           the extension's share is measured by bigfile-bench.mjs)
  scan     the scan request naming the upload, to its verdict (block, private-key)
  total    both, and the rate in MB/s of file
  inline   a 32 MB file as base64 data in one scan request, to its verdict
  peak     the host's VmHWM (resident peak) after the runs"""
import argparse
import base64
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

KEY = (b"-----BEGIN OPENSSH PRIVATE KEY-----\n"
       b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
       b"QyNTUxOQAAACDmX1uvq0ZYzOljZpSPxu3oCfLUHMtIh2KSm8b8dq6ZuQAAAJg0kxCPNJMQ\n"
       b"-----END OPENSSH PRIVATE KEY-----\n")
LINE = b"quarterly numbers, nothing secret here, just filler text 0123456789\n"


def make_file(size):
    body = (LINE * (size // len(LINE) + 1))[:size - len(KEY) - 4096]
    return body + KEY + b"." * 4096


class Host:
    def __init__(self, binary, home):
        env = dict(os.environ, WEIR_HOME=home)
        self.p = subprocess.Popen([binary, "chrome-extension://bench/"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.n = 0

    def ask(self, obj):
        self.n += 1
        obj["id"] = self.n
        raw = json.dumps(obj).encode()
        self.p.stdin.write(struct.pack("=I", len(raw)) + raw)
        self.p.stdin.flush()
        (length,) = struct.unpack("=I", self.p.stdout.read(4))
        return json.loads(self.p.stdout.read(length))

    def hwm_kib(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def one_upload(host, chunks, size, run):
    upload = f"bench-{run}"
    t0 = time.perf_counter()
    offset = 0
    for data, length in chunks:
        ack = host.ask({"type": "file-chunk", "upload": upload, "size": size, "offset": offset, "data": data})
        assert ack["type"] == "ack", ack
        offset += length
    t1 = time.perf_counter()
    verdict = host.ask({"type": "scan", "event": "drop", "origin": "https://chat.example",
                        "files": [{"name": "export.log", "mime": "text/plain", "size": size, "upload": upload}]})
    t2 = time.perf_counter()
    assert verdict.get("verdict") == "block", verdict
    assert any(r.get("rule") == "private-key" for r in verdict["reasons"]), verdict
    return (t1 - t0) * 1000, (t2 - t1) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mb", type=int, default=100)
    args = ap.parse_args()
    binary = os.path.join(args.build_dir, "host/src/host/weir-host")
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench-upload: no {binary}: build first (ninja -C {args.build_dir})")
    size = args.mb * 1000 * 1000
    data = make_file(size)
    home = tempfile.mkdtemp(prefix="weir-bench-upload-")
    try:
        policy = {"version": 1, "max_scan_bytes": 256 * 1024 * 1024, "timeout_ms": 600000,
                  "rules": [{"id": "credentials", "detectors": ["private-key"], "verdict": "block"}]}
        with open(os.path.join(home, "policy.json"), "w") as f:
            json.dump(policy, f)
        host = Host(binary, home)
        hello = host.ask({"type": "hello"})
        step = hello["uploads"]["chunk_bytes"]
        chunks = [(base64.b64encode(data[o:o + step]).decode(), len(data[o:o + step]))
                  for o in range(0, size, step)]
        sends, scans = [], []
        for run in range(args.runs):
            send_ms, scan_ms = one_upload(host, chunks, size, run)
            sends.append(send_ms)
            scans.append(scan_ms)
        inline = make_file(32 * 1000 * 1000)
        b64 = base64.b64encode(inline).decode()
        inline_ms = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            v = host.ask({"type": "scan", "event": "drop", "origin": "https://chat.example",
                          "files": [{"name": "small.log", "mime": "text/plain", "size": len(inline), "data": b64}]})
            inline_ms.append((time.perf_counter() - t0) * 1000)
            assert v.get("verdict") == "block", v
        hwm = host.hwm_kib()
        host.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    med = statistics.median
    total = [a + b for a, b in zip(sends, scans)]
    print(f"weir-host, {args.mb} MB text file with a key near its end, {len(chunks)} chunks of "
          f"{step >> 20} MiB, median of {args.runs} runs")
    print(f"{'row':<8} {'ms':>9} {'MB/s':>8}")
    print(f"{'chunks':<8} {med(sends):>9.0f} {size / 1e6 / (med(sends) / 1000):>8.0f}")
    print(f"{'scan':<8} {med(scans):>9.0f} {size / 1e6 / (med(scans) / 1000):>8.0f}")
    print(f"{'total':<8} {med(total):>9.0f} {size / 1e6 / (med(total) / 1000):>8.0f}")
    print(f"{'inline':<8} {med(inline_ms):>9.0f} {32 / (med(inline_ms) / 1000):>8.0f}   (32 MB file as base64 in one request)")
    print(f"peak     {hwm >> 10} MiB resident (VmHWM)")


if __name__ == "__main__":
    main()
