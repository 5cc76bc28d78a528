#!/usr/bin/env python3
"""Replies byte for byte: a fixed set of requests sent to the real weir-host (with a
fixed WEIR_HOME, policy and pack) and to `weir scan` (--json, --batch and its human
output); every reply is compared with the golden files in tests/fixtures/golden/.

Only what is random by nature is masked: audit ids (@AUDIT) and the temporary
WEIR_HOME's path (@HOME). Everything else must match exactly.

usage: test-golden.py BUILD_DIR [--update]   (--update rewrites the golden files)"""
import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(SRC, "fixtures")
GOLDEN = os.path.join(FIXTURES, "golden")
BUILD = sys.argv[1]
UPDATE = "--update" in sys.argv[2:]
HOST_BIN = os.path.join(BUILD, "host/src/host/weir-host")
CLI_BIN = os.path.join(BUILD, "host/src/cli/weir")

CARD = "Please charge 4111 1111 1111 1111 for the order"
KEY = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
       "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(40))
MINUTES = open(os.path.join(FIXTURES, "packs", "golden-minutes.md"), encoding="utf-8").read()

# An audit id: 24 hex digits (12 random bytes), in a reply or repeated in a message.
AUDIT_RE = re.compile(rb"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])")


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def req(**fields):
    return json.dumps(fields, separators=(",", ":")).encode()


def scan(id, text=None, origin="https://chat.example", event="paste", **more):
    fields = dict(id=id, type="scan", event=event, origin=origin, url=origin + "/c/1")
    if text is not None:
        fields["text"] = text
    fields.update(more)
    return req(**fields)


def make_home(policy=True, pack=True):
    home = tempfile.mkdtemp(prefix="weir-golden-")
    if policy:
        shutil.copyfile(os.path.join(GOLDEN, "policy.json"), os.path.join(home, "policy.json"))
    if pack:
        os.makedirs(os.path.join(home, "trusted"))
        os.makedirs(os.path.join(home, "packs"))
        shutil.copyfile(os.path.join(FIXTURES, "packs", "golden.pub"), os.path.join(home, "trusted", "golden.pub"))
        shutil.copyfile(os.path.join(FIXTURES, "packs", "golden.weirpack"),
                        os.path.join(home, "packs", "golden.weirpack"))
    return home


def env_for(home):
    return dict(os.environ, WEIR_HOME=home, WEIR_AUDIT_SHIP="off", WEIR_KEYRING="off")


def mask(data, home):
    data = AUDIT_RE.sub(b"@AUDIT", data)
    return data.replace(home.encode(), b"@HOME")


