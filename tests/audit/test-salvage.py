#!/usr/bin/env python3
"""weir audit export --salvage through the real binaries (issue 22): a damaged page
makes export and verify refuse the whole log (exit 2); --salvage exports every record
that still authenticates, names the gaps on stderr and exits 3. Every salvaged line is
byte for byte a line of the export taken before the damage.

usage: test-salvage.py BUILD_DIR"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]
PAGE = 4096


def main():
    home = Home(BUILD)
    home.weir("audit", "key", "-o", home.path("device.pub"))
    host = home.host()
    for i in range(600):
        host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example", "text": f"paste {i}"})
    host.close()
    home.weir("audit", "export", "-o", home.path("before.jsonl"))
    before = read_lines(home.path("before.jsonl"))

    # Nothing damaged: salvage exports everything and exits 0.
    clean = home.weir("audit", "export", "--salvage", "-o", home.path("clean.jsonl"))
    assert read_lines(home.path("clean.jsonl")) == before, clean.stderr

    db = home.path("weir.db")
    assert not os.path.exists(home.path("weir.db-wal")) or os.path.getsize(home.path("weir.db-wal")) == 0
    pages = os.path.getsize(db) // PAGE
    assert pages > 40, pages
    with open(db, "r+b") as f:
        f.seek(pages // 2 * PAGE + 1000)
        b = f.read(1)
        f.seek(pages // 2 * PAGE + 1000)
        f.write(bytes([b[0] ^ 0x01]))

    plain = home.weir("audit", "export", "-o", home.path("plain.jsonl"), check=False)
    assert plain.returncode == 2, plain.stderr
    salvage = home.weir("audit", "export", "--salvage", "-p", home.path("device.pub"),
                        "-o", home.path("salvaged.jsonl"), check=False)
    print("#", salvage.stderr.strip().replace("\n", " | "))
    assert salvage.returncode == 3, (salvage.returncode, salvage.stderr)
    assert "left out: unreadable: a damaged page" in salvage.stderr, salvage.stderr
    salvaged = read_lines(home.path("salvaged.jsonl"))
    assert 0 < len(salvaged) < len(before), (len(salvaged), len(before))
    assert set(salvaged) <= set(before)
    seqs = [json.loads(line)["seq"] for line in salvaged]
    assert seqs == sorted(seqs) and seqs[0] == 1 and seqs[-1] == len(before)
    print("ok")


if __name__ == "__main__":
    main()
