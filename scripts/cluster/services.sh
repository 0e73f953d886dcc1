# shellcheck shell=bash
# Two processes of every Procedura service and two gateways behind HAProxy (issue 19), on
# 127.0.0.1 beside the dev stack: each process a `procedura-service` as scripts/services.sh
# starts them (its own broker user, its health beacon), with its run folder, log and
# pidfile under .stack/cluster/services/<name>-<n>/; HAProxy (Debian's haproxy 2.6,
# scripts/cluster/haproxy.cfg) balances the two gateways with an HTTP health check.
#
#   HAProxy 127.0.0.1:8380 (stats http://127.0.0.1:8390/), gateways 127.0.0.1:8381-8382
#   (PROCEDURA_CLUSTER_HAPROXY_PORT, _HAPROXY_STATS_PORT, _GATEWAY_BASE move them)
#
# The processes connect to the clustered engines that run when `up` starts them:
#   RabbitMQ  the 3-node cluster (scripts/cluster/rabbitmq.sh): every node in the AMQP URI
#             (kombu fails over along the list), vhost procedura, PROCEDURA_QUEUE_TYPE=quorum;
#             else the dev stack's RabbitMQ, vhost procedura-cluster, classic queues
#   PostgreSQL the pg_auto_failover formation (scripts/cluster/postgres.sh): its multi-host
#             URI with target_session_attrs=read-write; else the dev stack's, database
#             procedura_cluster
#   Elasticsearch, MinIO  their clusters (scripts/cluster/elasticsearch.sh, minio.sh) when
#             those scripts exist and their status is good; else the dev stack's single
#             node; Tika: the dev stack's. Bucket procedura-cluster, index
#             procedura-cluster-versions, so nothing of the dev stack's own services is met.
# `status` says which. The choice, and the operators' (procedura-admin) environment for
# it, are written to .stack/cluster/services/environment (mode 600) for the procedura
# command and tests/cluster (`. environment` or read KEY=value lines).
#
# Another installation of the same processes (the cluster fault run, tests/cluster/
# processes.py: a vhost, database, bucket and index of its own) is started by the same
# functions with, in the environment:
#   PROCEDURA_CLUSTER_SERVICES_DIR          its folder instead of .stack/cluster/services
#   PROCEDURA_CLUSTER_SERVICES_ENVIRONMENT  a file of KEY=value lines written as `up`
#                                           writes `environment` (the engines' settings,
#                                           PROCEDURA_CLUSTER_AMQP_PORTS, the management
#                                           port): used as it is, nothing chosen or prepared
#   PROCEDURA_CLUSTER_HAPROXY_PORT, _HAPROXY_STATS_PORT, _GATEWAY_BASE  its ports
#
# Sourced by scripts/cluster.sh: services_cluster_up | services_cluster_down |
# services_cluster_status (and services_process_pid NAME N, services_process_start NAME N
# for the fault tests). Idempotent: `up` starts what does not run, on the engines the
# processes that run were started with (chosen again only when none runs).

