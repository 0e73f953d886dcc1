#!/usr/bin/env bash
# The browser of the browser tests (tests/browser): Debian's chromium and chromium-driver,
# installed from Debian's packages (never a browser download). Idempotent.
#   scripts/browser.sh install     install what is missing
#   scripts/browser.sh check       exit 0 when /usr/bin/chromium and /usr/bin/chromedriver exist
set -euo pipefail

sudo_cmd() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

installed() { [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; }

install() {
    installed && return 0
    echo "browser: installing Debian packages chromium chromium-driver fonts-dejavu-core" >&2
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        sudo_cmd "${apt[@]}" update -q
    fi
    sudo_cmd "${apt[@]}" install -y -q --no-install-recommends \
        chromium chromium-driver fonts-dejavu-core || {
        sudo_cmd "${apt[@]}" update -q &&
            sudo_cmd "${apt[@]}" install -y -q --no-install-recommends \
                chromium chromium-driver fonts-dejavu-core
    }
    installed
}

case "${1:-install}" in
    install) install ;;
    check) installed ;;
    *) echo "usage: $0 install|check" >&2; exit 2 ;;
esac
