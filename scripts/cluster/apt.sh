# shellcheck shell=bash
# Debian packages for the clustered parts (issue 19), installed as scripts/stack.sh installs
# its own: Debian's maintainer scripts must not start a system-wide server (PostgreSQL on
# 5432, HAProxy) while they install. Sourced by haproxy.sh and postgres.sh.
#
#   cluster_apt_install PKG...            apt-get install PKG... (apt-get update first when
#                                         the machine has no package lists yet)

cluster_apt_install() {
    local sudo=() created=0 rc=0
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        "${sudo[@]}" sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
        created=1
    fi
    compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "$@" || rc=$?
    [[ $created -eq 1 ]] && "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    return "$rc"
}
