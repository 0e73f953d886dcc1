#!/usr/bin/env bash
# pdf.js for the web interface's viewer: the pdfjs-dist pinned in web/package-lock.json
# (`npm ci` checks every tarball against the lock's sha512 integrity), from the npm
# registry, never a CDN, copied into services/gateway/ui/static/pdfjs (git-ignored), which
# the gateway serves as /static/pdfjs/...
#   scripts/pdfjs.sh install   fetch and copy when the copy is missing or older than the lock
#   scripts/pdfjs.sh check     exit 0 when the copy matches the lock
#   scripts/pdfjs.sh copy      copy from web/node_modules (after `npm ci`; the image build)
# Downloads are cached outside the clone ($PROCEDURA_CACHE/npm), so a second install needs
# no network. Only what the viewer loads is copied: no pdf.sandbox (PDF scripting stays
# off), no WebAssembly (the CSP allows none; pdf.js decodes JPEG 2000 and JBIG2 in
# JavaScript instead), no source maps.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WEB=$REPO/web
DEST=$REPO/services/gateway/ui/static/pdfjs
CACHE=${PROCEDURA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procedura}
STAMP=$DEST/.lock-sha256

sudo_cmd() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
log() { echo "pdfjs: $*" >&2; }

lock_sum() { sha256sum "$WEB/package-lock.json" | cut -d' ' -f1; }

current() { [[ -f $STAMP && $(cat "$STAMP") == "$(lock_sum)" ]]; }

need_npm() {
    command -v npm >/dev/null && return 0
    log "installing Debian packages nodejs npm"
    sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install \
        -y -q --no-install-recommends nodejs npm || {
        sudo_cmd apt-get update -q &&
            sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends nodejs npm
    }
}

copy() {
    local dist=$WEB/node_modules/pdfjs-dist tmp
    [[ -f $dist/build/pdf.min.mjs ]] || { log "$dist is missing: run npm ci in web/"; exit 1; }
    tmp=$(mktemp -d "$REPO/services/gateway/ui/static/.pdfjs.XXXXXX")
    chmod 755 "$tmp"
    mkdir -p "$tmp/build" "$tmp/web" "$tmp/wasm"
    cp "$dist/build/pdf.min.mjs" "$dist/build/pdf.worker.min.mjs" "$tmp/build/"
    cp "$dist/web/pdf_viewer.mjs" "$dist/web/pdf_viewer.css" "$tmp/web/"
    cp -r "$dist/web/images" "$tmp/web/"
    cp "$dist/wasm/openjpeg_nowasm_fallback.js" "$tmp/wasm/"
    cp -r "$dist/cmaps" "$dist/standard_fonts" "$tmp/"
    cp "$dist/LICENSE" "$tmp/"
    lock_sum >"$tmp/.lock-sha256"
    rm -rf "$DEST"
    mv "$tmp" "$DEST"
    log "pdfjs-dist $(node -p "require('$dist/package.json').version" 2>/dev/null || echo '?') in $DEST"
}

install() {
    current && return 0
    need_npm
    mkdir -p "$CACHE/npm"
    (cd "$WEB" && npm ci --ignore-scripts --omit=optional --no-audit --no-fund \
        --prefer-offline --cache "$CACHE/npm" --loglevel=error)
    copy
}

case "${1:-install}" in
    install) install ;;
    check) current ;;
    copy) copy ;;
    *) echo "usage: $0 install|check|copy" >&2; exit 2 ;;
esac
