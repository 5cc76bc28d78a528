#!/usr/bin/env python3
"""The load benchmark of issue 9: four real weir-host processes (four browser profiles)
on one WEIR_HOME, 10,000 pastes each with audit on, all at once. Asserts what
tests/load/test-load.py asserts (no verdict record lost or duplicated, the chain
verifies, VmRSS flat after warm-up: at most 5 MiB of growth from paste 1,000 to the
end) and prints the figures: throughput, round-trip percentiles, the RSS curve.

usage: bench/load/load.py [BUILD_DIR] [--hosts N] [--pastes N]"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "load"))
import weirload  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
parser.add_argument("--hosts", type=int, default=4)
parser.add_argument("--pastes", type=int, default=10000)
args = parser.parse_args()

warmup = min(1000, args.pastes // 2)
samples = [warmup] + [args.pastes * k // 10 for k in range(1, 11)]
result = weirload.run(args.build, hosts=args.hosts, pastes=args.pastes, samples=samples,
                      warmup=warmup, max_growth_kib=5 * 1024)
weirload.report(result)
