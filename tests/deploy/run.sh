#!/usr/bin/env bash
# The deployment test, as root: build the Debian package and lint it, install it, write the
# force-install policy, check in Chromium (no --load-extension) that the extension arrives by
# policy and reaches the installed host, remove and purge the package and see it leave
# nothing; then install.sh/uninstall.sh system-wide and --user (every file they wrote goes;
# the user's store and keys stay and are named, or go with --purge),
# and the quick start headless with its output checked.
#
# It runs in a private mount namespace whose /etc, /usr and /var are overlays on tmpfs, so
# the package, the policy files and the system install never reach the real machine (other
# tests running meanwhile see none of it). WEIR_DEPLOY_PRIVATE=0 runs it on the machine
# itself, for a throwaway CI host without namespaces; it still cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/deploy: skipped, it installs a package and needs root"
  exit 0
fi

if [ -z "${WEIR_DEPLOY_INNER:-}" ]; then
  # Outside the namespace: the tools, installed for real (an overlay would forget them).
  ./installer/deps.sh
  need=()
  # build-essential: dpkg-buildpackage checks for it (a bare Debian has no compiler toolchain package).
  for p in build-essential debhelper dpkg-dev fakeroot lintian; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  if [ "${WEIR_DEPLOY_PRIVATE:-1}" = 1 ] && unshare -m true 2>/dev/null; then
    ov=$(mktemp -d -t weir-deploy-ns-XXXXXX)
    rc=0
    # shellcheck disable=SC2016
    unshare -m --propagation private env WEIR_DEPLOY_INNER=private bash -c '
      mount -t tmpfs weir-deploy "$1" || exit 97
      for d in etc usr var; do
        mkdir "$1/$d" "$1/$d.work" || exit 97
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/$d,workdir=$1/$d.work" "/$d" || exit 97
      done
      exec "$0"' "$0" "$ov" || rc=$?
    rmdir "$ov"
    [ "$rc" -eq 97 ] || exit "$rc"
    echo "tests/deploy: no overlay mounts here, running on the machine itself"
  fi
  export WEIR_DEPLOY_INNER=machine
fi

work=$(mktemp -d -t weir-deploy-XXXXXX)
trap 'rm -rf "$work"' EXIT
step_started=0
step() {
  [ "$step_started" -eq 0 ] || echo "-- $(( $(date +%s) - step_started )) s"
  step_started=$(date +%s)
  printf '\n== deploy: %s\n' "$*"
}
fail() { echo "FAIL: $*" >&2; exit 1; }
listing() { find "$@" -xdev -printf '%y %p %l\n' 2>/dev/null | sort; }

browser_dirs=(/etc/chromium/native-messaging-hosts /etc/opt/chrome/native-messaging-hosts
              /etc/opt/edge/native-messaging-hosts /etc/opt/brave/native-messaging-hosts)
policy_dirs=(/etc/chromium/policies/managed /etc/opt/chrome/policies/managed)
echo "deploy tests in: $WEIR_DEPLOY_INNER namespace"
if [ "$WEIR_DEPLOY_INNER" = machine ]; then
  # On the machine itself, refuse to run over an existing Weir rather than remove it after.
  for f in /usr/lib/weir /etc/weir "${browser_dirs[@]/%//dev.weir.host.json}"; do
    [ ! -e "$f" ] || fail "$f exists: this test installs and removes Weir, run it on a machine without Weir"
  done
fi
before=$(listing /etc /usr /opt)

step "build the package (dpkg-buildpackage -us -uc -b)"
mkdir -p "$work/src/weir"
tar -C "$repo" --exclude=./.git --exclude='./build*' --exclude=node_modules --exclude='./obj-*' \
  --exclude=./debian/weir --exclude=./debian/.debhelper -cf - . | tar -C "$work/src/weir" -xf -
