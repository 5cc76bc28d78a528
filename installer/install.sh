#!/usr/bin/env bash
# Installs Weir from this source tree: build dependencies (apt-get), a release build, the
# tests if asked, then the files, either system-wide (root) or for one user (--user).
# Every file, link and folder it creates is recorded, so uninstall.sh removes exactly those.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
Usage: installer/install.sh [--user] [options]

System-wide (as root), the default:
  /usr/bin/weir, /usr/lib/weir/weir-host, /etc/weir/policy.json (the default policy),
  the host manifest /usr/share/weir/native-messaging-hosts/dev.weir.host.json linked from
  /etc/chromium/native-messaging-hosts, /etc/opt/chrome/native-messaging-hosts,
  /etc/opt/edge/native-messaging-hosts and /etc/opt/brave/native-messaging-hosts,
  the packed extension and its update manifest in /usr/share/weir/extension/, and the
  ready browser policy /usr/share/weir/policies/weir.json.
--user, for the calling user, no root needed:
  ~/.local/bin/weir, ~/.local/lib/weir/weir-host, ~/.config/weir/policy.json, and the
  host manifest linked from ~/.config/{chromium,google-chrome,microsoft-edge,
  BraveSoftware/Brave-Browser}/NativeMessagingHosts.

Options:
  --user                 install for the current user only (see above)
  --test                 run ./tests/run-all before installing
  --no-deps              do not install build dependencies with apt-get
  --force-install-policy also write the browser policy into /etc/chromium/policies/managed/
                         and /etc/opt/chrome/policies/managed/ (system only): every Chromium and
                         Chrome on this machine then installs Weir and cannot remove it
  --extension-key KEY    sign the extension with your organisation's RSA key (PEM) instead of
                         the public development key; the host manifests allow the ID it gives
  --no-crx               do not pack the extension (no Chromium at hand)
  -h, --help             this text

Run it again to update; installer/uninstall.sh [--user] removes what it installed.
EOF
}

mode=system run_tests=0 deps=1 force_policy=0 crx=1
key="$repo/manifests/dev-key/weir-dev-extension-key.pem"
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user; shift ;;
    --test) run_tests=1; shift ;;
    --no-deps) deps=0; shift ;;
    --force-install-policy) force_policy=1; shift ;;
    --extension-key) key=$(realpath "$2"); shift 2 ;;
    --no-crx) crx=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

fail() { echo "install.sh: $*" >&2; exit 2; }
say() { printf '%s\n' "$*"; }

if [ "$mode" = system ]; then
  [ "$(id -u)" -eq 0 ] || fail "a system-wide install needs root: run it with sudo, or use --user"
  if dpkg-query -S /usr/lib/weir/weir-host >/dev/null 2>&1; then
    fail "the weir Debian package owns /usr/lib/weir: update or remove it with apt, not this script"
  fi
else
  [ "$force_policy" -eq 0 ] || fail "--force-install-policy writes /etc and needs a system-wide install"
  crx=0   # force-install needs root-owned policy; a user loads extension/ unpacked instead
fi
# Paths of this mode, shared with stage.sh (and so with the Debian package).
paths=$("$repo/installer/stage.sh" --$mode --list-paths)
declare -A where
while read -r name value; do where[$name]=$value; done <<<"$paths"
prefix=${where[prefix]} confdir=${where[confdir]}
record=$prefix/lib/weir/installed-files

cd "$repo"
[ "$deps" -eq 0 ] || ./installer/deps.sh

# A build folder of its own: the install prefix and configuration folder are compiled in.
build=build-install-$mode
opts=(--prefix="$prefix" --libdir=lib --buildtype=release -Dweir_sysconfdir="$confdir")
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" "${opts[@]}" >/dev/null
else
  meson setup "$build" "${opts[@]}" >/dev/null
fi
# Quiet on success; on failure the compiler's own words, not a silent exit.
if ! ninja -C "$build" >"$build/weir-install-build.log" 2>&1; then
  tail -n 40 "$build/weir-install-build.log" >&2
  echo "install.sh: building Weir failed (log: $build/weir-install-build.log)" >&2
  exit 1
fi
# The deployment test is skipped: it installs and removes Weir itself.
[ "$run_tests" -eq 0 ] || WEIR_SKIP_DEPLOY=1 ./tests/run-all

