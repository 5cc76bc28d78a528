#!/usr/bin/env python3
"""A session of pastes and decisions through the real weir-host over pipes; then the
export holds one record for each, verifies against the pinned key, holds none of the
pasted text, and every kind of tampering exits 2 naming its fault. The OCSF export
carries the fields the OCSF schema requires of its classes.

usage: test-session.py BUILD_DIR"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines, write_lines  # noqa: E402

BUILD = sys.argv[1]

# Pasted text that must never reach the audit log: card numbers, a unique phrase.
CARD = "4111 1111 1111 1111"
SECRET_PHRASE = "zebra-quartz-ledger-7731"
PASTES = [
    f"Please charge {CARD} for the order",           # warn (card)
    f"nothing to see here {SECRET_PHRASE}",           # allow
    f"second card 5500 0000 0000 0004 {SECRET_PHRASE}",  # warn
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----",  # block
]


def session(home):
    host = home.host()
    hello = host.ask({"type": "hello", "extension_version": "1.0.0"})
    assert hello["type"] == "hello", hello
    verdicts = []
    for text in PASTES:
        reply = host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                          "url": "https://chat.example/c/1", "text": text})
        assert reply["type"] == "verdict" and "audit" in reply, reply
        verdicts.append(reply)
    warns = [v for v in verdicts if v["verdict"] == "warn"]
    assert len(warns) == 2, [v["verdict"] for v in verdicts]
    decisions = [
        host.ask({"type": "decision", "audit": warns[0]["audit"], "action": "proceed",
                  "justification": "approved by finance"}),
        host.ask({"type": "decision", "audit": warns[1]["audit"], "action": "cancel"}),
    ]
    assert all(d["type"] == "ack" for d in decisions), decisions
    host.close()
    return verdicts


def check_export(home, verdicts):
    home.weir("audit", "key", "-o", home.path("device.pub"))
    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    ok = home.weir("audit", "verify", "--file", home.path("export.jsonl"), "-p", home.path("device.pub"))
    assert ok.stdout.startswith("ok: "), ok.stdout
    records = [json.loads(line) for line in read_lines(home.path("export.jsonl"))]
    events = [r["event"] for r in records]
    # The chain's first key-epoch record, then one record per event of the session.
    assert events == ["key-epoch", "host-start", "policy-load", "sandbox", "verdict", "verdict", "verdict", "verdict",
                      "decision", "decision", "host-stop"], events
    by_id = {r["id"]: r for r in records}
    for v in verdicts:
        assert by_id[v["audit"]]["verdict"] == v["verdict"], v
    decisions = [r for r in records if r["event"] == "decision"]
    assert [d["action"] for d in decisions] == ["proceed", "cancel"]
    assert decisions[0]["justification"] == "approved by finance"
    assert decisions[0]["ref"] == verdicts[0]["audit"]
    # Same paste, same keyed digest; different pastes, different digests.
    digests = [by_id[v["audit"]]["content_digest"] for v in verdicts]
    assert len(set(digests)) == len(digests)
    # Verifying the store directly agrees.
    home.weir("audit", "verify", "-p", home.path("device.pub"))
    # "-o -" is standard output, the same records, and no file named "-" appears.
    dash = home.weir("audit", "export", "-o", "-")
    assert dash.stdout.splitlines() == read_lines(home.path("export.jsonl")), dash.stdout[:200]
    assert not os.path.exists("-") and not os.path.exists(home.path("-"))
    return read_lines(home.path("export.jsonl"))


def check_no_content(home):
    exported = open(home.path("export.jsonl"), "rb").read()
    home.weir("audit", "export", "--format", "ocsf", "-o", home.path("export.ocsf"))
    ocsf = open(home.path("export.ocsf"), "rb").read()
    state = b"".join(open(os.path.join(home.dir, n), "rb").read()
                     for n in os.listdir(home.dir) if n.startswith("weir.db"))
    for needle in [CARD, CARD.replace(" ", ""), "5500 0000 0000 0004", SECRET_PHRASE, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
                   "Please charge", "nothing to see"]:
        for name, data in [("export", exported), ("ocsf", ocsf), ("store", state)]:
            assert needle.encode() not in data, f"pasted text {needle!r} found in the {name}"


def expect_fault(home, lines, fault, pub=None, name="tampered.jsonl"):
    write_lines(home.path(name), lines)
    result = home.weir("audit", "verify", "--file", home.path(name), "-p", pub or home.path("device.pub"),
                       check=False)
    assert result.returncode == 2, (fault, result.returncode, result.stdout, result.stderr)
    assert f": {fault}:" in result.stderr, (fault, result.stderr)
    print(f"# {fault}: {result.stderr.strip()}")


def check_tampering(home, lines):
    edited = list(lines)
    block = next(i for i, line in enumerate(edited) if '"verdict":"block"' in line)
    edited[block] = edited[block].replace('"verdict":"block"', '"verdict":"allow"')
    expect_fault(home, edited, "edited")
    expect_fault(home, lines[:3] + lines[4:], "missing")
    expect_fault(home, lines[:3] + [lines[4], lines[3]] + lines[5:], "out of order")
    expect_fault(home, lines[:4] + [lines[3]] + lines[4:], "duplicated")
    other = Home(BUILD)
    other.weir("audit", "key", "-o", other.path("other.pub"))
    expect_fault(home, lines, "wrong key", pub=other.path("other.pub"))


# Required attributes, from the OCSF schema (github.com/ocsf/ocsf-schema):
# events/base_event.json: activity_id, category_uid, class_uid, metadata, severity_id,
#   time, type_uid are "requirement": "required";
# objects/metadata.json: product and version are required; objects/product.json:
#   name is required (vendor_name is required from schema 1.0 on);
# events/findings/finding.json (which Data Security Finding, class 2006, extends):
#   finding_info is required; objects/finding_info.json: uid is required;
# events/application/application_lifecycle.json (class 6002): app is required.
OCSF_BASE_REQUIRED = ["activity_id", "category_uid", "class_uid", "metadata", "severity_id", "time", "type_uid"]
OCSF_CLASS_REQUIRED = {2006: ["finding_info", "finding_info.uid"],
                       6002: ["app", "app.name", "app.vendor_name"]}
OCSF_OBJECT_REQUIRED = ["metadata.version", "metadata.product", "metadata.product.name",
                        "metadata.product.vendor_name"]


def lookup(event, dotted):
    value = event
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def check_ocsf(home, lines):
    events = [json.loads(line) for line in read_lines(home.path("export.ocsf"))]
    assert len(events) == len(lines)
    classes = set()
    for event, line in zip(events, lines):
        cls = event["class_uid"]
        classes.add(cls)
        for field in OCSF_BASE_REQUIRED + OCSF_OBJECT_REQUIRED + OCSF_CLASS_REQUIRED[cls]:
            assert lookup(event, field) not in (None, ""), f"class {cls} event lacks {field}: {event}"
        assert event["type_uid"] == cls * 100 + event["activity_id"]
        assert event["category_uid"] == cls // 1000
        assert isinstance(event["time"], int) and event["time"] > 1_600_000_000_000
        assert event["raw_data"] == line  # the signed record travels intact
    assert classes == {2006, 6002}, classes
    findings = [e for e in events if e["class_uid"] == 2006]
    assert [e["activity_id"] for e in findings] == [1, 1, 1, 1, 2, 2]
    assert findings[4]["finding_info"]["uid"] == findings[0]["finding_info"]["uid"]


def check_copy_ocsf():
    """A copy out of a source group's page, recorded because the policy asks, is an
    informational Data Security Finding in OCSF, with its sizes and never its text."""
    home = Home(BUILD)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rules", "default-policy.json")) as f:
        policy = json.load(f)
    policy["origins"].insert(0, {"id": "hr", "match": ["https://hr.corp.example"], "source": "internal"})
    policy["copies"] = {"keep_hours": 8, "audit": True}
    with open(home.path("policy.json"), "w") as f:
        json.dump(policy, f)
    host = home.host()
    host.ask({"type": "hello", "extension_version": "1.0.0"})
    text = f"Salary review for the whole team, confidential until March {SECRET_PHRASE} " * 3
    reply = host.ask({"type": "copy", "event": "copy", "origin": "https://hr.corp.example", "text": text})
    assert reply.get("audit"), reply
    host.close()
    home.weir("audit", "export", "--format", "ocsf", "-o", home.path("export.ocsf"))
    events = [json.loads(line) for line in read_lines(home.path("export.ocsf"))]
    copies = [e for e in events if e["message"] == "Weir copy"]
    assert len(copies) == 1, events
    event = copies[0]
    assert event["class_uid"] == 2006 and event["activity_id"] == 1 and event["severity_id"] == 1, event
    assert "action" not in event, event
    assert event["unmapped"]["source"] == "internal" and event["unmapped"]["copy_event"] == "copy", event
    assert event["unmapped"]["words"] > 0, event
    with open(home.path("export.ocsf")) as f:
        assert SECRET_PHRASE not in f.read()


def check_crash_durability():
    """A verdict the user has seen is on record even when the host is killed right
    after answering (the browser crashing takes its host down the same way)."""
    home = Home(BUILD)
    home.weir("audit", "key", "-o", home.path("device.pub"))
    host = home.host()
    reply = host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                      "text": f"card {CARD} seen, then the browser died"})
    host.proc.kill()
    host.proc.wait(timeout=10)
    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    records = [json.loads(line) for line in read_lines(home.path("export.jsonl"))]
    assert records[-1]["id"] == reply["audit"] and records[-1]["verdict"] == reply["verdict"], records[-1]
    assert "host-stop" not in [r["event"] for r in records]
    home.weir("audit", "verify", "--file", home.path("export.jsonl"), "-p", home.path("device.pub"))


def main():
    check_crash_durability()
    check_copy_ocsf()
    home = Home(BUILD)
    verdicts = session(home)
    lines = check_export(home, verdicts)
    check_no_content(home)
    check_tampering(home, lines)
    check_ocsf(home, lines)
    print("ok")


if __name__ == "__main__":
    main()
