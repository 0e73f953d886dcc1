"""The prod overlay's engines are the ones proven clustered here (docs/scaling.md, the
"(measured)" sections; issue 19): RabbitMQ's vhost and policies as the 3-node cluster has
them, every node in the services' connection strings, Elasticsearch's shards and replicas
for 3 nodes, MinIO distributed (4 servers x 2 drives, EC:4) behind a Service that admits a
server only when /minio/health/cluster answers, PostgreSQL's two nodes with
target_session_attrs=read-write. Offline: the rendered overlay, the files beside it and
the scripts that set up the loopback clusters."""
from __future__ import annotations

import json
import os
import re
import subprocess
from urllib.parse import unquote, urlsplit

import pytest
from kombu import Connection
from psycopg2.extensions import parse_dsn

from nameko.containers import ServiceContainer

from devenv.cluster import POLICIES
from services.common import broker_users
from services.common.identity import rpc
from services.common.messaging import ReliableEventHandler, event_handler
from services.common.messaging.publishing import dead_letters_queue
from services.common.messaging.queues import TypedRpcConsumer
from services.common.settings import Settings, load_config
from services.search.adapters.index import VersionIndex, nodes
from tests.deploy import manifests as m

PROD = m.K8S / "overlays" / "prod"
DEFINITIONS = PROD / "rabbitmq-definitions.json"
CONNECTION_STRINGS = PROD / "connection-strings.sh"
RABBITMQ_SH = m.REPO / "scripts" / "cluster" / "rabbitmq.sh"
MINIO_SH = m.REPO / "scripts" / "cluster" / "minio.sh"
# passwords with characters a URL must encode
PASSWORDS = {broker_users.password_key(s): f"{s}/p@ss;w0rd" for s in m.SERVICES}
PASSWORDS |= {"PROCEDURA_DATABASE_PASSWORD": "db p@ss:word",
              "PROCEDURA_ELASTICSEARCH_USER": "procedura",
              "PROCEDURA_ELASTICSEARCH_PASSWORD": "es/p@ss"}


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    return m.render_all(tmp_path_factory.mktemp("k8s"))["prod"]


def _settings(docs) -> dict[str, str]:
    return next(d for d in docs if d["kind"] == "ConfigMap"
                and d["metadata"]["name"].startswith("procedura-settings"))["data"]


def _node_services(docs, engine: str) -> list[str]:
    """The ExternalName Services naming one node each: <engine>-0, <engine>-1, ..."""
    return sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Service"
                  and re.fullmatch(rf"{engine}-\d+", d["metadata"]["name"])
                  and d["spec"]["type"] == "ExternalName")


def _connection_strings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONNECTION_STRINGS)], capture_output=True, text=True,
                          timeout=30, env={"PATH": os.environ["PATH"], **env})


@pytest.fixture(scope="module")
def secrets() -> dict[str, str]:
    done = _connection_strings(PASSWORDS)
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


# ---- RabbitMQ: 3 nodes, quorum queues, the cluster's policies ---------------------------------
def _definitions() -> dict:
    return json.loads(DEFINITIONS.read_text(encoding="utf-8"))


def _script_policies(tmp_path) -> dict[str, dict]:
    """The policies scripts/cluster/rabbitmq.sh puts on its vhost, as its management API
    calls would send them: the calls recorded instead of sent, the broker users step (a
    `python3` the script execs) a no-op stand-in on PATH (broker_users.py is tested
    elsewhere)."""
    (tmp_path / "python3").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "python3").chmod(0o755)
    script = f"""
        set -e
        source {RABBITMQ_SH}
        rmqc_api() {{ printf '%s\\t%s\\t%s\\n' "$1" "$2" "${{3:-}}"; }}
        RMQC_SECRETS=/dev/null
        rmqc_setup
    """
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    policies = {}
    for line in done.stdout.splitlines():
        method, path, body = line.split("\t")
        if path.startswith("/policies/"):
            _, _, vhost, name = path.split("/")
            assert method == "PUT" and vhost == "procedura"
            policies[name] = json.loads(body)
    return policies


def test_the_vhost_defaults_to_quorum_queues():
    [vhost] = _definitions()["vhosts"]
    assert vhost["name"] == "procedura"
    assert vhost["metadata"]["default_queue_type"] == "quorum"


def test_the_policies_are_the_clusters_own(tmp_path):
    """One rule, three places held equal: the prod definitions, the loopback cluster's
    script and the fault run's vhosts (devenv/cluster.py)."""
    prod = {p["name"]: {k: v for k, v in p.items() if k not in ("name", "vhost")}
            for p in _definitions()["policies"]}
    assert {p["vhost"] for p in _definitions()["policies"]} == {"procedura"}
    assert prod == POLICIES
    assert _script_policies(tmp_path) == POLICIES


class Clerk:
    """A service with Procedura's RPC and event handler, to see the queues it declares."""
    name = "clerk"

    @rpc
    def hello(self, name):
        return name

    @event_handler("documents", "document_registered")
    def on_registered(self, payload):
        pass


