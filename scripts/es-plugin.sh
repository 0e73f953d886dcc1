#!/usr/bin/env bash
# Build (when needed) and install the procedura-analysis-ro Elasticsearch plugin.
#
#   scripts/es-plugin.sh ES_HOME            build if stale, install into ES_HOME/plugins/procedura-analysis-ro
#   scripts/es-plugin.sh --build-only       only make sure the cached zip is up to date; print its path
#
# The plugin (engines/elasticsearch-analysis-ro, a Maven project) is an Elasticsearch *stable*
# analysis plugin providing ro_cedilla (char filter) and ro_lowercase, ro_stop, ro_stem, ro_fold
# (token filters); see docs/adr/0002-elasticsearch-romanian-analysis.md.
#
# Idempotent: the zip is cached in ${PROCEDURA_CACHE:-~/.cache/procedura}/es-plugin/ and rebuilt only
# when missing or older than the Maven sources; the installed copy is replaced only when it differs.
# Elasticsearch reads plugins at startup only: restart the node after an install/upgrade.
#
# Environment: PROCEDURA_CACHE, JAVA_HOME (default: the Debian openjdk-17 that runs our ES),
# PROCEDURA_ES_PLUGIN_OWNER (user:group to chown the installed files to; default: owner of ES_HOME/plugins).
set -euo pipefail

# ---- pinned versions -------------------------------------------------------
ES_VERSION=8.19.21   # must equal the ES the plugin goes into (stable plugin descriptor records it)
JAVA_HOME_17=/usr/lib/jvm/java-17-openjdk-amd64
PLUGIN_NAME=procedura-analysis-ro

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT=$REPO/engines/elasticsearch-analysis-ro
CACHE=${PROCEDURA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procedura}
OUT=$CACHE/es-plugin

log() { printf 'es-plugin: %s\n' "$*" >&2; }
die() { printf 'es-plugin: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -eq 1 ]] || usage
case $1 in -h|--help) usage ;; esac

[[ -f $PROJECT/pom.xml ]] || die "Maven project not found: $PROJECT/pom.xml"
# <version> of the project itself: the first one after <artifactId>procedura-analysis-ro</artifactId>
PLUGIN_VERSION=$(sed -n "/<artifactId>$PLUGIN_NAME<\/artifactId>/,/<version>/s:.*<version>\(.*\)</version>.*:\1:p" "$PROJECT/pom.xml" | head -n1)
[[ -n $PLUGIN_VERSION ]] || die "cannot read the project version from $PROJECT/pom.xml"
ZIP=$OUT/$PLUGIN_NAME-$PLUGIN_VERSION.zip

# ---- build -----------------------------------------------------------------
check_toolchain() {
    if [[ -z ${JAVA_HOME:-} && -x $JAVA_HOME_17/bin/javac ]]; then
        export JAVA_HOME=$JAVA_HOME_17
    fi
    if [[ -n ${JAVA_HOME:-} ]]; then
        [[ -x $JAVA_HOME/bin/javac ]] ||
            die "JAVA_HOME=$JAVA_HOME has no javac: a JDK >= 17 is needed (Debian: apt-get install openjdk-17-jdk-headless)"
        export PATH=$JAVA_HOME/bin:$PATH
    fi
    command -v javac >/dev/null ||
        die "no JDK found (javac missing): install openjdk-17-jdk-headless or set JAVA_HOME to a JDK >= 17"
    local v
    v=$(javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')
    [[ -n $v && $v -ge 17 ]] || die "JDK >= 17 needed, found: $(javac -version 2>&1)"
    command -v mvn >/dev/null ||
        die "Maven (mvn) not found: install it (Debian: apt-get install maven); needed to build $PLUGIN_NAME"
}

zip_is_fresh() { # cached zip exists and no source file is newer
    [[ -f $ZIP ]] || return 1
    [[ -z $(find "$PROJECT/pom.xml" "$PROJECT/src" -newer "$ZIP" -print -quit) ]]
}

build() {
    if zip_is_fresh; then
        return 0
    fi
    check_toolchain
    log "building $PLUGIN_NAME $PLUGIN_VERSION for Elasticsearch $ES_VERSION (mvn package)"
    mvn -q -B -f "$PROJECT/pom.xml" package "-Delasticsearch.version=$ES_VERSION" ||
        die "mvn package failed (see output above)"
    local built=$PROJECT/target/$PLUGIN_NAME-$PLUGIN_VERSION.zip
    [[ -f $built ]] || die "build did not produce $built"
    mkdir -p "$OUT"
    cp "$built" "$ZIP.tmp.$$"
    mv -f "$ZIP.tmp.$$" "$ZIP"   # atomic; the new mtime marks it fresh
}

if [[ $1 == --build-only ]]; then
    build
    echo "$ZIP"
    exit 0
fi

# ---- install ---------------------------------------------------------------
ES_HOME=${1%/}
[[ -d $ES_HOME/lib && -d $ES_HOME/modules ]] || die "$ES_HOME does not look like an Elasticsearch home (no lib/ or modules/)"
[[ -f $ES_HOME/lib/elasticsearch-$ES_VERSION.jar ]] ||
    die "$ES_HOME is not Elasticsearch $ES_VERSION (no lib/elasticsearch-$ES_VERSION.jar); the plugin is pinned to $ES_VERSION"
command -v unzip >/dev/null || die "unzip not found (Debian: apt-get install unzip)"

build

PLUGINS=$ES_HOME/plugins
DEST=$PLUGINS/$PLUGIN_NAME
mkdir -p "$PLUGINS"

# Stage outside plugins/ (ES would treat any directory there as a plugin), same filesystem for mv.
STAGE=$(mktemp -d "$ES_HOME/.$PLUGIN_NAME.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
unzip -q "$ZIP" -d "$STAGE/$PLUGIN_NAME"

if [[ -d $DEST ]] && diff -rq "$STAGE/$PLUGIN_NAME" "$DEST" >/dev/null 2>&1; then
    log "$PLUGIN_NAME $PLUGIN_VERSION already installed in $DEST"
    exit 0
fi

chmod -R u=rwX,go=rX "$STAGE/$PLUGIN_NAME"
owner=${PROCEDURA_ES_PLUGIN_OWNER:-}
if [[ -z $owner && $(id -u) -eq 0 ]]; then
    owner=$(stat -c '%u:%g' "$PLUGINS")
fi
[[ -n $owner ]] && chown -R "$owner" "$STAGE/$PLUGIN_NAME"

if [[ -d $DEST ]]; then
    log "replacing the installed copy in $DEST"
    mv "$DEST" "$STAGE/old"
fi
mv "$STAGE/$PLUGIN_NAME" "$DEST"
log "installed $PLUGIN_NAME $PLUGIN_VERSION into $DEST (restart Elasticsearch to load it)"