ext_id=$(./installer/build-crx.sh --key "$key" --id-only)
crx_args=()
if [ "$crx" -eq 1 ]; then
  if command -v chromium >/dev/null; then
    ./installer/build-crx.sh --key "$key" --out "$build/crx" >/dev/null
    crx_args=(--crx-dir "$build/crx")
  else
    say "note: chromium is not installed, so the extension is not packed (force-install needs it)"
    [ "$force_policy" -eq 0 ] || fail "--force-install-policy needs the packed extension, and so chromium"
  fi
fi

stage=$(mktemp -d -t weir-stage-XXXXXX)
trap 'rm -rf "$stage"' EXIT
meson install -C "$build" --destdir "$stage" --no-rebuild --quiet >/dev/null
./installer/stage.sh --$mode --destdir "$stage" --extension-id "$ext_id" "${crx_args[@]}"
if [ "$force_policy" -eq 1 ]; then
  for dir in /etc/chromium/policies/managed /etc/opt/chrome/policies/managed; do
    install -D -m 0644 "$stage/usr/share/weir/policies/weir.json" "$stage$dir/weir.json"
  done
fi

# ---- copy the staged tree into place, recording what was created ----
declare -A entries   # path -> "d -" | "f SHA256" | "l TARGET"; the record holds them tab-separated
if [ -f "$record" ]; then
  while IFS=$'\t' read -r kind value path; do
    [ -n "$path" ] || continue
    entries[$path]="$kind $value"
  done <"$record"
fi
was_ours() { [ -n "${entries[$1]:-}" ]; }

place_dir() {
  local dest=$1
  [ -d "$dest" ] && return 0
  place_dir "$(dirname "$dest")"
  mkdir -m 0755 "$dest"
  entries[$dest]="d -"
}

place_file() {
  local src=$1 dest=$2
  # An edited policy that this script did not write stays as the admin left it.
  if [ "$dest" = "$confdir/policy.json" ] && [ -f "$dest" ] && ! was_ours "$dest" \
     && ! cmp -s "$src" "$dest"; then
    say "kept $dest: it was there before and differs from the default policy"
    return 0
  fi
  rm -f "$dest"
  cp -p "$src" "$dest"
  entries[$dest]="f $(sha256sum "$dest" | cut -d' ' -f1)"
}

place_link() {
  local src=$1 dest=$2 target
  target=$(readlink "$src")
  ln -sfn "$target" "$dest"
  entries[$dest]="l $target"
}

while IFS= read -r -d '' src; do
  dest=${src#"$stage"}
  [ -n "$dest" ] || continue
  case "$dest" in *$'\t'*|*$'\n'*) fail "cannot install a path holding a tab or newline: $dest" ;; esac
  if [ -L "$src" ]; then place_dir "$(dirname "$dest")"; place_link "$src" "$dest"
  elif [ -d "$src" ]; then place_dir "$dest"
  else place_dir "$(dirname "$dest")"; place_file "$src" "$dest"
  fi
done < <(find "$stage" -mindepth 1 -print0 | sort -z)

place_dir "$(dirname "$record")"
tmp_record=$(mktemp "$(dirname "$record")/.installed-files.XXXXXX")
for path in "${!entries[@]}"; do
  read -r kind value <<<"${entries[$path]}"
  printf '%s\t%s\t%s\n' "$kind" "$value" "$path"
done | sort -t$'\t' -k3 >"$tmp_record"
chmod 0644 "$tmp_record"
mv -f "$tmp_record" "$record"

say "Weir $(git -C "$repo" describe --always --dirty 2>/dev/null || echo) installed ($mode) for extension $ext_id"
say "  weir:      $prefix/bin/weir"
say "  host:      $prefix/lib/weir/weir-host"
say "  policy:    $confdir/policy.json"
uninstall="installer/uninstall.sh"; [ "$mode" = system ] || uninstall+=" --user"
say "  record:    $record ($(wc -l <"$record") entries; $uninstall removes them)"
if [ "$mode" = user ]; then
  say "Load the extension from $repo/extension (chrome://extensions, Developer mode, Load unpacked)."
  case ":$PATH:" in *":$prefix/bin:"*) ;; *) say "Add $prefix/bin to PATH to run weir." ;; esac
elif [ "$force_policy" -eq 1 ]; then
  say "Chromium and Chrome now force-install Weir from file:///usr/share/weir/extension/updates.xml."
elif [ ${#crx_args[@]} -gt 0 ]; then
  say "To force-install the extension, copy /usr/share/weir/policies/weir.json into"
  say "/etc/chromium/policies/managed/ and /etc/opt/chrome/policies/managed/ (docs/deploy.md)."
fi