def test_the_policies_reach_procedura_s_queues_not_its_dead_letters(prod, monkeypatch):
    """The patterns match the durable queues Procedura declares (event handlers
    `evt-...`, RPC `rpc-<service>`), never its dead letters, where the events policy
    sends what it gives up on."""
    monkeypatch.setenv("PROCEDURA_AMQP_URI", "pyamqp://clerk:not-used-here@127.0.0.1/")
    monkeypatch.setenv("PROCEDURA_QUEUE_TYPE", _settings(prod)["PROCEDURA_QUEUE_TYPE"])
    container = ServiceContainer(Clerk, load_config(m.CONFIG))
    names = set()
    for extension in container.extensions:
        if isinstance(extension, (ReliableEventHandler, TypedRpcConsumer)):
            extension.setup()
            names.add(extension.queue.name)
            # quorum from the services' own declarations too, not only the vhost's default
            assert extension.queue.queue_arguments["x-queue-type"] == "quorum"
    policies = {p["name"]: p for p in _definitions()["policies"]}
    events = re.compile(policies["procedura-events"]["pattern"])
    rpc_queues = re.compile(policies["procedura-rpc"]["pattern"])
    assert [n for n in names if rpc_queues.match(n)] == ["rpc-clerk"]
    assert [n for n in names if events.match(n)] == \
        ["evt-documents-document_registered--clerk.on_registered"]
    letters = dead_letters_queue().name
    assert letters == broker_users.DEAD_LETTERS
    assert not events.match(letters) and not rpc_queues.match(letters)
    assert policies["procedura-events"]["definition"]["dead-letter-exchange"] == letters


def test_every_service_names_every_rabbitmq_node(prod, secrets):
    rabbitmq = _node_services(prod, "rabbitmq")
    assert rabbitmq == ["rabbitmq-0", "rabbitmq-1", "rabbitmq-2"]
    [vhost] = _definitions()["vhosts"]
    for service in m.SERVICES:
        uri = secrets[f"amqp-uri-{service}"]
        parts = [urlsplit(u) for u in uri.split(";")]
        assert [p.hostname for p in parts] == rabbitmq, service
        assert {(p.username, unquote(p.password), p.port, p.path) for p in parts} == \
            {(service, PASSWORDS[broker_users.password_key(service)], 5672, f"/{vhost['name']}")}
        # kombu sees three brokers to move between; Procedura sees a service's identity
        assert len(Connection(uri).alt) == 3
        settings = Settings.from_config({**load_config(m.CONFIG), "AMQP_URI": uri})
        assert urlsplit(settings.secret("amqp_uri")).username == service


# ---- PostgreSQL: pg_auto_failover's two nodes, writes on the primary ---------------------------
def test_the_database_url_names_both_nodes_and_asks_for_the_primary(prod, secrets):
    postgresql = _node_services(prod, "postgresql")
    assert postgresql == ["postgresql-0", "postgresql-1"]
    dsn = parse_dsn(secrets["database-url"])
    assert dsn["host"].split(",") == postgresql and dsn["port"] == "5432,5432"
    assert dsn["target_session_attrs"] == "read-write"
    assert (dsn["user"], dsn["password"], dsn["dbname"]) == \
        ("procedura", PASSWORDS["PROCEDURA_DATABASE_PASSWORD"], "procedura")


# ---- Elasticsearch: 3 nodes, 3 shards, 1 replica -----------------------------------------------
def test_search_reaches_every_elasticsearch_node_with_its_credentials(prod, secrets):
    elasticsearch = _node_services(prod, "elasticsearch")
    assert elasticsearch == ["elasticsearch-0", "elasticsearch-1", "elasticsearch-2"]
    urls = nodes(secrets["elasticsearch-url"])
    assert [urlsplit(u).hostname for u in urls] == elasticsearch
    client = VersionIndex(secrets["elasticsearch-url"], "procedura-versions").es
    configs = [n.config for n in client.transport.node_pool.all()]
    assert sorted(c.host for c in configs) == elasticsearch
    assert all(c.scheme == "https" and "authorization" in {k.lower() for k in c.headers}
               for c in configs)
    settings = _settings(prod)
    # as measured on 3 nodes: a primary per node, its replica on another
    assert (settings["PROCEDURA_SEARCH_SHARDS"], settings["PROCEDURA_SEARCH_REPLICAS"]) == ("3", "1")
    assert int(settings["PROCEDURA_SEARCH_REPLICAS"]) < len(elasticsearch)


def test_the_connection_strings_are_the_keys_the_services_read(prod, secrets):
    read = {env["valueFrom"]["secretKeyRef"]["key"]
            for doc in m.workloads(prod) for c in m.pod_template(doc)["spec"]["containers"]
            for env in c.get("env") or []
            if (env.get("valueFrom") or {}).get("secretKeyRef", {}).get("name") == "procedura-secrets"}
    assert set(secrets) <= read
    assert {k for k in read if k.startswith("amqp-uri-") or k.endswith("-url")} == set(secrets)


