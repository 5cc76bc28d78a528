#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan+UBSan) and runs each for a
# bounded time, starting from the seed corpus in tests/fuzz/corpus/TARGET/.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]     (default 20 s, every target)
#   tests/fuzz/run.sh --build                               (builds build-fuzz/ only)
#
# The growing corpus stays in build-fuzz/fuzz-corpus/ between runs; a crash, leak,
# timeout or failed property is kept in build-fuzz/fuzz-findings/ and fails the run.
# Copy a finding into tests/fuzz/corpus/TARGET/ once fixed: every build replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_only=0
if [ "${1:-}" = "--build" ]; then
  build_only=1
  shift
fi
seconds=${1:-20}
shift || true

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){return 0;}' > "$probe/t.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer "$probe/t.c" -o "$probe/t" 2>/dev/null; then
  echo "fuzz: clang with libFuzzer is missing (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

# Clang warns where gcc does not (e.g. { NULL } option terminators): warnings are
# gcc's job in build/; here they must not stop the fuzzers.
if [ ! -d build-fuzz ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dwerror=false >/dev/null
else
  meson configure build-fuzz -Dfuzz=true -Dwerror=false >/dev/null
fi
ninja -C build-fuzz >/dev/null
[ "$build_only" -eq 0 ] || exit 0

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in build-fuzz/tests/fuzz/fuzz-*; do
    [ -x "$bin" ] && [ -f "$bin" ] && targets+=("${bin##*/fuzz-}")
  done
fi

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz-* target in build-fuzz/tests/fuzz/" >&2
  exit 2
fi

status=0
mkdir -p build-fuzz/fuzz-findings
for t in "${targets[@]}"; do
  corpus=build-fuzz/fuzz-corpus/$t
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  dict=()
  case $t in proto|policy) dict=(-dict=tests/fuzz/json.dict) ;; esac
  log=build-fuzz/fuzz-findings/$t.log
  if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
     build-fuzz/tests/fuzz/fuzz-"$t" "$corpus" "${dict[@]}" -max_total_time="$seconds" \
       -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix=build-fuzz/fuzz-findings/"$t"- >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    echo "fuzz-$t: ${runs:-?} executions in ${seconds} s, ${cov:-cov: ?}, no finding"
  else
    echo "fuzz-$t: FINDING, see $log and build-fuzz/fuzz-findings/$t-*" >&2
    grep -E 'ERROR|SUMMARY|property failed' "$log" | head -5 >&2 || true
    status=1
  fi
done
exit $status
