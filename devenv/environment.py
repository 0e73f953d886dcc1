"""An isolated Procedura environment on the real stack, for integration and e2e tests
and the benchmarks: its own RabbitMQ vhost, PostgreSQL database, MinIO buckets and
Elasticsearch index.

The stack is the one scripts/stack.sh runs: its ports from the same PROCEDURA_* port
variables (a private stack elsewhere, e.g. PROCEDURA_STACK_DIR=/tmp/s
PROCEDURA_AMQP_PORT=15682 ...), its credentials from its secrets.env. Each service of a
run connects as its own RabbitMQ user, whose permissions on the run's vhost come from
services/common/broker_users.py; the tests themselves act as procedura-admin."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from urllib.parse import quote

import psycopg2
import requests
from elasticsearch import Elasticsearch
from minio import Minio
from minio.deleteobjects import DeleteObject

from procedura_cli.localenv import local_environment
from services.common import broker_users
from services.common.settings import load_config

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def port(variable: str, default: int) -> int:
    """A port of the stack, as scripts/stack.sh reads it."""
    return int(os.environ.get(variable) or default)


AMQP_PORT = port("PROCEDURA_AMQP_PORT", 5672)
MANAGEMENT = f"http://{HOST}:{port('PROCEDURA_RABBITMQ_MGMT_PORT', 15672)}/api"
PG_PORT = port("PROCEDURA_PG_PORT", 5432)
MINIO_ENDPOINT = f"{HOST}:{port('PROCEDURA_MINIO_PORT', 9000)}"
ELASTICSEARCH_URL = f"http://{HOST}:{port('PROCEDURA_ES_PORT', 9200)}"
TIKA_URL = f"http://{HOST}:{port('PROCEDURA_TIKA_PORT', 9998)}"


def stack_secrets() -> dict[str, str]:
    """The stack's secrets (secrets.env, the environment winning), as procedura-admin."""
    env = local_environment(broker_users.ADMIN)
    missing = [k for k in ("PROCEDURA_AMQP_ADMIN_PASSWORD", "PROCEDURA_DATABASE_PASSWORD",
                           "PROCEDURA_MINIO_ACCESS_KEY", "PROCEDURA_MINIO_SECRET_KEY",
                           "PROCEDURA_AUTH_SECRET") if not env.get(k)]
    if missing:
        raise RuntimeError(f"the stack's secrets lack {', '.join(missing)}: "
                           "run scripts/stack.sh up (it writes .stack/secrets.env)")
    return env


def rabbit_auth() -> tuple[str, str]:
    return broker_users.ADMIN, stack_secrets()["PROCEDURA_AMQP_ADMIN_PASSWORD"]


def minio_admin():
    secrets = stack_secrets()
    return Minio(MINIO_ENDPOINT, access_key=secrets["PROCEDURA_MINIO_ACCESS_KEY"],
                 secret_key=secrets["PROCEDURA_MINIO_SECRET_KEY"], secure=False)


def admin_database_url(database: str = "procedura") -> str:
    password = quote(stack_secrets()["PROCEDURA_DATABASE_PASSWORD"], safe="")
    return f"postgresql://procedura:{password}@{HOST}:{PG_PORT}/{database}"


