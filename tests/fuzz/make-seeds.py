#!/usr/bin/env python3
"""Regenerates the seed corpora of the detect, csv, match, pack, index and audit fuzz targets
from real artefacts: the detector golden files, CSV tables as admins export them, real
packs built and signed by the real `weir pack build`, and a real audit export of a
real store after a session through the real weir-host.

usage: tests/fuzz/make-seeds.py [BUILD_DIR]      (default build/; run from anywhere)

Each corpus folder is emptied and rewritten, so a seed that no longer exists here
disappears; regression inputs found by fuzzing live in the same folders under names
starting with "crash-", "leak-", "timeout-" or "oom-", and are kept. Keys, ids and
times differ on every run, so the bytes change while the shapes do not: commit the
result only when a target changed. Each corpus stays well under 1 MB."""
import os
import re
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "audit"))
from weirtest import Home, read_lines  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
KEEP = ("crash-", "leak-", "timeout-", "oom-", "regress-")


def reset(target):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if not name.startswith(KEEP):
            os.unlink(os.path.join(folder, name))
    return folder


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# The detector golden files: one seed per case, hits and near-misses alike.
def detect_cases():
    fixtures = os.path.join(ROOT, "tests", "fixtures", "detect")
    for file in sorted(os.listdir(fixtures)):
        if not file.endswith(".txt"):
            continue
        body, n = None, 0
        with open(os.path.join(fixtures, file)) as f:
            lines = f.read().split("\n")
        for line in lines + ["%% end"]:
            if line.startswith("%%"):
                if body is not None:
                    yield f"{file[:-4]}-{n:03d}", "\n".join(body)
                    n += 1
                body = [] if line.startswith("%% expect:") else None
            elif body is not None:
                body.append(line)


def make_detect():
    folder = reset("detect")
    for name, text in detect_cases():
        write(folder, name, text)


# CSV tables as spreadsheets export them; the fuzz-csv input is the EDM column spec on
# its first line, then the table.
PEOPLE = ("id,Email,Full Name,Phone,City,Account\r\n"
          "1,ada.lovelace@example.org,Ada Lovelace,+44 20 7946 0018,London,GB29NWBK60161331926819\r\n"
          "2,alan.turing@example.org,\"Turing, Alan\",020 7946 0999,London,GB82WEST12345698765432\r\n"
          "3,grace@navy.example,Grace Hopper,(555) 010-4477,London,US1\r\n"
          "4,edsger@example.nl,Edsger Dijkstra,+31 20 555 0101,London,NL2\r\n"
          "5,barbara@example.com,Barbara Liskov,617-555-0143,London,US3\r\n"
          "6,donald@example.com,Donald Knuth,650-555-0178,London,US4\r\n"
          "7,\"margaret@example.com\",Margaret Hamilton,617-555-0190,Boston,US5\r\n")
ORDERS = ("order,customer,notes,amount\n"
          "A-1001,\"Müller, Jürgen\",\"first line\nsecond \"\"quoted\"\" line\",1 250.00\n"
          "A-1002,Søren Kierkegaard,paid by wire,99.5\n"
          "A-1003,東京 太郎,\"\",0\n"
          "A-1004,José Ñúñez,\"comma, inside\",-12\n")
UNEVEN = "a,b,c\n1,2\n3,4,5,6\n\n\"unterminated,7,8\n"
CSVS = {
    "people-unique": ("Email!,Full Name,Phone", PEOPLE),
    "people-kinds": ("email:email!,full name:name,phone:number,city:text,account:text!", PEOPLE),
    "people-guess": ("id,Email,Full Name,Phone,City,Account", PEOPLE),
    "orders": ("order!,customer:name,notes:text,amount:number", ORDERS),
    "orders-missing-column": ("order!,nope", ORDERS),
    "orders-bad-kind": ("order:colour", ORDERS),
    "uneven": ("a,b,c!", UNEVEN),
    "empty-spec": ("", PEOPLE),
}


def make_csv():
    folder = reset("csv")
    for name, (spec, table) in CSVS.items():
        write(folder, name, spec + "\n" + table)