def test_a_missing_password_stops_the_script_naming_it():
    for missing in ("PROCEDURA_AMQP_PASSWORD_SEARCH", "PROCEDURA_DATABASE_PASSWORD",
                    "PROCEDURA_ELASTICSEARCH_PASSWORD"):
        done = _connection_strings({k: v for k, v in PASSWORDS.items() if k != missing})
        assert done.returncode != 0 and missing in done.stderr and done.stdout == ""
        done = _connection_strings({**PASSWORDS, missing: ""})
        assert done.returncode != 0 and missing in done.stderr and done.stdout == ""


# ---- MinIO: 4 servers x 2 drives, EC:4, admitted when ready -----------------------------------
def _expanded(pattern: str) -> list[str]:
    """MinIO's ellipsis notation expanded ({0...3} and {1...2}: their cross product)."""
    match = re.search(r"\{(\d+)\.\.\.(\d+)\}", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[:match.start()], pattern[match.end():]
    return [expanded for i in range(int(match[1]), int(match[2]) + 1)
            for expanded in _expanded(f"{head}{i}{tail}")]


def test_minio_is_four_servers_of_two_drives_with_ec4(prod):
    sts = m.find(prod, "StatefulSet", "minio")
    spec = m.pod_template(sts)["spec"]
    [container] = spec["containers"]
    assert sts["spec"]["replicas"] == 4 and sts["spec"]["podManagementPolicy"] == "Parallel"
    drives = [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]]
    assert drives == ["data1", "data2"]
    mounts = {v["mountPath"]: v["name"] for v in container["volumeMounts"]}
    assert {mounts["/data1"], mounts["/data2"]} == set(drives)
    [endpoints] = [a for a in container["args"] if "://" in a]
    namespace = sts["metadata"]["namespace"]
    headless = m.find(prod, "Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"]
    expected = [f"https://minio-{n}.{headless['metadata']['name']}.{namespace}.svc.cluster.local/data{d}"
                for n in range(4) for d in (1, 2)]
    assert _expanded(endpoints) == expected
    env = {e["name"]: e for e in container["env"]}
    parity = re.search(r"^MNC_PARITY=\$\{PROCEDURA_CLUSTER_MINIO_PARITY:-(\d+)\}",
                       MINIO_SH.read_text(encoding="utf-8"), re.M)[1]
    assert env["MINIO_STORAGE_CLASS_STANDARD"]["value"] == f"EC:{parity}" == "EC:4"
    for key in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        assert env[key]["valueFrom"]["secretKeyRef"]["name"] == "procedura-minio"
    # never two servers on one node: a node lost would take 4 of the 8 drives
    required = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert [t["topologyKey"] for t in required] == ["kubernetes.io/hostname"]
    budget = next(d for d in prod if d["kind"] == "PodDisruptionBudget"
                  and m.matches(d["spec"]["selector"], m.pod_template(sts)["metadata"]["labels"]))
    assert budget["spec"]["maxUnavailable"] == 1


def test_the_services_reach_minio_through_a_service_that_admits_ready_servers(prod):
    sts = m.find(prod, "StatefulSet", "minio")
    [container] = m.pod_template(sts)["spec"]["containers"]
    service = m.find(prod, "Service", "minio")
    assert service["spec"]["type"] == "ClusterIP"
    assert not service["spec"].get("publishNotReadyAddresses")
    assert m.matches({"matchLabels": service["spec"]["selector"]},
                     m.pod_template(sts)["metadata"]["labels"])
    [port] = service["spec"]["ports"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    readiness = container["readinessProbe"]["httpGet"]
    assert readiness["path"] == "/minio/health/cluster"
    assert readiness["port"] == port["targetPort"] == "s3"
    secure = _settings(prod)["PROCEDURA_MINIO_SECURE"] == "true"
    assert readiness["scheme"] == ("HTTPS" if secure else "HTTP")
    assert _settings(prod)["PROCEDURA_MINIO_ENDPOINT"] == f"minio:{port['port']}"
    assert ports["s3"] == 9000


def test_minio_admits_the_services_and_its_own_servers_only(prod):
    policy = m.find(prod, "NetworkPolicy", "minio-ingress")
    [rule] = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"egress.procedura.ro/minio": "true"}}}]
    assert [p["port"] for p in rule["ports"]] == [9000]
    labels = m.pod_template(m.find(prod, "StatefulSet", "minio"))["metadata"]["labels"]
    assert labels["egress.procedura.ro/minio"] == "true"
    egress = m.find(prod, "NetworkPolicy", "egress-to-minio")
    assert all("podSelector" in peer for r in egress["spec"]["egress"] for peer in r["to"])


def test_minio_s_servers_reach_each_other_and_no_other_engine(prod):
    """The network rule lets a clustered engine reach its own servers, nothing more."""
    import copy

    assert m.network_problems(prod) == []
    docs = copy.deepcopy(prod)
    m.pod_template(m.find(docs, "StatefulSet", "minio"))["metadata"]["labels"][
        "egress.procedura.ro/postgresql"] = "true"
    assert any(p.startswith("minio: egress reaches") for p in m.network_problems(docs))
