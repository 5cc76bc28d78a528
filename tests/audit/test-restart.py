#!/usr/bin/env python3
"""A chain that restarts is visible (issue 22), through the real weir-host and CLI:
- deleting weir.db while store.key stays makes a new chain whose first record says a
  previous chain was expected (naming its device and root key), and weir audit verify
  reports the restart;
- a running host whose store file is deleted under it notices before its next record,
  opens a new store and records why, instead of writing into the deleted file.

usage: test-restart.py BUILD_DIR"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]
PASTE = {"type": "scan", "event": "paste", "origin": "https://chat.example", "text": "hello"}


def records(home):
    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    return [json.loads(line) for line in read_lines(home.path("export.jsonl"))]


def remove_store(home):
    for name in ("weir.db", "weir.db-wal", "weir.db-shm"):
        if os.path.exists(home.path(name)):
            os.unlink(home.path(name))


def main():
    home = Home(BUILD)
    host = home.host()
    assert host.ask(PASTE)["type"] == "verdict"
    host.close()
    first = records(home)
    assert first[0]["event"] == "key-epoch" and first[0]["chain"] == "new", first[0]
    assert "restarted" not in home.weir("audit", "verify").stdout
    old_device = first[0]["device"]

    # The store goes; its key and the chain's marker stay.
    remove_store(home)
    assert os.path.exists(home.path("store.key")) and os.path.exists(home.path("weir.db.chain"))
    host = home.host()
    assert host.ask(PASTE)["type"] == "verdict"
    host.close()
    second = records(home)
    start = second[0]
    assert start["chain"] == "restart" and start["previous_device"] == old_device, start
    assert start["device"] != old_device
    verify = home.weir("audit", "verify")
    assert "note: the chain restarted" in verify.stdout and old_device in verify.stdout, verify.stdout
    print("#", verify.stdout.strip().splitlines()[-1][:120])

    # Deleted under a running host: the next paste's record lands in a new store.
    host = home.host()
    assert host.ask(PASTE)["type"] == "verdict"
    os.unlink(home.path("weir.db"))
    reply = host.ask(PASTE)
    assert reply["type"] == "verdict" and reply["verdict"] == "allow", reply
    host.close()
    third = records(home)
    assert third[0]["chain"] == "restart" and third[0]["previous_device"] == second[0]["device"], third[0]
    assert any(r["id"] == reply["audit"] for r in third), "the verdict's record is in the new store"
    reopened = [r for r in third if r["event"] == "store-open"]
    assert reopened and "was deleted" in reopened[0]["detail"], reopened
    home.weir("audit", "verify")
    print("ok")


if __name__ == "__main__":
    main()