SVCC_REPO=${SVCC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SVCC_HERE=$SVCC_REPO/scripts/cluster
SVCC_STACK=${PROCEDURA_STACK_DIR:-$SVCC_REPO/.stack}
SVCC_DIR=${PROCEDURA_CLUSTER_SERVICES_DIR:-$SVCC_STACK/cluster/services}
SVCC_GIVEN=${PROCEDURA_CLUSTER_SERVICES_ENVIRONMENT:-}
SVCC_SECRETS=${PROCEDURA_SECRETS_FILE:-$SVCC_STACK/secrets.env}
SVCC_VENV=${PROCEDURA_VENV:-$SVCC_REPO/.venv}
SVCC_CONFIG=${PROCEDURA_CONFIG:-$SVCC_REPO/config/procedura.yaml}
SVCC_HOST=127.0.0.1
SVCC_HAPROXY_PORT=${PROCEDURA_CLUSTER_HAPROXY_PORT:-8380}
SVCC_STATS_PORT=${PROCEDURA_CLUSTER_HAPROXY_STATS_PORT:-8390}
SVCC_GATEWAY_BASE=${PROCEDURA_CLUSTER_GATEWAY_BASE:-8380}   # gateway N on BASE+N
SVCC_COPIES=(1 2)
SVCC_TIMEOUT=${PROCEDURA_CLUSTER_SERVICES_TIMEOUT:-180}
# on the dev stack's single engines: names of their own (the dev services use the defaults)
SVCC_NAME=procedura-cluster
# shellcheck source=scripts/processes.sh
. "$SVCC_REPO/scripts/processes.sh"
SVCC_SERVICES=("${PROCEDURA_PROCESSES[@]}")
# shellcheck source=scripts/cluster/haproxy.sh
. "$SVCC_HERE/haproxy.sh"
# the queue each service consumes when it is ready (procedura_cli/main.py READY_QUEUES)
SVCC_READY_QUEUES="documents=rpc-documents versioning=rpc-versioning
extraction=evt-versioning-version_stored--extraction.extract_text
renditions=evt-versioning-version_text_extracted--renditions.on_text_extracted
search=rpc-search notifications=rpc-notifications"

svcc_log() { printf 'cluster services: %s\n' "$*"; }
svcc_die() { printf 'cluster services: %s\n' "$*" >&2; return 1; }
svcc_home() { echo "$SVCC_DIR/$1-$2"; }
svcc_gateway_port() { echo $((SVCC_GATEWAY_BASE + $1)); }
svcc_secret() { grep -m1 "^$1=" "$SVCC_SECRETS" 2>/dev/null | cut -d= -f2-; }

services_process_pid() { # services_process_pid NAME N : its pid while it runs
    local pid
    pid=$(cat "$(svcc_home "$1" "$2")/$1.pid" 2>/dev/null) || return 1
    # killed but not yet reaped (a zombie) is not running: `start` must start it again
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
        [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]] && echo "$pid"
}

svcc_have() { # svcc_have COMPONENT : its cluster script is sourced (sourced here if it exists)
    declare -F "$1_cluster_status" >/dev/null && return 0
    [[ -f $SVCC_HERE/$1.sh ]] || return 1
    # shellcheck disable=SC1090
    . "$SVCC_HERE/$1.sh" && declare -F "$1_cluster_status" >/dev/null
}
svcc_runs() { svcc_have "$1" && "$1_cluster_status" >/dev/null 2>&1; }

# ---------------------------------------------------------------- the engines' choice

