#!/usr/bin/env bash
# The browser end-to-end suite: Debian's Chromium (never a downloaded one) driven by
# playwright-core, the unpacked extension, and the real weir-host from build/.
# Needs: chromium, node >= 20 and npm (installer/deps.sh installs them), a built host.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
if [ -z "${WEIR_HOST_BIN:-}" ] && [ ! -x "$repo/build/host/src/host/weir-host" ]; then
  (cd "$repo" && { meson setup build >/dev/null 2>&1 || true; } && ninja -C build)
fi
# playwright-core must not fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
exec node --test --test-concurrency=1 --test-timeout=180000 "$@" ./*.test.js
