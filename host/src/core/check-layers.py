#!/usr/bin/env python3
"""Holds every #include "..." of the core to the module graph of meson.build.

usage: check-layers.py CORE_DIR STAMP MODULE=ALLOWED[,ALLOWED...]...

A file in a folder (engine/, store/, ...) belongs to that module; a top-level file
belongs to the module TOP_LEVEL names. A file may include its own module's headers and
those of the modules it is allowed; anything else fails the build, naming the file."""
import os
import re
import sys

TOP_LEVEL = {
    "weir-error": "base", "paths": "base", "file": "base", "text": "base",
    "json": "json",
    "context": "context", "state": "context",
    "nm": "proto", "proto": "proto", "upload": "proto",
}
GENERATED = {"weir-config.h", "weir-rules.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(rel):
    """The module of a path relative to the core folder, or None."""
    parts = rel.split("/")
    if len(parts) > 1:
        return parts[0]
    return TOP_LEVEL.get(os.path.splitext(parts[0])[0])


def main():
    core, stamp = sys.argv[1], sys.argv[2]
    allowed = {}
    for arg in sys.argv[3:]:
        name, _, deps = arg.partition("=")
        allowed[name] = set(filter(None, deps.split(",")))
    faults = []
    for folder, _, names in os.walk(core):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, core)
            mine = module_of(rel)
            if mine is None:
                faults.append(f"{rel}: belongs to no module (add it to check-layers.py)")
                continue
            if mine not in allowed:
                faults.append(f"{rel}: module {mine} is not in meson.build's layers")
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for header in INCLUDE.findall(text):
                if header in GENERATED:
                    continue
                # A header beside the file, in its own folder.
                target = os.path.normpath(os.path.join(os.path.dirname(rel), header))
                if not os.path.exists(os.path.join(core, target)):
                    target = header
                theirs = module_of(target)
                if theirs is None:
                    faults.append(f"{rel}: includes \"{header}\", which belongs to no module")
                elif theirs != mine and theirs not in allowed[mine]:
                    faults.append(f"{rel}: module {mine} may not include \"{header}\" (module {theirs});"
                                  f" it may include {', '.join(sorted(allowed[mine])) or 'nothing'}")
    if faults:
        sys.stderr.write("check-layers: includes against the module graph:\n  " + "\n  ".join(faults) + "\n")
        return 1
    with open(stamp, "w") as f:
        f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
