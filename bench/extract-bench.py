#!/usr/bin/env python3
"""Documents and archives (issue 21): verdict times through the real weir-host.

    python3 bench/extract-bench.py [BUILD_DIR] [N]

Makes its inputs with LibreOffice (a 10-page .docx and a 100-page text PDF from HTML it
writes, a ~5 MB .docx for throughput) and zip (the three-level bomb of
tests/extract/fixtures.py), then times N scan requests of each over protocol 1 with
the default policy and audit on, beside the same text pasted as plain text. Prints
p50/p95, MB/s of document, the bomb's answer time and weir-host's peak memory (VmHWM).
Targets (issue 21): docx p50 <= 30 ms, PDF <= 300 ms, >= 50 MB/s, bomb <= 1 s in 256 MiB.
Not a test: figures only."""
import base64
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "extract"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pack"))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 30
os.environ.setdefault("WEIR_HOST_BIN", os.path.join(build, "host/src/host/weir-host"))
import weirtest  # noqa: E402
weirtest.WEIR_HOST = os.environ["WEIR_HOST_BIN"]
import fixtures  # noqa: E402

WORDS = ("the committee reviewed quarterly figures for every region and agreed that the "
         "forecast stays unchanged while travel budgets shrink by a tenth next year").split()


def paragraphs(n, seed):
    out = []
    for i in range(n):
        out.append(" ".join(WORDS[(i * 7 + j + seed) % len(WORDS)] for j in range(60)) + f" ({i}).")
    return out


def page_html(pages, per_page):
    body = "".join("<p>" + p + "</p>" for p in paragraphs(pages * per_page, 0))
    return f"<html><body>{body}</body></html>"


def make(tmp):
    with open(os.path.join(tmp, "ten.html"), "w") as f:
        f.write(page_html(10, 6))
    with open(os.path.join(tmp, "hundred.html"), "w") as f:
        f.write(page_html(100, 6))
    with open(os.path.join(tmp, "big.html"), "w") as f:
        f.write(page_html(600, 20))
    fixtures.soffice(tmp, "docx:MS Word 2007 XML", ["ten.html", "big.html"])
    fixtures.soffice(tmp, "pdf", ["hundred.html"])
    fixtures.zip_bomb(tmp)


def hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def timed(host, request, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        v = host.request(request)
        times.append((time.perf_counter() - t) * 1000)
    return times, v


def file_request(path):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    return {"type": "scan", "event": "drop", "origin": "https://chat.example",
            "files": [{"name": os.path.basename(path), "mime": "", "size": os.path.getsize(path), "data": data}]}


def main():
    tmp = tempfile.mkdtemp(prefix="weir-extract-bench-")
    try:
        make(tmp)
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = dict(os.environ, WEIR_HOME=home)
        with open(os.path.join(home, "policy.json"), "w") as f:
            f.write('{"version":1,"timeout_ms":20000,"rules":[{"id":"c","detectors":["credit-card"],"verdict":"warn"}]}')
        host = weirtest.Host(env)
        host.request({"type": "hello", "extension_version": "1"})
        text = "\n".join(paragraphs(60, 0))
        paste = {"type": "scan", "event": "paste", "origin": "https://chat.example", "text": text}
        rows = []
        t, _ = timed(host, paste, N)
        rows.append(("plain text paste, same words as the 10-page docx", t, len(text)))
        for name in ("ten.docx", "hundred.pdf", "big.docx"):
            path = os.path.join(tmp, name)
            t, v = timed(host, file_request(path), N if name != "big.docx" else max(5, N // 5))
            source = os.path.join(tmp, name.split(".")[0] + ".html")  # the text it holds, in HTML
            rows.append((f"{name} ({os.path.getsize(path) // 1024} KB), verdict {v['verdict']}", t,
                         os.path.getsize(source)))
        t, v = timed(host, file_request(os.path.join(tmp, "bomb.zip")), 5)
        bound = [r.get("bound") for r in v["reasons"] if r.get("rule") == "oversize"]
        for label, times, size in rows:
            p50 = statistics.median(times)
            print(f"{label:60s} p50 {p50:7.1f} ms  p95 {sorted(times)[int(len(times) * 0.95) - 1]:7.1f} ms"
                  f"  {size / 1e6 / (p50 / 1000):6.1f} MB/s of text")
        print(f"{'zip bomb (3 levels, 10 GB inflated), bound ' + str(bound):60s} p50 {statistics.median(t):7.1f} ms")
        print(f"weir-host peak memory (VmHWM): {hwm(host.proc.pid)} MiB")
        host.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
