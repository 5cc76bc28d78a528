#!/usr/bin/env python3
"""Scan rate by script: `engine_score` over text of each language, with the packs of each
WEIR_HOME given (and an empty one for the no-pack rate), in MB/s.

Usage: bench/lang-bench.py [--build-dir build] [--mb 8] [--passes 3] [--langs ar,he,...] HOME...

The text of a language is the translated messages of this machine's Debian packages
(/usr/share/locale/LANG/LC_MESSAGES/*.mo, read with Python's gettext), repeated to --mb
megabytes in a temporary folder: real words, punctuation and digits of each script. A
language with less than 50 kB of messages here is skipped. Each home is scanned with
--build-dir's `bench-scan --index` (64 KiB pieces, the best of --passes; wall and CPU
rate). `scale-bench.py --keep DIR` leaves a home with the issue's pack in DIR/home-this.
Prints figures; asserts nothing.
"""
import argparse
import gettext
import glob
import os
import re
import subprocess
import sys
import tempfile

LANGS = "ar,he,hi,th,ja,zh_CN,ko,ru,el,de,fr"


def messages(lang):
    """The translated strings of the language's message catalogues, one a line."""
    texts = []
    for path in sorted(glob.glob("/usr/share/locale/%s/LC_MESSAGES/*.mo" % lang)):
        try:
            with open(path, "rb") as f:
                catalogue = gettext.GNUTranslations(f)
        except Exception:  # a damaged or unusual catalogue: not text this bench needs
            continue
        for key, value in catalogue._catalog.items():
            original = key if isinstance(key, str) else key[0]
            if isinstance(value, str) and value and original and value != original:
                texts.append(value)
    return "\n".join(texts).encode()


def corpus(lang, mb, folder):
    body = messages(lang)
    if len(body) < 50_000:
        return None
    want = int(mb * 1e6)
    data = (body + b"\n") * (want // (len(body) + 1) + 1)
    path = os.path.join(folder, lang + ".txt")
    with open(path, "wb") as f:
        f.write(data[:want])
    return path, len(body)


def rate(bench, home, path, passes):
    env = dict(os.environ, WEIR_HOME=home)
    out = subprocess.run([bench, "--index", path, str(passes)], env=env, capture_output=True, text=True)
    m = re.search(r"best of \d+: ([\d.]+) MB/s \(CPU time ([\d.]+) MB/s\)", out.stdout + out.stderr)
    if out.returncode != 0 or not m:
        sys.exit("bench-scan failed for %s with %s:\n%s%s" % (path, home, out.stdout, out.stderr))
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--mb", type=float, default=8)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--langs", default=LANGS)
    ap.add_argument("homes", nargs="+", metavar="HOME")
    args = ap.parse_args()
    bench = os.path.join(args.build_dir, "bench", "bench-scan")
    if not os.access(bench, os.X_OK):
        sys.exit("no %s: build first (meson setup build && ninja -C build)" % bench)
    with tempfile.TemporaryDirectory(prefix="weir-lang-") as folder:
        empty = os.path.join(folder, "empty-home")
        os.mkdir(empty, 0o700)
        homes = [("no pack", empty)] + [(h, h) for h in args.homes]
        print("%-6s %9s  " % ("lang", "messages") + "  ".join("%-22s" % name[-22:] for name, _ in homes))
        for lang in args.langs.split(","):
            made = corpus(lang, args.mb, folder)
            if made is None:
                print("%-6s %9s  (fewer than 50 kB of messages here: skipped)" % (lang, "-"))
                continue
            path, size = made
            cells = []
            for _, home in homes:
                wall, cpu = rate(bench, home, path, args.passes)
                cells.append("%-22s" % ("%.0f MB/s (CPU %.0f)" % (wall, cpu)))
            print("%-6s %9d  " % (lang, size) + "  ".join(cells), flush=True)
            os.unlink(path)


if __name__ == "__main__":
    main()
