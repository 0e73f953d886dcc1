"""Who may do what on RabbitMQ: one broker user per Procedura process, an admin and a
read-only subscriber. The one definition that scripts/stack.sh (through `python3
services/common/broker_users.py rabbitmqctl VHOST`) and the tests' per-run vhosts
(tests/testenv.py) apply; standard library only, so the stack script needs no venv.

Names follow nameko 2.14 (nameko/rpc.py, nameko/events.py) and Procedura's own:
  rpc-<svc>                         a service's RPC queue, bound to nameko-rpc as <svc>.*
  rpc.reply-<svc>-<uuid>            its reply queue, bound to nameko-rpc by the uuid
  evt-<source>-<event>--<svc>.<m>   an event handler's queue (broadcast: -<id> after it)
  <svc>.events                      the topic exchange a service's outbox publishes to
  procedura.dead-letters            dead letters (exchange and queue), routing key <svc>
  procedura.retry                   retries go back to the tail of their own queue (routing
                                    key: the queue's name; services/common/messaging/)
nameko declares every exchange it uses (configure on it); RabbitMQ checks a bind as
write on the queue and read on the exchange; topic permissions limit the routing keys
a user may publish to nameko-rpc (the services it may call, and replies) and to the
dead letters (its own name) and to procedura.retry (its own queues).
"""
from __future__ import annotations

import base64
import json
import os
import re
import sys
import urllib.error
import urllib.request
from urllib.parse import quote

ADMIN = "procedura-admin"            # management API, CLI, tests: everything
SUBSCRIBER = "procedura-subscriber"  # example of another system: binds to *.events
RPC_EXCHANGE = "nameko-rpc"
DEAD_LETTERS = "procedura.dead-letters"
RETRY = "procedura.retry"
# a reply's routing key: the uuid of the caller's reply queue
REPLY_KEY = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# the queues another system's user may own (examples/subscriber.py)
SUBSCRIBER_QUEUES = r"subscriber\..+"

# service: (events exchange it publishes to, event sources it follows, services it calls)
SERVICES: dict[str, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    "documents": ("documents", (), ("versioning",)),
    "versioning": ("versioning", ("documents",), ()),
    "extraction": ("versioning", ("versioning",), ()),
    "renditions": ("versioning", ("versioning", "documents"), ()),
    "search": (None, ("documents", "versioning"), ("documents", "versioning")),
    "notifications": ("notifications", ("documents",), ("documents",)),
    "gateway": (None, ("notifications",), ("documents", "versioning", "search",
                                           "notifications", "renditions")),
}
# (extraction and renditions publish to versioning.events: they relay the versioning
# schema's outbox, so each may send any of its events)


def users() -> list[str]:
    return [*SERVICES, ADMIN, SUBSCRIBER]


def password_key(user: str) -> str:
    """The secrets.env / environment variable holding `user`'s password."""
    if user == ADMIN:
        return "PROCEDURA_AMQP_ADMIN_PASSWORD"
    if user == SUBSCRIBER:
        return "PROCEDURA_AMQP_SUBSCRIBER_PASSWORD"
    return f"PROCEDURA_AMQP_PASSWORD_{user.upper()}"


def _any(*names: str) -> str:
    return "^(" + "|".join(dict.fromkeys(names)) + ")$"


def permissions(user: str) -> tuple[str, str, str]:
    """(configure, write, read) regular expressions of `user` on a Procedura vhost."""
    if user == ADMIN:
        return ".*", ".*", ".*"
    if user == SUBSCRIBER:
        # its own queues; it binds them to the events exchanges (read) and publishes nowhere
        return (_any(SUBSCRIBER_QUEUES), _any(SUBSCRIBER_QUEUES),
                _any(SUBSCRIBER_QUEUES, r"[a-z]+\.events"))
    publishes, sources, _ = SERVICES[user]
    own = [f"rpc-{user}", rf"rpc\.reply-{user}-.+", rf"evt-.+--{user}\..+", RPC_EXCHANGE]
    out = [re.escape(f"{publishes}.events")] if publishes else []
    inbound = [re.escape(f"{s}.events") for s in sources]
    letters = [re.escape(DEAD_LETTERS)] if sources else []
    retries = [re.escape(RETRY)] if sources else []
    configure = _any(*own, *out, *inbound, *letters, *retries)
    write = _any(*own, *out, *letters, *retries)
    read = _any(*own, *inbound, *letters, *retries)
    return configure, write, read


def topic_permissions(user: str) -> list[tuple[str, str, str]]:
    """(exchange, write, read) routing-key expressions of `user`: a service publishes to
    nameko-rpc only calls to the services it uses and replies, and binds its RPC queue
    only to its own calls."""
    if user in (ADMIN, SUBSCRIBER):
        return []
    publishes, sources, calls = SERVICES[user]
    rules = [(RPC_EXCHANGE, _any(*(rf"{c}\.[a-z_]+" for c in calls), REPLY_KEY),
              _any(rf"{user}\.\*", REPLY_KEY))]
    if sources:
        rules.append((DEAD_LETTERS, _any(re.escape(user)), "^#$"))
        own_queues = _any(rf"evt-.+--{user}\..+")   # retries: to its own queues only
        rules.append((RETRY, own_queues, own_queues))
    return rules


def _request(api: str, auth: tuple[str, str], method: str, path: str,
             body: dict | None = None) -> int:
    """One call of RabbitMQ's management API; its HTTP status (404 included)."""
    request = urllib.request.Request(
        api.rstrip("/") + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json",
                 "authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and method == "DELETE":
            return exc.code
        raise RuntimeError(f"{method} {path}: HTTP {exc.code} {exc.read()[:300]!r}") from None


def apply(api: str, auth: tuple[str, str], vhost: str,
          passwords: dict[str, str] | None = None) -> None:
    """Give every user its permissions on `vhost` through the management API at `api`
    (as the admin `auth`). With `passwords` (user -> password), first create or update
    the users themselves and delete RabbitMQ's `guest` (scripts/stack.sh); without, the
    users exist already (tests/testenv.py: a vhost per test run)."""
    if passwords is not None:
        for user in users():
            _request(api, auth, "PUT", f"/users/{quote(user, safe='')}",
                     {"password": passwords[user],
                      "tags": "administrator" if user == ADMIN else ""})
        _request(api, auth, "DELETE", "/users/guest")
    where = quote(vhost, safe="")
    for user in users():
        configure, write, read = permissions(user)
        _request(api, auth, "PUT", f"/permissions/{where}/{quote(user, safe='')}",
                 {"configure": configure, "write": write, "read": read})
        for exchange, write, read in topic_permissions(user):
            _request(api, auth, "PUT", f"/topic-permissions/{where}/{quote(user, safe='')}",
                     {"exchange": exchange, "write": write, "read": read})


def _main(argv: list[str]) -> int:
    """scripts/stack.sh: `users` lists each user and the secrets.env key of its password;
    `apply API VHOST` applies everything, the passwords read from the environment."""
    if argv[:1] == ["users"]:
        print("\n".join(f"{u} {password_key(u)}" for u in users()))
        return 0
    if argv[:1] == ["apply"] and len(argv) == 3:
        passwords = {u: os.environ[password_key(u)] for u in users()}
        apply(argv[1], (ADMIN, passwords[ADMIN]), argv[2], passwords)
        return 0
    print("usage: broker_users.py users | apply MANAGEMENT_API VHOST", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
