#!/usr/bin/env python3
"""Pack benchmarks: build rate (MB/s of documents) and host cold start with about a
million fingerprints.

Usage: bench/pack-bench.py [--build-dir build] [--mb 45] [--runs 5]

Generates random text (a fixed-seed vocabulary of 20000 words), builds and signs a pack
with `weir pack build`, imports it, then starts `weir-host` several times and measures
the time from spawning the process to the first reply (a hello, then a scan), as the
browser would see it. Prints figures; asserts nothing.
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import struct
import subprocess
import tempfile
import time


def find(build_dir, name):
    for root, _, files in os.walk(build_dir):
        if name in files and os.access(os.path.join(root, name), os.X_OK):
            return os.path.join(root, name)
    raise SystemExit(f"{name} not found under {build_dir}; build first (ninja -C {build_dir})")


def make_corpus(folder, megabytes, rng):
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
             for _ in range(20000)]
    total, n = 0, 0
    while total < megabytes * 1_000_000:
        words = rng.choices(vocab, k=15000)
        text = " ".join(w + ("." if rng.random() < 0.07 else "") for w in words)
        sub = os.path.join(folder, "d%03d" % (n // 100))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "doc%05d.txt" % n), "w") as f:
            f.write(text)
        total += len(text)
        n += 1
    return total, n, vocab


def frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack("=I", len(data)) + data


def first_reply_ms(host, env, request):
    t0 = time.perf_counter()
    p = subprocess.Popen([host], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(frame(request))
    p.stdin.flush()
    (n,) = struct.unpack("=I", p.stdout.read(4))
    reply = json.loads(p.stdout.read(n))
    elapsed = (time.perf_counter() - t0) * 1000
    p.stdin.close()
    _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    # CPU time of the whole host process (start, one request, stop): the figure that
    # does not depend on how busy the machine is.
    return elapsed, reply, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--mb", type=float, default=45.0)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    weir, host = find(args.build_dir, "weir"), find(args.build_dir, "weir-host")
    tmp = tempfile.mkdtemp(prefix="weir-bench-")
    try:
        env = dict(os.environ, WEIR_HOME=os.path.join(tmp, "home"))
        env.pop("DISPLAY", None)
        rng = random.Random(4)
        docs = os.path.join(tmp, "docs")
        size, count, _ = make_corpus(docs, args.mb, rng)
        run = lambda *a: subprocess.run([weir, *a], env=env, check=True, capture_output=True, text=True)
        run("keygen", "-s", os.path.join(tmp, "a.key"), "-p", os.path.join(tmp, "a.pub"))
        run("trust", "add", os.path.join(tmp, "a.pub"))
        pack = os.path.join(tmp, "bench.weirpack")
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = run("pack", "build", "--name", "bench", "--label", "confidential", "--docs", docs,
                  "--sign", os.path.join(tmp, "a.key"), "-o", pack).stdout
        build_s = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        build_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        fps = int(out.split("fingerprints ")[1].split()[0])
        print(f"pack build: {size / 1e6:.1f} MB in {count} documents -> {fps} fingerprints, "
              f"{os.path.getsize(pack) / 1e6:.1f} MB pack, {build_s:.2f} s = {size / 1e6 / build_s:.1f} MB/s "
              f"(CPU time {build_cpu:.2f} s = {size / 1e6 / build_cpu:.1f} MB/s)")
        t0 = time.perf_counter()
        run("pack", "import", pack)
        print(f"pack import (verify + store): {(time.perf_counter() - t0) * 1000:.0f} ms")
        with open(os.path.join(docs, "d000", "doc00000.txt")) as f:
            excerpt = " ".join(f.read().split()[1000:1040])
        hello = {"type": "hello", "id": 1, "extension_version": "1.0.0"}
        scan = {"type": "scan", "id": 1, "event": "paste", "origin": "https://chat.example",
                "url": "https://chat.example/", "text": excerpt}
        first_reply_ms(host, env, hello)  # warm the page cache, as a second browser start would
        for name, req in (("hello", hello), ("scan", scan)):
            times, cpu = [], []
            for _ in range(args.runs):
                ms, reply, cpu_ms = first_reply_ms(host, env, req)
                times.append(ms)
                cpu.append(cpu_ms)
            print(f"host cold start -> first {name} reply, {fps} fingerprints: min {min(times):.0f} ms, "
                  f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms wall over {args.runs} "
                  f"starts; host CPU time median {statistics.median(cpu):.0f} ms"
                  + (f" (verdict {reply.get('verdict')})" if name == "scan" else ""))
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