# nocheck: tests/run-all has just run the same unit tests on the same tree.
(cd "$work/src/weir" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) \
  || { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
version=$(cd "$work/src/weir" && dpkg-parsechangelog -S Version)
deb=$work/src/weir_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

step "lintian"
lintian --fail-on error,warning "$work/src/weir_${version}_$(dpkg --print-architecture).changes" \
  >"$work/lintian.log" 2>&1 || { cat "$work/lintian.log"; fail "lintian reports errors or warnings"; }
grep -v '^running with root privileges' "$work/lintian.log" || true
echo "lintian: no error or warning (overrides: debian/weir.lintian-overrides)"

step "install it with apt"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1 \
  || { cat "$work/apt.log"; fail "apt-get install"; }
[ -x /usr/lib/weir/weir-host ] && [ -x /usr/bin/weir ] || fail "weir-host or weir missing"
[ -f /etc/weir/policy.json ] || fail "no /etc/weir/policy.json"
for b in /usr/lib/weir/weir-host /usr/lib/weir/weir-extract; do
  [ -x "$b" ] || fail "$b missing"
  ldd "$b" | grep -q 'libseccomp\.so' || fail "$b was built without its seccomp sandbox"
done
echo "weir-host and weir-extract are built with their seccomp sandboxes"
for d in "${browser_dirs[@]}"; do
  m=$d/dev.weir.host.json
  python3 - "$m" <<'EOF' || fail "bad host manifest $m"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["name"] == "dev.weir.host" and m["type"] == "stdio", m
assert m["path"] == "/usr/lib/weir/weir-host", m["path"]
assert m["allowed_origins"] == ["chrome-extension://lofofefebcjmdipjobeoencailainimi/"], m
EOF
done
echo "host manifest in: ${browser_dirs[*]}"
out=$(printf 'key\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\n' \
  | XDG_DATA_HOME=$work/cli-data weir scan -) || true
grep -q '^block' <<<"$out" || fail "the installed weir did not block a private key: $out"
echo "installed weir scan: ${out%%$'\n'*}"

step "the force-install policy, and Chromium without --load-extension"
cmp -s /usr/share/weir/policies/weir.json manifests/policies/linux/weir.json \
  || fail "manifests/policies/linux/weir.json differs from the policy the package ships: regenerate it (docs/deploy.md)"
# Only the folders this step makes are removed after it (a machine may have them already).
made_dirs=()
for d in "${policy_dirs[@]}"; do
  p=$d
  while [ ! -e "$p" ]; do made_dirs+=("$p"); p=$(dirname "$p"); done
  install -D -m 0644 /usr/share/weir/policies/weir.json "$d/weir.json"
done
# Automation reaches a policy-installed extension only with developer tools allowed.
echo '{"DeveloperToolsAvailability": 1}' >/etc/chromium/policies/managed/weir-test-devtools.json
node tests/e2e/lib/run-tests.mjs --timeout 180000 tests/deploy/forceinstall.test.mjs
rm -f /etc/chromium/policies/managed/weir-test-devtools.json
for d in "${policy_dirs[@]}"; do rm -f "$d/weir.json"; done
for d in "${made_dirs[@]}"; do rmdir "$d" 2>/dev/null || true; done

step "remove the package (dpkg -r), then purge it"
dpkg -r weir >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
for d in "${browser_dirs[@]}"; do
  [ ! -e "$d/dev.weir.host.json" ] && [ ! -L "$d/dev.weir.host.json" ] || fail "$d/dev.weir.host.json left behind"
done
for f in /usr/lib/weir /usr/bin/weir /usr/share/weir; do [ ! -e "$f" ] || fail "$f left behind"; done
[ -f /etc/weir/policy.json ] || fail "dpkg -r removed the configuration (only purge should)"
dpkg --purge weir >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
[ ! -e /etc/weir ] || fail "/etc/weir left behind by purge"
# dpkg removes a folder it shipped once it is empty and no other package has it: on Debian 12
# no package owns /etc/opt, so an empty /etc/opt goes with Weir's links (as with Chrome's own).
without_etc_opt() { grep -vx 'd /etc/opt ' || true; }
diff <(without_etc_opt <<<"$before") <(listing /etc /usr /opt | without_etc_opt) \
  || fail "the package left the files above behind"
echo "no host manifest, binary or policy left; /etc, /usr and /opt as before"
before=$(listing /etc /usr /opt)

step "install.sh and uninstall.sh, system-wide, twice each"
./installer/install.sh --no-deps --force-install-policy >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "install.sh"; }
./installer/install.sh --no-deps --force-install-policy >"$work/install2.log" 2>&1 \
  || { cat "$work/install2.log"; fail "install.sh, again"; }
tail -6 "$work/install2.log"
for d in "${browser_dirs[@]}"; do
  [ "$(readlink -f "$d/dev.weir.host.json")" = /usr/share/weir/native-messaging-hosts/dev.weir.host.json ] \
    || fail "install.sh: no host manifest in $d"
done
for d in "${policy_dirs[@]}"; do cmp -s "$d/weir.json" manifests/policies/linux/weir.json || fail "install.sh: policy in $d"; done
/usr/bin/weir --version >/dev/null || fail "install.sh: /usr/bin/weir does not run"
./installer/uninstall.sh
./installer/uninstall.sh | grep -q 'not installed' || fail "uninstall.sh is not idempotent"
diff <(echo "$before") <(listing /etc /usr /opt) || fail "uninstall.sh left the files above behind"
echo "every file install.sh wrote is gone"

step "install.sh with an organisation's own extension key, force-installed in Chromium"
openssl genrsa -out "$work/org.pem" 2048 2>/dev/null
org_id=$(./installer/build-crx.sh --key "$work/org.pem" --id-only)
[ "$org_id" != lofofefebcjmdipjobeoencailainimi ] || fail "the organisation's key gave the development ID"
./installer/install.sh --no-deps --force-install-policy --extension-key "$work/org.pem" >"$work/install-org.log" 2>&1 \
  || { cat "$work/install-org.log"; fail "install.sh --extension-key"; }