def host_session(home, requests):
    """Sends each request (bytes, or a function of the last warn's audit id giving
    bytes) in one frame; returns the transcript."""
    proc = subprocess.Popen([HOST_BIN, "chrome-extension://golden/"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(home))
    out = []
    warns = []
    for request in requests:
        if callable(request):
            request = request(warns)
        proc.stdin.write(struct.pack("=I", len(request)) + request)
        proc.stdin.flush()
        (length,) = struct.unpack("=I", proc.stdout.read(4))
        reply = proc.stdout.read(length)
        parsed = json.loads(reply)
        if parsed.get("verdict") == "warn" and "audit" in parsed:
            warns.append(parsed["audit"])
        out.append(b"> " + mask(request, home) + b"\n< " + mask(reply, home) + b"\n")
    proc.stdin.close()
    status = proc.wait(timeout=60)
    err = proc.stderr.read().decode(errors="replace")
    assert status == 0, f"weir-host exited {status}: {err}"
    return b"".join(out)


def cli(home, args, stdin=b""):
    result = subprocess.run([CLI_BIN, *args], input=stdin, capture_output=True, env=env_for(home), timeout=120)
    shown = " ".join(a if not a.startswith(home) else "@HOME" + a[len(home):] for a in args)
    return (b"$ weir " + shown.encode() + b"\n" + mask(result.stdout, home)
            + b"! " + mask(result.stderr, home) + b"exit " + str(result.returncode).encode() + b"\n")


def decision(index, action, justification=None, id=None):
    def build(warns):
        fields = dict(id=id, type="decision", audit=warns[index], action=action)
        if justification is not None:
            fields["justification"] = justification
        return req(**fields)
    return build


HOST_REQUESTS = [
    req(id=1, type="hello", extension_version="1.0.0"),
    scan(2, "nothing to see here, just an ordinary note"),
    scan(3, "hi"),
    scan(4, CARD),
    scan(5, CARD, origin="https://chatgpt.com"),
    scan(6, CARD, origin="https://intranet.weir.internal"),
    scan(7, KEY, event="drop"),
    scan(8, html="<p>Please <b>charge</b> 4111 1111 1111 1111 now</p>"),
    scan(9, "a plain note without numbers", html="<p>card 5500 0000 0000 0004 here</p>"),
    scan(10, CARD, html="<p>" + CARD + "</p>"),
    scan(11, event="upload", files=[{"name": "cards.csv", "mime": "text/csv", "size": 48, "data": b64(CARD)}]),
    scan(12, event="upload", files=[{"name": "notes.txt", "data": b64("just words, nothing else")}]),
    scan(13, event="upload", files=[{"name": "image.png", "mime": "image/png", "size": len(PNG), "data": b64(PNG)}]),
    scan(14, event="upload", files=[{"name": "remote.bin", "size": 10}]),
    scan(15, event="upload", files=[{"name": "empty.txt", "mime": "text/plain", "size": 0, "data": ""}]),
    scan(16, CARD, event="drop", files=[{"name": "image.png", "data": b64(PNG)},
                                         {"name": "key.pem", "mime": "application/x-pem-file", "data": b64(KEY)}]),
    scan(17, "x" * 5000),
    scan(18, event="upload", files=[{"name": "big.iso", "size": 100000}]),
    scan(19, MINUTES),
    scan(20, MINUTES, origin="https://chatgpt.com"),
    scan(21, "text with a \\u0000 inside " + CARD),
    req(id="s-22", type="scan", event="clipboard-read", origin="https://chat.example", text=CARD),
    decision(0, "proceed", id=23),
    decision(0, "proceed", "   ", id=24),
    decision(0, "proceed", "approved by finance", id=25),
    decision(0, "proceed", "again", id=26),
    decision(1, "cancel", id=27),
    req(id=28, type="decision", audit="no-such-id", action="proceed"),
    decision(2, "maybe", id=29),
    req(id=30, type="gpu", origin="https://chat.example", url="https://chat.example/", api="requestAdapter"),
    req(id=31, type="gpu", origin="https://intranet.weir.internal"),
    req(id=32, type="report", event="fail-mode", origin="https://chat.example", verdict="block",
        detail="host unreachable"),
    req(id=33, type="report", event="timeout"),
    req(id=34, type="report", event="nonsense"),
    req(id=35, type="report", event="fail-mode", verdict="deny"),
    b"{",
    b"[1,2]",
    b'{"type":"hello"}',
    req(id="x" * 300, type="hello"),
    req(id=36),
    req(id=37, type="launch"),
    req(id=38, type="scan", event="paste"),
    req(id=39, type="scan", event="type", origin="https://chat.example"),
    req(id=40, type="scan", event="paste", origin="https://chat.example", files="a.txt"),
    req(id=41, type="scan", event="paste", origin="https://chat.example", files=[{"name": "a", "data": "@@@"}]),
    req(id=42, type="scan", event="paste", origin="https://chat.example", files=[{"name": "a", "size": -1}]),
    req(id=43, type="scan", event="paste", origin="https://chat.example", files=[{"data": "YQ=="}]),
    req(id=44, type="scan", event="paste", origin=7),
    b'{"id":45,"type":"hello"} trailing',
    b'{"id":46,"type":"hello","bad":"\xff"}',
    b"",
    req(id=47.5, type="hello", extension_version=None),
    req(id=48, type="hello", extension_version=1),
]

NOSTORE_REQUESTS = [
    req(id=1, type="hello", extension_version="1.0.0"),
    scan(2, "nothing to see here, just an ordinary note"),
    scan(3, CARD),
    scan(4, KEY),
    scan(5, "x" * 5000),
    req(id=6, type="gpu", origin="https://chat.example"),
    req(id=7, type="decision", audit="no-such-id", action="proceed"),
    req(id=8, type="report", event="timeout"),
]

BADPOLICY_REQUESTS = [
    req(id=1, type="hello", extension_version="1.0.0"),
    scan(2, CARD),
]


def cli_transcript(home):
    files = {
        "card.txt": CARD.encode(),
        "plain.txt": b"nothing to see here, just an ordinary note\n",
        "image.png": PNG,
        "key.pem": KEY.encode(),
        "minutes.md": MINUTES.encode(),
    }
    for name, data in files.items():
        with open(os.path.join(home, name), "wb") as f:
            f.write(data)
    p = lambda name: os.path.join(home, name)  # noqa: E731
    out = []
    for name in files:
        out.append(cli(home, ["scan", "--json", p(name)]))
        out.append(cli(home, ["scan", p(name)]))
    out.append(cli(home, ["scan", "--json", "--origin", "https://chatgpt.com", "--event", "drop", p("card.txt")]))
    out.append(cli(home, ["scan", "--origin", "https://chatgpt.com", p("card.txt")]))
    out.append(cli(home, ["scan", "--origin", "https://intranet.weir.internal", p("card.txt")]))
    out.append(cli(home, ["scan", "--json", "-"], stdin=CARD.encode()))
    out.append(cli(home, ["scan", "-"], stdin=b"x" * 5000))
    out.append(cli(home, ["scan", "--json", "-"], stdin=b"x" * 5000))
    batch = b"\n".join(r for r in HOST_REQUESTS if not callable(r) and b"\n" not in r) + b"\n"
    out.append(cli(home, ["scan", "--batch"], stdin=batch))
    out.append(cli(home, ["scan", "--json", "--batch"], stdin=batch))
    return b"".join(out)


def check(name, got):
    path = os.path.join(GOLDEN, name)
    if UPDATE:
        with open(path, "wb") as f:
            f.write(got)
        print(f"wrote {path}")
        return True
    with open(path, "rb") as f:
        want = f.read()
    if got == want:
        print(f"ok {name}")
        return True
    print(f"FAIL {name}: the replies differ from the golden file")
    got_lines, want_lines = got.split(b"\n"), want.split(b"\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g != w:
            print(f"  line {i + 1}\n  want: {w[:600]!r}\n  got:  {g[:600]!r}")
            break
    else:
        print(f"  lengths differ: want {len(want_lines)} lines, got {len(got_lines)}")
    return False


def main():
    homes = []
    try:
        ok = True
        home = make_home()
        homes.append(home)
        ok &= check("host.txt", host_session(home, HOST_REQUESTS))
        ok &= check("cli.txt", cli_transcript(home))

        # The store cannot open (its file is a folder): every verdict is the fail verdict.
        home = make_home()
        homes.append(home)
        os.mkdir(os.path.join(home, "weir.db"))
        ok &= check("host-nostore.txt", host_session(home, NOSTORE_REQUESTS))
        ok &= check("cli-nostore.txt", cli(home, ["scan", "--json", "-"], stdin=CARD.encode()))

        # An invalid policy: the host falls back to the default and says so; the CLI refuses.
        home = make_home(pack=False)
        homes.append(home)
        with open(os.path.join(home, "policy.json"), "w") as f:
            f.write('{"version": 1, "rules": [{"id": "r", "verdict": "deny"}]}\n')
        ok &= check("host-badpolicy.txt", host_session(home, BADPOLICY_REQUESTS))
        ok &= check("cli-badpolicy.txt", cli(home, ["scan", "--json", "-"], stdin=CARD.encode()))
        return 0 if ok else 1
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
