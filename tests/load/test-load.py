#!/usr/bin/env python3
"""Four real weir-host processes on one store, 1,500 pastes each with audit on: no
verdict record lost or duplicated (per host, against the replies' audit ids), the
chain verifies against the pinned key, and no host's memory grows after warm-up by
more than 5 MiB. The full 4 x 10,000 run with figures is bench/load/load.py.

usage: test-load.py BUILD_DIR [--sanitized]
Under AddressSanitizer (--sanitized) the memory bound is not checked: ASan's quarantine
holds freed memory on purpose, so RSS grows by design there."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weirload  # noqa: E402

sanitized = "--sanitized" in sys.argv[2:]
result = weirload.run(sys.argv[1], hosts=4, pastes=1500, samples=[300, 750, 1500], warmup=300,
                      max_growth_kib=None if sanitized else 5 * 1024)
weirload.report(result)
print("ok")
