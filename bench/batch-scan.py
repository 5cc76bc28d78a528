#!/usr/bin/env python3
"""End-to-end scan throughput with and without a pack (issue 28's measure): `weir scan
--batch` over a corpus cut into pastes, one JSON request a line, wall and CPU time of
the weir process (user + system), best and median of --runs, for each WEIR_HOME given.

Usage: bench/batch-scan.py [--build-dir build] [--corpus FILE] [--piece-kb 64] [--runs 3]
                           [--score-threads 2,1] HOME [HOME...]

--corpus defaults to BUILD_DIR/bench/scan-corpus.txt (bench/scan.sh makes it: ~38 MB of
manual pages and generated config, logs and JSON). Each HOME is a WEIR_HOME: one with a
pack imported (e.g. scale-bench.py --keep DIR leaves DIR/home-this) and an empty one
(a folder that does not exist yet is made empty). Audit stays as the home has it (on by
default), the same for every home. Prints MB/s by CPU and by wall time, and the verdicts
counted, so that two homes are compared on the same requests, and each home's store size:
opening a store authenticates every page of it (about 1 ms per MB here), and every run
adds its audit records (about 0.6 MB), so compare homes whose stores are of like size
(made fresh, as scale-bench.py does), or the larger one's opening counts against it.
Each run starts from the store (weir.db and its chain marker) as it was before the
first, put back from a copy, so that runs do not grow it.
The homes are run in turn, run after run, and with two homes (the pack's, then the
empty one) the last lines give the first's rate as a share of the second's: issue 28's
measure, by wall time (what a user waits for) and by CPU time (what it costs).

--score-threads 2,1 runs every home with each setting of WEIR_SCORE_THREADS in turn: 2
(the default) scores a paste of 16 KiB or more on two threads when a pack is loaded
(the detectors beside the packs' matching), 1 on one thread.
"""
import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

STORE_FILES = ("weir.db", "weir.db.chain", "weir.db-wal", "weir.db-shm")


def snapshot(home, into):
    """A copy of home's store files, to put back before each run."""
    os.makedirs(into)
    for name in STORE_FILES:
        if os.path.exists(os.path.join(home, name)):
            shutil.copy2(os.path.join(home, name), os.path.join(into, name))


def restore(home, saved):
    for name in STORE_FILES:
        path = os.path.join(home, name)
        if os.path.exists(os.path.join(saved, name)):
            shutil.copy2(os.path.join(saved, name), path)
        elif os.path.exists(path):
            os.unlink(path)


def pieces(data, size):
    """The corpus cut into pastes of about size bytes, never inside a UTF-8 character."""
    at = 0
    while at < len(data):
        end = min(at + size, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end += 1
        yield data[at:end].decode("utf-8", errors="replace")
        at = end


def run(weir, home, threads, requests):
    env = dict(os.environ, WEIR_HOME=home, WEIR_KEYRING="off", WEIR_SCORE_THREADS=threads)
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
    ap.add_argument("--score-threads", default="2",
                    help="WEIR_SCORE_THREADS for each run, a comma-separated list (default 2)")
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
    threads = args.score_threads.split(",")
    runs = [(home, t) for t in threads for home in args.homes]
    # The homes in turn, run after run: a machine whose speed drifts (a shared VM swings
    # by a quarter from one minute to the next) then moves every home's figures alike.
    cpus = {r: [] for r in runs}
    walls = {r: [] for r in runs}
    verdicts = {}
    saved = tempfile.TemporaryDirectory(prefix="batch-scan-")
    for i, home in enumerate(args.homes):
        snapshot(home, os.path.join(saved.name, str(i)))
    for _ in range(args.runs):
        for r in runs:
            restore(r[0], os.path.join(saved.name, str(args.homes.index(r[0]))))
            wall, cpu, verdicts[r] = run(weir, r[0], r[1], requests)
            cpus[r].append(cpu)
            walls[r].append(wall)
    for r in runs:
        home, t = r
        best_cpu, best_wall = min(cpus[r]), min(walls[r])
        db = os.path.join(home, "weir.db")
        store_mb = os.path.getsize(db) / 1e6 if os.path.exists(db) else 0
        print(f"{home} ({t} thread{'s' if t != '1' else ''}): best of {args.runs}: {mb / best_wall:.0f} MB/s "
              f"wall ({best_wall:.2f} s; median {statistics.median(walls[r]):.2f} s), {mb / best_cpu:.0f} MB/s "
              f"by CPU time ({best_cpu:.2f} s; median {statistics.median(cpus[r]):.2f} s); verdicts "
              f"{dict(sorted(verdicts[r].items()))}; store {store_mb:.1f} MB after a run")
    if len(args.homes) == 2:
        a, b = args.homes
        for t in threads:
            ra, rb = (a, t), (b, t)
            print(f"{t} thread{'s' if t != '1' else ''}: {a} at {100 * min(walls[rb]) / min(walls[ra]):.0f}% of "
                  f"{b}'s rate by best wall time ({100 * statistics.median(walls[rb]) / statistics.median(walls[ra]):.0f}%"
                  f" by median), {100 * min(cpus[rb]) / min(cpus[ra]):.0f}% by best CPU time "
                  f"({100 * statistics.median(cpus[rb]) / statistics.median(cpus[ra]):.0f}% by median)")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