svcc_choose() { # writes $SVCC_DIR/environment: the engines and the operators' environment
    local env=() admin_pw db_pw rabbit where=() n
    admin_pw=$(svcc_secret PROCEDURA_AMQP_ADMIN_PASSWORD)
    db_pw=$(svcc_secret PROCEDURA_DATABASE_PASSWORD)
    [[ -n $admin_pw && -n $db_pw ]] || { svcc_die "secrets missing from $SVCC_SECRETS (run scripts/stack.sh up)"; return 1; }
    if svcc_runs rabbitmq; then
        env+=("PROCEDURA_CLUSTER_AMQP=cluster" "PROCEDURA_AMQP_VHOST=$RMQC_VHOST"
              "PROCEDURA_AMQP_PORT=$(rmqc_amqp_port 1)" "PROCEDURA_QUEUE_TYPE=quorum"
              "PROCEDURA_RABBITMQ_MGMT_PORT=$(rmqc_mgmt_port 1)"
              "PROCEDURA_CLUSTER_AMQP_PORTS=$(for n in "${RMQC_NODES[@]}"; do printf '%s,' "$(rmqc_amqp_port "$n")"; done)")
        where+=("rabbitmq: the cluster, vhost $RMQC_VHOST on :$(rmqc_amqp_port 1)-$(rmqc_amqp_port "${RMQC_NODES[-1]}"), quorum queues")
    else
        env+=("PROCEDURA_CLUSTER_AMQP=stack" "PROCEDURA_AMQP_VHOST=$SVCC_NAME"
              "PROCEDURA_AMQP_PORT=${PROCEDURA_AMQP_PORT:-5672}" "PROCEDURA_QUEUE_TYPE=classic"
              "PROCEDURA_RABBITMQ_MGMT_PORT=${PROCEDURA_RABBITMQ_MGMT_PORT:-15672}"
              "PROCEDURA_CLUSTER_AMQP_PORTS=${PROCEDURA_AMQP_PORT:-5672}")
        where+=("rabbitmq: the dev stack's single node (no cluster running), vhost $SVCC_NAME, classic queues")
    fi
    if svcc_runs postgres; then
        env+=("PROCEDURA_CLUSTER_PG=cluster" "PROCEDURA_DATABASE_URL=$(postgres_cluster_uri)")
        where+=("postgres: the pg_auto_failover formation, :$PGAF_PORT_A,:$PGAF_PORT_B target_session_attrs=read-write")
    else
        env+=("PROCEDURA_CLUSTER_PG=stack"
              "PROCEDURA_DATABASE_URL=postgresql://procedura:$(svcc_urlquote "$db_pw")@$SVCC_HOST:${PROCEDURA_PG_PORT:-5432}/${SVCC_NAME//-/_}")
        where+=("postgres: the dev stack's single server (no formation running), database ${SVCC_NAME//-/_}")
    fi
    if svcc_runs elasticsearch; then
        # every node: the client spreads requests and retries on another when one is away
        local es_base=${PROCEDURA_CLUSTER_ES_PORT:-9241}
        env+=("PROCEDURA_CLUSTER_ES=cluster" "PROCEDURA_ELASTICSEARCH_URL=http://$SVCC_HOST:$es_base,http://$SVCC_HOST:$((es_base + 1)),http://$SVCC_HOST:$((es_base + 2))"
              "PROCEDURA_SEARCH_SHARDS=${PROCEDURA_SEARCH_SHARDS:-3}" "PROCEDURA_SEARCH_REPLICAS=${PROCEDURA_SEARCH_REPLICAS:-1}")
        where+=("elasticsearch: the cluster, its three nodes from :$es_base")
    else
        env+=("PROCEDURA_CLUSTER_ES=stack" "PROCEDURA_ELASTICSEARCH_URL=http://$SVCC_HOST:${PROCEDURA_ES_PORT:-9200}")
        where+=("elasticsearch: the dev stack's single node ($(svcc_have elasticsearch && echo 'its cluster is not running' || echo 'no scripts/cluster/elasticsearch.sh yet'))")
    fi
    if svcc_runs minio; then
        # its balancer (scripts/cluster/minio.sh): one endpoint that outlives a server
        env+=("PROCEDURA_CLUSTER_MINIO=cluster" "PROCEDURA_MINIO_ENDPOINT=$SVCC_HOST:$MNC_LB_PORT")
        where+=("minio: the distributed deployment, through its balancer :$MNC_LB_PORT")
    else
        env+=("PROCEDURA_CLUSTER_MINIO=stack" "PROCEDURA_MINIO_ENDPOINT=$SVCC_HOST:${PROCEDURA_MINIO_PORT:-9000}")
        where+=("minio: the dev stack's single server ($(svcc_have minio && echo 'its cluster is not running' || echo 'no scripts/cluster/minio.sh yet'))")
    fi
    where+=("tika: the dev stack's, :${PROCEDURA_TIKA_PORT:-9998}")
    env+=("PROCEDURA_TIKA_URL=http://$SVCC_HOST:${PROCEDURA_TIKA_PORT:-9998}"
          "PROCEDURA_BUCKET=$SVCC_NAME" "PROCEDURA_SEARCH_INDEX=$SVCC_NAME-versions"
          "PROCEDURA_AUTH_BACKEND=${PROCEDURA_AUTH_BACKEND:-local}"
          "PROCEDURA_BASE_URL=http://$SVCC_HOST:$SVCC_HAPROXY_PORT"
          "PROCEDURA_CLUSTER_GATEWAY=http://$SVCC_HOST:$SVCC_HAPROXY_PORT"
          "PROCEDURA_RENDITION_SLOTS=${PROCEDURA_RENDITION_SLOTS:-1}")
    mkdir -p "$SVCC_DIR"
    (umask 077 && {
        echo "# written by scripts/cluster/services.sh up $(date -Is)"
        printf '# %s\n' "${where[@]}"
        printf '%s\n' "${env[@]}"
    } >"$SVCC_DIR/environment.new") && mv -f "$SVCC_DIR/environment.new" "$SVCC_DIR/environment"
}

