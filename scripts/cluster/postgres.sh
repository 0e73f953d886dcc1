#!/usr/bin/env bash
# Procedura's PostgreSQL with failover (issue 19): a pg_auto_failover formation on 127.0.0.1,
# a monitor, a primary and a hot standby streaming from it (synchronous: a commit the
# services saw is on both), each run by its own `pg_autoctl run`, data under
# .stack/cluster/postgres-*/. When the primary dies the monitor promotes the standby; the
# dead node, started again, rejoins as the standby (pg_rewind).
#
#   scripts/cluster/postgres.sh up | down | status | uri
#   (or source it: postgres_cluster_up, postgres_cluster_down, postgres_cluster_status,
#    postgres_cluster_uri, postgres_node_start NODE, postgres_node_kill NODE)
#
# The services take `postgres_cluster_uri` as PROCEDURA_DATABASE_URL: the monitor's own
# `pg_autoctl show uri --formation default` (a libpq multi-host URL with
# target_session_attrs=read-write) with the procedura role's password from secrets.env.
# The pg_auto_failover roles (autoctl_node, pgautofailover_monitor/_replicator) trust
# 127.0.0.1 only; the procedura role signs in with its password (scram-sha-256).
# Ports: PROCEDURA_PGAF_MONITOR_PORT (5532), PROCEDURA_PGAF_PORT_A/_B (5533, 5534).

PGAF_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# the real path: pg_autoctl finds a node's state by its data folder's path, so a .stack
# reached through a link (a second worktree's) must name the same folders
PGAF_STACK=$(realpath -m "${PROCEDURA_STACK_DIR:-$PGAF_REPO/.stack}")
PGAF_DIR=$PGAF_STACK/cluster
PGAF_SECRETS=${PROCEDURA_SECRETS_FILE:-$PGAF_STACK/secrets.env}
PGAF_PG_BIN=/usr/lib/postgresql/15/bin     # Debian 12's postgresql-15, as scripts/stack.sh
PGAF_HOST=127.0.0.1
PGAF_MONITOR_PORT=${PROCEDURA_PGAF_MONITOR_PORT:-5532}
PGAF_PORT_A=${PROCEDURA_PGAF_PORT_A:-5533}
PGAF_PORT_B=${PROCEDURA_PGAF_PORT_B:-5534}
PGAF_NODES=(monitor a b)
PGAF_APP=procedura     # role and database, as scripts/stack.sh
PGAF_TIMEOUT=${PROCEDURA_PGAF_TIMEOUT:-180}
# 2 cores and 24 GB shared with the rest of the stack: small buffers. Connections: two
# processes of every service and two gateways (14, pool_size 4 each: 56), the fault run's
# checks, the operators' commands and pg_auto_failover's own; 60 ran out in the fault run
PGAF_SETTINGS="shared_buffers = 32MB
max_connections = 150
max_wal_size = 256MB"

_pgaf_log() { printf 'postgres-cluster: %s\n' "$*"; }
_pgaf_die() { printf 'postgres-cluster: %s\n' "$*" >&2; return 1; }

# PostgreSQL refuses root: as root everything runs as Debian's postgres user
_pgaf_as() {
    if [[ $(id -u) -eq 0 ]]; then
        setpriv --reuid=postgres "--regid=$(id -g postgres)" --init-groups "$@"
    else
        "$@"
    fi
}

_pgaf_port() { case $1 in monitor) echo "$PGAF_MONITOR_PORT" ;; a) echo "$PGAF_PORT_A" ;; b) echo "$PGAF_PORT_B" ;; esac; }
_pgaf_data() { echo "$PGAF_DIR/postgres-$1/data"; }
_pgaf_pidfile() { echo "$PGAF_DIR/postgres-$1/pg_autoctl.run.pid"; }

# pg_autoctl keeps its configuration and state under XDG folders: one set per node, inside
# the node's folder, so nothing lands in the postgres user's home
_pgaf_ctl() { # _pgaf_ctl NODE ARGS... : pg_autoctl for that node
    local node=$1 dir=$PGAF_DIR/postgres-$1
    shift
    _pgaf_as env XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/share" \
        XDG_RUNTIME_DIR="$dir/run" PG_CONFIG="$PGAF_PG_BIN/pg_config" \
        PATH="$PGAF_PG_BIN:$PATH" PGHOST="$PGAF_HOST" pg_autoctl "$@"
}

# shellcheck source=scripts/cluster/apt.sh
. "$PGAF_REPO/scripts/cluster/apt.sh"

