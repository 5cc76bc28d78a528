#!/usr/bin/env bash
# The quick start: installs the build dependencies, builds Weir, and runs `weir scan`
# (the host's own engine and policy) on the sample texts in rules/samples/, in a
# throwaway WEIR_HOME that is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

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
