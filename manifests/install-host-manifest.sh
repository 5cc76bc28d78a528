#!/usr/bin/env bash
# Registers weir-host as the native-messaging host dev.weir.host for Chromium-family
# browsers on Linux, system-wide (default, needs root) or for the current user.
#
#   manifests/install-host-manifest.sh [--user] [--browser chromium|chrome|edge|brave|all]
#                                      [--host /usr/lib/weir/weir-host] [--extension-id ID]
#                                      [--print]
# --print writes the manifest to stdout and installs nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scope=system browser=all host=/usr/lib/weir/weir-host print=0
id=lofofefebcjmdipjobeoencailainimi   # the development key's ID; organisations use their own
while [ $# -gt 0 ]; do
  case "$1" in
    --user) scope=user ;;
    --system) scope=system ;;
    --browser) browser=$2; shift ;;
    --host) host=$2; shift ;;
    --extension-id) id=$2; shift ;;
    --print) print=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install-host-manifest: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
case "$host" in /*) ;; *) echo "install-host-manifest: --host must be an absolute path (browsers refuse relative ones)" >&2; exit 1 ;; esac
[[ "$id" =~ ^[a-p]{32}$ ]] || { echo "install-host-manifest: --extension-id must be 32 letters a-p" >&2; exit 1; }

manifest=$(sed -e "s|@WEIR_HOST_PATH@|$host|" -e "s|@WEIR_EXTENSION_ID@|$id|" "$here/host/dev.weir.host.json.in")
if [ "$print" = 1 ]; then printf '%s\n' "$manifest"; exit 0; fi

# Where each browser reads host manifests on Linux.
folder() {
  case "$scope:$1" in
    system:chromium) echo /etc/chromium/native-messaging-hosts ;;
    system:chrome)   echo /etc/opt/chrome/native-messaging-hosts ;;
    system:edge)     echo /etc/opt/edge/native-messaging-hosts ;;
    # Brave's system folder is not verified here; sources disagree, so both get a copy.
    system:brave)    echo /etc/opt/brave.com/brave/native-messaging-hosts /etc/brave/native-messaging-hosts ;;
    user:chromium)   echo "${XDG_CONFIG_HOME:-$HOME/.config}/chromium/NativeMessagingHosts" ;;
    user:chrome)     echo "${XDG_CONFIG_HOME:-$HOME/.config}/google-chrome/NativeMessagingHosts" ;;
    user:edge)       echo "${XDG_CONFIG_HOME:-$HOME/.config}/microsoft-edge/NativeMessagingHosts" ;;
    user:brave)      echo "${XDG_CONFIG_HOME:-$HOME/.config}/BraveSoftware/Brave-Browser/NativeMessagingHosts" ;;
  esac
}
browsers=$browser
[ "$browser" = all ] && browsers="chromium chrome edge brave"
for b in $browsers; do
  dirs=$(folder "$b")
  [ -n "$dirs" ] || { echo "install-host-manifest: unknown browser $b" >&2; exit 1; }
  for dir in $dirs; do
    mkdir -p "$dir"
    printf '%s\n' "$manifest" > "$dir/dev.weir.host.json"
    chmod 644 "$dir/dev.weir.host.json"
    echo "$dir/dev.weir.host.json"
  done
done
