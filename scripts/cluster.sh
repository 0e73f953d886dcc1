#!/usr/bin/env bash
# Procedura on clusters (issue 19), on 127.0.0.1 beside the dev stack (scripts/stack.sh),
# data under .stack/cluster/:
#   scripts/cluster.sh up|down|status rabbitmq   a 3-node RabbitMQ with quorum queues
#   scripts/cluster.sh up|down|status postgres   a pg_auto_failover formation (monitor,
#                                                primary, synchronous hot standby)
#   scripts/cluster.sh up|down|status elasticsearch  a 3-node Elasticsearch with the
#                                                Romanian analysis plugin
#   scripts/cluster.sh up|down|status minio      a distributed MinIO, 4 servers x 2 drives,
#                                                erasure coded
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
# shellcheck source=scripts/cluster/elasticsearch.sh
. "$here/cluster/elasticsearch.sh"
# shellcheck source=scripts/cluster/minio.sh
. "$here/cluster/minio.sh"
# shellcheck source=scripts/cluster/services.sh
. "$here/cluster/services.sh"

# in the order they start; they stop in the reverse order
PARTS=(rabbitmq postgres elasticsearch minio services)
usage() { local IFS="|"; echo "usage: scripts/cluster.sh up|down|status [${PARTS[*]}|all]" >&2; exit 2; }

verb=${1:-}; what=${2:-all}
case "$verb:$what" in
    up:all) for p in "${PARTS[@]}"; do "${p}_cluster_up"; done ;;
    down:all) for ((i = ${#PARTS[@]} - 1; i >= 0; i--)); do "${PARTS[i]}_cluster_down"; done ;;
    status:all) rc=0; for p in "${PARTS[@]}"; do "${p}_cluster_status" || rc=1; done
                exit $rc ;;
    up:*|down:*|status:*)
        if [[ " ${PARTS[*]} " == *" $what "* ]]; then "${what}_cluster_$verb"
        else usage; fi ;;
    *) usage ;;
esac
