#!/usr/bin/env bash
# Paste-to-insert benchmark: keydown to input event in the page, with and without Weir.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/host/src/host/weir-host ] || { meson setup build >/dev/null 2>&1 || true; ninja -C build; }
[ -d tests/e2e/node_modules/playwright-core ] || (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
exec node bench/paste-bench.mjs "$@"
