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
for tool in rg /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/scan.sh: $tool is missing (apt-get install ripgrep time; bench/run installs them)" >&2; exit 2; }
done
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

best=0 best_cpu=0 times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in 1 2 3; do
  lines=$(/usr/bin/time -f '%e %U %S' -o "$times" rg --no-config -a -c -f bench/scan-patterns.txt "$corpus")
  read -r wall user sys < "$times"
  # MB/s by wall time (start-up included) and by CPU time (user + system)
  mbs=$(awk -v b="$bytes" -v t="$wall" 'BEGIN { printf "%d", (t > 0 ? b / 1e6 / t : 0) }')
  cpu=$(awk -v b="$bytes" -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s > 0 ? b / 1e6 / (u + s) : 0) }')
  [ "$mbs" -gt "$best" ] && best=$mbs
  [ "$cpu" -gt "$best_cpu" ] && best_cpu=$cpu
done
printf 'ripgrep %s:  %.1f MB, best of 3: %d MB/s (CPU time %d MB/s), %d matching lines\n' \
  "$(rg --version | awk 'NR == 1 { print $2 }')" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$best" "$best_cpu" "$lines"
