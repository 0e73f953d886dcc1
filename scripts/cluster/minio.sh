# shellcheck shell=bash
# A distributed, erasure-coded MinIO on 127.0.0.1 for Procedura (issue 19): the server that
# scripts/stack.sh builds from the Go module proxy into the cache ($CACHE/bin/minio), four
# `minio server` processes with two drives each (folders under .stack/cluster/minio-N/d1,
# d2), one deployment of 8 drives in one erasure set, the root credentials of the dev
# stack's secrets.env (PROCEDURA_MINIO_ACCESS_KEY / _SECRET_KEY: never a default).
#
# Sourced by scripts/cluster.sh: minio_cluster_up | minio_cluster_down |
# minio_cluster_status. Idempotent: `up` starts only the servers that are not running (a
# server killed with -9 comes back into the deployment: its drives say they belong to it;
# a drive emptied while its server was away is formatted and healed by MinIO itself, its
# monitor of fresh drives looking every 10 s: no `mc admin heal`; 17-33 s for a test's
# objects, docs/scaling.md "MinIO distributed (measured)").
#
#   server  API    console  drives
#   1       9161   9171     .stack/cluster/minio-1/d1 d2
#   2       9162   9172     .stack/cluster/minio-2/d1 d2
#   3       9163   9173     .stack/cluster/minio-3/d1 d2
#   4       9164   9174     .stack/cluster/minio-4/d1 d2
# (PROCEDURA_CLUSTER_MINIO_API_BASE, _MINIO_CONSOLE_BASE move them)
#
# In front of them, ONE endpoint for Procedura's services: an HAProxy (Debian's haproxy,
# started as the gateways' by scripts/cluster/haproxy.sh; scripts/cluster/minio-haproxy.cfg)
# on 127.0.0.1:9160,
# statistics on :9169 (PROCEDURA_CLUSTER_MINIO_LB_PORT, _MINIO_LB_STATS_PORT; :9190
# is the dev stack's Keycloak health), that sends
# each request to a server whose /minio/health/cluster answers 200 (a killed or still
# restarting server gets none). Started by `up` once the servers are up, stopped first by
# `down`, shown by `status`; its log and pid under .stack/cluster/minio-balancer/.
#
# The endpoints are listed one by one: MinIO's expansion notation
# (http://127.0.0.1:916{1...4}/path/d{1...2}) is the cross product of its ranges, so on one
# host the four servers would share the same folders; each needs its own.

