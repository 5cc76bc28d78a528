#!/usr/bin/env bash
# The long fuzz run of issue 9: each target until it has used SECONDS of CPU time (not
# wall time, so a machine shared with other work still gives each target its hour),
# JOBS targets at a time, from the corpus earlier runs grew in build-fuzz/fuzz-corpus/.
#
#   tests/fuzz/long.sh [-j JOBS] SECONDS [TARGET...]      (default: every target, 1 job)
#
# Prints one line per target when it ends (executions, coverage, CPU and wall time, and
# "no finding" or where the finding is) and appends it to build-fuzz/fuzz-findings/long.txt.
# Same options as tests/fuzz/run.sh: ASan+UBSan with leak detection, -timeout=10.
# Do not pause a target (SIGSTOP): libFuzzer's timeout counts wall time, and the pause
# would be reported as a hang when it resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs=1
if [ "${1:-}" = "-j" ]; then
  jobs=${2:?-j needs a number}
  shift 2
fi
case ${1:-} in
  ''|-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *[!0-9]*) echo "tests/fuzz/long.sh: SECONDS must be a whole number, not '$1'" >&2; exit 1 ;;
esac
seconds=$1
shift

tests/fuzz/run.sh --build

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in build-fuzz/tests/fuzz/fuzz-*; do
    [ -x "$bin" ] && [ -f "$bin" ] && targets+=("${bin##*/fuzz-}")
  done
fi
for t in "${targets[@]}"; do
  [ -x build-fuzz/tests/fuzz/fuzz-"$t" ] || { echo "tests/fuzz/long.sh: no target fuzz-$t" >&2; exit 1; }
done

findings=build-fuzz/fuzz-findings
mkdir -p "$findings"
failed=$(mktemp)
trap 'rm -f "$failed"' EXIT
tick=$(getconf CLK_TCK)

# One target: runs it, stops it with SIGINT (libFuzzer then prints its final stats) once
# its CPU time reaches the budget, and prints its line.
one() {
  local t=$1 corpus=build-fuzz/fuzz-corpus/$1 log=$findings/long-$1.log dict=() start pid cpu=0 rc
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  case $t in proto|policy) dict=(-dict=tests/fuzz/json.dict) ;; esac
  start=$(date +%s)
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    build-fuzz/tests/fuzz/fuzz-"$t" "$corpus" "${dict[@]}" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$t-" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    local stat
    stat=$(cat /proc/"$pid"/stat 2>/dev/null) || break
    stat=${stat##*) }                       # the fields after the command name
    read -ra f <<<"$stat"
    cpu=$(( (f[11] + f[12]) / tick ))       # utime + stime (fields 14 and 15)
    [ "$cpu" -ge "$seconds" ] && kill -INT "$pid"
    sleep 5
  done
  rc=0
  wait "$pid" || rc=$?
  local runs cov line
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  line="fuzz-$t: ${runs:-?} executions, ${cpu} s CPU in $(( $(date +%s) - start )) s, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l)"
  # SIGINT ends libFuzzer with status 72 once it has printed its stats; 0 if it stopped itself.
  if [ "$rc" -eq 72 ] || [ "$rc" -eq 0 ]; then
    line="$line, no finding"
  else
    line="$line, FINDING (status $rc): $log, $findings/$t-*"
    echo "$t" >> "$failed"
  fi
  echo "$line ($(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))" | tee -a "$findings/long.txt"
}

running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  one "$t" &
  running=$((running + 1))
done
wait
[ ! -s "$failed" ]