# fuzz-match's index: one document and one EDM table (fuzz-match.c init()); pastes that
# hit them and pastes that just miss.
MATCH = {
    "doc-excerpt": "the quick brown fox jumps over the lazy dog near the river bank while",
    "doc-rewrapped": "THE QUICK Brown\nfox, jumps over; the lazy-dog near the river bank while 東京都",
    "doc-seven-words": "quick brown fox jumps over the lazy",
    "doc-hyphen": "and ΣΊΣΥΦΟΣ watch infor-\nmation flow the quick brown fox jumps over",
    "edm-email": "please write to a@b.example today",
    "edm-name-phone": "Lovelace, Ada called from +44 (20) 7946-0018 yesterday",
    "edm-name-only": "Ada Lovelace wrote the first program",
    "edm-json": '{"name": "Ada Lovelace", "phone": "442079460018", "note": "x"}',
    "unicode-mix": "ﬁle Ａda ß 東京都 ｶﾀｶﾅ \u200bzero\u00adwidth don’t client's 10-\n12 Jean-\nPaul",
    # scripts the table of plain characters takes (normalize.c): vowel points, viramas,
    # tone marks in and out of canonical order, jamo and kana voicing marks that compose
    "scripts": "مُحَمَّد كتاب שָׁלוֹם עולם हिन्दी क़िला ภาษาไทย น้ำ กู่ 한국어 \u1100\u1161\u11a8 か\u3099 "
               "Tiếng Việt e\u0301\u0316 \u0915\u094d\u093c 東京都 ｶﾞ",
}


def make_match():
    folder = reset("match")
    for name, text in MATCH.items():
        write(folder, name, text)
    for name, text in list(detect_cases())[::6]:
        write(folder, "detect-" + name, text)


# Real packs, built and signed by the CLI; fuzz-pack's input is the body after the
# 94-byte header (pack/pack-file.h), which the target wraps in a header of its own.
DOCS = {
    "minutes.md": open(os.path.join(ROOT, "tests", "fixtures", "packs", "golden-minutes.md")).read(),
    "plan.txt": "Project Heron ships in March. The launch budget is four million and the "
                "partner list stays confidential until the board signs the final agreement.\n" * 3,
    "page.html": "<html><body><h1>Roadmap</h1><p>Phase one migrates the billing service to the new "
                 "cluster before the end of the second quarter, then phase two retires the old "
                 "database and moves every customer record.</p></body></html>",
}


def build_pack(home, name, *args):
    out = home.path(name + ".weirpack")
    home.weir("pack", "build", "--name", name, "--label", "restricted", "--version", "7",
              "--sign", home.path("admin.key"), "-o", out, *args)
    with open(out, "rb") as f:
        return f.read()


def make_pack():
    folder = reset("pack")
    home = Home(BUILD)
    home.weir("keygen", "-s", home.path("admin.key"), "-p", home.path("admin.pub"))
    docs = home.path("docs")
    os.makedirs(docs)
    for name, text in DOCS.items():
        write(docs, name, text)
    write(home.dir, "people.csv", PEOPLE)
    packs = {
        "docs": build_pack(home, "docs", "--docs", docs),
        "edm": build_pack(home, "edm", "--edm", home.path("people.csv"),
                          "--edm-columns", "Email!,Full Name,Phone:number,City"),
        "both": build_pack(home, "both", "--docs", docs, "--edm", home.path("people.csv"),
                           "--edm-columns", "email!,full name:name,phone"),
    }
    with open(os.path.join(ROOT, "tests", "fixtures", "packs", "golden.weirpack"), "rb") as f:
        packs["golden"] = f.read()
    for name, data in packs.items():
        (body_len,) = struct.unpack_from("<Q", data, 86)
        assert len(data) == 94 + body_len, name
        write(folder, name, data[94:])
    make_index(home, packs)


# The index files `weir pack import` derives from those packs (fuzz-index rewrites
# their name hash, version, tags and MAC under a key of its own).
def make_index(home, packs):
    folder = reset("index")
    home.weir("trust", "add", home.path("admin.pub"))
    index = os.path.join(home.dir, "index")
    for name in ("docs", "edm", "both"):
        with open(home.path(name + ".weirpack"), "wb") as f:
            f.write(packs[name])
        home.weir("pack", "import", home.path(name + ".weirpack"))
    for name in sorted(os.listdir(index)):
        with open(os.path.join(index, name), "rb") as f:
            write(folder, "import-%d" % len(os.listdir(folder)), f.read())


