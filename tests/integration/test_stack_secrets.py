"""`scripts/stack.sh up` generates every local secret on first start into one file of
its stack, readable by its owner only, and keeps them afterwards (a PostgreSQL of its
own, on a free port, in a stack directory of this test)."""
from __future__ import annotations

import stat
from urllib.parse import quote

import psycopg2
import pytest

from procedura_cli.localenv import read_secrets
from services.common import broker_users
from services.common.settings import known_value
from tests.integration.own_stack import own_stack

KEYS = {"PROCEDURA_AUTH_SECRET", "PROCEDURA_MINIO_ACCESS_KEY", "PROCEDURA_MINIO_SECRET_KEY",
        "PROCEDURA_DATABASE_PASSWORD",
        *(broker_users.password_key(u) for u in broker_users.users())}


@pytest.fixture
def own_postgres():
    with own_stack("procedura-stack-secrets-", "postgres", "PROCEDURA_PG_PORT") as stack:
        yield stack


def test_up_generates_every_secret_once_into_secrets_env(own_postgres):
    directory, env, stack = own_postgres
    stack("up")
    path = directory / "secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = read_secrets(path)
    assert set(first) == KEYS
    values = list(first.values())
    assert len(set(values)) == len(values)                      # each its own
    assert all(len(v) >= 20 and not known_value(v) for v in values)
    password = quote(first["PROCEDURA_DATABASE_PASSWORD"], safe="")
    psycopg2.connect(f"postgresql://procedura:{password}@127.0.0.1:"
                     f"{env['PROCEDURA_PG_PORT']}/procedura").close()

    # a second start keeps them; a key that appeared later (here: one removed) is added
    lines = [line for line in path.read_text().splitlines()
             if not line.startswith("PROCEDURA_AMQP_SUBSCRIBER_PASSWORD=")]
    path.write_text("\n".join(lines) + "\n")
    stack("down")
    stack("up")
    second = read_secrets(path)
    assert set(second) == KEYS
    assert {k: v for k, v in second.items() if k != "PROCEDURA_AMQP_SUBSCRIBER_PASSWORD"} == \
        {k: v for k, v in first.items() if k != "PROCEDURA_AMQP_SUBSCRIBER_PASSWORD"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["PROCEDURA_DATABASE_PASSWORD"] not in stack("status").stdout
