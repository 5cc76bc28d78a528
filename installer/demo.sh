#!/usr/bin/env bash
# The quick start: installs the build dependencies, builds Weir, runs `weir scan` (the
# host's own engine and policy) on the sample texts in rules/samples/, then starts
# Chromium with the extension and the host on a local demo page, on the default policy.
# With a DISPLAY the browser window stays open for you to try; without one (or with
# --headless) the demo pastes a harmless line, a card number and a private key itself,
# prints what happened to each and saves a screenshot. Everything it writes lives in
# throwaway folders that are removed afterwards, except build/ and the screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."

headless=0
case "${1:-}" in
  --headless) headless=1 ;;
  "") ;;
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; echo "Usage: installer/demo.sh [--headless]"; exit 0 ;;
  *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
esac
[ -n "${DISPLAY:-}" ] || headless=1

./installer/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build >/dev/null
weir=build/host/src/cli/weir

WEIR_HOME=$(mktemp -d -t weir-demo-XXXXXX)
export WEIR_HOME
trap 'rm -rf "$WEIR_HOME"' EXIT

section() { printf '\n== %s\n' "$*"; }

section "Weir $("$weir" --version | cut -d' ' -f2), default policy, WEIR_HOME=$WEIR_HOME"
for sample in rules/samples/*.txt; do
  section "weir scan $sample"
  "$weir" scan "$sample"
done

section "the same card, pasted into the organisation's own wiki (allowlisted by the default policy)"
"$weir" scan --origin https://wiki.weir.internal rules/samples/refund-request.txt

section "the reply the host would send to the extension (weir scan --json)"
"$weir" scan --json rules/samples/deploy-key.txt

section "a stricter policy (rules/examples/ai-strict.json): the same card, pasted into an AI assistant"
cp rules/examples/ai-strict.json "$WEIR_HOME/policy.json"
"$weir" scan --origin https://chatgpt.com rules/samples/refund-request.txt

section "what was written to disk"
ls -la "$WEIR_HOME"
if grep -rqF -e "1760 3137" -e "PRIVATE KEY" "$WEIR_HOME"; then
  echo "FAIL: pasted content found under $WEIR_HOME" >&2
  exit 2
fi
echo "No file under WEIR_HOME holds the pasted card or key: the audit log keeps verdicts, not content."

section "the browser: Chromium with the Weir extension and this weir-host, default policy"
# playwright-core (no browser of its own) drives Debian's /usr/bin/chromium.
(cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
demo_args=(--host build/host/src/host/weir-host --screenshot build/weir-demo.png)
[ "$headless" -eq 0 ] || demo_args+=(--headless)
node installer/demo/demo.mjs "${demo_args[@]}"
