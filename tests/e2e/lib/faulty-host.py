#!/usr/bin/env python3
"""A host that answers garbage, for tests/e2e/faults.test.js: it sits between the
browser and the real weir-host, relays every frame, and while MODE_FILE names a mode
it replaces the reply to each scan with that kind of garbage:

  bad-json       a well-framed reply that is not JSON
  huge           a length over Chrome's 1 MiB limit for replies
  not-a-verdict  valid JSON with the request's id but an unknown type
  wrong-id       the real verdict under an id nobody asked for
  where          not garbage: the real verdict with "where" added to each reason that
                 names a file ("sheet Q3") and an "encrypted" reason for one more file
                 (what document extraction, issue 21, tells), for the dialog's rendering

usage: faulty-host.py MODE_FILE WEIR_HOST [ARGS...]"""
import json
import struct
import subprocess
import sys


def read_frame(f):
    head = f.read(4)
    if len(head) < 4:
        return None
    (length,) = struct.unpack("=I", head)
    body = f.read(length)
    return body if len(body) == length else None


def frame(body):
    return struct.pack("=I", len(body)) + body


def mode(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def garbage(kind, request_id, reply):
    if kind == "bad-json":
        return frame(b"{not json")
    if kind == "huge":
        return struct.pack("=I", 0x7FFFFF00) + b'{"type":"verdict"'
    if kind == "not-a-verdict":
        return frame(json.dumps({"id": request_id, "type": "bogus"}).encode())
    if kind == "wrong-id":
        return frame(json.dumps(dict(json.loads(reply), id=f"{request_id}-other")).encode())
    if kind == "where":
        verdict = json.loads(reply)
        for reason in verdict.get("reasons", []):
            if "file" in reason:
                reason["where"] = "sheet Q3"
        verdict.setdefault("reasons", []).append(
            {"kind": "policy", "rule": "encrypted", "file": "board-minutes.zip", "where": "q3/minutes.docx", "count": 1})
        return frame(json.dumps(verdict).encode())
    return frame(reply)


def main():
    mode_file, host_argv = sys.argv[1], sys.argv[2:]
    host = subprocess.Popen(host_argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_frame(inp)) is not None:
        host.stdin.write(frame(request))
        host.stdin.flush()
        reply = read_frame(host.stdout)
        if reply is None:
            break
        try:
            parsed = json.loads(request)
        except ValueError:
            parsed = {}
        kind = mode(mode_file) if parsed.get("type") == "scan" else ""
        out.write(garbage(kind, parsed.get("id"), reply) if kind else frame(reply))
        out.flush()
    host.stdin.close()
    host.wait()


if __name__ == "__main__":
    main()
