#!/usr/bin/env bash
# Lays out everything Weir installs besides what `meson install` puts down, under a
# staging root: the policy in the configuration folder, the native-messaging host
# manifest and its links in each browser's folder, the packed extension and the ready
# browser policy. install.sh and debian/rules both call it, so the two layouts are one.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
Usage: installer/stage.sh --destdir DIR (--system | --user) [--crx-dir DIR] [--extension-id ID]

  --destdir DIR       the staging root (the files land in DIR/usr/..., DIR/etc/..., DIR/\$HOME/...)
  --system            system paths: /usr/lib/weir, /etc/weir, /etc/<browser>/... folders
  --user              one user's paths: ~/.local, ~/.config/weir, ~/.config/<browser>/NativeMessagingHosts
  --crx-dir DIR       a folder holding weir.crx and updates.xml (installer/build-crx.sh) to
                      install under share/weir/extension, with the ready browser policy
  --extension-id ID   the ID allowed to talk to the host (default: the development key's)
  --list-paths        print the mode's paths (prefix, config, host, manifest folders) and stop
EOF
}

destdir='' mode='' crx_dir='' list=0
ext_id=lofofefebcjmdipjobeoencailainimi
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir=$2; shift 2 ;;
    --system) mode=system; shift ;;
    --user) mode=user; shift ;;
    --crx-dir) crx_dir=$2; shift 2 ;;
    --extension-id) ext_id=$2; shift 2 ;;
    --list-paths) list=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "stage.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
[ -n "$mode" ] || { echo "stage.sh: say --system or --user" >&2; exit 1; }
[[ "$ext_id" =~ ^[a-p]{32}$ ]] || { echo "stage.sh: $ext_id is not an extension ID (32 letters a-p)" >&2; exit 1; }

# Where each browser reads host manifests. System: Chromium's, Google Chrome's, Edge's
# (documented by Microsoft) and Brave's /etc/opt/brave folder (what vendors write; Brave
# builds from Chromium's sources also read Chromium's folder, which is written too).
if [ "$mode" = system ]; then
  prefix=/usr
  confdir=/etc/weir
  nm_dirs=(/etc/chromium/native-messaging-hosts /etc/opt/chrome/native-messaging-hosts
           /etc/opt/edge/native-messaging-hosts /etc/opt/brave/native-messaging-hosts)
else
  case "${HOME:-}" in
    /?*) ;;
    *) echo "stage.sh: HOME is '${HOME:-}': a user install needs HOME set to an absolute folder" >&2; exit 2 ;;
  esac
  prefix=$HOME/.local
  config=${XDG_CONFIG_HOME:-$HOME/.config}
  confdir=$config/weir
  nm_dirs=("$config/chromium/NativeMessagingHosts" "$config/google-chrome/NativeMessagingHosts"
           "$config/microsoft-edge/NativeMessagingHosts" "$config/BraveSoftware/Brave-Browser/NativeMessagingHosts")
fi
share=$prefix/share/weir
host_bin=$prefix/lib/weir/weir-host
if [ "$list" -eq 1 ]; then
  printf 'prefix %s\nconfdir %s\nhost %s\nshare %s\n' "$prefix" "$confdir" "$host_bin" "$share"
  printf 'nm_dir %s\n' "${nm_dirs[@]}"
  exit 0
fi
[ -n "$destdir" ] || { echo "stage.sh: --destdir is required" >&2; exit 1; }

# The default policy, for the admin to edit (the host has the same one compiled in).
install -D -m 0644 "$repo/rules/default-policy.json" "$destdir$confdir/policy.json"

# One host manifest; each browser folder links to it, so there is one file to read and
# removing the links is all it takes to unregister the host.
manifest=$share/native-messaging-hosts/dev.weir.host.json
install -d "$destdir$share/native-messaging-hosts"
python3 - "$destdir$manifest" "$host_bin" "$ext_id" <<'EOF'
import json, sys
out, path, ext_id = sys.argv[1:4]
with open(out, "w", encoding="utf-8") as f:
    json.dump({"name": "dev.weir.host",
               "description": "Weir: checks pastes, drops and uploads against the organisation's policy",
               "path": path, "type": "stdio",
               "allowed_origins": [f"chrome-extension://{ext_id}/"]}, f, indent=2)
    f.write("\n")
EOF
chmod 0644 "$destdir$manifest"
for dir in "${nm_dirs[@]}"; do
  install -d "$destdir$dir"
  ln -sfn "$manifest" "$destdir$dir/dev.weir.host.json"
done

# The packed extension and the browser policy that force-installs it from there.
if [ -n "$crx_dir" ]; then
  install -D -m 0644 "$crx_dir/weir.crx" "$destdir$share/extension/weir.crx"
  install -D -m 0644 "$crx_dir/updates.xml" "$destdir$share/extension/updates.xml"
  install -d "$destdir$share/policies"
  "$repo/installer/write-policy.sh" --extension-id "$ext_id" \
    --update-url "file://$share/extension/updates.xml" >"$destdir$share/policies/weir.json"
  chmod 0644 "$destdir$share/policies/weir.json"
fi
