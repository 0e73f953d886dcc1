#!/usr/bin/env bash
# Procedura on clusters (issue 19), on 127.0.0.1 beside the dev stack (scripts/stack.sh),
# data under .stack/cluster/:
#   scripts/cluster.sh up|down|status rabbitmq   a 3-node RabbitMQ with quorum queues
#   scripts/cluster.sh up|down|status postgres   a pg_auto_failover formation (monitor,
#                                                primary, synchronous hot standby)
#   scripts/cluster.sh up|down|status services   two processes of every service, two
#                                                gateways behind HAProxy (127.0.0.1:8380)
#   scripts/cluster.sh up|down|status all        all of them (the default): the services
#                                                start last and stop first
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/cluster/rabbitmq.sh
. "$here/cluster/rabbitmq.sh"
# shellcheck source=scripts/cluster/postgres.sh
. "$here/cluster/postgres.sh"
# shellcheck source=scripts/cluster/services.sh
. "$here/cluster/services.sh"

verb=${1:-}; what=${2:-all}
case "$verb:$what" in
    up:rabbitmq|down:rabbitmq|status:rabbitmq) "rabbitmq_cluster_$verb" ;;
    up:postgres|down:postgres|status:postgres) "postgres_cluster_$verb" ;;
    up:services|down:services|status:services) "services_cluster_$verb" ;;
    up:all) rabbitmq_cluster_up; postgres_cluster_up; services_cluster_up ;;
    down:all) services_cluster_down; rabbitmq_cluster_down; postgres_cluster_down ;;
    status:all) rc=0; rabbitmq_cluster_status || rc=1; postgres_cluster_status || rc=1
                services_cluster_status || rc=1
                exit $rc ;;
    *) echo "usage: scripts/cluster.sh up|down|status [rabbitmq|postgres|services|all]" >&2; exit 2 ;;
esac
