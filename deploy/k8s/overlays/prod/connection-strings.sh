#!/usr/bin/env bash
# The connection strings of the Secret `procedura-secrets` for the prod overlay, each
# naming every node of its engine (engines.yaml), as the clustered services were proven
# to connect (docs/scaling.md, the "(measured)" sections):
#   amqp-uri-<service>  every RabbitMQ node, `;`-separated, vhost procedura: kombu moves to
#                       the next node when its node dies
#   database-url        both PostgreSQL nodes with target_session_attrs=read-write: libpq
#                       keeps the one that takes writes (pg_auto_failover's own URI shape)
#   elasticsearch-url   every Elasticsearch node, comma-separated: the client spreads
#                       requests and sends one again to another node
# Printed as KEY=VALUE lines for `kubectl create secret generic --from-env-file`
# (docs/deploy.md "The municipality's clustered deployment"). The passwords come from the
# environment (the city hall's secret store), each percent-encoded; none has a default:
#   PROCEDURA_AMQP_PASSWORD_<SERVICE>   each service's RabbitMQ user (services/common/broker_users.py)
#   PROCEDURA_DATABASE_PASSWORD         the PostgreSQL role `procedura`
#   PROCEDURA_ELASTICSEARCH_USER, PROCEDURA_ELASTICSEARCH_PASSWORD
set -euo pipefail

SERVICES=(gateway documents versioning extraction renditions search notifications)
RABBITMQ_NODES=(rabbitmq-0 rabbitmq-1 rabbitmq-2)
POSTGRESQL_NODES=(postgresql-0 postgresql-1)
ELASTICSEARCH_NODES=(elasticsearch-0 elasticsearch-1 elasticsearch-2)
VHOST=procedura
DATABASE=procedura

die() { printf 'connection-strings: %s\n' "$*" >&2; exit 1; }

require() { # every variable named must be set and not empty: the first missing stops it
    local name
    for name in "$@"; do
        [[ -n ${!name:-} ]] || die "$name is not set (from the secret store; it has no default)"
    done
}

encoded() { # $1 percent-encoded for the user information of a URL
    local s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
            [A-Za-z0-9._~-]) out+=$c ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

joined() { # joined SEPARATOR ITEM... : the items with SEPARATOR between them
    local separator=$1 out=""
    shift
    for item in "$@"; do out+=${out:+$separator}$item; done
    printf '%s' "$out"
}

for service in "${SERVICES[@]}"; do require "PROCEDURA_AMQP_PASSWORD_${service^^}"; done
require PROCEDURA_DATABASE_PASSWORD PROCEDURA_ELASTICSEARCH_USER PROCEDURA_ELASTICSEARCH_PASSWORD

export LC_ALL=C   # one byte at a time in `encoded`
for service in "${SERVICES[@]}"; do
    variable=PROCEDURA_AMQP_PASSWORD_${service^^}
    password=$(encoded "${!variable}")
    urls=()
    for node in "${RABBITMQ_NODES[@]}"; do
        urls+=("pyamqp://$service:$password@$node:5672/$VHOST")
    done
    echo "amqp-uri-$service=$(joined ';' "${urls[@]}")"
done

password=$(encoded "$PROCEDURA_DATABASE_PASSWORD")
hosts=()
for node in "${POSTGRESQL_NODES[@]}"; do hosts+=("$node:5432"); done
echo "database-url=postgresql://procedura:$password@$(joined , "${hosts[@]}")/$DATABASE?target_session_attrs=read-write"

user=$(encoded "$PROCEDURA_ELASTICSEARCH_USER")
password=$(encoded "$PROCEDURA_ELASTICSEARCH_PASSWORD")
urls=()
for node in "${ELASTICSEARCH_NODES[@]}"; do urls+=("https://$user:$password@$node:9200"); done
echo "elasticsearch-url=$(joined , "${urls[@]}")"
