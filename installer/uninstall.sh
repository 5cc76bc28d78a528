#!/usr/bin/env bash
# Removes what installer/install.sh installed, from its record: files whose content is
# still what was installed, links that still point where they were set, and the folders
# it created once they are empty. A file changed since (an edited policy) is kept.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
Usage: installer/uninstall.sh [--user] [--purge]

Removes the Weir files that installer/install.sh wrote system-wide (as root), or with
--user those it wrote for the current user, as listed in its record
(/usr/lib/weir/installed-files or ~/.local/lib/weir/installed-files). Files changed since
they were installed (an edited /etc/weir/policy.json) are kept and named. Running it again
does nothing.

What Weir made while it ran stays, and is named: the trusted admin keys, the pack inbox
and the policy in the configuration folder (/etc/weir, or ~/.config/weir with --user), and
with --user the store under \$XDG_DATA_HOME/weir (imported packs, the audit log, the
device's keys). --purge removes those too; the audit log goes with the store, so export
it first (weir audit export) if it may be needed. Each user's own store is never touched
by a system-wide uninstall.
EOF
}

mode=system purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

paths=$("$repo/installer/stage.sh" --$mode --list-paths)
prefix=$(sed -n 's/^prefix //p' <<<"$paths")
confdir=$(sed -n 's/^confdir //p' <<<"$paths")
record=$prefix/lib/weir/installed-files
# The user's store: where weir and weir-host put it (paths.c: g_get_user_data_dir()/weir).
state=
if [ "$mode" = user ]; then
  case "${XDG_DATA_HOME:-}" in
    /?*) state=$XDG_DATA_HOME/weir ;;
    *) state=$HOME/.local/share/weir ;;
  esac
fi

# What Weir made while it ran, one "path<TAB>what" a line, for those that exist.
leftovers() {
  [ -d "$confdir/trusted" ] && printf '%s\t%s\n' "$confdir/trusted" "trusted admin keys"
  [ -d "$confdir/packs" ] && printf '%s\t%s\n' "$confdir/packs" "the pack inbox"
  [ -n "$state" ] && [ -d "$state" ] && printf '%s\t%s\n' "$state" \
    "the store: imported packs, the audit log, the device's keys"
  return 0
}

# Says what stays and how to remove it.
leftovers_tell() {
  local list
  list=$(leftovers)
  [ -n "$list" ] || return 0
  while IFS=$'\t' read -r path what; do echo "kept $path: $what"; done <<<"$list"
  echo "installer/uninstall.sh$( [ "$mode" = system ] || echo " --user") --purge removes them too" \
       "(the audit log with the store: weir audit export first if it may be needed)"
}

# --purge: the configuration folder (with an edited policy.json, named above) and the
# store go whole: both are Weir's own folders, named .../weir. Before the recorded
# folders are removed, so that their parents (~/.local/share) can go too.
leftovers_purge() {
  local dir
  for dir in "$confdir" "$state"; do
    if [ -z "$dir" ] || [ ! -e "$dir" ]; then continue; fi
    case "$dir" in /?*/weir) ;; *) echo "uninstall.sh: not purging $dir: not a Weir folder" >&2; exit 2 ;; esac
    rm -rf -- "$dir"
    echo "purged $dir"
  done
}

if [ "$mode" = system ] && [ "$(id -u)" -ne 0 ] && { [ -f "$record" ] || [ "$purge" -eq 1 ]; }; then
  echo "uninstall.sh: removing a system-wide install needs root: run it with sudo" >&2
  exit 2
fi
if [ ! -f "$record" ]; then
  if [ "$mode" = system ] && dpkg-query -S /usr/lib/weir/weir-host >/dev/null 2>&1; then
    echo "uninstall.sh: Weir was installed by the weir Debian package: remove it with apt" >&2
    exit 2
  fi
  echo "Weir is not installed ($mode): no $record"
  if [ "$purge" -eq 1 ]; then leftovers_purge; else leftovers_tell; fi
  exit 0
fi

removed=0 kept=0 dirs=()
while IFS=$'\t' read -r kind value path; do
  case "$kind" in
    f)
      if [ ! -e "$path" ]; then continue; fi
      if [ -f "$path" ] && [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$value" ]; then
        rm -f "$path"; removed=$((removed + 1))
      else
        echo "kept $path: changed since it was installed"; kept=$((kept + 1))
      fi ;;
    l)
      if [ -L "$path" ] && [ "$(readlink "$path")" = "$value" ]; then
        rm -f "$path"; removed=$((removed + 1))
      elif [ -e "$path" ] || [ -L "$path" ]; then
        echo "kept $path: changed since it was installed"; kept=$((kept + 1))
      fi ;;
    d) dirs+=("$path") ;;
  esac
done <"$record"
rm -f "$record"
[ "$purge" -eq 0 ] || leftovers_purge

# Deepest folders first; a folder that still holds something not ours stays.
while IFS= read -r dir; do
  [ -n "$dir" ] || continue
  rmdir "$dir" 2>/dev/null && removed=$((removed + 1)) || true
done < <(printf '%s\n' "${dirs[@]}" | awk '{ print gsub("/", "/"), $0 }' | sort -rn | cut -d' ' -f2-)

echo "Weir uninstalled ($mode): $removed files, links and folders removed$( [ "$kept" -eq 0 ] || echo ", $kept kept")"
[ "$purge" -eq 1 ] || leftovers_tell
if [ "$mode" = system ]; then
  echo "each user's store (~/.local/share/weir) stays; installer/uninstall.sh --user --purge, as that user, removes it"
fi