_pgaf_installed() { command -v pg_autoctl >/dev/null && [[ -f /usr/lib/postgresql/15/lib/pgautofailover.so ]]; }

postgres_cluster_install() { # the Debian packages, the way scripts/stack.sh installs its own
    _pgaf_installed && return 0
    _pgaf_log "install: apt packages postgresql-15-auto-failover pg-auto-failover-cli"
    # postgresql-15 only when it is missing: named on the command line, apt upgrades it,
    # and the dev stack's running server (scripts/stack.sh) then fails to load its own
    # libraries ("undefined symbol" in plpgsql.so, seen 2026-12-07) until restarted
    local pkgs=(postgresql-15-auto-failover pg-auto-failover-cli)
    [[ -x $PGAF_PG_BIN/postgres ]] || pkgs=(postgresql-15 "${pkgs[@]}")
    cluster_apt_install "${pkgs[@]}"
}

_pgaf_running() { # _pgaf_running NODE : its pg_autoctl supervisor is alive
    local pid
    pid=$(cat "$(_pgaf_pidfile "$1")" 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

postgres_node_start() { # postgres_node_start NODE : `pg_autoctl run` in the background
    local node=$1 dir=$PGAF_DIR/postgres-$1
    _pgaf_running "$node" && return 0
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$(_pgaf_pidfile "$node")" \
        env XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/share" XDG_RUNTIME_DIR="$dir/run" \
        PATH="$PGAF_PG_BIN:$PATH" PGHOST="$PGAF_HOST" \
        $( [[ $(id -u) -eq 0 ]] && echo setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups ) \
        pg_autoctl run --pgdata "$(_pgaf_data "$node")" </dev/null >>"$dir/pg_autoctl.log" 2>&1 &
    local _i
    for ((_i = 0; _i < 20; _i++)); do [[ -s $(_pgaf_pidfile "$node") ]] && break; sleep 0.1; done
}

_pgaf_wait() { # _pgaf_wait WHAT COMMAND... : until COMMAND succeeds, at most PGAF_TIMEOUT s
    local what=$1 deadline=$((SECONDS + PGAF_TIMEOUT))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { _pgaf_die "$what: not after ${PGAF_TIMEOUT}s (logs in $PGAF_DIR/postgres-*/pg_autoctl.log)"; return 1; }
        sleep 1
    done
}

_pgaf_prepare() { # _pgaf_prepare NODE : its folders, owned by postgres
    local dir=$PGAF_DIR/postgres-$1
    mkdir -p "$dir/config" "$dir/share" "$dir/run"
    chmod 700 "$dir/run"
    [[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$dir"
    return 0
}

_pgaf_tune() { # PGAF_SETTINGS in the node's postgresql.conf, read at its (re)start: the
    # block is written again whenever it differs (a formation made before a setting changed
    # gets it at its next start; it was written once, at creation, before)
    local conf
    conf=$(_pgaf_data "$1")/postgresql.conf
    # as the caller (root, or the owner): rewriting in place keeps its owner and mode
    python3 - "$conf" "$PGAF_SETTINGS" <<'PY'
import sys
path, settings = sys.argv[1], sys.argv[2].splitlines()
keys = {line.split("=")[0].strip() for line in settings}
lines, kept, block = open(path).read().splitlines(), [], False
for line in lines:
    if line == "# procedura cluster":           # ours, written by an earlier `up`
        block = True
        continue
    if block and line.split("=")[0].strip() in keys:
        continue
    block = False
    kept.append(line)
wanted = kept + ["# procedura cluster", *settings]
if wanted != lines:
    open(path, "w").write("\n".join(wanted) + "\n")
PY
}

_pgaf_settings_differ() { # _pgaf_settings_differ NODE : a running node's settings are not
    # PGAF_SETTINGS (it was started before they changed): the names of those that differ
    local port line key want have
    port=$(_pgaf_port "$1")
    while IFS= read -r line; do
        key=$(echo "${line%%=*}" | tr -d ' '); want=$(echo "${line#*=}" | tr -d ' ')
        have=$(_pgaf_as "$PGAF_PG_BIN/psql" -X -qAt -h "$PGAF_HOST" -p "$port" -U postgres -d postgres \
            -c "SHOW $key" 2>/dev/null) || continue
        [[ $have == "$want" ]] || printf '%s (%s, %s asked) ' "$key" "$have" "$want"
    done <<<"$PGAF_SETTINGS"
}

_pgaf_monitor_url() { echo "postgres://autoctl_node@$PGAF_HOST:$PGAF_MONITOR_PORT/pg_auto_failover?sslmode=disable"; }

_pgaf_create_monitor() {
    _pgaf_ctl monitor create monitor --pgdata "$(_pgaf_data monitor)" --pgport "$PGAF_MONITOR_PORT" \
        --hostname "$PGAF_HOST" --auth trust --no-ssl --pgctl "$PGAF_PG_BIN/pg_ctl" \
        >>"$PGAF_DIR/postgres-monitor/pg_autoctl.log" 2>&1
}

_pgaf_create_node() { # _pgaf_create_node a|b : registers with the monitor (b: as standby)
    local node=$1
    _pgaf_ctl "$node" create postgres --pgdata "$(_pgaf_data "$node")" \
        --pgport "$(_pgaf_port "$node")" --hostname "$PGAF_HOST" --listen "$PGAF_HOST" \
        --name "node_$node" --dbname "$PGAF_APP" --monitor "$(_pgaf_monitor_url)" \
        --auth trust --no-ssl --pgctl "$PGAF_PG_BIN/pg_ctl" \
        >>"$PGAF_DIR/postgres-$node/pg_autoctl.log" 2>&1
}

_pgaf_state() { # _pgaf_state NODE : its current state as the monitor sees it
    _pgaf_ctl monitor show state --pgdata "$(_pgaf_data monitor)" --json 2>/dev/null |
        python3 -c 'import json, sys
for n in json.load(sys.stdin):
    if n["nodename"] == sys.argv[1]: print(n["current_group_state"])' "node_$1" 2>/dev/null
}
_pgaf_is() { [[ $(_pgaf_state "$1") == "$2" ]]; }
_pgaf_writable() { # a primary the monitor knows (alone, it is "single")
    local n
    for n in a b; do [[ $(_pgaf_state "$n") =~ ^(single|primary)$ ]] && return 0; done
    return 1
}

_pgaf_app_role() { # the procedura role (password from secrets.env) on the primary
    local password port
    password=$(grep -m1 '^PROCEDURA_DATABASE_PASSWORD=' "$PGAF_SECRETS" | cut -d= -f2-)
    [[ -n $password ]] || { _pgaf_die "PROCEDURA_DATABASE_PASSWORD missing from $PGAF_SECRETS (scripts/stack.sh up writes it)"; return 1; }
    if [[ $(_pgaf_state b) == primary ]]; then port=$PGAF_PORT_B; else port=$PGAF_PORT_A; fi
    _pgaf_as "$PGAF_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGAF_HOST" -p "$port" -U postgres -d postgres <<EOF >/dev/null
SELECT format('CREATE ROLE %I', '$PGAF_APP')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PGAF_APP')\gexec
ALTER ROLE "$PGAF_APP" LOGIN CREATEDB PASSWORD '$password';
ALTER DATABASE "$PGAF_APP" OWNER TO "$PGAF_APP";
EOF
}

_pgaf_hba() { # the procedura role with its password; first, so that no trust line matches it
    local hba
    hba=$(_pgaf_data "$1")/pg_hba.conf
    grep -q "^host all $PGAF_APP " "$hba" && return 0
    _pgaf_as sh -c "{ printf '%s\n' 'host all $PGAF_APP $PGAF_HOST/32 scram-sha-256'; cat '$hba'; } >'$hba.new' && mv '$hba.new' '$hba'"
}

postgres_cluster_up() {
    postgres_cluster_install || return 1
    local node
    for node in "${PGAF_NODES[@]}"; do _pgaf_prepare "$node"; done
    if [[ ! -s $(_pgaf_data monitor)/PG_VERSION ]]; then
        _pgaf_log "creating the monitor on $PGAF_MONITOR_PORT"
        _pgaf_create_monitor || { _pgaf_die "monitor: create failed, see $PGAF_DIR/postgres-monitor/pg_autoctl.log"; return 1; }
    fi
    _pgaf_tune monitor
    postgres_node_start monitor
    _pgaf_wait "monitor" "$PGAF_PG_BIN/pg_isready" -q -h "$PGAF_HOST" -p "$PGAF_MONITOR_PORT" || return 1
    for node in a b; do
        if [[ ! -s $(_pgaf_data "$node")/PG_VERSION ]]; then
            _pgaf_log "creating node_$node on $(_pgaf_port "$node")"
            _pgaf_create_node "$node" || { _pgaf_die "node_$node: create failed, see $PGAF_DIR/postgres-$node/pg_autoctl.log"; return 1; }
            _pgaf_hba "$node"
        fi
        _pgaf_tune "$node"
        postgres_node_start "$node"
        [[ $node == a ]] && { _pgaf_wait "a primary" _pgaf_writable || return 1; }
    done
    for node in a b; do
        _pgaf_wait "node_$node" "$PGAF_PG_BIN/pg_isready" -q -h "$PGAF_HOST" -p "$(_pgaf_port "$node")" || return 1
    done
    _pgaf_wait "primary and secondary" _pgaf_steady || return 1
    _pgaf_app_role || return 1
    local differ
    for node in "${PGAF_NODES[@]}"; do
        differ=$(_pgaf_settings_differ "$node")
        # a running node reads postgresql.conf again only when it restarts
        [[ -z $differ ]] || _pgaf_log "postgres-$node runs with other settings: $differ- they apply at its next start (scripts/cluster.sh down postgres, then up postgres)"
    done
    _pgaf_log "up: $(postgres_cluster_uri | sed 's/:[^:@/]*@/:***@/')"
}

_pgaf_healthy() { # one primary, one secondary
    local states
    states=$(_pgaf_state a)/$(_pgaf_state b)
    [[ $states == primary/secondary || $states == secondary/primary ]]
}

_pgaf_steady() { # healthy twice, 3 s apart: after a restart the monitor shows the
    # states of before the stop until the nodes' keepers report again
    _pgaf_healthy && sleep 3 && _pgaf_healthy
}

postgres_cluster_uri() { # the services' PROCEDURA_DATABASE_URL: the monitor's URI + password
    local uri password
    uri=$(_pgaf_ctl monitor show uri --pgdata "$(_pgaf_data monitor)" --formation default) || return 1
    password=$(grep -m1 '^PROCEDURA_DATABASE_PASSWORD=' "$PGAF_SECRETS" | cut -d= -f2-)
    # postgres://host:port,host:port/procedura?... : the role and its password go first
    printf '%s\n' "${uri/:\/\//://$PGAF_APP:$password@}"
}

_pgaf_pids() { # _pgaf_pids NODE : every pg_autoctl process of the node, found by its
    # environment: pg_autoctl starts helpers in their own process groups (its postgres
    # controller, during a rejoin), which outlive a killed supervisor and restart postgres
    local env pid mark="XDG_CONFIG_HOME=$PGAF_DIR/postgres-$1/config"
    for env in /proc/[0-9]*/environ; do
        pid=${env#/proc/}; pid=${pid%/environ}
        { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qxF "$mark" && echo "$pid"
    done
    return 0
}

postgres_node_kill() { # postgres_node_kill NODE : -9 to all of it, as a machine that dies
    local pids postmaster
    pids=$(_pgaf_pids "$1")
    postmaster=$(head -1 "$(_pgaf_data "$1")/postmaster.pid" 2>/dev/null) || true
    [[ -z $pids$postmaster ]] && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids $postmaster 2>/dev/null || true   # some may have ended meanwhile
}

postgres_node_stop() { # postgres_node_stop NODE : pg_autoctl stops its PostgreSQL too
    local node=$1 pid i
    _pgaf_running "$node" || return 0
    pid=$(cat "$(_pgaf_pidfile "$node")")
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    "$PGAF_PG_BIN/pg_ctl" status -D "$(_pgaf_data "$node")" >/dev/null 2>&1 &&
        _pgaf_as "$PGAF_PG_BIN/pg_ctl" stop -m fast -D "$(_pgaf_data "$node")" >/dev/null 2>&1
    postgres_node_kill "$node"    # helpers left over from a rejoin
    rm -f "$(_pgaf_pidfile "$node")"
}

postgres_cluster_down() { # data kept; the monitor last, so the nodes can say goodbye
    local node
    for node in b a monitor; do postgres_node_stop "$node"; done
    _pgaf_log "down (data kept in $PGAF_DIR/postgres-*)"
}

postgres_cluster_status() { # one line per node; exit 1 unless a primary and a secondary
    local node
    for node in "${PGAF_NODES[@]}"; do
        printf 'postgres-%-8s %-8s port %s\n' "$node" \
            "$(_pgaf_running "$node" && echo running || echo stopped)" "$(_pgaf_port "$node")"
    done
    _pgaf_running monitor && _pgaf_ctl monitor show state --pgdata "$(_pgaf_data monitor)" 2>/dev/null
    _pgaf_healthy
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    case ${1:-} in
        up) postgres_cluster_up ;;
        down) postgres_cluster_down ;;
        status) postgres_cluster_status ;;
        uri) postgres_cluster_uri ;;
        *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
fi
