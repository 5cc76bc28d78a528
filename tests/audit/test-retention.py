#!/usr/bin/env python3
"""Retention through the real weir-host and CLI (issue 22): with a 1 MB limit, records
over it are pruned only once an export has taken them, sealed by a signed checkpoint
record; weir audit verify proves the kept chain continues from the checkpoint (from
the last checkpoint by default, every kept record with --full), against the pinned
root key, for the store and for an export; an export with a record removed, or a
checkpoint edited, fails. With "prune": "always" no export is needed.

usage: test-retention.py BUILD_DIR"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines, write_lines  # noqa: E402

BUILD = sys.argv[1]
PASTES = 2400  # about 1.3 MB of records (about 560 bytes each)


def make_home(prune):
    home = Home(BUILD)
    with open(home.path("policy.json"), "w") as f:
        json.dump({"version": 1, "audit_retention": {"max_age_days": 0, "max_mb": 1, "prune": prune}}, f)
    home.weir("audit", "key", "-o", home.path("device.pub"))
    host = home.host()
    for i in range(PASTES):
        reply = host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                          "text": f"paste {i}: the quarterly plan covers hiring and travel"})
        assert reply["type"] == "verdict", reply
    host.close()
    return home


def export(home, name):
    home.weir("audit", "export", "-o", home.path(name))
    return [json.loads(line) for line in read_lines(home.path(name))]


def verify(home, *args, check=True):
    return home.weir("audit", "verify", "-p", home.path("device.pub"), *args, check=check)


def main():
    home = make_home("after-export")
    result = home.weir("audit", "prune")
    assert "nothing to prune" in result.stdout, result.stdout  # nothing exported yet

    before = export(home, "first.jsonl")
    result = home.weir("audit", "prune")
    print("#", result.stdout.strip())
    assert "checkpoint: record" in result.stdout, result.stdout
    after = export(home, "second.jsonl")
    checkpoint = [r for r in after if r["event"] == "checkpoint"][-1]
    pruned_to = checkpoint["pruned_to"]
    assert checkpoint["pruned"] > 0 and 1 < pruned_to < before[-1]["seq"], checkpoint
    assert len(after) < len(before)
    assert sum(len(json.dumps(r)) for r in after) < 1024 * 1024
    # Only key-epoch and checkpoint records remain from the pruned part.
    assert all(r["event"] in ("key-epoch", "checkpoint") for r in after if r["seq"] <= pruned_to)
    # The first kept record links to the checkpoint's pruned_head.
    first_kept = next(r for r in after if r["seq"] == pruned_to + 1)
    assert first_kept["prev"] == checkpoint["pruned_head"]

    quick = verify(home)
    assert "checked from the last checkpoint" in quick.stdout, quick.stdout
    assert f"records 1 to {pruned_to} were pruned" in quick.stdout, quick.stdout
    full = verify(home, "--full")
    print("#", full.stdout.strip().splitlines()[0])
    verify(home, "--file", home.path("second.jsonl"), "--full")
    verify(home, "--file", home.path("first.jsonl"), "--full")  # the exported history still verifies

    # A kept record removed from the export, or the checkpoint edited, fails.
    lines = read_lines(home.path("second.jsonl"))
    gone = [line for line in lines if json.loads(line)["seq"] != pruned_to + 5]
    write_lines(home.path("gone.jsonl"), gone)
    bad = verify(home, "--file", home.path("gone.jsonl"), "--full", check=False)
    assert bad.returncode == 2 and "missing" in bad.stderr, bad.stderr
    edited = [line.replace(f'"pruned_to":{pruned_to}', f'"pruned_to":{pruned_to - 1}')
              if json.loads(line)["event"] == "checkpoint" else line for line in lines]
    write_lines(home.path("edited.jsonl"), edited)
    for mode in ([], ["--full"]):
        bad = verify(home, "--file", home.path("edited.jsonl"), *mode, check=False)
        assert bad.returncode == 2, (mode, bad.stdout, bad.stderr)

    # A new host keeps appending after the checkpoint; the chain still verifies.
    host = home.host()
    host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example", "text": "after"})
    host.close()
    verify(home)
    verify(home, "--full")

    # "always": no export needed.
    other = make_home("always")
    result = other.weir("audit", "prune")
    assert "checkpoint: record" in result.stdout, result.stdout
    verify(other, "--full")
    print("ok")


if __name__ == "__main__":
    main()
