#!/usr/bin/env python3
"""Recall at exactly 20 verbatim words on related documents, and false flags on other
text (issue 27: the 19-word guarantee next to boilerplate).

Usage: bench/recall-bench.py [--build-dir build ...] [--pages 200] [--excerpts 20]
                             [--keys 3] [--seed 27] [--families gcloud,git,...] [--keep DIR]

Takes --pages manual pages of a few families whose pages share whole sections (this
machine's /usr/share/man/man1: gcloud, git, openssl, perf, llvm, dpkg, systemd by
default), renders them with groff -Tascii, and builds a pack of them with `weir pack
build`, once per key (--keys, each build draws a fresh random key). Through one
`weir-host` per pack, over pipes, it then pastes:

- --excerpts excerpts of exactly 20 words from every page of the pack, at random
  places; an excerpt is found when the reply names its page;
- 200-word pieces of held-out pages (not in the pack) of the same families and of
  other sections (man3, man5, man8), as negatives.

The bench works out boilerplate itself, from the words, as docs/packs.md defines it: an
8-word run held by max(3, 1% of the pages) pages of the pack or more. It splits the
excerpts into those the guarantee covers (they hold an 8-word run that is not
boilerplate) and those of boilerplate only (never found, by design), and the negatives into those sharing an 8-word run that is not
boilerplate with the pack (a true match), those sharing boilerplate runs only, and
those sharing nothing: a flag on one of those is a false flag.

Give --build-dir more than once (a build tree, or a folder holding `weir` and
`weir-host`) to compare builds on the same pages and excerpts. Pages are rendered in
two processes. Prints figures; asserts nothing.
"""
import argparse
import glob
import json
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

K, EXCERPT = 8, 20
FAMILIES = "gcloud,git,openssl,perf,llvm,dpkg,systemd"
# A word as engine/normalize.c splits ASCII text: letters and digits, an apostrophe
# between two letters joins (and is dropped).
WORD = re.compile(r"[A-Za-z0-9]+(?:(?<=[A-Za-z])'(?=[A-Za-z])[A-Za-z0-9]+)*")


def find(build_dir, name):
    for root, _, files in os.walk(build_dir):
        if name in files and os.access(os.path.join(root, name), os.X_OK):
            return os.path.join(root, name)
    raise SystemExit(f"{name} not found under {build_dir}; build first (ninja -C {build_dir})")


def render(path):
    """The page as groff renders it for a terminal, in ASCII, on one line: wrapping is
    nothing to the engine, and one line keeps this bench's word split and the engine's
    equal (no hyphen joined across a line break)."""
    zcat = subprocess.run(["zcat", "-f", path], capture_output=True)
    out = subprocess.run(["groff", "-man", "-k", "-Tascii", "-rHY=0", "-P-cbou"], input=zcat.stdout,
                         capture_output=True).stdout.decode("ascii", errors="replace")
    return " ".join(out.split())


def words_of(text):
    return [(m.start(), m.end(), m.group().lower().replace("'", "")) for m in WORD.finditer(text)]


def kgrams(words):
    return [tuple(w[2] for w in words[i:i + K]) for i in range(len(words) - K + 1)]


def pick_pages(args, rng):
    """The pack's pages and held-out pages, taken from the families in turn (gcloud
    alone has thousands of pages), and pages of other sections."""
    fams = args.families.split(",")
    by_family = {f: [] for f in fams}
    for p in sorted(glob.glob("/usr/share/man/man1/*.gz")):
        fam = re.split(r"[-._]", os.path.basename(p))[0]
        if fam in by_family:
            by_family[fam].append(p)
    for pages in by_family.values():
        rng.shuffle(pages)
    turns = []
    for i in range(max(map(len, by_family.values()), default=0)):
        turns += [pages[i] for pages in by_family.values() if i < len(pages)]
    pack, held = turns[:args.pages], turns[args.pages:args.pages + args.held_out]
    other = sorted(glob.glob("/usr/share/man/man[358]/*.gz"))
    return pack, held, rng.sample(other, min(args.held_out, len(other)))


