#!/usr/bin/env bash
# Packs the Weir extension into a CRX signed with a given RSA key (the public development
# key by default), writes the gupdate XML that ExtensionInstallForcelist points at, and
# prints the extension ID the key gives.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
Usage: installer/build-crx.sh [--key KEY.pem] [--out DIR] [--codebase URL] [--id-only]

Packs extension/ with Chromium (--pack-extension) into DIR/weir.crx and writes
DIR/updates.xml, the update manifest that the ExtensionInstallForcelist policy names.

  --key KEY.pem    the RSA key that signs the CRX and fixes the extension ID
                   (default: manifests/dev-key/weir-dev-extension-key.pem, public,
                   for development only; an organisation uses its own, see docs/deploy.md)
  --out DIR        where weir.crx and updates.xml go (default: build/crx)
  --codebase URL   the folder URL the CRX is served from, as written in updates.xml
                   (default: file:///usr/share/weir/extension, where install.sh and the
                   Debian package put it)
  --id-only        print the extension ID of KEY and stop
  -h, --help       this text

The last line of output is the extension ID. Needs chromium, openssl and python3.
EOF
}

key="$repo/manifests/dev-key/weir-dev-extension-key.pem"
out="$repo/build/crx"
codebase="file:///usr/share/weir/extension"
id_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --key) key=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --codebase) codebase=${2%/}; shift 2 ;;
    --id-only) id_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-crx.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
[ -r "$key" ] || { echo "build-crx.sh: cannot read the key $key: give an RSA key in PEM with --key" >&2; exit 2; }

# The ID is the SHA-256 of the DER public key, first 32 hex digits mapped 0-f to a-p.
pub_der() { openssl rsa -in "$key" -pubout -outform DER 2>/dev/null; }
ext_id=$(pub_der | sha256sum | cut -c1-32 | tr 0-9a-f a-p)
[ ${#ext_id} -eq 32 ] || { echo "build-crx.sh: $key is not an RSA private key in PEM" >&2; exit 2; }
if [ "$id_only" -eq 1 ]; then
  echo "$ext_id"
  exit 0
fi

work=$(mktemp -d -t weir-crx-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$repo/extension" "$work/weir"
# The manifest's "key" must be the signing key's public half, so that an unpacked load of
# the same tree gets the same ID as the CRX.
KEY_B64=$(pub_der | base64 -w0) python3 - "$work/weir/manifest.json" <<'EOF'
import json, os, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    manifest = json.load(f)
manifest["key"] = os.environ["KEY_B64"]
with open(path, "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=2, ensure_ascii=False)
    f.write("\n")
EOF
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$work/weir/manifest.json")

# Chromium writes DIR.crx beside DIR; its own profile goes to a scratch folder, not $HOME.
chromium --headless=new --no-sandbox --user-data-dir="$work/profile" \
  --pack-extension="$work/weir" --pack-extension-key="$key" >"$work/pack.log" 2>&1 || true
# Chromium's helper processes outlive the packing one for a moment and would recreate the
# scratch profile after the cleanup: wait for them (by the scratch path, which is ours alone).
for _ in $(seq 50); do
  pgrep -f -- "--user-data-dir=$work/profile" >/dev/null || break
  sleep 0.1
done
if [ ! -s "$work/weir.crx" ]; then
  echo "build-crx.sh: chromium did not pack the extension:" >&2
  grep -v 'unexpected operator' "$work/pack.log" >&2 || true
  exit 2
fi

mkdir -p "$out"
install -m 0644 "$work/weir.crx" "$out/weir.crx"
cat >"$out/updates.xml" <<EOF
<?xml version='1.0' encoding='UTF-8'?>
<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>
  <app appid='$ext_id'>
    <updatecheck codebase='$codebase/weir.crx' version='$version' />
  </app>
</gupdate>
EOF
chmod 0644 "$out/updates.xml"
echo "packed Weir $version into $out/weir.crx (update manifest $out/updates.xml)"
echo "$ext_id"
