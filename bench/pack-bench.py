#!/usr/bin/env python3
"""Pack benchmarks: build rate (MB/s of documents) and host cold start with about a
million fingerprints, beside their floors.

Usage: bench/pack-bench.py [--build-dir build] [--mb 45] [--edm-rows 5000] [--runs 5]
                           [--keep DIR] [--kv FILE]

Generates random text (a fixed-seed vocabulary of 20000 words) and a CSV table of
made-up people (email!, name, phone, city), builds and signs a pack with `weir pack
build`, imports it, then starts `weir-host` several times and measures the time from
spawning the process to the first reply (a hello, then a scan), as the browser would
see it, with that store and with an empty one. The build rate's floor is `wc -w` over
the same documents (every byte read and split into words, nothing else).

--keep DIR works in DIR and leaves it (DIR/home is a WEIR_HOME with the pack imported,
for bench/run's other benchmarks); --kv FILE appends the figures as key=value lines.
Prints figures; asserts nothing.
"""
import argparse
import json
import os
import random
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


FIRST = ("ada alan grace edsger barbara donald ken dennis margaret john linus niklaus "
         "frances radia shafi leslie tony robin whitfield martin").split()
LAST = ("lovelace turing hopper dijkstra liskov knuth thompson ritchie hamilton mccarthy "
        "torvalds wirth allen perlman goldwasser lamport hoare milner diffie hellman").split()
CITIES = "Lyon Porto Graz Leeds Ghent Turku Brno Cork Split Malmo".split()


def make_edm(path, rows, rng):
    """rows made-up people; every name, e-mail and phone distinct enough to count."""
    with open(path, "w") as f:
        f.write("email,name,phone,city\n")
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            f.write(f"{first}.{last}{i}@example.org,{first.title()} {last.title()}{i:x},"
                    f"+44 20 {rng.randint(1000, 9999)} {i:04d},{rng.choice(CITIES)}\n")


def frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack("=I", len(data)) + data


def first_reply_ms(host, env, request):
    """Spawn to first reply in ms, the reply, the host's peak resident KiB and its CPU
    time in ms (start, one request, stop: the figure a busy machine does not inflate)."""
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
    p.stdout.close()
    return elapsed, reply, usage.ru_maxrss, (usage.ru_utime + usage.ru_stime) * 1000


def cold_starts(host, env, request, runs):
    """Median spawn-to-first-reply over runs starts (after one to warm the page cache)."""
    first_reply_ms(host, env, request)
    times, cpu, peak, reply = [], [], 0, None
    for _ in range(runs):
        ms, reply, rss, cpu_ms = first_reply_ms(host, env, request)
        times.append(ms)
        cpu.append(cpu_ms)
        peak = max(peak, rss)
    return statistics.median(times), min(times), max(times), reply, peak, statistics.median(cpu)


