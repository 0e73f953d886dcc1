#!/usr/bin/env bash
# Procedura on clusters (issue 19), on 127.0.0.1 beside the dev stack (scripts/stack.sh),
# data under .stack/cluster/:
#   scripts/cluster.sh up|down|status rabbitmq   a 3-node RabbitMQ with quorum queues
#   scripts/cluster.sh up|down|status postgres   a pg_auto_failover formation (monitor,
#                                                primary, synchronous hot standby)
#   scripts/cluster.sh up|down|status minio      a distributed MinIO, 4 servers x 2 drives,
#                                                erasure coded
#   scripts/cluster.sh up|down|status all        all of them (the default)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/cluster/rabbitmq.sh
. "$here/cluster/rabbitmq.sh"
# shellcheck source=scripts/cluster/postgres.sh
. "$here/cluster/postgres.sh"
# shellcheck source=scripts/cluster/minio.sh
. "$here/cluster/minio.sh"

verb=${1:-}; what=${2:-all}
case "$verb:$what" in
    up:rabbitmq|down:rabbitmq|status:rabbitmq) "rabbitmq_cluster_$verb" ;;
    up:postgres|down:postgres|status:postgres) "postgres_cluster_$verb" ;;
    up:minio|down:minio|status:minio) "minio_cluster_$verb" ;;
    up:all|down:all) "rabbitmq_cluster_$verb"; "postgres_cluster_$verb"; "minio_cluster_$verb" ;;
    status:all) rc=0; rabbitmq_cluster_status || rc=1; postgres_cluster_status || rc=1
                minio_cluster_status || rc=1
                exit $rc ;;
    *) echo "usage: scripts/cluster.sh up|down|status [rabbitmq|postgres|minio|all]" >&2; exit 2 ;;
esac
