"""The environment of a Procedura process on the local stack: the secrets scripts/stack.sh
generated into .stack/secrets.env (explicit environment variables win), and the URIs
made from them for one broker identity. scripts/services.sh starts each service with
`python -m procedura_cli.localenv SERVICE`; the procedura CLI and the tests use it as
the operators' identity (procedura-admin). It is also the one place the procedura
command reads its environment variables (`variable`, `environment`).

  python -m procedura_cli.localenv SERVICE   KEY=value lines to start SERVICE with
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping
from urllib.parse import quote

from services.common.broker_users import ADMIN, password_key, users

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_USER = "procedura"   # the database role scripts/stack.sh creates


def variable(name: str, default: str | None = None) -> str | None:
    """An environment variable of the procedura command (PROCEDURA_PG_BIN, ...), read
    when asked, so a variable set after import counts; `default` when unset."""
    return os.environ.get(name, default)


def environment() -> dict[str, str]:
    """A copy of this process's environment (for a child process, or credentials such
    as an s3:// backup destination's)."""
    return dict(os.environ)


def secrets_file(environ: Mapping[str, str]) -> Path:
    """Where the local stack keeps its secrets (PROCEDURA_SECRETS_FILE, else
    $PROCEDURA_STACK_DIR/secrets.env, else .stack/secrets.env of this clone)."""
    if environ.get("PROCEDURA_SECRETS_FILE"):
        return Path(environ["PROCEDURA_SECRETS_FILE"])
    return Path(environ.get("PROCEDURA_STACK_DIR") or ROOT / ".stack") / "secrets.env"


def read_secrets(path: Path) -> dict[str, str]:
    """KEY=value lines (blank lines and # comments skipped); {} when there is no file."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def local_environment(identity: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (os.environ by default) completed for `identity` (a broker user): the
    secrets file's values it does not set, PROCEDURA_AMQP_URI as that user on
    PROCEDURA_AMQP_VHOST, PROCEDURA_DATABASE_URL, and the engines' addresses from the
    stack's port variables (scripts/stack.sh)."""
    environ = dict(os.environ if environ is None else environ)
    env = {**read_secrets(secrets_file(environ)), **environ}
    if not env.get("PROCEDURA_AMQP_URI") and env.get(password_key(identity)):
        vhost = env.get("PROCEDURA_AMQP_VHOST") or "/"
        vhost = "" if vhost == "/" else quote(vhost, safe="")   # an empty path is "/"
        env["PROCEDURA_AMQP_URI"] = (
            f"pyamqp://{identity}:{quote(env[password_key(identity)], safe='')}"
            f"@{HOST}:{env.get('PROCEDURA_AMQP_PORT') or 5672}/{vhost}")
    if not env.get("PROCEDURA_DATABASE_URL") and env.get("PROCEDURA_DATABASE_PASSWORD"):
        env["PROCEDURA_DATABASE_URL"] = (
            f"postgresql://{PG_USER}:{quote(env['PROCEDURA_DATABASE_PASSWORD'], safe='')}"
            f"@{HOST}:{env.get('PROCEDURA_PG_PORT') or 5432}/"
            f"{env.get('PROCEDURA_DATABASE_NAME') or 'procedura'}")
    for variable, port, make in (
            ("PROCEDURA_MINIO_ENDPOINT", "PROCEDURA_MINIO_PORT", "{host}:{port}"),
            ("PROCEDURA_ELASTICSEARCH_URL", "PROCEDURA_ES_PORT", "http://{host}:{port}"),
            ("PROCEDURA_TIKA_URL", "PROCEDURA_TIKA_PORT", "http://{host}:{port}")):
        if not env.get(variable) and env.get(port):
            env[variable] = make.format(host=HOST, port=env[port])
    return env


def operator_config(path) -> dict:
    """The nameko config the procedura CLI works with, as the operators' identity:
    os.environ completed from the local secrets (explicit variables kept)."""
    from services.common.settings import load_config

    saved = dict(os.environ)
    os.environ.update(local_environment(ADMIN))
    try:
        return load_config(path)
    finally:   # a command run in-process (tests) leaves the environment as it found it
        os.environ.clear()
        os.environ.update(saved)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m procedura_cli.localenv SERVICE", file=sys.stderr)
        return 2
    env = local_environment(argv[0])
    # a service gets its own URI, not the broker passwords of the others
    passwords = {password_key(user) for user in users()}
    for key in sorted(env):
        if key.startswith("PROCEDURA_") and key not in passwords and "\n" not in env[key]:
            print(f"{key}={env[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
