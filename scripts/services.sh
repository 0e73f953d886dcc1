#!/usr/bin/env bash
# Procedura's own processes: one `procedura-service` (nameko's runner) per service, the gateway at
# $PROCEDURA_GATEWAY_ADDRESS (default 127.0.0.1:8080). Each reads the secrets
# scripts/stack.sh generated ($PROCEDURA_STACK_DIR/secrets.env; variables set in the
# environment win) and connects to RabbitMQ as its own user (procedura_cli/localenv.py).
#
#   scripts/services.sh up       start every service not running, wait until ready, then
#                                start rendering the versions without a PDF rendition
#   scripts/services.sh down     stop them (SIGTERM: in-flight messages finish)
#   scripts/services.sh status   one line per service
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK=${PROCEDURA_STACK_DIR:-$REPO/.stack}
RUN=${PROCEDURA_RUN_DIR:-$STACK/services}
VENV=${PROCEDURA_VENV:-$REPO/.venv}
CONFIG=${PROCEDURA_CONFIG:-$REPO/config/procedura.yaml}
# each process's health beacon, beside its log (not shared with other runs)
export PROCEDURA_HEALTH_DIR=${PROCEDURA_HEALTH_DIR:-$RUN}

# shellcheck source=scripts/processes.sh
. "$REPO/scripts/processes.sh"
SERVICES=("${PROCEDURA_PROCESSES[@]}")

# a process that still runs: one that ended is a zombie until init reaps it (a second or
# more here), and is not waited for
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

pid_of() {
  local file=$RUN/$1.pid
  [[ -f $file ]] && alive "$(cat "$file")" && cat "$file"
}

up() {
  mkdir -p "$RUN"
  "$VENV/bin/procedura" --config "$CONFIG" migrate
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} target=${entry#*:}
    if pid=$(pid_of "$name"); then
      echo "$name: already running (pid $pid)"
      continue
    fi
    # its secrets (.stack/secrets.env; the environment wins) and its own RabbitMQ user
    local service_env
    mapfile -t service_env < <(cd "$REPO" && "$VENV/bin/python" -m procedura_cli.localenv "$name")
    # a session of its own (it outlives this shell); the inner shell records its pid
    # and becomes the service, so the pid file names the service process itself
    # (exec all the way down: no shell stays behind holding the caller's stdout)
    # (its secrets are exported, not passed as arguments: `ps` shows arguments to everyone)
    (cd "$REPO" && for pair in "${service_env[@]}"; do export "${pair?}"; done &&
       exec setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$RUN/$name.pid" \
       "$VENV/bin/procedura-service" --config "$CONFIG" "$target" >>"$RUN/$name.log" 2>&1 </dev/null) &
    for _ in $(seq 1 50); do [[ -s $RUN/$name.pid ]] && break; sleep 0.1; done
    echo "$name: started (pid $(cat "$RUN/$name.pid")), log $RUN/$name.log"
  done
  if ! "$VENV/bin/procedura" --config "$CONFIG" wait-ready --timeout "${PROCEDURA_READY_TIMEOUT:-90}"; then
    for entry in "${SERVICES[@]}"; do
      local name=${entry%%:*}
      pid_of "$name" >/dev/null || { echo "$name is not running; last lines of $RUN/$name.log:"; tail -n 20 "$RUN/$name.log"; }
    done
    exit 1
  fi
  # versions stored before renditions existed (an upgrade), or whose rendition was cut
  # short, get theirs: the worker renders them in its background
  "$VENV/bin/procedura" --config "$CONFIG" renditions rebuild --missing --no-wait ||
    echo "renditions rebuild --missing could not start: run it again (procedura renditions rebuild)" >&2
}

down() {
  # every process is told at once and they finish their in-flight messages side by side
  # (one after another, seven processes took up to a minute): 10 s, then SIGKILL
  local names=() pids=()
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*}
    if pid=$(pid_of "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      names+=("$name") pids+=("$pid")
    else
      rm -f "$RUN/$name.pid"
    fi
  done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do alive "$pid" && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    kill -KILL "${pids[$i]}" 2>/dev/null || true
    echo "${names[$i]}: stopped"
    rm -f "$RUN/${names[$i]}.pid"
  done
}

status() {
  local rc=0
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*}
    if pid=$(pid_of "$name"); then echo "$name: running (pid $pid)"; else echo "$name: stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
