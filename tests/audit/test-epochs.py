#!/usr/bin/env python3
"""Epoch keys through the real binaries: with 1-second epochs, two weir-host processes
(two browser profiles) and the CLI append to one store across several epochs. The
export holds a key-epoch record per epoch, each signed by the key before it, and the
whole chain verifies against the root key pinned before the first rotation; the
secret in the store is the last epoch's only.

usage: test-epochs.py BUILD_DIR"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]


def main():
    home = Home(BUILD, WEIR_AUDIT_EPOCH_SECONDS="1")
    home.weir("audit", "key", "-o", home.path("device.pub"))
    hosts = [home.host(), home.host()]
    for round_ in range(3):
        for host in hosts:
            reply = host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                              "text": f"round {round_}: card 4111 1111 1111 1111"})
            assert reply["type"] == "verdict", reply
        time.sleep(1.2)
    for host in hosts:
        host.close()
    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    result = home.weir("audit", "verify", "--file", home.path("export.jsonl"), "-p", home.path("device.pub"))
    print("#", result.stdout.strip())
    records = [json.loads(line) for line in read_lines(home.path("export.jsonl"))]
    epochs = [r for r in records if r["event"] == "key-epoch"]
    assert len(epochs) >= 3, [r["event"] for r in records]
    for before, cert in enumerate(epochs):
        assert cert["next_epoch"] == before and cert["epoch"] == max(before - 1, 0)
    assert records[-1]["epoch"] == epochs[-1]["next_epoch"]
    assert sum(r["event"] == "verdict" for r in records) == 6
    # That the store keeps only the current epoch's secret is checked through the store
    # API in tests/unit/test-audit.c: the store file itself is sealed.
    print("ok")


if __name__ == "__main__":
    main()
