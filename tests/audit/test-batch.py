#!/usr/bin/env python3
"""`weir scan --batch` as a long-running program drives it: one request written, its
reply read, then the next. Each reply comes as soon as its request is answered (the
output is flushed per line; buffered, this test would wait forever), and the store's
WAL stays bounded however many records the batch writes: the batch checkpoints after
its replies as a host does (3 000 records made a WAL of over 40 MB before, 4 MB now).
Every record is in the log afterwards and the chain verifies.

usage: test-batch.py BUILD_DIR"""
import json
import os
import select
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]
REQUESTS = 3000
WAL_LIMIT = 12 * 1024 * 1024  # 1 000 pages between checkpoints, and a commit's more
REPLY_WAIT = 60  # seconds: a reply held in a buffer never comes


def reply_line(batch, i):
    ready, _, _ = select.select([batch.stdout], [], [], REPLY_WAIT)
    if not ready:
        batch.kill()
        raise AssertionError(f"no reply to request {i + 1} within {REPLY_WAIT} s: the batch holds its output")
    return json.loads(batch.stdout.readline())


def main():
    home = Home(BUILD, WEIR_KEYRING="off")
    weir = os.path.join(BUILD, "host/src/cli/weir")
    batch = subprocess.Popen([weir, "scan", "--batch"], env=home.env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = home.path("weir.db-wal")
    largest = 0
    for i in range(REQUESTS):
        text = f"note {i}: card 4111 1111 1111 1111" if i % 100 == 0 else f"hello world {i}"
        request = {"type": "scan", "id": i + 1, "event": "paste", "origin": "https://chat.example", "text": text}
        batch.stdin.write((json.dumps(request) + "\n").encode())
        batch.stdin.flush()
        reply = reply_line(batch, i)
        assert reply.get("id") == i + 1, reply
        assert reply["verdict"] == ("warn" if i % 100 == 0 else "allow"), (i, reply)
        if i % 250 == 249:
            largest = max(largest, os.path.getsize(wal))
    batch.stdin.close()
    assert batch.wait(timeout=60) == 0, batch.stderr.read()
    assert 0 < largest <= WAL_LIMIT, f"the WAL grew to {largest} bytes"

    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    home.weir("audit", "verify")
    records = [json.loads(line) for line in read_lines(home.path("export.jsonl"))]
    scans = [r for r in records if r["event"] == "verdict" and r.get("scan_event") == "paste"]
    assert len(scans) == REQUESTS, len(scans)
    assert sum(r["verdict"] == "warn" for r in scans) == REQUESTS // 100
    print(f"# {REQUESTS} requests one at a time; the WAL peaked at {largest / 1e6:.1f} MB")
    print("ok")


if __name__ == "__main__":
    main()
