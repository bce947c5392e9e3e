#!/usr/bin/env bash
# npm test: installs what the tests need beyond npm when it is missing (as root), then runs
# the checks (typecheck, lint, format), builds the web UI and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() {
  echo "npm test: $1 is missing. Install it with: $2" >&2
  exit 1
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@" >/dev/null ||
    { apt-get -o DPkg::Lock::Timeout=300 update >/dev/null && apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@" >/dev/null; }
}

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "npm test: installing Debian's chromium for the browser tests…"
    apt_install chromium
  else
    need_root "Chromium (/usr/bin/chromium)" "sudo apt-get install -y chromium"
  fi
fi

registrar="${SIPCREDS_REGISTRAR_DIR:-$(cd .. && pwd)/shared/sip-registrar}"
if ! command -v kamailio >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && [ -f "$registrar/install.sh" ]; then
    echo "npm test: installing Kamailio for the registration tests…"
    bash "$registrar/install.sh" >/dev/null
  else
    need_root "Kamailio" "sudo bash $registrar/install.sh   (or: sudo apt-get install -y kamailio)"
  fi
fi

npm run --silent check
npm run --silent build:web >/dev/null
npx vitest run "$@"