# A real audit chain: a session through weir-host (verdicts, decisions), pack imports
# and a refusal, several key epochs. fuzz-audit's input is what `weir audit verify
# --file F -p DEVICE.pub` reads: the pinned key file, then the export's lines.
def audit_session(home, admin):
    host = home.host()
    host.ask({"type": "hello", "extension_version": "1.0.0"})
    warns = []
    for text in ["charge 4111 1111 1111 1111 please", "nothing here",
                 "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----"]:
        reply = host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                          "url": "https://chat.example/c/1", "text": text})
        if reply.get("verdict") == "warn":
            warns.append(reply["audit"])
    time.sleep(1.1)   # a new epoch: the next record certifies a new key
    host.ask({"type": "decision", "audit": warns[0], "action": "proceed", "justification": "ok by finance"})
    host.close()
    time.sleep(1.1)
    home.weir("trust", "add", admin)
    home.weir("pack", "import", home.path("p.weirpack"))
    home.weir("pack", "import", home.path("p.weirpack"), check=False)   # refused: not newer
    write(home.dir, "iban.txt", "IBAN DE60169983323188420679")
    home.weir("scan", "--origin", "https://docs.example", home.path("iban.txt"), check=False)


def audit_variants(lines):
    """The export as is, and the tampering an attacker or a collector would do."""
    n = len(lines)
    edited = lines[:]
    v = next(i for i, line in enumerate(lines) if '"bytes":' in line)
    edited[v] = re.sub(r'"bytes":(\d+)', lambda m: f'"bytes":{int(m.group(1)) + 1}', lines[v], 1)
    return {
        "chain": lines,
        "chain-head": lines[:3],
        "missing": lines[:n // 2] + lines[n // 2 + 1:],
        "order": lines[:n // 2] + [lines[n // 2 + 1], lines[n // 2]] + lines[n // 2 + 2:],
        "duplicate": lines[:n // 2 + 1] + lines[n // 2:],
        "edited": edited,
        "truncated-line": lines[:n // 2] + [lines[n // 2][: len(lines[n // 2]) // 2]],
        "collector": ["   " + line + "\r" for line in lines],
    }


def audit_export(home):
    home.weir("audit", "key", "-o", home.path("device.pub"))
    home.weir("audit", "export", "-o", home.path("export.jsonl"))
    ok = home.weir("audit", "verify", "--file", home.path("export.jsonl"), "-p", home.path("device.pub"))
    assert ok.stdout.startswith("ok: "), ok.stdout
    with open(home.path("device.pub")) as f:
        return f.read(), read_lines(home.path("export.jsonl"))


def make_audit():
    folder = reset("audit")
    env = {"WEIR_AUDIT_EPOCH_SECONDS": "1", "WEIR_SANDBOX": "0"}
    home = Home(BUILD, **env)
    home.weir("keygen", "-s", home.path("admin.key"), "-p", home.path("admin.pub"))
    write(home.dir, "doc.txt", DOCS["plan.txt"])
    home.weir("pack", "build", "--name", "p", "--label", "restricted", "--docs", home.dir,
              "--sign", home.path("admin.key"), "-o", home.path("p.weirpack"))
    audit_session(home, home.path("admin.pub"))
    key, lines = audit_export(home)
    assert len(lines) < 60, len(lines)   # fuzz-audit reads at most 64 lines
    other = Home(BUILD, **env)
    write(other.dir, "hello.txt", "hello")
    other.weir("scan", other.path("hello.txt"))
    _, other_lines = audit_export(other)
    variants = audit_variants(lines)
    variants["other-device"] = other_lines   # a valid chain, but not this device's key
    for name, chosen in variants.items():
        write(folder, name, key + "".join(line + "\n" for line in chosen))
    write(folder, "no-key", "".join(line + "\n" for line in lines[:4]))


def main():
    for tool in ("host/src/cli/weir", "host/src/host/weir-host"):
        if not os.access(os.path.join(BUILD, tool), os.X_OK):
            sys.exit(f"make-seeds: {BUILD}/{tool} is missing: ninja -C {BUILD}")
    make_detect()
    make_csv()
    make_match()
    make_pack()
    make_audit()
    for target in ("detect", "csv", "match", "pack", "index", "audit"):
        folder = os.path.join(HERE, "corpus", target)
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        print(f"corpus/{target}: {len(os.listdir(folder))} seeds, {size} bytes")


if __name__ == "__main__":
    main()
