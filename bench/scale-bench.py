#!/usr/bin/env python3
"""Protected content at scale (issue 28): a pack of many words and EDM rows, and what
each host pays for it, beside another build of Weir ("today's", e.g. main).

Usage: bench/scale-bench.py [--build-dir build] [--baseline-build DIR [--baseline-format 2]] [--words 10M]
                            [--edm-rows 100k] [--hosts 3] [--runs 5] [--scan-mb 16]
                            [--keep DIR [--reuse-packs]] [--packs N]
       --words 100M --edm-rows 10M    the issue's target (minutes; run it with nice)
       --words 1B --edm-rows 100M --packs 4
                                      the optional largest run (tens of minutes, 15 GB of
                                      corpus): a pack holds at most 4 GiB, so the corpus
                                      and the table are split into --packs packs

Generates documents of random words (a fixed-seed vocabulary of 20000 words, 2500 words
a document, as many documents as --words needs) and a CSV table of made-up people
(email!, name, phone, city), builds and signs one pack with --build-dir's `weir pack
build`, then for each build (--build-dir, and --baseline-build when given) in a fresh
WEIR_HOME:

- import time (`weir pack import`: verify, store, and for a build with index files,
  derive the file);
- host cold start to first verdict: spawn `weir-host`, send one scan of a 40-word
  excerpt, time to its reply (median over --runs starts; the first start after import
  is reported apart, as "first start");
- memory: --hosts hosts started at once, each after answering one scan, their
  /proc/PID/smaps_rollup: Rss, Pss and private (unshared) Private_Clean + Private_Dirty;
- scan throughput: `bench-scan --index` (engine_score in 64 KiB pieces) over --scan-mb
  of this machine's manual pages, with the pack and with an empty store;
- pastes at the scan limit: one host, 30 MB of manual pages and 30 MB of one-digit
  words, each answered or not, its time and the host's peak VmData (polled; what its
  memory cap, RLIMIT_DATA, counts);
- the issue's measure, `weir scan --batch` (bench/batch-scan.py) over --build-dir's
  bench/scan-corpus.txt (bench/scan.sh makes it; skipped when it is missing), for each
  build, with the pack and with the empty store, alternately, best CPU time of 3.

Pack build rate is of --build-dir's `weir`, in the newest pack format. A baseline from
before pack format 3 refuses such packs, so with --baseline-build the packs are built a
second time, in --baseline-format (default 2), for the baseline to import (the same
documents and rows; only the EDM value hash differs). Prints figures; asserts nothing.
"""
import argparse
import gzip
import glob
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import tempfile
import threading
import time


