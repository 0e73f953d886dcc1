"""An isolated Procedura environment on the real stack, for integration and e2e tests:
its own RabbitMQ vhost, PostgreSQL database, MinIO buckets and Elasticsearch index."""
from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import quote

import psycopg2
import requests
from elasticsearch import Elasticsearch
from minio import Minio
from minio.deleteobjects import DeleteObject

from services.common.settings import load_config

ROOT = Path(__file__).resolve().parent.parent
MANAGEMENT = "http://127.0.0.1:15672/api"
RABBIT_AUTH = ("guest", "guest")
ADMIN_DB = "postgresql://procedura:procedura@127.0.0.1:5432/procedura"


class TestEnvironment:
    def __init__(self, run_id: str, gateway_port: int | None = None,
                 upload_limit: int = 5 * 1024 * 1024):
        # a port of its own, so two test runs on one machine do not meet
        gateway_port = gateway_port or 8200 + os.getpid() % 700
        self.run_id = run_id
        self.vhost = f"procedura-{run_id}"
        self.database = f"procedura_{run_id}"
        self.bucket = f"procedura-{run_id}"
        self.index = f"procedura-{run_id}-versions"
        self.gateway_address = f"127.0.0.1:{gateway_port}"
        self.gateway = f"http://{self.gateway_address}"
        self.upload_limit = upload_limit
        self.management = MANAGEMENT                       # RabbitMQ's management API
        self.elasticsearch_url = "http://127.0.0.1:9200"
        self.env = {
            "PROCEDURA_AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost}",
            "PROCEDURA_DATABASE_URL":
                f"postgresql://procedura:procedura@127.0.0.1:5432/{self.database}",
            "PROCEDURA_BUCKET": self.bucket,
            "PROCEDURA_SEARCH_INDEX": self.index,
            "PROCEDURA_GATEWAY_ADDRESS": self.gateway_address,
            "PROCEDURA_UPLOAD_LIMIT_BYTES": str(upload_limit),
            "PROCEDURA_RPC_TIMEOUT": "8",
            "PROCEDURA_RUN_DIR": str(ROOT / ".stack" / "test-runs" / run_id),
            # e-mail goes to the SMTP server a test starts on this port (tests/mailserver.py)
            "PROCEDURA_SMTP_PORT": str(gateway_port + 20000),
            "PROCEDURA_MAIL_RETRY_BASE": "1",
            "PROCEDURA_BASE_URL": self.gateway,
            # tests stand in for a reverse proxy on loopback: X-Forwarded-For gives each
            # login-limit test an address of its own, so the many right logins of the
            # suite (from 127.0.0.1) never meet the address limit those tests reach
            "PROCEDURA_TRUSTED_PROXIES": "127.0.0.1",
        }

    def config(self) -> dict:
        """The nameko config the services of this environment read."""
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
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
        return self.env["PROCEDURA_AMQP_URI"]

    @property
    def database_url(self) -> str:
        return self.env["PROCEDURA_DATABASE_URL"]

    def create(self) -> None:
        self.destroy()
        vhost = quote(self.vhost, safe="")
        requests.put(f"{self.management}/vhosts/{vhost}", auth=RABBIT_AUTH,
                     timeout=10).raise_for_status()
        requests.put(f"{self.management}/permissions/{vhost}/guest", auth=RABBIT_AUTH,
                     json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()
        with _admin() as cur:
            cur.execute(f'CREATE DATABASE "{self.database}"')

    def destroy(self) -> None:
        requests.delete(f"{self.management}/vhosts/{quote(self.vhost, safe='')}",
                        auth=RABBIT_AUTH, timeout=10)
        with _admin() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        es = Elasticsearch(self.elasticsearch_url)
        for name in es.indices.get(index=f"{self.index}*", ignore_unavailable=True):
            es.indices.delete(index=name)
        minio = Minio("127.0.0.1:9000", access_key="procedura",
                      secret_key="procedura-dev-secret", secure=False)
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
        self.conn = psycopg2.connect(ADMIN_DB)
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