svcc_given() { # the engines' settings of another installation, as given
    [[ -r $SVCC_GIVEN ]] || { svcc_die "no file $SVCC_GIVEN (PROCEDURA_CLUSTER_SERVICES_ENVIRONMENT)"; return 1; }
    mkdir -p "$SVCC_DIR"
    (umask 077 && cp "$SVCC_GIVEN" "$SVCC_DIR/environment.new") &&
        mv -f "$SVCC_DIR/environment.new" "$SVCC_DIR/environment"
}

svcc_urlquote() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

svcc_env_file() { # KEY=value lines of the chosen engines (no comments)
    grep -v '^#' "$SVCC_DIR/environment"
}

svcc_setting() { svcc_env_file | grep -m1 "^$1=" | cut -d= -f2-; }

svcc_export() { # export the chosen engines' KEY=value lines (read, not sourced: a URL's
    # & or ; must stay in its value)
    local line
    while IFS= read -r line; do export "${line?}"; done < <(svcc_env_file)
}

svcc_prepare_stack_engines() { # the vhost and database of their own on the dev stack
    local mgmt vhost=$SVCC_NAME
    if [[ $(svcc_setting PROCEDURA_CLUSTER_AMQP) == stack ]]; then
        mgmt=http://$SVCC_HOST:$(svcc_setting PROCEDURA_RABBITMQ_MGMT_PORT)/api
        curl -fsS --noproxy '*' --max-time 15 -u "procedura-admin:$(svcc_secret PROCEDURA_AMQP_ADMIN_PASSWORD)" \
            -X PUT -H 'content-type: application/json' --data '{"description":"Procedura, two of every process (scripts/cluster/services.sh)"}' \
            "$mgmt/vhosts/$vhost" >/dev/null || { svcc_die "vhost $vhost: the management API refused"; return 1; }
        (set -a && . "$SVCC_SECRETS" && exec python3 "$SVCC_REPO/services/common/broker_users.py" apply "$mgmt" "$vhost") || return 1
    fi
    if [[ $(svcc_setting PROCEDURA_CLUSTER_PG) == stack ]]; then
        PROCEDURA_DATABASE_PASSWORD=$(svcc_secret PROCEDURA_DATABASE_PASSWORD) "$SVCC_VENV/bin/python" - \
            "$SVCC_HOST" "${PROCEDURA_PG_PORT:-5432}" "${SVCC_NAME//-/_}" <<'PY' || return 1
import os, sys
import psycopg2
host, port, name = sys.argv[1:]
conn = psycopg2.connect(host=host, port=port, user="procedura", dbname="procedura",
                        password=os.environ["PROCEDURA_DATABASE_PASSWORD"])
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if not cur.fetchone():
        cur.execute(f'CREATE DATABASE "{name}"')
PY
    fi
}

svcc_operator() { # svcc_operator ARGS... : the procedura command as procedura-admin on the
    # chosen engines (one node's URI: the command reads the vhost and management API from it)
    (cd "$SVCC_REPO" && svcc_export &&
        exec "$SVCC_VENV/bin/procedura" --config "$SVCC_CONFIG" "$@")
}

