#!/usr/bin/env bash
# The browser end-to-end suite: Debian's Chromium (never a downloaded one) driven by
# playwright-core, the unpacked extension, and the real weir-host from build/.
# Needs Node.js >= 18.17 with npm (Debian 12's own 18.20 will do) and a built host; installs Debian's chromium and
# chromium-l10n (the German dialog test needs Chromium's de locale) when missing.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
missing=()
# netpbm: ocr.test.js turns Chromium's screenshots into BMP, TIFF and GIF.
for p in chromium chromium-l10n netpbm; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v node >/dev/null || { echo "tests/e2e: node (>= 18.17) and npm are needed: installer/deps.sh installs them" >&2; exit 2; }
if [ -z "${WEIR_HOST_BIN:-}" ] && [ ! -x "$repo/build/host/src/host/weir-host" ]; then
  (cd "$repo" && { meson setup build >/dev/null 2>&1 || true; } && ninja -C build)
fi
# playwright-core must not fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
# One file at a time, each within 150 s; arguments name the test files to run (default: all).
[ $# -gt 0 ] || set -- ./*.test.js
exec node lib/run-tests.mjs --timeout 150000 "$@"
