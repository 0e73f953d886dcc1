"""E-mail delivery against real PostgreSQL and a real SMTP server (aiosmtpd in its own
process): the delivery log, retries with backoff, giving up, the daily digest."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.contracts.notifications import Preferences
from services.notifications.use_cases import email_delivery as delivery
from services.notifications.adapters.email_repository import EmailRepository
from services.notifications.adapters.mailer import Mailer
from services.notifications.adapters.repository import Repository
from services.notifications.settings import NotificationSettings
from devenv.mailserver import MailServer
from tests.testenv import ROOT, free_port


@pytest.fixture(scope="module")
def ndb(environment):
    from services.common.db import Database, make_green
    from services.common.migrations import migrate

    make_green()
    migrate(environment.database_url, "notifications", "services.notifications.migrations")
    database = Database(environment.database_url, "notifications", maxconn=4)
    yield database
    database.close()


def settings_for(port: int, **email) -> NotificationSettings:
    from services.common.settings import load_config

    settings = NotificationSettings.from_config(load_config(ROOT / "config" / "procedura.yaml"))
    return settings.model_copy(update={
        "base_url": "https://procedura.primarie.local",
        "email": settings.email.model_copy(update={"smtp_port": port, **email})})


@pytest.fixture
def mail(tmp_path):
    servers = []

    def start(refuse: int = 0) -> MailServer:
        server = MailServer(free_port(), tmp_path / f"box{len(servers)}.jsonl", refuse).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def person(username: str, department: str = "DJ"):
    return SimpleNamespace(username=username, department=department)


def add_item(cur, username: str, message: str, created_at: datetime | None = None) -> dict:
    data = SimpleNamespace(document_id=uuid.uuid4(), version_id=uuid.uuid4(),
                           code=f"PO-DJ-{uuid.uuid4().int % 10**6:06d}",
                           title="Înregistrarea petițiilor")
    [item] = Repository(cur).add_items(uuid.uuid4(), "version_in_force", data, message,
                                       [person(username)])
    if created_at is not None:
        cur.execute("UPDATE feed_items SET created_at = %s WHERE id = %s",
                    (created_at, item["item_id"]))
        item = {**item, "created_at": created_at}
    return item


def user() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def test_a_refused_message_is_retried_with_backoff_then_sent(ndb, mail):
    server = mail(refuse=2)
    settings = settings_for(server.port, retry_base_seconds=30, max_attempts=5)
    name = user()
    with ndb.transaction() as cur:
        EmailRepository(cur).set_preferences(
            name, Preferences(email_delivery="immediate", email_address=f"{name}@example.ro"))
        item = add_item(cur, name, "PO-DJ „Petiții” este în vigoare.")
        assert delivery.queue_immediate(EmailRepository(cur), [item], settings) == 1
        assert delivery.queue_immediate(EmailRepository(cur), [item], settings) == 0     # once per item
    now = datetime.now(timezone.utc)
    assert delivery.deliver_due(ndb, Mailer(settings.email), settings, now)["retrying"] == 1
    row = _row(ndb, name)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert "451" in row["last_error"]
    assert row["next_attempt_at"] == now + timedelta(seconds=30)
    # not yet due: nothing is tried
    early = now + timedelta(seconds=29)
    assert delivery.deliver_due(ndb, Mailer(settings.email), settings, early) == {
        "sent": 0, "retrying": 0, "failed": 0}
    later = now + timedelta(seconds=30)
    assert delivery.deliver_due(ndb, Mailer(settings.email), settings, later)["retrying"] == 1
    row = _row(ndb, name)
    assert row["attempts"] == 2 and row["next_attempt_at"] == later + timedelta(seconds=60)
    assert server.messages() == []
    assert delivery.deliver_due(ndb, Mailer(settings.email), settings,
                                later + timedelta(seconds=60))["sent"] == 1
    row = _row(ndb, name)
    assert (row["status"], row["attempts"]) == ("sent", 3)
    [message] = server.messages()
    assert message["to"] == [f"{name}@example.ro"]
    assert message["subject"] == f"[Procedura] {item['code']} – Înregistrarea petițiilor"
    assert "„Petiții” este în vigoare" in message["body"]
    assert f"https://procedura.primarie.local/documents/{item['document_id']}" in message["body"]


def test_a_server_that_never_answers_is_given_up_after_the_last_attempt(ndb):
    settings = settings_for(free_port(), retry_base_seconds=1, max_attempts=3)  # nobody listens
    name = user()
    with ndb.transaction() as cur:
        EmailRepository(cur).set_preferences(name, Preferences(email_delivery="immediate"))
        delivery.queue_immediate(EmailRepository(cur), [add_item(cur, name, "Mesaj")], settings)
    moment = datetime.now(timezone.utc)
    for _ in range(3):
        delivery.deliver_due(ndb, Mailer(settings.email), settings, moment)
        moment += timedelta(hours=1)
    row = _row(ndb, name)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "ConnectionRefusedError" in row["last_error"]
    assert row["address"] == f"{name}@{settings.email.default_domain}"
    assert delivery.deliver_due(ndb, Mailer(settings.email), settings, moment)["failed"] == 0


def test_nobody_who_chose_off_or_the_digest_gets_immediate_mail(ndb):
    settings = settings_for(free_port())
    off, digest, unset = user(), user(), user()
    with ndb.transaction() as cur:
        EmailRepository(cur).set_preferences(off, Preferences(email_delivery="off"))
        EmailRepository(cur).set_preferences(digest, Preferences(email_delivery="daily_digest"))
        items = [add_item(cur, u, "Mesaj") for u in (off, digest, unset)]
        assert delivery.queue_immediate(EmailRepository(cur), items, settings) == 0


def test_the_daily_digest_is_one_message_per_person_with_that_days_items(ndb, mail):
    server = mail()
    settings = settings_for(server.port)
    reader, other = user(), user()
    day = date(2026, 11, 20)
    local = timezone(timedelta(hours=2))   # Bucharest in November
    with ndb.transaction() as cur:
        EmailRepository(cur).set_preferences(reader, Preferences(email_delivery="daily_digest"))
        EmailRepository(cur).set_preferences(other, Preferences(email_delivery="immediate"))
        first = add_item(cur, reader, "Primul mesaj al zilei",
                         datetime(2026, 11, 20, 0, 10, tzinfo=local))
        second = add_item(cur, reader, "Al doilea mesaj al zilei",
                          datetime(2026, 11, 20, 23, 50, tzinfo=local))
        add_item(cur, reader, "Mesaj din ziua următoare",
                 datetime(2026, 11, 21, 0, 5, tzinfo=local))
        add_item(cur, other, "Mesajul altcuiva", datetime(2026, 11, 20, 12, 0, tzinfo=local))
        assert delivery.queue_digests(cur, day, settings) >= 1
        assert delivery.queue_digests(cur, day, settings) == 0      # a day once
    delivery.deliver_due(ndb, Mailer(settings.email), settings)
    mine = [m for m in server.messages() if m["to"] == [f"{reader}@primarie.local"]]
    assert len(mine) == 1
    assert mine[0]["subject"] == "[Procedura] Rezumatul zilei 20.11.2026: 2 notificări"
    body = mine[0]["body"]
    assert body.index("Primul mesaj al zilei") < body.index("Al doilea mesaj al zilei")
    assert "ziua următoare" not in body and "altcuiva" not in body
    assert f"/documents/{first['document_id']}" in body
    assert f"/documents/{second['document_id']}" in body
    assert not [m for m in server.messages() if other in m["to"][0]]


def _row(ndb, username: str) -> dict:
    with ndb.transaction() as cur:
        [row] = EmailRepository(cur).log(username)
    return row
