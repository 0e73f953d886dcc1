#!/usr/bin/env bash
# Procedura on clusters (issue 19), on 127.0.0.1 beside the dev stack (scripts/stack.sh),
# data under .stack/cluster/:
#   scripts/cluster.sh up|down|status rabbitmq   a 3-node RabbitMQ with quorum queues
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/cluster/rabbitmq.sh
. "$here/cluster/rabbitmq.sh"

verb=${1:-}; what=${2:-rabbitmq}
case "$verb:$what" in
    up:rabbitmq) rabbitmq_cluster_up ;;
    down:rabbitmq) rabbitmq_cluster_down ;;
    status:rabbitmq) rabbitmq_cluster_status ;;
    *) echo "usage: scripts/cluster.sh up|down|status rabbitmq" >&2; exit 2 ;;
esac
