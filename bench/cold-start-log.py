#!/usr/bin/env python3
"""Host cold start beside the size of the audit log (issue 28's cold start on an
endpoint that has been running for a while, not on a fresh store).

Usage: bench/cold-start-log.py [--build-dir build] [--baseline-build OTHER] [--mb 50 200]
                               [--starts 9] [--keep DIR]

For each --mb, a WEIR_HOME whose audit log has grown to about that many MB (made with
`weir scan --batch` of small pastes, about 3 000 records a second, kept in --keep DIR
for the next run), then --starts cold starts of `weir-host` to its first verdict, wall
and the host's CPU, median; for this build and --baseline-build alternately, on the
same homes. A fresh home is measured too. Each start adds a few records (under 2 KB).
Also `weir scan` of one paste (the CLI authenticates every page of the store before it
answers, as the host did before).
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("scale_bench", os.path.join(HERE, "scale-bench.py"))
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)

SCAN = {"type": "scan", "id": 1, "event": "paste", "origin": "https://chat.example",
        "text": "the quarterly figures are attached, see the notes"}


def env_for(home):
    env = dict(os.environ, WEIR_HOME=home, WEIR_KEYRING="off", WEIR_AUDIT_SHIP="off")
    env.pop("DISPLAY", None)
    return env


def grow(weir, home, megabytes):
    """Appends records until the store file reaches megabytes; prints progress."""
    os.makedirs(home, exist_ok=True)
    db = os.path.join(home, "weir.db")
    n = 0
    while not os.path.exists(db) or os.path.getsize(db) < megabytes * 1_000_000:
        lines = "".join(json.dumps(dict(SCAN, id=n + i + 1, text=f"note {n + i}: nothing to see here")) + "\n"
                        for i in range(20_000))
        subprocess.run([weir, "scan", "--batch"], env=env_for(home), input=lines.encode(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        n += 20_000
        print(f"  {home}: {os.path.getsize(db) / 1e6:.0f} MB, {n} records", file=sys.stderr, flush=True)


def cli_scan_ms(weir, home):
    t0 = time.perf_counter()
    subprocess.run([weir, "scan", "-"], env=env_for(home), input=SCAN["text"].encode(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--baseline-build")
    ap.add_argument("--mb", type=int, nargs="+", default=[50, 200])
    ap.add_argument("--starts", type=int, default=9)
    ap.add_argument("--keep")
    args = ap.parse_args()
    builds = [("this", args.build_dir)] + ([("baseline", args.baseline_build)] if args.baseline_build else [])
    weir = os.path.join(args.build_dir, "host", "src", "cli", "weir")
    root = args.keep or tempfile.mkdtemp(prefix="weir-cold-log-", dir="/var/tmp")
    os.makedirs(root, exist_ok=True)
    homes = [("fresh", 0, tempfile.mkdtemp(prefix="fresh-", dir=root))]
    for mb in args.mb:
        home = os.path.join(root, f"log-{mb}mb")
        grow(weir, home, mb)
        homes.append((f"{mb} MB log", mb, home))
    print(f"| store | build | start to first verdict, wall | host CPU | weir scan of one paste |")
    print(f"| --- | --- | --- | --- | --- |")
    for label, _, home in homes:
        size = os.path.getsize(os.path.join(home, "weir.db")) / 1e6 if os.path.exists(os.path.join(home, "weir.db")) else 0
        runs = {name: [] for name, _ in builds}
        for _ in range(args.starts):
            for name, build in builds:
                host = os.path.join(build, "host", "src", "host", "weir-host")
                ms, reply, cpu = scale.cold_start(host, env_for(home), SCAN)
                if reply.get("type") != "verdict":
                    raise SystemExit(f"{host} in {home}: {reply}")
                runs[name].append((ms, cpu))
        for name, build in builds:
            cli = statistics.median(cli_scan_ms(os.path.join(build, "host", "src", "cli", "weir"), home)
                                    for _ in range(3))
            wall = statistics.median(ms for ms, _ in runs[name])
            cpu = statistics.median(c for _, c in runs[name])
            print(f"| {label} ({size:.0f} MB) | {name} | {wall:.1f} ms | {cpu:.1f} ms | {cli:.0f} ms |", flush=True)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; homes in {root}")


if __name__ == "__main__":
    main()