svcc_service_env() { # svcc_service_env NAME N : KEY=value lines process N of NAME starts with
    local name=$1 n=$2 line uri ports port first rest=() list=""
    while IFS= read -r line; do
        case $line in
            PROCEDURA_AMQP_URI=*) uri=${line#PROCEDURA_AMQP_URI=} ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < <(cd "$SVCC_REPO" && svcc_export &&
        "$SVCC_VENV/bin/python" -m procedura_cli.localenv "$name")
    [[ -n ${uri:-} ]] || { svcc_die "$name: no broker password in $SVCC_SECRETS"; return 1; }
    # every node of the cluster, process N starting at node N (the connections spread)
    IFS=, read -r -a ports <<<"$(svcc_setting PROCEDURA_CLUSTER_AMQP_PORTS)"
    first=$(((n - 1) % ${#ports[@]}))
    for port in "${ports[@]:first}" "${ports[@]:0:first}"; do
        rest+=("${uri/@$SVCC_HOST:${ports[0]}\//@$SVCC_HOST:$port/}")
    done
    list=$(IFS=';'; echo "${rest[*]}")
    printf 'PROCEDURA_AMQP_URI=%s\n' "$list"
    printf 'PROCEDURA_HEALTH_DIR=%s\n' "$(svcc_home "$name" "$n")"
    # each process keeps up to max_workers + 2 database connections: 5 workers keep the
    # eight processes with a database under the formation's max_connections (60,
    # scripts/cluster/postgres.sh) beside a test run's own; a gateway keeps 10 (a feed
    # stream holds one for as long as it is open)
    [[ $name == gateway ]] || printf 'PROCEDURA_MAX_WORKERS=%s\n' "${PROCEDURA_CLUSTER_MAX_WORKERS:-5}"
    if [[ $name == gateway ]]; then
        printf 'PROCEDURA_GATEWAY_ADDRESS=%s:%s\n' "$SVCC_HOST" "$(svcc_gateway_port "$n")"
        # X-Forwarded-For from HAProxy (on loopback) names the client
        printf 'PROCEDURA_TRUSTED_PROXIES=%s\n' "$SVCC_HOST"
    fi
}

# ---------------------------------------------------------------- the processes

services_process_start() { # services_process_start NAME N : start it unless it runs
    local name=$1 n=$2 entry target="" home pid service_env=()
    for entry in "${SVCC_SERVICES[@]}"; do [[ ${entry%%:*} == "$name" ]] && target=${entry#*:}; done
    [[ -n $target ]] || { svcc_die "no service $name"; return 1; }
    home=$(svcc_home "$name" "$n")
    if pid=$(services_process_pid "$name" "$n"); then return 0; fi
    mkdir -p "$home"
    rm -f "$home/$name.pid"   # a killed one's: the wait below must see the new pid
    mapfile -t service_env < <(svcc_service_env "$name" "$n") || return 1
    ((${#service_env[@]} > 0)) || return 1
    printf '\n===== %s-%s: start %s =====\n' "$name" "$n" "$(date -Is)" >>"$home/$name.log"
    # as scripts/services.sh: a session of its own, the pidfile names the service itself, the
    # secrets exported (not arguments, which `ps` shows)
    (cd "$SVCC_REPO" && for pair in "${service_env[@]}"; do export "${pair?}"; done &&
        exec setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$home/$name.pid" \
        "$SVCC_VENV/bin/procedura-service" --config "$SVCC_CONFIG" "$target" >>"$home/$name.log" 2>&1 </dev/null 9>&-) &
    local _i
    for ((_i = 0; _i < 50; _i++)); do [[ -s $home/$name.pid ]] && break; sleep 0.1; done
    svcc_log "$name-$n started (pid $(cat "$home/$name.pid")), log $home/$name.log"
}

svcc_ready() { # every queue consumed by both processes, both gateways answer /healthz
    local api user=procedura-admin
    api=http://$SVCC_HOST:$(svcc_setting PROCEDURA_RABBITMQ_MGMT_PORT)/api
    PROCEDURA_AMQP_ADMIN_PASSWORD=$(svcc_secret PROCEDURA_AMQP_ADMIN_PASSWORD) python3 - \
        "$api" "$user" "$(svcc_setting PROCEDURA_AMQP_VHOST)" "${#SVCC_COPIES[@]}" \
        "$SVCC_READY_QUEUES" "$(for n in "${SVCC_COPIES[@]}"; do printf '%s ' "$(svcc_gateway_port "$n")"; done)" <<'PY'
import base64, json, os, sys, urllib.parse, urllib.request
api, user, vhost, copies, queues, gateways = sys.argv[1:]
auth = base64.b64encode(f"{user}:{os.environ['PROCEDURA_AMQP_ADMIN_PASSWORD']}".encode()).decode()
missing = []
for pair in queues.split():
    name, queue = pair.split("=")
    url = f"{api}/queues/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(queue, safe='')}"
    try:
        request = urllib.request.Request(url, headers={"authorization": f"Basic {auth}"})
        with urllib.request.urlopen(request, timeout=5) as r:
            consumers = json.load(r).get("consumers", 0)
    except OSError:
        consumers = 0
    if consumers < int(copies):
        missing.append(f"{name} ({consumers} of {copies} consuming {queue})")
for port in gateways.split():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as r:
            ok = r.status == 200
    except OSError:
        ok = False
    if not ok:
        missing.append(f"gateway on :{port}")
if missing:
    print("waiting for: " + ", ".join(missing), file=sys.stderr)
sys.exit(1 if missing else 0)
PY
}

svcc_wait_ready() {
    local deadline=$((SECONDS + SVCC_TIMEOUT)) why
    until why=$(svcc_ready 2>&1); do
        if ((SECONDS >= deadline)); then
            svcc_die "not ready after ${SVCC_TIMEOUT}s: ${why#waiting for: } (logs under $SVCC_DIR)"
            return 1
        fi
        sleep 2
    done
}

# ---------------------------------------------------------------- HAProxy

svcc_haproxy_env() { # the variables scripts/cluster/haproxy.cfg reads
    SVCC_HAPROXY_ENV=(
        "PROCEDURA_HAPROXY_BIND=$SVCC_HOST:$SVCC_HAPROXY_PORT"
        "PROCEDURA_HAPROXY_STATS=$SVCC_HOST:$SVCC_STATS_PORT"
        "PROCEDURA_HAPROXY_GATEWAY_1=$SVCC_HOST:$(svcc_gateway_port 1)"
        "PROCEDURA_HAPROXY_GATEWAY_2=$SVCC_HOST:$(svcc_gateway_port 2)"
        "PROCEDURA_HAPROXY_RUN=$(svcc_home haproxy 1)"
    )
}

svcc_haproxy_start() { # scripts/cluster/haproxy.sh, as MinIO's balancer
    local home
    home=$(svcc_home haproxy 1)
    services_process_pid haproxy 1 >/dev/null && return 0
    svcc_haproxy_env
    haproxy_start haproxy "$SVCC_HERE/haproxy.cfg" "$home/haproxy.pid" "$home/haproxy.log" \
        "${SVCC_HAPROXY_ENV[@]}" || return 1
    svcc_log "haproxy started (pid $(cat "$home/haproxy.pid")) on $SVCC_HOST:$SVCC_HAPROXY_PORT, stats http://$SVCC_HOST:$SVCC_STATS_PORT/, log $home/haproxy.log"
}

svcc_haproxy_servers() { # "gateway-1 UP" lines: the servers as HAProxy's health checks see them
    haproxy_servers "$SVCC_HOST:$SVCC_STATS_PORT" gateways
}

svcc_wait_haproxy() {
    haproxy_wait_up "$SVCC_HOST:$SVCC_STATS_PORT" gateways "${#SVCC_COPIES[@]}" 30
}

# ---------------------------------------------------------------- up, down, status

svcc_running() { # the processes that run (NAME-N ...); fails when none does
    local entry name n found=()
    for entry in "${SVCC_SERVICES[@]}"; do
        name=${entry%%:*}
        for n in "${SVCC_COPIES[@]}"; do
            services_process_pid "$name" "$n" >/dev/null && found+=("$name-$n")
        done
    done
    ((${#found[@]} > 0)) && echo "${found[*]}"
}

services_cluster_up() {
    local entry name n running
    [[ -x $SVCC_VENV/bin/procedura-service ]] || { svcc_die "no $SVCC_VENV/bin/procedura-service: run make venv"; return 1; }
    haproxy_install || return 1
    if [[ -n $SVCC_GIVEN ]]; then
        svcc_given || return 1      # its vhost and database made by whoever gave it
    elif running=$(svcc_running) && [[ -f $SVCC_DIR/environment ]]; then
        # a process started now must join the engines the running ones use: chosen again,
        # an engine's status read bad at that moment (seen: the formation looked down
        # through a linked .stack) sent a restarted process to another database than
        # its twin's
        svcc_log "kept the engines of the running processes ($running; $(sed -n '1s/^# written by //p' "$SVCC_DIR/environment")); scripts/cluster.sh down services to choose again"
    else
        svcc_choose || return 1
        svcc_prepare_stack_engines || return 1
    fi
    grep '^# [a-z]*:' "$SVCC_DIR/environment" | sed 's/^# /cluster services: /'
    # the schemas once, before any process starts (not again when all of them run)
    if ! services_cluster_status >/dev/null 2>&1; then
        svcc_operator migrate || { svcc_die "migrate failed"; return 1; }
    fi
    for entry in "${SVCC_SERVICES[@]}"; do
        name=${entry%%:*}
        for n in "${SVCC_COPIES[@]}"; do services_process_start "$name" "$n" || return 1; done
    done
    if ! svcc_wait_ready; then
        for entry in "${SVCC_SERVICES[@]}"; do
            name=${entry%%:*}
            for n in "${SVCC_COPIES[@]}"; do
                services_process_pid "$name" "$n" >/dev/null ||
                    { echo "$name-$n is not running; last lines of its log:"; tail -n 15 "$(svcc_home "$name" "$n")/$name.log"; }
            done
        done
        return 1
    fi
    svcc_haproxy_start || return 1
    svcc_wait_haproxy || return 1
    svcc_log "up: http://$SVCC_HOST:$SVCC_HAPROXY_PORT/ (gateways :$(svcc_gateway_port 1), :$(svcc_gateway_port 2))"
}

svcc_stop() { # svcc_stop NAME N : SIGTERM (in-flight messages finish), SIGKILL after 10 s
    local name=$1 n=$2 pid i
    if pid=$(services_process_pid "$name" "$n"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
        svcc_log "$name-$n stopped"
    fi
    rm -f "$(svcc_home "$name" "$n")/$name.pid"
}

services_cluster_down() { # HAProxy first, then the gateways, then the services
    local entry n i
    svcc_stop haproxy 1
    for ((i = ${#SVCC_SERVICES[@]} - 1; i >= 0; i--)); do
        entry=${SVCC_SERVICES[i]}
        for n in "${SVCC_COPIES[@]}"; do svcc_stop "${entry%%:*}" "$n"; done
    done
    return 0
}

services_cluster_status() { # one line per process and the engines; 1 if any is down
    local entry name n pid rc=0
    if [[ -f $SVCC_DIR/environment ]]; then
        grep '^# [a-z]*:' "$SVCC_DIR/environment" | sed 's/^# /engines  /'
    fi
    for entry in "${SVCC_SERVICES[@]}"; do
        name=${entry%%:*}
        for n in "${SVCC_COPIES[@]}"; do
            if pid=$(services_process_pid "$name" "$n"); then
                printf '%-16s running  pid %-7s %s\n' "$name-$n" "$pid" \
                    "$([[ $name == gateway ]] && echo "http://$SVCC_HOST:$(svcc_gateway_port "$n")/")"
            else
                printf '%-16s stopped\n' "$name-$n"; rc=1
            fi
        done
    done
    if pid=$(services_process_pid haproxy 1); then
        printf '%-16s running  pid %-7s http://%s:%s/ (stats :%s): %s\n' haproxy "$pid" "$SVCC_HOST" \
            "$SVCC_HAPROXY_PORT" "$SVCC_STATS_PORT" "$(svcc_haproxy_servers | tr '\n' ' ')"
    else
        printf '%-16s stopped\n' haproxy; rc=1
    fi
    return "$rc"
}
