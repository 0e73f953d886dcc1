"""A live stream resumed with `Last-Event-ID` after its gateway died (issue 19, "Still
open" in docs/scaling.md): feed items are numbered when they are written, and several
notifications processes commit them in any order. Here two transactions of the
notifications service's own unit of work write an item each for the same person; the
one numbered second commits first and reaches the person's stream, which is then cut.
The stream resumed with the `id:` it last received must bring the other item, once,
whether it commits before the browser comes back or after, and nothing twice. A fresh
stream (no Last-Event-ID) gives its token in its first frame, before any event: a browser
that received only that frame comes back to what was made since, an item numbered below
the newest at open but committed after it included.

The real gateway, documents and notifications services run in this process on the dev
stack's RabbitMQ and PostgreSQL; the items' live events leave through the notifications
service's outbox, as every item's do."""
from __future__ import annotations

import json
import uuid
from contextlib import ExitStack, contextmanager

import eventlet
import psycopg2
import pytest

from procedura_cli.client import Client
from procedura_cli.demo import organisation
from services.common.db import Database, make_green
from services.contracts.models import User
from services.documents.service import DocumentsService
from services.gateway.service import GatewayService
from services.notifications.adapters.unit_of_work import PostgresUnitOfWork
from services.notifications.service import NotificationsService
from services.notifications.settings import NotificationSettings
from services.notifications.use_cases.feed import publish_items
from tests.integration.running import running, service_config, version_approved
from tests.testenv import eventually

READER = "radu.munteanu"      # DJ
OTHER = "ana.popescu"         # DJ too: her items are numbered among his