def timed_rusage(argv, env=None, stdin=None):
    """timed() with the child's CPU time from wait4 (communicate() reaps it first)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin:
        p.stdin.write(stdin)
        p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = status
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{argv[0]} failed: {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, out.decode()


def best_of(runs, argv, env=None, stdin=None):
    """Best wall and best CPU seconds over runs, and the last output."""
    walls, cpus, out = [], [], ""
    for _ in range(runs):
        wall, cpu, out = timed_rusage(argv, env, stdin)
        walls.append(wall)
        cpus.append(cpu)
    return min(walls), min(cpus), out


def words_floor(docs, runs=3):
    """`wc -w` over every document: reading and splitting, nothing more."""
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(docs) for f in fs)
    wall, cpu, _ = best_of(runs, ["wc", "-w", "--files0-from=-"], stdin="\0".join(files).encode())
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--mb", type=float, default=45.0)
    ap.add_argument("--edm-rows", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep")
    ap.add_argument("--kv")
    args = ap.parse_args()
    weir, host = find(args.build_dir, "weir"), find(args.build_dir, "weir-host")
    tmp = args.keep or tempfile.mkdtemp(prefix="weir-bench-")
    os.makedirs(tmp, exist_ok=True)
    kv = {}
    try:
        env = dict(os.environ, WEIR_HOME=os.path.join(tmp, "home"))
        env.pop("DISPLAY", None)
        rng = random.Random(4)
        docs = os.path.join(tmp, "docs")
        shutil.rmtree(docs, ignore_errors=True)
        shutil.rmtree(env["WEIR_HOME"], ignore_errors=True)
        size, count, _ = make_corpus(docs, args.mb, rng)
        csv = os.path.join(tmp, "people.csv")
        make_edm(csv, args.edm_rows, rng)
        run = lambda *a: subprocess.run([weir, *a], env=env, check=True, capture_output=True, text=True)
        run("keygen", "-s", os.path.join(tmp, "a.key"), "-p", os.path.join(tmp, "a.pub"))
        run("trust", "add", os.path.join(tmp, "a.pub"))
        pack = os.path.join(tmp, "bench.weirpack")
        # best of two: the machine is shared; CPU time (user + system) is what the build
        # costs whatever else runs, wall time what the admin waits
        build_s, build_cpu, out = best_of(2, [weir, "pack", "build", "--name", "bench", "--label",
                                              "confidential", "--docs", docs, "--edm", csv, "--edm-columns",
                                              "email!,name,phone:number,city",
                                              "--sign", os.path.join(tmp, "a.key"), "-o", pack], env)
        fps = int(out.split("fingerprints ")[1].split()[0])
        floor_s, floor_cpu = words_floor(docs)
        mb = size / 1e6
        print(f"pack build: {mb:.1f} MB in {count} documents + {args.edm_rows} EDM rows -> "
              f"{fps} fingerprints, {os.path.getsize(pack) / 1e6:.1f} MB pack, best of 2: {build_s:.2f} s wall = "
              f"{mb / build_s:.1f} MB/s, {build_cpu:.2f} s CPU = {mb / build_cpu:.1f} MB/s "
              f"(wc -w over the same documents: {mb / floor_s:.0f} MB/s wall, {mb / floor_cpu:.0f} MB/s CPU)")
        kv.update(build_mbs=mb / build_s, build_cpu_mbs=mb / build_cpu, wc_mbs=mb / floor_s,
                  wc_cpu_mbs=mb / floor_cpu, fingerprints=fps, docs_mb=mb, edm_rows=args.edm_rows)
        t0 = time.perf_counter()
        run("pack", "import", pack)
        print(f"pack import (verify + store): {(time.perf_counter() - t0) * 1000:.0f} ms")
        with open(os.path.join(docs, "d000", "doc00000.txt")) as f:
            excerpt = " ".join(f.read().split()[1000:1040])
        hello = {"type": "hello", "id": 1, "extension_version": "1.0.0"}
        scan = {"type": "scan", "id": 1, "event": "paste", "origin": "https://chat.example",
                "url": "https://chat.example/", "text": excerpt}
        empty_env = dict(env, WEIR_HOME=os.path.join(tmp, "empty-home"))
        shutil.rmtree(empty_env["WEIR_HOME"], ignore_errors=True)
        for name, req in (("hello", hello), ("scan", scan)):
            for store, e in (("full", env), ("empty", empty_env)):
                med, lo, hi, reply, peak, cpu = cold_starts(host, e, req, args.runs)
                what = f"{fps} fingerprints" if store == "full" else "empty store"
                print(f"host cold start -> first {name} reply, {what}: min {lo:.0f} ms, median {med:.0f} ms, "
                      f"max {hi:.0f} ms wall over {args.runs} starts; host CPU time median {cpu:.0f} ms, "
                      f"peak {peak / 1024:.1f} MiB"
                      + (f" (verdict {reply.get('verdict')})" if name == "scan" else ""))
                kv[f"cold_{name}_{store}_ms"] = med
                kv[f"cold_{name}_{store}_cpu_ms"] = cpu
                kv[f"cold_{name}_{store}_peak_kib"] = peak
                if name == "scan":
                    kv[f"cold_scan_{store}_verdict"] = reply.get("verdict")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.kv:
        with open(args.kv, "a") as f:
            for k, v in kv.items():
                f.write(f"{k}={v:.3f}\n" if isinstance(v, float) else f"{k}={v}\n")


if __name__ == "__main__":
    main()
