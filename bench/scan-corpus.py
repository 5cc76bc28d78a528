#!/usr/bin/env python3
"""Generated half of the scan benchmark's corpus: config files, logs, JSON and prose with
made-up secrets of every detector's kind sprinkled in (about one per 2 KB).

usage: scan-corpus.py MEGABYTES > file
The value makers come from tests/fixtures/detect/generate.py; nothing here is real."""
import os
import string
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures", "detect"))
import generate as g  # noqa: E402

WORDS = ("the of and to in is that for it as with was on be by this are or from at an "
         "request response server client config value user file system process memory "
         "network option default error warning status update version build release").split()


def secret():
    makers = [
        lambda: f"card {g.group(g.card('4', 16), [4, 4, 4, 4])}",
        lambda: f"pan={g.card('55', 16)}",
        lambda: f"IBAN {g.iban('DE', g.rand(string.digits, 18))}",
        lambda: "ssn: %s-%s-%s" % g.ssn(),
        lambda: g.pem("RSA PRIVATE KEY"),
        lambda: f"aws_access_key_id = AKIA{g.rand(g.B32, 16)}",
        lambda: f"GH_TOKEN={g.github('ghp_')}",
        lambda: f"slack xoxb-{g.rand(string.digits, 12)}-{g.rand(string.digits, 12)}-{g.rand(g.ALNUM, 24)}",
        lambda: f"stripe sk_live_{g.rand(g.ALNUM, 24)}",
        lambda: f"maps AIza{g.rand(g.B64URL, 35)}",
        lambda: f"OPENAI_API_KEY=sk-proj-{g.rand(g.B64URL, 74)}T3BlbkFJ{g.rand(g.B64URL, 74)}",
        lambda: "Bearer " + g.jwt({"alg": "HS256", "typ": "JWT"}, {"sub": g.rand(string.digits, 8)}),
        lambda: f'db_password: "{g.rand(g.ALNUM + "!#%", 14)}"',
    ]
    return g.rng.choice(makers)()


def filler():
    kinds = [
        lambda: " ".join(g.rng.choice(WORDS) for _ in range(g.rng.randint(8, 16))) + ".",
        lambda: f"2026-11-{g.rng.randint(1, 28):02d} 12:{g.rng.randint(0, 59):02d}:07 INFO "
                f"pid={g.rng.randint(100, 99999)} req={g.rand('0123456789abcdef', 32)} ok",
        lambda: f'{{"id": {g.rng.randint(1, 10**9)}, "name": "{g.rng.choice(WORDS)}", "enabled": true}}',
        lambda: f"{g.rng.choice(WORDS)}_{g.rng.choice(WORDS)} = {g.rng.randint(0, 65535)}",
        lambda: f"commit {g.rand('0123456789abcdef', 40)}",
    ]
    return g.rng.choice(kinds)()


def main():
    want = int(float(sys.argv[1]) * 1024 * 1024)
    out, size, since = [], 0, 0
    while size < want:
        line = filler()
        since += len(line) + 1
        if since > 2048:
            line += "\n" + secret()
            since = 0
        out.append(line)
        size += len(line) + 1
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
