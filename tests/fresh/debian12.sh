#!/usr/bin/env bash
# Proves the README's quick start on a bare Debian 12: builds a minbase bookworm system with
# debootstrap (no compiler, no browser, no font; Node.js only as Debian's own 18.20 once the
# demo installs it), copies a clean clone of this repository's HEAD into it, and runs the
# README's two commands there as root in a clean environment (env -i): the demo
# (installer/demo.sh --headless), then the tests (.ci/run). Prints how long each took.
#
# Not part of .ci/run: it needs the Debian mirror and takes half an hour or more.
#
#   tests/fresh/debian12.sh [--root DIR] [--reuse] [--demo-only]
#     --root DIR    where the Debian system is built (default: /var/tmp/weir-fresh-debian12;
#                   not under the work tree, where a stray `rm -rf build` could meet its mounts)
#     --reuse       keep an existing system at DIR (only the clone is replaced); without it
#                   DIR is built anew, so nothing from an earlier run can help
#     --demo-only   run the first command only
# Needs root, debootstrap (apt-get install debootstrap) and the network to the Debian mirror.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${TMPDIR:-/var/tmp}/weir-fresh-debian12
reuse=0
demo_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$(realpath -m "$2"); shift ;;
    --reuse) reuse=1 ;;
    --demo-only) demo_only=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "debian12.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "debian12.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian12.sh: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }

# The mirror this machine's apt uses (deb822 .sources or a one-line sources.list).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

mounted=()
cleanup() {
  local i
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -R -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ "$reuse" -eq 0 ] || [ ! -x "$root/usr/bin/apt-get" ]; then
  if [ -e "$root" ]; then
    for d in proc sys dev; do ! mountpoint -q "$root/$d" || umount -R -l "$root/$d"; done
    for d in proc sys dev; do
      ! mountpoint -q "$root/$d" || { echo "debian12.sh: $root/$d is still mounted, not removing $root" >&2; exit 2; }
    done
    rm -rf --one-file-system "$root"
  fi
  echo "== debootstrap --variant=minbase bookworm $root $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -n 20 "$root.debootstrap.log" >&2; exit 2; }
fi

# The machine's package sources (with bookworm-updates and -security), its resolver, and its
# trust store (a machine of ours trusts its network's CA; ca-certificates picks it up when the
# demo installs it).
if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true

for d in proc sys dev; do
  mount --rbind "/$d" "$root/$d"
  mount --make-rslave "$root/$d"
  mounted+=("$root/$d")
done

rm -rf "$root/root/weir"
git clone -q --no-hardlinks "$repo" "$root/root/weir"
echo "== a clean clone of $(git -C "$repo" rev-parse --short HEAD) in $root/root/weir"

in_chroot() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/weir && $1"
}
timed() {
  local started rc=0
  started=$(date +%s)
  echo "== $1"
  in_chroot "$1" || rc=$?
  echo "== $1: exit $rc after $(( $(date +%s) - started )) s"
  return "$rc"
}

timed './installer/demo.sh --headless'
[ "$demo_only" -eq 1 ] || timed 'CI=true bash .ci/run'
