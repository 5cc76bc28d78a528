"""Load on one store: several real weir-host processes (one per browser profile) on one
WEIR_HOME, each answering N pastes over pipes with audit on, driven at once from one
thread per host. Then the audit log must hold exactly one verdict record per reply (none
lost, none duplicated, per host), the chain must verify against the pinned device key,
and each host's resident memory must stay flat after warm-up.

Shared by the suite's test (tests/load/test-load.py, small) and the benchmark
(bench/load/load.py, 4 x 10,000 with figures)."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time

# A mix like a working day's pastes: mostly harmless prose, some card numbers (warn),
# some private keys (block), each made distinct so no two share a content digest.
PRIVATE_KEY = ("-----BEGIN PRIVATE KEY-----\n"
               "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
               "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
               "-----END PRIVATE KEY-----")
PROSE = ("The quarterly planning meeting moved to Thursday; please bring the draft "
         "roadmap and the notes from the customer calls. ")


def paste_text(host, i):
    kind = i % 10
    if kind == 7:
        return f"Please charge 4111 1111 1111 1111 for order {host}-{i}", "warn"
    if kind == 9:
        return f"deploy key {host}-{i}\n{PRIVATE_KEY}", "block"
    return f"{PROSE * (1 + i % 4)} ref {host}-{i}", "allow"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


class Driver(threading.Thread):
    """One weir-host, one profile: N scans in a row, each answered before the next."""

    def __init__(self, binary, env, index, pastes, samples):
        super().__init__(name=f"host-{index}")
        self.origin = f"https://profile-{index}.example"
        self.proc = subprocess.Popen([binary, f"chrome-extension://load{index}/"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.index, self.pastes, self.samples = index, pastes, sorted(samples)
        self.replies = []    # (audit id, verdict)
        self.latencies = []  # seconds per round trip
        self.rss = {}        # pastes answered -> VmRSS KiB
        self.error = None
        self.stderr = b""
        # Read stderr as it comes, so a chatty host never blocks on a full pipe.
        self.stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self.stderr_thread.start()

    def _drain_stderr(self):
        self.stderr = self.proc.stderr.read()

    def ask(self, request):
        data = json.dumps(request).encode()
        self.proc.stdin.write(struct.pack("=I", len(data)) + data)
        self.proc.stdin.flush()
        head = self.proc.stdout.read(4)
        if len(head) != 4:
            raise AssertionError(f"{self.name}: the host closed its output")
        (length,) = struct.unpack("=I", head)
        reply = json.loads(self.proc.stdout.read(length))
        if reply.get("id") != request["id"]:
            raise AssertionError(f"{self.name}: reply to {reply.get('id')}, asked {request['id']}")
        return reply

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the caller, with the host's stderr
            self.error = e

    def _run(self):
        hello = self.ask({"type": "hello", "id": 0, "extension_version": "1.0.0"})
        assert hello["type"] == "hello", hello
        for i in range(1, self.pastes + 1):
            text, expected = paste_text(self.index, i)
            request = {"type": "scan", "id": i, "event": "paste", "origin": self.origin,
                       "url": self.origin + "/c/1", "text": text}
            start = time.perf_counter()
            reply = self.ask(request)
            self.latencies.append(time.perf_counter() - start)
            if reply.get("type") != "verdict" or reply.get("verdict") != expected or not reply.get("audit"):
                raise AssertionError(f"{self.name}: paste {i}: expected {expected}, got {reply}")
            self.replies.append((reply["audit"], reply["verdict"]))
            if i in self.samples:
                self.rss[i] = rss_kib(self.proc.pid)
        self.proc.stdin.close()
        status = self.proc.wait(timeout=60)
        self.stderr_thread.join(timeout=10)
        assert status == 0, f"{self.name}: weir-host exited {status}"


class Result:
    def __init__(self, drivers, seconds, records, verify_out):
        self.drivers, self.seconds, self.records, self.verify_out = drivers, seconds, records, verify_out
        self.latencies = sorted(x for d in drivers for x in d.latencies)
        self.total = sum(d.pastes for d in drivers)


def run(build, hosts, pastes, samples, warmup, max_growth_kib, keep_home=False, log=print):
    """Runs the load and asserts it; returns a Result with the figures."""
    home = tempfile.mkdtemp(prefix="weir-load-")
    try:
        return _run(build, home, hosts, pastes, samples, warmup, max_growth_kib, log)
    finally:
        if not keep_home:
            shutil.rmtree(home, ignore_errors=True)


def _weir(build, env, *args):
    result = subprocess.run([os.path.join(build, "host/src/cli/weir"), *args], env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"weir {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def _run(build, home, hosts, pastes, samples, warmup, max_growth_kib, log):
    # Shipping to the journal is not what is measured here; the store's chain is.
    env = dict(os.environ, WEIR_HOME=home, WEIR_AUDIT_SHIP="off")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    # The store exists before the hosts race to create it (as after installation).
    key = os.path.join(home, "device.pub")
    _weir(build, env, "audit", "key", "-o", key)
    binary = os.path.join(build, "host/src/host/weir-host")
    samples = sorted(set(samples) | {warmup, pastes})
    drivers = [Driver(binary, env, i, pastes, samples) for i in range(hosts)]
    start = time.perf_counter()
    for d in drivers:
        d.start()
    for d in drivers:
        d.join()
    seconds = time.perf_counter() - start
    for d in drivers:
        if d.error is not None:
            raise AssertionError(f"{d.name}: {d.error}\nstderr:\n{d.stderr.decode(errors='replace')[-2000:]}")

    export = os.path.join(home, "export.jsonl")
    verify_out = _weir(build, env, "audit", "verify", "-p", key).strip()
    _weir(build, env, "audit", "export", "-o", export)
    with open(export) as f:
        records = [json.loads(line) for line in f if line.strip()]
    check_records(drivers, records)
    if max_growth_kib is not None:
        check_memory(drivers, warmup, max_growth_kib)
    return Result(drivers, seconds, records, verify_out)


def check_records(drivers, records):
    """Every reply has exactly one verdict record, of its origin and verdict; no more."""
    seqs = [r["seq"] for r in records]
    assert seqs == list(range(1, len(records) + 1)), "the exported sequence has gaps or repeats"
    verdicts = [r for r in records if r["event"] == "verdict"]
    by_id = {}
    for r in verdicts:
        assert r["id"] not in by_id, f"audit id {r['id']} recorded twice"
        by_id[r["id"]] = r
    for d in drivers:
        mine = [r for r in verdicts if r["origin"] == d.origin]
        assert len(mine) == d.pastes, f"{d.name}: {len(mine)} verdict records for {d.pastes} replies"
        assert len(d.replies) == d.pastes, f"{d.name}: {len(d.replies)} replies"
        assert len({a for a, _ in d.replies}) == d.pastes, f"{d.name}: an audit id was given twice"
        for audit_id, verdict in d.replies:
            r = by_id.get(audit_id)
            assert r is not None, f"{d.name}: reply audit id {audit_id} has no record"
            assert r["origin"] == d.origin and r["verdict"] == verdict, (audit_id, r)
    assert len(verdicts) == sum(d.pastes for d in drivers), "verdict records nobody asked for"
    starts = [r for r in records if r["event"] == "host-start"]
    stops = [r for r in records if r["event"] == "host-stop"]
    assert len(starts) == len(drivers) and len(stops) == len(drivers), (len(starts), len(stops))


def check_memory(drivers, warmup, max_growth_kib):
    for d in drivers:
        last = max(d.rss)
        growth = d.rss[last] - d.rss[warmup]
        assert growth <= max_growth_kib, \
            f"{d.name}: VmRSS grew {growth} KiB from paste {warmup} to {last}: {d.rss}"


def report(result, out=print):
    lat = result.latencies
    ms = lambda s: f"{s * 1000:.2f} ms"  # noqa: E731
    hosts = len(result.drivers)
    out(f"hosts: {hosts}, pastes each: {result.drivers[0].pastes}, total: {result.total}")
    out(f"wall time: {result.seconds:.1f} s, throughput: {result.total / result.seconds:.0f} pastes/s "
        f"({result.total / result.seconds / hosts:.0f} per host)")
    out(f"round trip: p50 {ms(percentile(lat, 50))}, p90 {ms(percentile(lat, 90))}, "
        f"p99 {ms(percentile(lat, 99))}, max {ms(lat[-1])}")
    out(f"audit records: {len(result.records)}; verify: {result.verify_out}")
    for d in result.drivers:
        curve = ", ".join(f"{n}: {kib / 1024:.1f}" for n, kib in sorted(d.rss.items()))
        out(f"{d.name} VmRSS MiB at pastes {curve}")
