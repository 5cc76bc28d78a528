#!/usr/bin/env bash
# Prints the Chromium/Chrome managed policy that deploys Weir: force-install the extension
# from its update manifest, let it reach the host, refuse user-level host manifests, and
# the extension's managed configuration. Drop the output into /etc/chromium/policies/managed/
# and /etc/opt/chrome/policies/managed/ (docs/deploy.md).
set -euo pipefail

usage() {
  cat <<EOF
Usage: installer/write-policy.sh [--extension-id ID] [--update-url URL]

  --extension-id ID  default: lofofefebcjmdipjobeoencailainimi (the development key's)
  --update-url URL   default: file:///usr/share/weir/extension/updates.xml
EOF
}

ext_id=lofofefebcjmdipjobeoencailainimi
update_url=file:///usr/share/weir/extension/updates.xml
while [ $# -gt 0 ]; do
  case "$1" in
    --extension-id) ext_id=$2; shift 2 ;;
    --update-url) update_url=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "write-policy.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
[[ "$ext_id" =~ ^[a-p]{32}$ ]] || { echo "write-policy.sh: $ext_id is not an extension ID (32 letters a-p)" >&2; exit 1; }

# DeveloperToolsAvailability is left at its default (0: no developer tools on
# force-installed extensions), so users cannot stop or rewrite the guard from DevTools.
# Automated tests need 1 and add it in a file of their own.
python3 - "$ext_id" "$update_url" <<'EOF'
import json, sys
ext_id, update_url = sys.argv[1:3]
policy = {
    "ExtensionInstallForcelist": [f"{ext_id};{update_url}"],
    "NativeMessagingAllowlist": ["dev.weir.host"],
    "NativeMessagingUserLevelHosts": False,
    "3rdparty": {"extensions": {ext_id: {
        "guard_file_pages": True,
        "guard_clipboard_read": True,
        "exempt_origins": [],
    }}},
}
print(json.dumps(policy, indent=2))
EOF
