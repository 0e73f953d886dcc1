# shellcheck shell=bash
# HAProxy (Debian's haproxy 2.6) for the clustered parts on 127.0.0.1 (issue 19), in one
# place: the gateways' balancer (scripts/cluster/services.sh, haproxy.cfg) and MinIO's
# (scripts/cluster/minio.sh, minio-haproxy.cfg) are started, watched and listed the same
# way. Sourced by both; each keeps its own ports, configuration, pid file and log.
#
#   haproxy_install                       Debian's package, if missing
#   haproxy_start WHAT CFG PIDFILE LOG VAR=VALUE...
#                                         CFG checked (haproxy -c) with the variables it
#                                         reads, then run in the foreground (-db) of a
#                                         session of its own, logging to LOG; PIDFILE
#                                         names the haproxy process itself
#   haproxy_servers STATS BACKEND         "server STATUS" lines of BACKEND as its health
#                                         checks see them (STATS: host:port of the page)
#   haproxy_wait_up STATS BACKEND COUNT SECONDS
#                                         until COUNT servers of BACKEND are UP

# shellcheck source=scripts/cluster/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

haproxy_install() { # Debian's haproxy, as scripts/stack.sh installs its packages
    command -v haproxy >/dev/null && return 0
    printf 'cluster haproxy: install: apt package haproxy\n'
    cluster_apt_install haproxy
}

haproxy_start() {
    local what=$1 cfg=$2 pidfile=$3 log=$4 _i
    shift 4
    haproxy_install || return 1
    mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")"
    rm -f "$pidfile"   # a stale one (an HAProxy killed) would pass for the new one
    env "$@" haproxy -c -q -f "$cfg" ||
        { printf 'cluster haproxy: %s: %s does not check\n' "$what" "$cfg" >&2; return 1; }
    printf '\n===== %s: start %s =====\n' "$what" "$(date -Is)" >>"$log"
    # in the foreground of a session of its own (-db), logging to stderr: its log file
    (exec setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
        env "$@" haproxy -db -f "$cfg" >>"$log" 2>&1 </dev/null 9>&-) &
    for ((_i = 0; _i < 50; _i++)); do [[ -s $pidfile ]] && break; sleep 0.1; done
    [[ -s $pidfile ]] ||
        { printf 'cluster haproxy: %s did not start; log %s\n' "$what" "$log" >&2; return 1; }
}

haproxy_servers() {
    curl -fsS --noproxy '*' --max-time 5 "http://$1/;csv" 2>/dev/null |
        awk -F, -v backend="$2" '$1 == backend && $2 != "BACKEND" && $2 != "FRONTEND" { print $2, $18 }'
}

haproxy_wait_up() {
    local stats=$1 backend=$2 count=$3 deadline=$((SECONDS + $4))
    until [[ $(haproxy_servers "$stats" "$backend" | grep -c ' UP$') -eq $count ]]; do
        ((SECONDS < deadline)) || {
            printf 'cluster haproxy: %s: not %s servers UP in %s s: %s\n' "$backend" "$count" "$4" \
                "$(haproxy_servers "$stats" "$backend" | tr '\n' ' ')" >&2
            return 1
        }
        sleep 0.5
    done
}
