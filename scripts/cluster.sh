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
#   scripts/cluster.sh up|down|status all        all of them (the default)
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

ENGINES=(rabbitmq postgres elasticsearch minio)
usage() { local IFS="|"; echo "usage: scripts/cluster.sh up|down|status [${ENGINES[*]}|all]" >&2; exit 2; }

verb=${1:-}; what=${2:-all}
case "$verb:$what" in
    up:all|down:all) for e in "${ENGINES[@]}"; do "${e}_cluster_$verb"; done ;;
    status:all) rc=0; for e in "${ENGINES[@]}"; do "${e}_cluster_status" || rc=1; done
                exit $rc ;;
    up:*|down:*|status:*)
        if [[ " ${ENGINES[*]} " == *" $what "* ]]; then "${what}_cluster_$verb"
        else usage; fi ;;
    *) usage ;;
esac