class Host:
    """One weir-host over pipes."""

    def __init__(self, binary, env):
        self.p = subprocess.Popen([binary], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.id = 0

    def documents(self, text):
        self.id += 1
        data = json.dumps({"type": "scan", "id": self.id, "event": "paste", "origin": "https://chat.example",
                           "url": "https://chat.example/", "text": text}).encode()
        self.p.stdin.write(struct.pack("=I", len(data)) + data)
        self.p.stdin.flush()
        (n,) = struct.unpack("=I", self.p.stdout.read(4))
        reply = json.loads(self.p.stdout.read(n))
        return {r["name"] for r in reply.get("reasons", []) if r.get("kind") == "document"}

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def excerpts(docs, boiler, per_doc, rng):
    """(document, text, class) for per_doc excerpts of exactly EXCERPT words a page."""
    out = []
    for name, text, words, grams in docs:
        if len(words) < EXCERPT:
            continue
        for i in rng.sample(range(len(words) - EXCERPT + 1), min(per_doc, len(words) - EXCERPT + 1)):
            cls = "boilerplate" if all(g in boiler for g in grams[i:i + EXCERPT - K + 1]) else "covered"
            out.append((name, text[words[i][0]:words[i + EXCERPT - 1][1]], cls))
    return out


def negatives(pages, pack_grams, boiler, rng, per_page=4):
    """(set, text, class) for 200-word pieces of pages outside the pack."""
    out = []
    for kind, paths in pages:
        for path in paths:
            text = render(path)
            words = words_of(text)
            starts = list(range(0, len(words) - 200 + 1, 200))
            for s in rng.sample(starts, min(per_page, len(starts))):
                shared = {g for g in kgrams(words[s:s + 200]) if g in pack_grams}
                cls = "unrelated" if not shared else "boilerplate" if shared <= boiler else "shared"
                out.append((kind, text[words[s][0]:words[s + 199][1]], cls))
    return out


def build_pack(weir, home, docs_dir, key, tag):
    env = dict(os.environ, WEIR_HOME=home)
    env.pop("DISPLAY", None)
    run = lambda *a: subprocess.run([weir, *a], env=env, check=True, capture_output=True, text=True)
    run("trust", "add", key + ".pub")
    pack = os.path.join(home, f"{tag}.weirpack")
    t0 = time.perf_counter()
    p = subprocess.Popen([weir, "pack", "build", "--name", "man", "--label", "confidential", "--docs", docs_dir,
                          "--sign", key + ".key", "-o", pack], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out = p.stdout.read()
    p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"weir pack build failed ({status})")
    run("pack", "import", pack)
    return env, out, wall, usage.ru_utime + usage.ru_stime


def share(found, total):
    return f"{found}/{total} = {found / total:.4f}" if total else "0/0"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", action="append")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--held-out", type=int, default=100)
    ap.add_argument("--excerpts", type=int, default=20)
    ap.add_argument("--keys", type=int, default=3)
    ap.add_argument("--seed", type=int, default=27)
    ap.add_argument("--families", default=FAMILIES)
    ap.add_argument("--keep")
    args = ap.parse_args()
    builds = args.build_dir or ["build"]
    tools = [(b, find(b, "weir"), find(b, "weir-host")) for b in builds]
    tmp = args.keep or tempfile.mkdtemp(prefix="weir-recall-")
    os.makedirs(tmp, exist_ok=True)
    rng = random.Random(args.seed)
    try:
        pack_pages, held, other = pick_pages(args, rng)
        docs_dir = os.path.join(tmp, "docs")
        shutil.rmtree(docs_dir, ignore_errors=True)
        os.makedirs(docs_dir)
        with ThreadPoolExecutor(2) as pool:
            texts = list(pool.map(render, pack_pages))
        docs, size = [], 0
        for path, text in zip(pack_pages, texts):
            name = os.path.basename(path)[:-3] + ".txt"
            with open(os.path.join(docs_dir, name), "w") as f:
                f.write(text)
            size += len(text)
            words = words_of(text)
            docs.append((name, text, words, kgrams(words)))
        freq = {}
        for _, _, _, grams in docs:
            for g in set(grams):
                freq[g] = freq.get(g, 0) + 1
        limit = max(3, int(len(docs) * 0.01 + 0.5))
        boiler = {g for g, n in freq.items() if n >= limit}
        n_grams = sum(len(d[3]) for d in docs)
        n_boiler = sum(g in boiler for d in docs for g in d[3])
        print(f"pack: {len(docs)} man pages ({args.families}), {size / 1e6:.1f} MB, "
              f"{sum(len(d[2]) for d in docs)} words; {n_boiler / max(n_grams, 1):.1%} of the 8-word runs are "
              f"boilerplate (held by {limit}+ pages), {len(boiler)} distinct")
        ex = excerpts(docs, boiler, args.excerpts, rng)
        neg = negatives([("same families", held), ("other sections", other)], set(freq), boiler, rng)
        print(f"excerpts of exactly {EXCERPT} words: {len(ex)} ("
              + ", ".join(f"{sum(e[2] == c for e in ex)} {c}" for c in ("covered", "boilerplate"))
              + "; covered = holds an 8-word run that is not boilerplate)")
        print(f"negatives: {len(neg)} pieces of 200 words from {len(held)} held-out pages of the same families "
              f"and {len(other)} of man3/man5/man8 ("
              + ", ".join(f"{sum(n[2] == c for n in neg)} {c}" for c in ("unrelated", "boilerplate", "shared"))
              + ")")
        subprocess.run([tools[0][1], "keygen", "-s", os.path.join(tmp, "a.key"), "-p", os.path.join(tmp, "a.pub")],
                       check=True, capture_output=True, env=dict(os.environ, WEIR_HOME=os.path.join(tmp, "kg")))
        for key in range(args.keys):
            for bi, (b, weir, host) in enumerate(tools):
                home = os.path.join(tmp, f"home-{key}-{bi}")
                shutil.rmtree(home, ignore_errors=True)
                env, out, wall, cpu = build_pack(weir, home, docs_dir, os.path.join(tmp, "a"), "man")
                fps = out.split("fingerprints ")[1].split()[0]
                h = Host(host, env)
                found = {c: [0, 0] for c in ("covered", "boilerplate")}
                missed = []
                for name, text, cls in ex:
                    hit = name in h.documents(text)
                    found[cls][0] += hit
                    found[cls][1] += 1
                    if not hit and cls == "covered":
                        missed.append(name)
                flags = {}
                for kind, text, cls in neg:
                    f = flags.setdefault((kind, cls), [0, 0])
                    f[0] += bool(h.documents(text))
                    f[1] += 1
                h.close()
                total = [sum(v[0] for v in found.values()), sum(v[1] for v in found.values())]
                print(f"\n[{b}] key {key + 1}: pack build {size / 1e6:.1f} MB in {cpu:.2f} s CPU = "
                      f"{size / 1e6 / cpu:.1f} MB/s ({wall:.2f} s wall), {fps} fingerprints")
                print(f"  recall at {EXCERPT} words: all {share(*total)}; covered {share(*found['covered'])}; "
                      f"boilerplate only {share(*found['boilerplate'])}")
                if missed:
                    print(f"  covered excerpts missed, by page: {sorted(set(missed))[:8]}")
                for (kind, cls), (n, t) in sorted(flags.items()):
                    what = "FALSE FLAGS" if cls == "unrelated" else "flagged"
                    print(f"  negatives, {kind}, sharing {'nothing' if cls == 'unrelated' else cls + ' runs'}: "
                          f"{what} {n} of {t}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
