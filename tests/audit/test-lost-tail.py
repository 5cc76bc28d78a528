#!/usr/bin/env python3
"""A verdict answered to the browser and then lost from the end of the store is
noticed (issue 22): a byte flipped in the last WAL frame makes SQLite drop the last
commit as if it were a torn write. The chain marker beside the store had reached that
record, so the next process to open the store records an audit-gap naming the lost
records, and weir audit verify reports them.

usage: test-lost-tail.py BUILD_DIR"""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]
PASTE = {"type": "scan", "event": "paste", "origin": "https://chat.example", "text": "card 4111 1111 1111 1111"}


def main():
    home = Home(BUILD)
    host = home.host()
    for _ in range(3):
        assert host.ask(PASTE)["type"] == "verdict"
    last = host.ask(PASTE)
    # Killed: no clean close, so the WAL keeps the commits (as after a crash).
    host.proc.send_signal(signal.SIGKILL)
    host.proc.wait()
    wal = home.path("weir.db-wal")
    size = os.path.getsize(wal)
    assert size > 4096, size
    with open(wal, "r+b") as f:
        f.seek(size - 200)
        byte = f.read(1)
        f.seek(size - 200)
        f.write(bytes([byte[0] ^ 0x40]))

    verify = home.weir("audit", "verify")
    print("#", verify.stdout.strip().replace("\n", " | ")[:300])
    assert "were committed to the store and lost" in verify.stdout, verify.stdout
    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    records = [json.loads(line) for line in read_lines(home.path("export.jsonl"))]
    assert all(r["id"] != last["audit"] for r in records), "the damaged frame held the last verdict"
    gaps = [r for r in records if r["event"] == "audit-gap" and "lost_to" in r]
    assert len(gaps) == 1 and gaps[0]["lost_from"] <= gaps[0]["lost_to"], gaps
    # Told once: opening the store again finds the marker level with it.
    home.weir("audit", "verify")
    home.weir("audit", "export", "-o", home.path("again.jsonl"))
    again = [json.loads(line) for line in read_lines(home.path("again.jsonl"))]
    assert sum(r["event"] == "audit-gap" for r in again) == 1
    print("ok")


if __name__ == "__main__":
    main()
