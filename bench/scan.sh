#!/usr/bin/env bash
# Scan throughput: detect_scan (bench-scan, 64 KiB chunks, best of 5 passes) beside ripgrep
# running the same detectors as plain regexes (bench/scan-patterns.txt, (?-u) ASCII word
# boundaries, best of 3 runs) on the same ~38 MB file: 32 MiB of this machine's manual
# pages plus 6 MiB of generated config, logs and JSON with made-up secrets sprinkled in.
#
# usage: bench/scan.sh [BUILD_DIR]      (default: build; run `ninja -C build` first)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
corpus=$build/bench/scan-corpus.txt
if [ ! -s "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  { find /usr/share/man -path '/usr/share/man/man*' -name '*.gz' -print0 | sort -z \
      | xargs -0 zcat 2>/dev/null | head -c $((32 * 1024 * 1024)) || true
    python3 bench/scan-corpus.py 6; } > "$corpus.tmp"
  mv "$corpus.tmp" "$corpus"
fi
bytes=$(stat -c %s "$corpus")
cat "$corpus" > /dev/null   # both read from the page cache

"$build/bench/bench-scan" "$corpus" 5

best=0
for _ in 1 2 3; do
  t0=$(date +%s%N)
  lines=$(rg --no-config -a -c -f bench/scan-patterns.txt "$corpus")
  t1=$(date +%s%N)
  mbs=$(( bytes * 1000 / (t1 - t0) ))   # bytes/ns * 1000 = MB/s
  [ "$mbs" -gt "$best" ] && best=$mbs
done
printf 'ripgrep %s:  %.1f MB, best of 3: %d MB/s, %d matching lines\n' \
  "$(rg --version | awk 'NR == 1 { print $2 }')" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$best" "$lines"
