#!/usr/bin/env python3
"""End-to-end scan throughput with and without a pack (issue 28's measure): `weir scan
--batch` over a corpus cut into pastes, one JSON request a line, CPU time of the weir
process (user + system), best of --runs, for each WEIR_HOME given.

Usage: bench/batch-scan.py [--build-dir build] [--corpus FILE] [--piece-kb 64] [--runs 3]
                           HOME [HOME...]

--corpus defaults to BUILD_DIR/bench/scan-corpus.txt (bench/scan.sh makes it: ~38 MB of
manual pages and generated config, logs and JSON). Each HOME is a WEIR_HOME: one with a
pack imported (e.g. scale-bench.py --keep DIR leaves DIR/home-this) and an empty one
(a folder that does not exist yet is made empty). Audit stays as the home has it (on by
default), the same for every home. Prints MB/s by CPU and by wall time, and the verdicts
counted, so that two homes are compared on the same requests, and each home's store size:
opening a store authenticates every page of it (about 1 ms per MB here), and every run
adds its audit records (about 0.6 MB), so compare homes whose stores are of like size
(made fresh, as scale-bench.py does), or the larger one's opening counts against it.
The homes are run in turn, run after run, and with two homes (the pack's, then the
empty one) the last line gives the first's rate as a share of the second's: issue 28's
measure.
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import tempfile
import time


def pieces(data, size):
    """The corpus cut into pastes of about size bytes, never inside a UTF-8 character."""
    at = 0
    while at < len(data):
        end = min(at + size, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end += 1
        yield data[at:end].decode("utf-8", errors="replace")
        at = end


def run(weir, home, requests):
    env = dict(os.environ, WEIR_HOME=home, WEIR_KEYRING="off")
    env.pop("DISPLAY", None)
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen([weir, "scan", "--batch"], env=env, stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(requests)
        p.stdin.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = 0
        wall = time.perf_counter() - t0
        if status != 0:
            raise SystemExit(f"weir scan --batch failed in {home}")
        out.seek(0)
        verdicts = collections.Counter(json.loads(line).get("verdict", "error") for line in out)
    return wall, usage.ru_utime + usage.ru_stime, verdicts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--corpus")
    ap.add_argument("--piece-kb", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("homes", nargs="+")
    args = ap.parse_args()
    weir = os.path.join(args.build_dir, "host", "src", "cli", "weir")
    corpus = args.corpus or os.path.join(args.build_dir, "bench", "scan-corpus.txt")
    with open(corpus, "rb") as f:
        data = f.read()
    lines = [json.dumps({"type": "scan", "id": i + 1, "event": "paste", "origin": "https://chat.example",
                         "text": text})
             for i, text in enumerate(pieces(data, args.piece_kb * 1024))]
    requests = ("\n".join(lines) + "\n").encode()
    mb = len(data) / 1e6
    print(f"{mb:.1f} MB in {len(lines)} pastes of {args.piece_kb} KiB")
    for home in args.homes:
        os.makedirs(home, exist_ok=True)
    # The homes in turn, run after run: a machine whose speed drifts (a shared VM swings
    # by a quarter from one minute to the next) then moves every home's figures alike.
    cpus = {home: [] for home in args.homes}
    walls = {home: [] for home in args.homes}
    verdicts = {}
    for _ in range(args.runs):
        for home in args.homes:
            wall, cpu, verdicts[home] = run(weir, home, requests)
            cpus[home].append(cpu)
            walls[home].append(wall)
    for home in args.homes:
        best_cpu, best_wall = min(cpus[home]), min(walls[home])
        db = os.path.join(home, "weir.db")
        store_mb = os.path.getsize(db) / 1e6 if os.path.exists(db) else 0
        print(f"{home}: best of {args.runs}: {mb / best_cpu:.0f} MB/s by CPU time ({best_cpu:.2f} s; median "
              f"{statistics.median(cpus[home]):.2f} s), {mb / best_wall:.0f} MB/s wall; verdicts "
              f"{dict(sorted(verdicts[home].items()))}; store {store_mb:.1f} MB after the runs")
    if len(args.homes) == 2:
        a, b = args.homes
        print(f"{a} at {100 * min(cpus[b]) / min(cpus[a]):.0f}% of {b}'s rate by best CPU time "
              f"({100 * statistics.median(cpus[b]) / statistics.median(cpus[a]):.0f}% by median)")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