MNC_REPO=${MNC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MNC_STACK=${PROCEDURA_STACK_DIR:-$MNC_REPO/.stack}
# the real path (.stack may be a link): every server must be given the same drive list,
# whichever checkout starts it
MNC_DIR=$(realpath -m "$MNC_STACK/cluster")
MNC_SECRETS=${PROCEDURA_SECRETS_FILE:-$MNC_STACK/secrets.env}
MNC_BIN=${PROCEDURA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procedura}/bin/minio
MNC_PYTHON=${PROCEDURA_PYTHON:-$MNC_REPO/.venv/bin/python}   # the minio SDK: status
MNC_HOST=127.0.0.1
MNC_NODES=(1 2 3 4)
MNC_DRIVES=(d1 d2)
MNC_API_BASE=${PROCEDURA_CLUSTER_MINIO_API_BASE:-9160}          # server N listens on BASE+N
MNC_CONSOLE_BASE=${PROCEDURA_CLUSTER_MINIO_CONSOLE_BASE:-9170}
# parity of the standard storage class: 4 of the 8 drives (MinIO's own default for 8,
# said here so status and docs can rely on it). Reads need 4 drives (2 servers), writes 5
# (parity = data: one more), so one server of the four may be away for both.
MNC_PARITY=${PROCEDURA_CLUSTER_MINIO_PARITY:-4}
MNC_TIMEOUT=${PROCEDURA_CLUSTER_TIMEOUT:-180}
MNC_LB_PORT=${PROCEDURA_CLUSTER_MINIO_LB_PORT:-9160}
MNC_LB_STATS_PORT=${PROCEDURA_CLUSTER_MINIO_LB_STATS_PORT:-9169}
MNC_LB_CFG=$MNC_REPO/scripts/cluster/minio-haproxy.cfg
# shellcheck source=scripts/cluster/haproxy.sh
. "$MNC_REPO/scripts/cluster/haproxy.sh"

mnc_log() { printf 'cluster minio: %s\n' "$*"; }
mnc_die() { printf 'cluster minio: %s\n' "$*" >&2; return 1; }
mnc_port() { echo $((MNC_API_BASE + $1)); }
mnc_console_port() { echo $((MNC_CONSOLE_BASE + $1)); }
mnc_home() { echo "$MNC_DIR/minio-$1"; }
mnc_pidfile() { echo "$MNC_DIR/pids/minio-$1.pid"; }   # the server itself (kill -9 target)

mnc_running() {
    local pid
    pid=$(cat "$(mnc_pidfile "$1")" 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
        [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]   # killed, not yet reaped: down
}

mnc_secret() { # the value of KEY in secrets.env (scripts/stack.sh generates it)
    local value
    value=$(grep -m1 "^$1=" "$MNC_SECRETS" 2>/dev/null | cut -d= -f2-) || true
    [[ -n $value ]] || { mnc_die "$1 is missing from $MNC_SECRETS (run scripts/stack.sh up first)"; return 1; }
    printf '%s' "$value"
}

mnc_endpoints() { # every drive of the deployment, server by server
    local n d
    for n in "${MNC_NODES[@]}"; do
        for d in "${MNC_DRIVES[@]}"; do
            printf 'http://%s:%s%s/%s\n' "$MNC_HOST" "$(mnc_port "$n")" "$(mnc_home "$n")" "$d"
        done
    done
}

mnc_start_node() { # start server $1 with the whole deployment's drive list
    local n=$1 home d access secret
    home=$(mnc_home "$n")
    for d in "${MNC_DRIVES[@]}"; do mkdir -p "$home/$d"; done
    mkdir -p "$home/log" "$MNC_DIR/pids"
    access=$(mnc_secret PROCEDURA_MINIO_ACCESS_KEY) || return 1
    secret=$(mnc_secret PROCEDURA_MINIO_SECRET_KEY) || return 1
    local endpoints
    mapfile -t endpoints < <(mnc_endpoints)
    printf '\n===== minio-%s: start %s =====\n' "$n" "$(date -Is)" >>"$home/log/server.log"
    # MINIO_ROOTDRIVE_THRESHOLD_SIZE: here every drive is a folder of the root file system,
    # which a distributed MinIO refuses ("drive is part of root drive") unless told that
    # only a drive this small is the root one; production drives are disks of their own.
    # _MINIO_SERVER_LOCAL: in a container (/.dockerenv) MinIO waits for 127.0.0.1 to
    # resolve to a non-loopback address; this names the host:port that is this server.
    # GOMAXPROCS=1: four servers share a 2-core machine with the rest of the stack.
    (cd "$home" && exec setsid nohup env MINIO_ROOT_USER="$access" MINIO_ROOT_PASSWORD="$secret" \
        MINIO_UPDATE=off MINIO_STORAGE_CLASS_STANDARD="EC:$MNC_PARITY" \
        MINIO_ROOTDRIVE_THRESHOLD_SIZE=1MiB _MINIO_SERVER_LOCAL="$MNC_HOST:$(mnc_port "$n")" \
        GOMAXPROCS=1 "$MNC_BIN" server --quiet \
        --address "$MNC_HOST:$(mnc_port "$n")" --console-address "$MNC_HOST:$(mnc_console_port "$n")" \
        "${endpoints[@]}" >>"$home/log/server.log" 2>&1 </dev/null 9>&-) &
    echo "$!" >"$(mnc_pidfile "$n")"
}

mnc_health() { # mnc_health N PATH : 200 from server N's health API
    curl -fsS --noproxy '*' --max-time 5 -o /dev/null \
        "http://$MNC_HOST:$(mnc_port "$1")/minio/health/$2" 2>/dev/null
}

mnc_wait() { # until every server is live and the deployment has its write quorum
    local n deadline=$((SECONDS + MNC_TIMEOUT))
    for n in "${MNC_NODES[@]}"; do
        until mnc_health "$n" live && mnc_health "$n" cluster; do
            mnc_running "$n" || { mnc_die "minio-$n stopped while starting: $(mnc_home "$n")/log/server.log"; return 1; }
            ((SECONDS < deadline)) || { mnc_die "minio-$n not up after ${MNC_TIMEOUT}s: $(mnc_home "$n")/log/server.log"; return 1; }
            sleep 1
        done
    done
}

minio_cluster_up() {
    local n
    [[ -x $MNC_BIN ]] || { mnc_die "no $MNC_BIN: run scripts/stack.sh install"; return 1; }
    for n in "${MNC_NODES[@]}"; do
        mnc_running "$n" && continue
        mnc_log "starting minio-$n (API $MNC_HOST:$(mnc_port "$n"), console $(mnc_console_port "$n"))"
        mnc_start_node "$n" || return 1
    done
    mnc_wait || return 1
    mnc_balancer_start || return 1
    mnc_wait_balancer || return 1
    mnc_log "up: http://$MNC_HOST:$MNC_LB_PORT/ (the balancer; the servers :$(mnc_port 1), :$(mnc_port 2), :$(mnc_port 3), :$(mnc_port 4)); 8 drives, parity EC:$MNC_PARITY; keys in $MNC_SECRETS"
}

# ---------------------------------------------------------------- the balancer

mnc_lb_home() { echo "$MNC_DIR/minio-balancer"; }
mnc_lb_pidfile() { echo "$MNC_DIR/pids/minio-balancer.pid"; }
mnc_lb_running() {
    local pid
    pid=$(cat "$(mnc_lb_pidfile)" 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
        [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]
}

mnc_lb_env() { # the variables scripts/cluster/minio-haproxy.cfg reads
    local n
    MNC_LB_ENV=("PROCEDURA_MINIO_LB_BIND=$MNC_HOST:$MNC_LB_PORT"
                "PROCEDURA_MINIO_LB_STATS=$MNC_HOST:$MNC_LB_STATS_PORT"
                "PROCEDURA_MINIO_LB_RUN=$(mnc_lb_home)")
    for n in "${MNC_NODES[@]}"; do MNC_LB_ENV+=("PROCEDURA_MINIO_SERVER_$n=$MNC_HOST:$(mnc_port "$n")"); done
}

mnc_balancer_start() { # scripts/cluster/haproxy.sh, as the gateways' HAProxy
    mnc_lb_running && return 0
    mnc_lb_env
    haproxy_start minio-balancer "$MNC_LB_CFG" "$(mnc_lb_pidfile)" "$(mnc_lb_home)/haproxy.log" \
        "${MNC_LB_ENV[@]}" || return 1
    mnc_log "balancer started (pid $(cat "$(mnc_lb_pidfile)")) on $MNC_HOST:$MNC_LB_PORT, stats http://$MNC_HOST:$MNC_LB_STATS_PORT/, log $(mnc_lb_home)/haproxy.log"
}

mnc_balancer_servers() { # "minio-1 UP" lines: the servers as the balancer's checks see them
    haproxy_servers "$MNC_HOST:$MNC_LB_STATS_PORT" servers
}

mnc_wait_balancer() { # until the balancer sends requests to every server
    haproxy_wait_up "$MNC_HOST:$MNC_LB_STATS_PORT" servers "${#MNC_NODES[@]}" 60
}

mnc_balancer_stop() {
    local pid i
    mnc_lb_running || { rm -f "$(mnc_lb_pidfile)"; return 0; }
    pid=$(cat "$(mnc_lb_pidfile)")
    mnc_log "stopping the balancer"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$(mnc_lb_pidfile)"
}

mnc_stop_node() { # stop server $1 (SIGTERM, SIGKILL past 30 s) and wait until it has exited
    local n=$1 pid deadline
    mnc_running "$n" || { rm -f "$(mnc_pidfile "$n")"; return 0; }
    pid=$(cat "$(mnc_pidfile "$n")")
    mnc_log "stopping minio-$n"
    kill -TERM "$pid" 2>/dev/null
    deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    rm -f "$(mnc_pidfile "$n")"
}

minio_cluster_down() { # stop the balancer, then each server, its drives kept
    local n
    mnc_balancer_stop
    for n in "${MNC_NODES[@]}"; do mnc_stop_node "$n"; done
    return 0
}

mnc_describe() { # what the deployment says of itself (MinioAdmin.info of the minio SDK,
    # from the first of the servers $@ that answers): each server and its drives, then the
    # erasure coding
    MNC_ACCESS=$(mnc_secret PROCEDURA_MINIO_ACCESS_KEY) MNC_SECRET=$(mnc_secret PROCEDURA_MINIO_SECRET_KEY) \
        "$MNC_PYTHON" - "$@" <<'PY'
import json, os, sys
from minio.credentials import StaticProvider
from minio.minioadmin import MinioAdmin

for endpoint in sys.argv[1:]:
    try:
        info = json.loads(MinioAdmin(endpoint=endpoint, secure=False, credentials=StaticProvider(
            os.environ["MNC_ACCESS"], os.environ["MNC_SECRET"])).info())
        break
    except Exception as exc:
        error = exc
else:
    sys.exit(f"no server answers the admin API: {error}")
for server in sorted(info.get("servers", []), key=lambda s: s["endpoint"]):
    drives = ", ".join(d["endpoint"].rsplit("/", 1)[-1] + " " + d.get("state", "?")
                       + (" healing" if d.get("healing") else "") for d in server.get("drives", []))
    print(f"  {server['endpoint']}  {server.get('state')}  drives: {drives}")
backend = info.get("backend", {})
online, offline = backend.get("onlineDisks", 0), backend.get("offlineDisks", 0)
print(f"  erasure coded: parity EC:{backend.get('standardSCParity')} of {online + offline} drives "
      f"(reduced redundancy EC:{backend.get('rrSCParity')}), {online} online, {offline} offline")
healing = [d["endpoint"] for s in info.get("servers", []) for d in s.get("drives", []) if d.get("healing")]
sys.exit(1 if offline or healing else 0)   # status: not whole while a drive is away or healing
PY
}

minio_cluster_status() { # one line per server; 1 if any is down or has no write quorum
    local n rc=0 ports=()
    for n in "${MNC_NODES[@]}"; do
        if ! mnc_running "$n"; then
            echo "minio-$n  down"; rc=1
        elif mnc_health "$n" cluster; then
            echo "minio-$n  up    API $MNC_HOST:$(mnc_port "$n")  console $(mnc_console_port "$n")  write quorum"
            ports+=("$MNC_HOST:$(mnc_port "$n")")
        else
            echo "minio-$n  up    API $MNC_HOST:$(mnc_port "$n")  no write quorum (yet)"; rc=1
        fi
    done
    if mnc_lb_running; then
        echo "minio-balancer  up    http://$MNC_HOST:$MNC_LB_PORT/ (stats :$MNC_LB_STATS_PORT): $(mnc_balancer_servers | tr '\n' ' ')"
    else
        echo "minio-balancer  down"; rc=1
    fi
    if ((${#ports[@]})); then
        mnc_describe "${ports[@]}" || rc=1
    fi
    return "$rc"
}