def free_port() -> int:
    """A loopback TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class TestEnvironment:
    def __init__(self, run_id: str, gateway_port: int | None = None,
                 upload_limit: int = 5 * 1024 * 1024):
        # a port of its own, free when asked, so neither two test runs on one machine nor
        # two environments of one run meet (a gateway binds with SO_REUSEPORT: two on one
        # port would silently share its requests)
        gateway_port = gateway_port or free_port()
        self.run_id = run_id
        self.vhost = f"procedura-{run_id}"
        self.database = f"procedura_{run_id}"
        self.bucket = f"procedura-{run_id}"
        self.index = f"procedura-{run_id}-versions"
        self.gateway_address = f"127.0.0.1:{gateway_port}"
        self.gateway = f"http://{self.gateway_address}"
        self.upload_limit = upload_limit
        self.management = MANAGEMENT                       # RabbitMQ's management API
        self.elasticsearch_url = ELASTICSEARCH_URL           # one node, or several: a,b,c
        self.minio_endpoint = MINIO_ENDPOINT
        self.env = {
            # each service's URI: its own user on this vhost (procedura_cli/localenv.py)
            "PROCEDURA_AMQP_VHOST": self.vhost,
            "PROCEDURA_AMQP_PORT": str(AMQP_PORT),
            "PROCEDURA_DATABASE_URL": admin_database_url(self.database),
            "PROCEDURA_MINIO_ENDPOINT": self.minio_endpoint,
            "PROCEDURA_ELASTICSEARCH_URL": self.elasticsearch_url,
            "PROCEDURA_TIKA_URL": TIKA_URL,
            "PROCEDURA_BUCKET": self.bucket,
            "PROCEDURA_SEARCH_INDEX": self.index,
            "PROCEDURA_GATEWAY_ADDRESS": self.gateway_address,
            "PROCEDURA_UPLOAD_LIMIT_BYTES": str(upload_limit),
            "PROCEDURA_RPC_TIMEOUT": "8",
            "PROCEDURA_RUN_DIR": str(ROOT / ".stack" / "test-runs" / run_id),
            # e-mail goes to the SMTP server a test starts on this port (devenv/mailserver.py)
            "PROCEDURA_SMTP_PORT": str(free_port()),
            "PROCEDURA_MAIL_RETRY_BASE": "1",
            "PROCEDURA_BASE_URL": self.gateway,
            # tests stand in for a reverse proxy on loopback: X-Forwarded-For gives each
            # login-limit test an address of its own, so the many right logins of the
            # suite (from 127.0.0.1) never meet the address limit those tests reach
            "PROCEDURA_TRUSTED_PROXIES": "127.0.0.1",
            # the tests' people come from organisation files; the directory's tests set
            # ldap themselves (tests/directory_room.py)
            "PROCEDURA_AUTH_BACKEND": "local",
        }

    def environ(self, identity: str = broker_users.ADMIN) -> dict[str, str]:
        """The environment a process of this run has as `identity` (a broker user)."""
        return local_environment(identity, {**os.environ, **self.env})

    def config(self, identity: str = broker_users.ADMIN) -> dict:
        """The nameko config of this environment as `identity` (the tests: the admin)."""
        environ = self.environ(identity)
        saved = {k: os.environ.get(k) for k in environ}
        os.environ.update(environ)
        try:
            return load_config(ROOT / "config" / "procedura.yaml")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @property
    def amqp_uri(self) -> str:
        """This run's vhost as procedura-admin."""
        return self.environ()["PROCEDURA_AMQP_URI"]

    def amqp_uri_of(self, identity: str) -> str:
        """This run's vhost as another broker user (a service, the subscriber)."""
        return self.environ(identity)["PROCEDURA_AMQP_URI"]

    @property
    def database_url(self) -> str:
        return self.env["PROCEDURA_DATABASE_URL"]

    def create(self) -> None:
        self.destroy()
        vhost = quote(self.vhost, safe="")
        requests.put(f"{self.management}/vhosts/{vhost}", auth=rabbit_auth(),
                     timeout=10).raise_for_status()
        # every user's permissions on this vhost, as the stack gives them on "/"
        broker_users.apply(self.management, rabbit_auth(), self.vhost)
        with _admin() as cur:
            cur.execute(f'CREATE DATABASE "{self.database}"')

    def destroy(self) -> None:
        requests.delete(f"{self.management}/vhosts/{quote(self.vhost, safe='')}",
                        auth=rabbit_auth(), timeout=10)
        with _admin() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.destroy_index()
        self.destroy_buckets()

    def destroy_index(self) -> None:
        """Every index of this run (behind its alias), on the node(s) it uses."""
        es = Elasticsearch([u.strip() for u in self.elasticsearch_url.split(",")])
        for name in es.indices.get(index=f"{self.index}*", ignore_unavailable=True):
            es.indices.delete(index=name)

    def destroy_buckets(self) -> None:
        """This run's buckets emptied (legal holds lifted) and removed."""
        secrets = stack_secrets()
        minio = Minio(self.minio_endpoint, access_key=secrets["PROCEDURA_MINIO_ACCESS_KEY"],
                      secret_key=secrets["PROCEDURA_MINIO_SECRET_KEY"], secure=False)
        for bucket in (self.bucket, f"{self.bucket}-staging"):
            if minio.bucket_exists(bucket):
                listed = list(minio.list_objects(bucket, recursive=True, include_version=True))
                if _object_lock(minio, bucket):     # approved originals are under legal hold
                    for o in listed:
                        if not o.is_delete_marker:
                            minio.disable_object_legal_hold(bucket, o.object_name,
                                                            version_id=o.version_id)
                objects = [DeleteObject(o.object_name, o.version_id) for o in listed]
                for error in minio.remove_objects(bucket, objects):
                    raise RuntimeError(f"could not empty {bucket}: {error}")
                minio.remove_bucket(bucket)


def _object_lock(minio: Minio, bucket: str) -> bool:
    from minio.error import S3Error

    try:
        minio.get_object_lock_config(bucket)
        return True
    except S3Error as exc:
        if exc.code == "ObjectLockConfigurationNotFoundError":
            return False
        raise


class _admin:
    def __enter__(self):
        self.conn = psycopg2.connect(admin_database_url())
        self.conn.autocommit = True
        return self.conn.cursor()

    def __exit__(self, *exc):
        self.conn.close()


def eventually(check, timeout: float = 30.0, interval: float = 0.25):
    """Poll `check` until it returns a truthy value; fail with its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last value: {value!r}")
        time.sleep(interval)