grep -q "chrome-extension://$org_id/" /usr/share/weir/native-messaging-hosts/dev.weir.host.json \
  || fail "the host manifest does not allow $org_id"
grep -q "\"$org_id;file:///usr/share/weir/extension/updates.xml\"" /etc/chromium/policies/managed/weir.json \
  || fail "the policy does not force-install $org_id"
echo '{"DeveloperToolsAvailability": 1}' >/etc/chromium/policies/managed/weir-test-devtools.json
node tests/e2e/lib/run-tests.mjs --timeout 180000 tests/deploy/forceinstall.test.mjs
rm -f /etc/chromium/policies/managed/weir-test-devtools.json
./installer/uninstall.sh
diff <(echo "$before") <(listing /etc /usr /opt) || fail "uninstall.sh left the files above behind"

step "install.sh --user and uninstall.sh --user in a scratch HOME"
home=$work/home
mkdir -p "$home/.config/chromium"
echo keep >"$home/.config/chromium/Local State"   # a browser's own file, which must stay
home_before=$(listing "$home")
HOME=$home ./installer/install.sh --user --no-deps >"$work/user.log" 2>&1 || { cat "$work/user.log"; fail "install.sh --user"; }
HOME=$home ./installer/install.sh --user --no-deps >>"$work/user.log" 2>&1 || { cat "$work/user.log"; fail "install.sh --user, again"; }
for d in chromium google-chrome microsoft-edge BraveSoftware/Brave-Browser; do
  m=$home/.config/$d/NativeMessagingHosts/dev.weir.host.json
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$m")" = "$home/.local/lib/weir/weir-host" ] \
    || fail "install.sh --user: $m"
done
[ -x "$home/.local/bin/weir" ] && [ -f "$home/.config/weir/policy.json" ] || fail "install.sh --user: files missing"
echo "wrote $(($(listing "$home" | wc -l) - $(echo "$home_before" | wc -l))) files, links and folders under the scratch HOME"
# The installed weir makes what a user's Weir holds: a trusted key and the store.
as_user() { env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u WEIR_HOME HOME="$home" "$@"; }
user_state() {
  as_user "$home/.local/bin/weir" keygen -s "$work/user-$1.key" -p "$work/user-$1.pub" >/dev/null
  as_user "$home/.local/bin/weir" trust add "$work/user-$1.pub" >/dev/null
  echo "lunch at noon" | as_user "$home/.local/bin/weir" scan - >/dev/null
  [ -d "$home/.config/weir/trusted" ] && [ -f "$home/.local/share/weir/weir.db" ] \
    || fail "weir made no trusted key or store under the scratch HOME"
}
user_state 1
as_user ./installer/uninstall.sh --user --purge >"$work/purge.log"
grep -q "^purged $home/.local/share/weir$" "$work/purge.log" || { cat "$work/purge.log"; fail "uninstall.sh --purge"; }
diff <(echo "$home_before") <(listing "$home") || fail "uninstall.sh --user --purge left the files above behind"
echo "every file install.sh --user wrote is gone, and with --purge the store and the keys; the browser's own file stayed"
# Without --purge, what Weir made stays and is named, and a later --purge removes it.
as_user ./installer/install.sh --user --no-deps >>"$work/user.log" 2>&1 || { cat "$work/user.log"; fail "install.sh --user, a third time"; }
user_state 2
as_user ./installer/uninstall.sh --user >"$work/uninstall.log"
cat "$work/uninstall.log"
for expect in "^kept $home/.config/weir/trusted: trusted admin keys" "^kept $home/.local/share/weir: the store" \
              "--user --purge removes them too"; do
  grep -q -- "$expect" "$work/uninstall.log" || fail "uninstall.sh --user does not say: $expect"
done
[ -f "$home/.local/share/weir/weir.db" ] && [ -d "$home/.config/weir/trusted" ] || fail "uninstall.sh --user removed the store or the keys"
[ ! -e "$home/.local/bin/weir" ] || fail "uninstall.sh --user left weir"
as_user ./installer/uninstall.sh --user --purge >/dev/null
diff <(echo "$home_before" | grep -v '^d ') <(listing "$home" | grep -v '^d ') \
  || fail "uninstall.sh --user --purge (after an uninstall) left the files above behind"
echo "without --purge the store and the keys stay, named; --purge later removes them"

step "the quick start, headless (installer/demo.sh)"
env -u DISPLAY ./installer/demo.sh >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; fail "installer/demo.sh"; }
sed -n '/== the browser/,$p' "$work/demo.log"
for expect in '^allow' '^warn' '^block' 'No file under WEIR_HOME holds' \
              '^paste 1, a harmless line: inserted' '^paste 2, a card number: warn: ' \
              '^paste 3, a private key: block: ' 'never the pasted text'; do
  grep -q -- "$expect" "$work/demo.log" || { cat "$work/demo.log"; fail "quick start output lacks: $expect"; }
done
[ "$(head -c 8 build/weir-demo.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
  || fail "no PNG screenshot at build/weir-demo.png"
step "done"
