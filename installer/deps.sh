#!/usr/bin/env bash
# Installs the Debian 12 packages Weir builds and tests with, when any is missing.
set -euo pipefail
packages=(meson ninja-build pkg-config gcc libcjson-dev libsqlite3-dev libsodium-dev
          libglib2.0-dev libnotify-dev python3
          rsyslog  # rsyslog: tests/audit/test-rsyslog.py runs a device and a collector rsyslogd
          libseccomp-dev  # the host sandbox (-Dsandbox)
          # weir-extract: archives, PDF, office XML, e-mail (host/src/extract/)
          libarchive-dev libpoppler-glib-dev libexpat1-dev libgmime-3.0-dev
          # weir-extract: the text in images (OCR, issue 26), with its English model
          libtesseract-dev libleptonica-dev tesseract-ocr-eng
          # tests/extract: real producers of the fixtures (LibreOffice, 7z, qpdf, zip, zstd)
          libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
          p7zip-full qpdf zip zstd xz-utils bzip2
          libsecret-1-dev  # the store key wrapped by the desktop keyring (-Dkeyring)
          gnome-keyring dbus-daemon dbus-bin python3-dbus  # tests/store/test-keyring.py: a real secret service
          clang libclang-rt-14-dev)  # clang + libFuzzer runtime: tests/fuzz/run.sh
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The quick start's browser demo and the browser tests: Debian's Chromium, a font it can draw
# the dialog with, node and npm (which fetches playwright-core over TLS: ca-certificates).
# By command, not package: a nodejs that bundles npm (NodeSource's) must not pull Debian's npm.
for p in ca-certificates fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v chromium >/dev/null || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  # apt's own output (thousands of lines on a bare system) goes to a log, shown on failure.
  log=$(mktemp -t weir-deps-XXXXXX.log)
  echo "installing with apt-get (a few minutes on a bare system; log: $log): ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  if ! { $SUDO apt-get update -qq \
         && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
       } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "installer/deps.sh: apt-get could not install the packages above (full log: $log)" >&2
    exit 2
  fi
  rm -f "$log"
  echo "installed."
fi

# The browser demo and tests run on Node.js 18.17 or newer (tests/e2e/package.json's engines:
# Debian 12's own nodejs is 18.20). Say so here rather than fail deep inside npm or a test.
node_version=$(node -p 'process.versions.node' 2>/dev/null || echo none)
node_ok=$(node -e '
  const [a, b] = process.versions.node.split(".").map(Number);
  console.log(a > 18 || (a === 18 && b >= 17) ? "yes" : "no")' 2>/dev/null || echo no)
if [ "$node_ok" != yes ]; then
  echo "installer/deps.sh: found Node.js $node_version at $(command -v node || echo '(none)');" \
       "Weir's browser demo and tests need Node.js 18.17 or newer (Debian 12's nodejs package is 18.20):" \
       "install Debian's nodejs and npm, or put a newer node first on PATH" >&2
  exit 2
fi
