#!/usr/bin/env python3
"""Report flooding through the real weir-host: a page that sends 2,000 model-download
reports in a burst (20,000 in 3 s were seen) gets 50 records for its origin and kind,
and one more record that counts the rest; another origin and another kind keep their
own allowance. The chain still verifies.

usage: test-flood.py BUILD_DIR"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]
FLOOD = 2000


def report(host, origin, event="model-download"):
    reply = host.ask({"type": "report", "event": event, "origin": origin, "verdict": "block",
                      "detail": "GET xmlhttprequest https://cdn.example/model.bin"})
    assert reply["type"] == "ack", reply
    return reply


def main():
    home = Home(BUILD)
    host = home.host()
    replies = [report(host, "https://flood.example") for _ in range(FLOOD)]
    assert all("audit" in r for r in replies[:50]), replies[:50]
    assert all(r.get("held") is True and "audit" not in r for r in replies[50:]), replies[50]
    report(host, "https://quiet.example")
    report(host, "https://flood.example", event="unguarded")
    host.close()

    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    home.weir("audit", "verify")
    records = [json.loads(line) for line in read_lines(home.path("export.jsonl"))]
    reports = [r for r in records if r["event"] == "report"]
    flood = [r for r in reports if r["origin"] == "https://flood.example" and r["reported"] == "model-download"]
    singles = [r for r in flood if "count" not in r]
    summaries = [r for r in flood if "count" in r]
    assert len(singles) == 50, len(singles)
    assert len(summaries) == 1 and summaries[0]["count"] == FLOOD - 50, summaries
    assert "more like this" in summaries[0]["detail"] and summaries[0]["since"], summaries[0]
    # The summary comes before the host's last record, so a collector sees it in time.
    assert records[-1]["event"] == "host-stop", records[-1]
    others = [r for r in reports if r not in flood]
    assert sorted((r["origin"], r["reported"]) for r in others) == [
        ("https://flood.example", "unguarded"), ("https://quiet.example", "model-download")], others
    print(f"# {FLOOD} reports from one origin made {len(flood)} records; {len(records)} records in all")
    print("ok")


if __name__ == "__main__":
    main()