class Stream:
    """A browser's EventSource on `GET /api/feed/stream`, read in the background: each
    event's id (the resume token) and body."""

    def __init__(self, client: Client, last_event_id: str | None = None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.response = client.session.get(client.base_url + "/api/feed/stream",
                                           headers=headers, stream=True, timeout=(5, 60))
        assert self.response.status_code == 200, self.response.text
        self.events: list[tuple[str, dict]] = []
        self.reader = eventlet.spawn(self._read)

    def _read(self) -> None:
        event_id = ""
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: "):
                    self.events.append((event_id, json.loads(line[6:])))
        except Exception:   # closed by the test
            pass

    @property
    def ids(self) -> list[int]:
        return [body["id"] for _, body in self.events]

    @property
    def last_event_id(self) -> str:
        """What the browser sends back when it reconnects."""
        return self.events[-1][0]

    def close(self) -> None:
        self.reader.kill()
        self.response.close()


def item_for(uow: PostgresUnitOfWork, username: str) -> dict:
    """A feed item about a new approval for `username`, written in `uow`'s transaction
    (numbered now, seen by others when it commits)."""
    person = User(username=username, full_name=username, department="DJ", function="",
                  roles=[])
    [item] = uow.feed.add_items(uuid.uuid4(), "version_approved",
                                version_approved(distribution=("DJ",)).data,
                                "Revizia a fost aprobată", [person])
    return item


def write(notifications: Database, settings: NotificationSettings, username: str) -> int:
    """One item, committed with its live event, as the service's handlers do."""
    with PostgresUnitOfWork(notifications) as uow:
        item = item_for(uow, username)
        publish_items(uow, [item], settings)
    return item["item_id"]


def relayed(environment, item_id: int) -> bool:
    """Whether the item's notification_created has left the notifications outbox."""
    conn = psycopg2.connect(environment.database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("""SELECT 1 FROM notifications.outbox
                           WHERE type = 'notification_created' AND published_at IS NOT NULL
                             AND (payload->'data'->>'item_id')::bigint = %s""", (item_id,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def first_frame(client: Client):
    """A fresh stream (no Last-Event-ID) of which the browser receives the first frame
    only, and the last event ID that frame leaves it with (the HTML standard's parsing:
    an `id:` field sets it at the blank line, though no event is dispatched without
    data); the response, still open, is read no further."""
    response = client.session.get(client.base_url + "/api/feed/stream",
                                  headers={"Accept": "text/event-stream"}, stream=True,
                                  timeout=(5, 60))
    assert response.status_code == 200, response.text
    last_event_id, fields = None, []
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            break
        name, _, value = line.partition(":")
        fields.append(name)
        if name == "id":
            last_event_id = value[1:] if value.startswith(" ") else value
    assert "data" not in fields, f"the first frame is an event: {fields}"
    assert last_event_id, f"the first frame carries no id (fields {fields})"
    return response, last_event_id


@contextmanager
def services(environment):
    """The gateway, documents and notifications services on the dev stack, the demo
    organisation loaded: the reader logged in, the notifications database, its settings."""
    make_green()
    org = organisation()
    password = next(u["password"] for u in org["users"] if u["username"] == READER)
    config = service_config(environment)
    settings = NotificationSettings.from_config(config)
    with running(config, DocumentsService, NotificationsService, GatewayService):
        from services.common.identity import IdentifiedClusterRpcProxy

        with IdentifiedClusterRpcProxy(config, timeout=30) as rpc:
            rpc.documents.load_organisation(org)
        notifications = Database(environment.database_url, "notifications", maxconn=4)
        try:
            yield Client.login(environment.gateway, READER, password), notifications, settings
        finally:
            notifications.close()


@pytest.mark.parametrize("lower_commits", ["while the browser is away",
                                           "after the stream resumed"])
def test_a_resumed_stream_brings_the_item_committed_after_a_higher_one_once(
        environment, lower_commits):
    streams: list[Stream] = []
    with services(environment) as (client, notifications, settings):
        try:
            first = Stream(client)
            streams.append(first)
            with ExitStack() as held:
                lower = held.enter_context(PostgresUnitOfWork(notifications))
                low = item_for(lower, READER)                        # numbered first
                high = write(notifications, settings, READER)        # committed first
                assert low["item_id"] < high
                eventually(lambda: high in first.ids, timeout=30)
                token = first.last_event_id
                first.close()                 # its gateway died
                if lower_commits == "while the browser is away":
                    publish_items(lower, [low], settings)
                    held.close()              # commits
                    # its live event went by with no stream of his open
                    eventually(lambda: relayed(environment, low["item_id"]), timeout=30)
                    resumed = Stream(client, last_event_id=token)
                else:
                    resumed = Stream(client, last_event_id=token)
                    publish_items(lower, [low], settings)
                    held.close()
            streams.append(resumed)
            theirs = write(notifications, settings, OTHER)           # not his to see
            later = write(notifications, settings, READER)
            eventually(lambda: later in resumed.ids, timeout=30)
            eventlet.sleep(1.5)               # a copy would show up now
            try:
                assert resumed.ids == [low["item_id"], later]
            except AssertionError:
                raise AssertionError(
                    f"resumed with Last-Event-ID {token!r} after item {high} (item "
                    f"{low['item_id']} numbered before it, committed "
                    f"{lower_commits}): the stream brought {resumed.ids}") from None
            assert theirs not in first.ids + resumed.ids

            # a forged token brings nothing of another person's either
            forged = Stream(client, last_event_id=f"0:{theirs}")
            streams.append(forged)
            eventually(lambda: later in forged.ids, timeout=30)
            assert {low["item_id"], high, later} <= set(forged.ids)
            assert theirs not in forged.ids
        finally:
            for stream in streams:
                stream.close()


@pytest.mark.parametrize("made", [
    "a new item, while the browser is away",
    "an item numbered below the newest at open, committed before the stream was cut",
    "an item numbered below the newest at open, committed while the browser is away"])
def test_a_fresh_stream_cut_before_any_event_resumes_from_its_first_frame(environment, made):
    streams: list[Stream] = []
    with services(environment) as (client, notifications, settings):
        try:
            with ExitStack() as held:
                if made.startswith("an item numbered below"):
                    lower = held.enter_context(PostgresUnitOfWork(notifications))
                    low = item_for(lower, READER)                    # numbered first
                    high = write(notifications, settings, READER)    # committed first
                    assert low["item_id"] < high
                    eventually(lambda: relayed(environment, high), timeout=30)
                opened, token = first_frame(client)
                if made.endswith("before the stream was cut"):
                    publish_items(lower, [low], settings)
                    held.close()              # commits; sent, never received
                    eventually(lambda: relayed(environment, low["item_id"]), timeout=30)
                opened.close()                # its gateway died
                if made.endswith("while the browser is away"):
                    if made.startswith("a new item"):
                        owed = write(notifications, settings, READER)
                    else:
                        publish_items(lower, [low], settings)
                        held.close()
                        owed = low["item_id"]
                    # its live event went by with no stream of his open
                    eventually(lambda: relayed(environment, owed), timeout=30)
                else:
                    owed = low["item_id"]
            resumed = Stream(client, last_event_id=token)
            streams.append(resumed)
            later = write(notifications, settings, READER)
            eventually(lambda: later in resumed.ids, timeout=30)
            eventlet.sleep(1.5)               # a copy would show up now
            try:
                assert resumed.ids == [owed, later]
            except AssertionError:
                raise AssertionError(
                    f"a fresh stream's first frame gave {token!r}; {made} (item {owed}); "
                    f"the stream resumed from it brought {resumed.ids}") from None
        finally:
            for stream in streams:
                stream.close()
