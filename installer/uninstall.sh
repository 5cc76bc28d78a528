#!/usr/bin/env bash
# Removes what installer/install.sh installed, from its record: files whose content is
# still what was installed, links that still point where they were set, and the folders
# it created once they are empty. A file changed since (an edited policy) is kept.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
Usage: installer/uninstall.sh [--user]

Removes the Weir files that installer/install.sh wrote system-wide (as root), or with
--user those it wrote for the current user, as listed in its record
(/usr/lib/weir/installed-files or ~/.local/lib/weir/installed-files). Files changed since
they were installed (an edited /etc/weir/policy.json) are kept and named. Audit logs and
other state under \$XDG_DATA_HOME/weir are never touched. Running it again does nothing.
EOF
}

mode=system
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

paths=$("$repo/installer/stage.sh" --$mode --list-paths)
prefix=$(sed -n 's/^prefix //p' <<<"$paths")
record=$prefix/lib/weir/installed-files
if [ ! -f "$record" ]; then
  if [ "$mode" = system ] && dpkg-query -S /usr/lib/weir/weir-host >/dev/null 2>&1; then
    echo "uninstall.sh: Weir was installed by the weir Debian package: remove it with apt" >&2
    exit 2
  fi
  echo "Weir is not installed ($mode): no $record"
  exit 0
fi
if [ "$mode" = system ] && [ "$(id -u)" -ne 0 ]; then
  echo "uninstall.sh: removing a system-wide install needs root: run it with sudo" >&2
  exit 2
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

# Deepest folders first; a folder that still holds something not ours stays.
while IFS= read -r dir; do
  [ -n "$dir" ] || continue
  rmdir "$dir" 2>/dev/null && removed=$((removed + 1)) || true
done < <(printf '%s\n' "${dirs[@]}" | awk '{ print gsub("/", "/"), $0 }' | sort -rn | cut -d' ' -f2-)

echo "Weir uninstalled ($mode): $removed files, links and folders removed$( [ "$kept" -eq 0 ] || echo ", $kept kept")"