def count(text):
    text = text.strip().upper()
    for suffix, mul in (("K", 1_000), ("M", 1_000_000), ("B", 1_000_000_000), ("G", 1_000_000_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * mul)
    return int(text)


def find(build_dir, name):
    for root, _, files in os.walk(build_dir):
        if name in files and os.access(os.path.join(root, name), os.X_OK):
            return os.path.join(root, name)
    raise SystemExit(f"{name} not found under {build_dir}; build first (ninja -C {build_dir})")


DOC_WORDS = 2500


def make_corpus(folder, words, rng):
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
             for _ in range(20000)]
    total, n, left = 0, 0, words
    # An interrupted run left whole documents (and maybe one cut short, the last: made
    # again): they are kept, so a long generation resumes.
    done = sorted(glob.glob(os.path.join(folder, "d*", "doc*.txt")))
    if done:
        os.unlink(done.pop())
    done = set(done)
    while left > 0:
        k = min(DOC_WORDS, left)
        sub = os.path.join(folder, "d%04d" % (n // 1000))
        path = os.path.join(sub, "doc%07d.txt" % n)
        if path in done:
            total += os.path.getsize(path)
        else:
            text = " ".join(rng.choices(vocab, k=k))
            os.makedirs(sub, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            total += len(text)
        left -= k
        n += 1
    return total, n


FIRST = ("ada alan grace edsger barbara donald ken dennis margaret john linus niklaus "
         "frances radia shafi leslie tony robin whitfield martin").split()
LAST = ("lovelace turing hopper dijkstra liskov knuth thompson ritchie hamilton mccarthy "
        "torvalds wirth allen perlman goldwasser lamport hoare milner diffie hellman").split()
CITIES = "Lyon Porto Graz Leeds Ghent Turku Brno Cork Split Malmo".split()


def make_edm(path, rows, rng):
    with open(path, "w") as f:
        f.write("email,name,phone,city\n")
        chunk = []
        for i in range(rows):
            first, last = FIRST[i % 20], LAST[(i // 20) % 20]
            chunk.append(f"{first}.{last}{i}@example.org,{first.title()} {last.title()}{i:x},"
                         f"+44 {20 + i // 100_000_000} {(i // 10_000) % 10_000:04d} {i % 10_000:04d},"
                         f"{CITIES[i % 10]}\n")
            if len(chunk) == 10000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def split_csv(csv, parts, folder):
    """The table's rows cut into parts files of about equal rows, each with the header."""
    with open(csv) as f:
        header = f.readline()
        rows = sum(1 for _ in f)
    out, per = [], -(-rows // parts)
    with open(csv) as f:
        f.readline()
        for i in range(parts):
            path = os.path.join(folder, f"people-{i + 1}.csv")
            with open(path, "w") as part:
                part.write(header)
                for _ in range(per):
                    line = f.readline()
                    if not line:
                        break
                    part.write(line)
            out.append(path)
    return out


def build_packs(weir, tmp, docs, csv, keys, count, env, fmt=None):
    """count packs, the documents' folders and the table's rows shared between them:
    (path, wall s, CPU s, fingerprints) of each; in pack format fmt when given (the
    files then named for it), else the newest."""
    folders = sorted(glob.glob(os.path.join(docs, "d*")))
    tables = [csv] if count == 1 else split_csv(csv, count, tmp)
    out = []
    for i in range(count):
        mine = folders[i::count]
        pack = os.path.join(tmp, ("scale" if count == 1 else f"scale-{i + 1}") + (f".format{fmt}" if fmt else "")
                            + ".weirpack")
        argv = [weir, "pack", "build", "--name", "scale" if count == 1 else f"scale-{i + 1}",
                "--label", "confidential"]
        for folder in mine:
            argv += ["--docs", folder]
        argv += ["--edm", tables[i], "--edm-columns", "email!,name,phone:number,city",
                 "--sign", os.path.join(keys, "a.key"), "-o", pack] + (["--format", str(fmt)] if fmt else [])
        wall, cpu, text = run_timed(argv, env)
        out.append((pack, wall, cpu, int(text.split("fingerprints ")[1].split()[0])))
    return out


def batch_scan(build, home, empty_home, corpus):
    """bench/batch-scan.py's measure in the fresh homes: (MB, CPU s with, CPU s without,
    wall s with, wall s without),
    or None when there is no scan corpus (bench/scan.sh makes it in --build-dir; a
    baseline build is measured on the same file)."""
    import importlib.util
    if not os.path.exists(corpus):
        return None
    spec = importlib.util.spec_from_file_location("batch_scan", os.path.join(os.path.dirname(__file__),
                                                                              "batch-scan.py"))
    bs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bs)
    with open(corpus, "rb") as f:
        data = f.read()
    lines = [json.dumps({"type": "scan", "id": i + 1, "event": "paste", "origin": "https://chat.example",
                         "text": text}) for i, text in enumerate(bs.pieces(data, 64 * 1024))]
    requests = ("\n".join(lines) + "\n").encode()
    weir = os.path.join(build, "host", "src", "cli", "weir")
    os.makedirs(empty_home, exist_ok=True)
    best, best_wall = {}, {}
    for h in (home, empty_home) * 3:   # alternately: the load moves both alike
        wall, cpu, _ = bs.run(weir, h, "2", requests)
        best[h] = min(best.get(h, cpu), cpu)
        best_wall[h] = min(best_wall.get(h, wall), wall)
    return len(data) / 1e6, best[home], best[empty_home], best_wall[home], best_wall[empty_home]


def frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack("=I", len(data)) + data


def read_reply(p):
    (n,) = struct.unpack("=I", p.stdout.read(4))
    return json.loads(p.stdout.read(n))


def smaps(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                out[parts[0][:-1]] = int(parts[1])
    return out


def run_timed(argv, env):
    """Wall seconds and the child's CPU seconds (user + system); stdout."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.stdout.read(), p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    if status != 0:
        raise SystemExit(f"{argv[0]} {argv[1]} failed: {err.decode(errors='replace')}")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, out.decode()


def start_scan(host, env, request):
    t0 = time.perf_counter()
    p = subprocess.Popen([host], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(frame(request))
    p.stdin.flush()
    reply = read_reply(p)
    return p, (time.perf_counter() - t0) * 1000, reply


def stop(p):
    p.stdin.close()
    p.wait()
    p.stdout.close()


def cold_start(host, env, request):
    """Spawn to first reply in ms, the reply, and the host's CPU ms (start, one scan, stop)."""
    p, ms, reply = start_scan(host, env, request)
    p.stdin.close()
    _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    p.stdout.close()
    return ms, reply, (usage.ru_utime + usage.ru_stime) * 1000


def memory(host, env, request, hosts, large=None):
    """hosts started one after another and kept alive; each one's smaps after its reply
    (and after its reply to large, when given: a paste of 16 KiB or more is scored on
    two threads, whose second keeps a stack and a malloc arena)."""
    procs, figures = [], []
    try:
        for _ in range(hosts):
            p, _, _ = start_scan(host, env, request)
            procs.append(p)
            if large is not None:
                p.stdin.write(frame(large))
                p.stdin.flush()
                read_reply(p)
        for p in procs:
            s = smaps(p.pid)
            figures.append((s.get("Rss", 0), s.get("Pss", 0), s.get("Private_Clean", 0) + s.get("Private_Dirty", 0)))
    finally:
        for p in procs:
            stop(p)
    return figures


def peak_paste(host, env, request):
    """One host, one paste: (answered, seconds, peak VmData in KiB, polled every 2 ms)."""
    p = subprocess.Popen([host], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    peak, done = [0], threading.Event()

    def poll():
        while not done.is_set():
            try:
                with open(f"/proc/{p.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmData:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=poll)
    watcher.start()
    t0 = time.perf_counter()
    try:
        p.stdin.write(frame(request))
        p.stdin.flush()
        answered = len(p.stdout.read(4)) == 4
    except BrokenPipeError:
        answered = False
    seconds = time.perf_counter() - t0
    done.set()
    watcher.join()
    p.kill()
    p.wait()
    return answered, seconds, peak[0]


def scan_corpus(path, megabytes):
    if os.path.exists(path) and os.path.getsize(path) >= megabytes * 1_000_000:
        return
    with open(path, "wb") as out:
        left = int(megabytes * 1_000_000)
        for name in sorted(glob.glob("/usr/share/man/man*/*.gz")):
            try:
                data = gzip.open(name).read()
            except OSError:
                continue
            out.write(data[:left])
            left -= min(left, len(data))
            if left == 0:
                break


def bench_scan(binary, env, corpus, every=False):
    r = subprocess.run([binary, "--index"] + (["--every-kgram"] if every else []) + [corpus, "3"], env=env,
                       capture_output=True, text=True, check=True)
    line = r.stdout.strip()
    best = float(line.split("best of 3: ")[1].split(" MB/s")[0])
    cpu = float(line.split("(CPU time ")[1].split(" MB/s")[0])
    return best, cpu, line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--baseline-build")
    ap.add_argument("--words", default="10M")
    ap.add_argument("--edm-rows", default="100k")
    ap.add_argument("--hosts", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scan-mb", type=float, default=16)
    ap.add_argument("--keep")
    ap.add_argument("--packs", type=int, default=1)
    ap.add_argument("--baseline-format", type=int, default=2,
                    help="the pack format the baseline build reads, in which its packs are built "
                         "(with this build's weir; default 2, main before pack format 3)")
    ap.add_argument("--reuse-packs", action="store_true",
                    help="with --keep: import the packs an earlier run built instead of building them again")
    args = ap.parse_args()
    words, rows = count(args.words), count(args.edm_rows)
    builds = [("this", args.build_dir)] + ([("baseline", args.baseline_build)] if args.baseline_build else [])
    tmp = args.keep or tempfile.mkdtemp(prefix="weir-scale-")
    os.makedirs(tmp, exist_ok=True)
    try:
        rng = random.Random(28)
        docs = os.path.join(tmp, "docs")
        csv = os.path.join(tmp, "people.csv")
        stamp = os.path.join(tmp, f"corpus-{words}-{rows}")
        t0 = time.perf_counter()
        if not os.path.exists(stamp):
            for old in glob.glob(os.path.join(tmp, "corpus-*")):
                os.unlink(old)  # another size: start again
                shutil.rmtree(docs, ignore_errors=True)
            size, ndocs = make_corpus(docs, words, rng)
            make_edm(csv, rows, rng)
            with open(stamp, "w") as f:
                f.write(f"{size} {ndocs}\n")
        with open(stamp) as f:
            size, ndocs = map(int, f.read().split())
        print(f"corpus: {words:,} words in {ndocs:,} documents ({size / 1e6:.0f} MB), "
              f"{rows:,} EDM rows ({os.path.getsize(csv) / 1e6:.0f} MB CSV), generated in "
              f"{time.perf_counter() - t0:.0f} s")
        weir = find(args.build_dir, "weir")
        env0 = dict(os.environ)
        env0.pop("DISPLAY", None)
        keys = os.path.join(tmp, "keys")
        names = (["scale.weirpack"] if args.packs == 1
                 else [f"scale-{i + 1}.weirpack" for i in range(args.packs)])
        reused = [os.path.join(tmp, n) for n in names]
        if args.reuse_packs and all(os.path.exists(p) for p in reused) \
                and os.path.exists(os.path.join(keys, "a.pub")):
            packs = [(p, 0, 0, 0) for p in reused]
            print(f"pack build: {len(packs)} pack(s) of {sum(os.path.getsize(p) for p in reused) / 1e6:.1f} MB "
                  f"reused from an earlier run (--reuse-packs)")
        else:
            shutil.rmtree(keys, ignore_errors=True)
            os.makedirs(keys)
            subprocess.run([weir, "keygen", "-s", os.path.join(keys, "a.key"), "-p", os.path.join(keys, "a.pub")],
                           env=dict(env0, WEIR_HOME=os.path.join(tmp, "keyhome")), check=True, capture_output=True)
            packs = build_packs(weir, tmp, docs, csv, keys, args.packs, env0)
            build_s, build_cpu = sum(b for _, b, _, _ in packs), sum(c for _, _, c, _ in packs)
            fps = sum(n for _, _, _, n in packs)
            data_mb = (size + os.path.getsize(csv)) / 1e6
            print(f"pack build: {fps:,} fingerprints, {len(packs)} pack(s) of "
                  f"{sum(os.path.getsize(p) for p, _, _, _ in packs) / 1e6:.1f} MB, {build_s:.1f} s wall "
                  f"= {data_mb / build_s:.1f} MB/s of documents and CSV; {build_cpu:.1f} s CPU = "
                  f"{data_mb / build_cpu:.1f} MB/s")
        packs_for = {"this": packs}
        if args.baseline_build:
            older = build_packs(weir, tmp, docs, csv, keys, args.packs, env0, fmt=args.baseline_format)
            packs_for["baseline"] = older
            print(f"pack build in format {args.baseline_format} for the baseline: "
                  f"{sum(b for _, b, _, _ in older):.1f} s wall, {sum(c for _, _, c, _ in older):.1f} s CPU")
        with open(os.path.join(docs, "d0000", "doc0000000.txt")) as f:
            excerpt = " ".join(f.read().split()[1000:1040])
        scan = {"type": "scan", "id": 1, "event": "paste", "origin": "https://chat.example",
                "url": "https://chat.example/", "text": excerpt}
        corpus = os.path.join(tmp, "scan-corpus.txt")
        scan_corpus(corpus, args.scan_mb)
        with open(corpus, "rb") as f:
            large_scan = dict(scan, id=2, text=f.read(64 * 1024).decode(errors="replace"))
        limit_corpus = os.path.join(tmp, "limit-corpus.txt")
        scan_corpus(limit_corpus, 30)
        with open(limit_corpus, "rb") as f:
            pages = f.read(30_000_000).decode(errors="replace")
        limit_pastes = ((f"{len(pages) / 1e6:.0f} MB of manual pages", dict(scan, text=pages)),
                        ("30 MB of one-digit words", dict(scan, text="7 3 " * 7_500_000)))
        rows_out = []
        for label, build in builds:
            w, host, bscan = find(build, "weir"), find(build, "weir-host"), find(build, "bench-scan")
            env = dict(env0, WEIR_HOME=os.path.join(tmp, f"home-{label}"))
            shutil.rmtree(env["WEIR_HOME"], ignore_errors=True)
            subprocess.run([w, "trust", "add", os.path.join(keys, "a.pub")], env=env, check=True, capture_output=True)
            import_s = import_cpu = 0
            for pack, _, _, _ in packs_for[label]:
                one_s, one_cpu, _ = run_timed([w, "pack", "import", pack], env)
                import_s, import_cpu = import_s + one_s, import_cpu + one_cpu
            # The import's gigabytes are written back before anything is measured: the
            # kernel's writeback took a core from the first build measured, whose cold
            # starts and empty-store scans then read 10 to 15% slower than the second's.
            os.sync()
            first_ms, reply, first_cpu = cold_start(host, env, scan)
            starts = [cold_start(host, env, scan) for _ in range(args.runs)]
            times = [ms for ms, _, _ in starts]
            cpus = [cpu for _, _, cpu in starts]
            mem = memory(host, env, scan, args.hosts)
            mem_large = memory(host, env, scan, args.hosts, large_scan)
            at_limit = [(what, peak_paste(host, env, paste)) for what, paste in limit_pastes]
            with_pack = bench_scan(bscan, env, corpus)
            empty = dict(env0, WEIR_HOME=os.path.join(tmp, f"empty-{label}"))
            # Fresh, as the pack's home is: opening a store authenticates every page of
            # it, and an empty home kept (--keep) grew an audit log with every run (60 MB
            # after a day of runs: 50 ms more per `weir scan --batch`).
            shutil.rmtree(empty["WEIR_HOME"], ignore_errors=True)
            no_pack = bench_scan(bscan, empty, corpus)
            try:
                every = bench_scan(bscan, env, corpus, every=True)
            except subprocess.CalledProcessError:
                every = None  # a build before issue 28: every k-gram is looked up anyway
            index_mb = sum(os.path.getsize(p) for p in glob.glob(os.path.join(env["WEIR_HOME"], "index", "*"))) / 1e6
            batch = batch_scan(build, env["WEIR_HOME"], empty["WEIR_HOME"],
                               os.path.join(args.build_dir, "bench", "scan-corpus.txt"))
            rows_out.append((label, import_s, import_cpu, first_ms, first_cpu, times, cpus, reply.get("verdict"), mem,
                             mem_large, with_pack, no_pack, every, index_mb, batch, at_limit))
        print()
        for (label, import_s, import_cpu, first_ms, first_cpu, times, cpus, verdict, mem, mem_large, with_pack,
             no_pack, every, index_mb, batch, at_limit) in rows_out:
            print(f"[{label}] import {import_s:.2f} s wall, {import_cpu:.2f} s CPU"
                  + (f" (index file {index_mb:.1f} MB)" if index_mb else ""))
            print(f"[{label}] cold start to first verdict ({verdict}): first start after import {first_ms:.0f} ms "
                  f"({first_cpu:.0f} ms CPU), then median {statistics.median(times):.0f} ms wall (min {min(times):.0f}, "
                  f"max {max(times):.0f}), median {statistics.median(cpus):.0f} ms host CPU, over {len(times)} starts")
            for what, figures in (("one paste each", mem), ("then a 64 KiB paste each", mem_large)):
                print(f"[{label}] {len(figures)} hosts at once, {what}: " + ", ".join(
                    f"Rss {r / 1024:.1f} MiB / Pss {p / 1024:.1f} MiB / private {v / 1024:.1f} MiB"
                    for r, p, v in figures))
            for what, (answered, seconds, peak) in at_limit:
                print(f"[{label}] one host, {what}: " + ("answered" if answered else "NOT answered (the host ended)")
                      + f" in {seconds:.2f} s, peak VmData {peak / 1024:.0f} MiB")
            print(f"[{label}] scan throughput (engine_score, {args.scan_mb:.0f} MB of manual pages, best of 3): "
                  f"with the pack {with_pack[0]:.0f} MB/s (CPU {with_pack[1]:.0f}), empty store {no_pack[0]:.0f} MB/s "
                  f"(CPU {no_pack[1]:.0f}): {100 * with_pack[1] / max(no_pack[1], 1):.0f}% of the no-pack rate by CPU time"
                  + (f"; every k-gram looked up (--every-kgram): {every[0]:.0f} MB/s (CPU {every[1]:.0f})"
                     if every else ""))
            if batch:
                print(f"[{label}] weir scan --batch (bench/batch-scan.py, {batch[0]:.1f} MB, best of 3): "
                      f"with the pack {batch[3]:.2f} s wall, {batch[1]:.2f} s CPU; empty store {batch[4]:.2f} s wall, "
                      f"{batch[2]:.2f} s CPU: {100 * batch[4] / batch[3]:.0f}% of the no-pack rate by wall time, "
                      f"{100 * batch[2] / batch[1]:.0f}% by CPU time")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
