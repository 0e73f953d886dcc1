"""Distribution lists and acknowledgements against real PostgreSQL: the list is
resolved when the revision comes into force, a confirmation is kept once, reminders go
once per kind per person, and each first confirmation is in the outbox."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.contracts import events
from services.contracts.errors import Conflict, Forbidden
from services.contracts.models import User
from services.notifications.adapters.unit_of_work import PostgresUnitOfWork as uow_of
from services.notifications.use_cases import feed as handlers
from services.notifications.domain.acknowledgements import Reminder
from tests.integration.test_email_delivery import ndb, settings_for, free_port  # noqa: F401


def staff(name, department="DJ", function="Consilier juridic"):
    return User(username=name, full_name=name.replace(".", " ").title(), department=department,
                function=function, roles=["reader"])


def revision_event(kind, version_id, document_id, time=None, confidential=False):
    data = events.RevisionTransitioned(
        document_id=document_id, code="PO-DJ-77", title="Înregistrarea petițiilor", type="PO",
        owner_department="DJ", distribution=["DJ", "RP"], confidential=confidential,
        version_id=version_id, edition=1, revision=0, status="in_force",
        previous_status="approved", status_seq=6, actor="daniel.balan", actor_function="Primar",
        comment="", registry_number="1/2026", effective_date=date(2026, 11, 23))
    model = events.ALL_EVENTS[kind]
    return model(subject=document_id, data=data,
                 **({"time": time} if time else {}))


@pytest.fixture
def in_force(ndb):  # noqa: F811
    settings = settings_for(free_port())
    vid, did = uuid.uuid4(), uuid.uuid4()
    people = [staff(f"a{vid.hex[:6]}.one"), staff(f"b{vid.hex[:6]}.two", "RP", "Referent")]
    # Monday 23.11.2026, 10:00 in Bucharest: due five working days later, Wed 02.12
    event = revision_event("version_in_force", vid, did,
                           datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))
    assert handlers.notify(uow_of(ndb), settings, event, people) == 2
    assert handlers.notify(uow_of(ndb), settings, event, people) == 0      # redelivered: nothing new
    return settings, str(vid), did, people


def test_the_list_is_resolved_when_the_revision_comes_into_force(ndb, in_force):  # noqa: F811
    settings, vid, _, people = in_force
    report = handlers.report(uow_of(ndb), settings, vid)
    assert report.due_date == date(2026, 12, 2)
    assert (report.confirmed, report.pending) == (0, 2)
    assert {p.username for p in report.people} == {u.username for u in people}
    assert all(p.notified_at is not None and p.acknowledged_at is None for p in report.people)
    assert {p.function for p in report.people} == {"Consilier juridic", "Referent"}
    on_due_date = handlers.report(uow_of(ndb), settings, vid, on=date(2026, 12, 2))
    assert not any(p.overdue for p in on_due_date.people)
    day_after = handlers.report(uow_of(ndb), settings, vid, on=date(2026, 12, 3))
    assert all(p.overdue for p in day_after.people)


def test_confirming_twice_keeps_the_first_record_and_emits_one_event(ndb, in_force):  # noqa: F811
    settings, vid, did, people = in_force
    first, new = handlers.acknowledge(uow_of(ndb), settings, people[0].username, vid)
    again, new_again = handlers.acknowledge(uow_of(ndb), settings, people[0].username, vid)
    assert new and not new_again
    assert first.acknowledged_at is not None and again.acknowledged_at == first.acknowledged_at
    with ndb.transaction() as cur:
        cur.execute("""SELECT payload FROM outbox WHERE type = 'acknowledgement_recorded'
                       AND payload->'data'->>'version_id' = %s""", (vid,))
        [row] = cur.fetchall()
    event = events.parse(row["payload"])
    assert event.subject == did and event.data.username == people[0].username
    assert event.data.due_date == date(2026, 12, 2)
    report = handlers.report(uow_of(ndb), settings, vid)
    assert (report.confirmed, report.pending) == (1, 1)


def test_someone_not_on_the_list_is_refused(ndb, in_force):  # noqa: F811
    settings, vid, _, _ = in_force
    with pytest.raises(Forbidden):
        handlers.acknowledge(uow_of(ndb), settings, "livia.grigore", vid)


def test_a_revision_without_an_open_list_is_not_a_refusal(ndb, in_force):  # noqa: F811
    """No list yet (a draft, or the in-force event not yet heard): a conflict saying the
    list is not open, not "you are not on the list"."""
    settings, _, _, _ = in_force
    with pytest.raises(Conflict, match="not open"):
        handlers.acknowledge(uow_of(ndb), settings, "radu.munteanu", str(uuid.uuid4()))


def test_reminders_go_once_per_kind_and_not_to_those_who_confirmed(ndb, in_force):  # noqa: F811
    settings, vid, _, people = in_force
    handlers.acknowledge(uow_of(ndb), settings, people[0].username, vid)
    waiting = people[1].username

    def reminders():
        with ndb.transaction() as cur:
            cur.execute("""SELECT username, kind, message FROM feed_items
                           WHERE version_id = %s AND kind LIKE 'acknowledgement_%%'
                           ORDER BY id""", (uuid.UUID(vid),))
            return cur.fetchall()

    assert handlers.send_reminders(uow_of(ndb), settings, date(2026, 11, 30)) >= 0
    assert reminders() == []                                       # not yet
    handlers.send_reminders(uow_of(ndb), settings, date(2026, 12, 1))      # one day before
    handlers.send_reminders(uow_of(ndb), settings, date(2026, 12, 2))      # the due date: not again
    got = reminders()
    assert [(r["username"], r["kind"]) for r in got] == [(waiting, Reminder.BEFORE.value)]
    assert "02.12.2026" in got[0]["message"]
    handlers.send_reminders(uow_of(ndb), settings, date(2026, 12, 3))
    handlers.send_reminders(uow_of(ndb), settings, date(2026, 12, 10))
    assert [(r["username"], r["kind"]) for r in reminders()] == [
        (waiting, Reminder.BEFORE.value), (waiting, Reminder.AFTER.value)]
    with ndb.transaction() as cur:   # each reminder is a live feed item too
        cur.execute("""SELECT count(*) AS n FROM outbox WHERE type = 'notification_created'
                       AND payload->'data'->>'version_id' = %s
                       AND payload->'data'->>'kind' LIKE 'acknowledgement_%%'""", (vid,))
        assert cur.fetchone()["n"] == 2


def test_a_superseded_revision_leaves_nothing_to_confirm(ndb, in_force):  # noqa: F811
    settings, vid, did, people = in_force
    assert [a.version_id for a in handlers.listing(uow_of(ndb), settings,
                                                   username=people[1].username)] == [uuid.UUID(vid)]
    handlers.notify(uow_of(ndb), settings, revision_event("version_superseded", uuid.UUID(vid), did),
                    people)
    assert handlers.listing(uow_of(ndb), settings, username=people[1].username) == []
    with pytest.raises(Conflict):
        handlers.acknowledge(uow_of(ndb), settings, people[1].username, vid)
    with ndb.transaction() as cur:
        cur.execute("""SELECT count(*) AS n FROM feed_items WHERE version_id = %s
                       AND kind LIKE 'acknowledgement_%%'""", (uuid.UUID(vid),))
        before = cur.fetchone()["n"]
    handlers.send_reminders(uow_of(ndb), settings, date(2026, 12, 10))
    with ndb.transaction() as cur:   # no reminders about a revision no longer in force
        cur.execute("""SELECT count(*) AS n FROM feed_items WHERE version_id = %s
                       AND kind LIKE 'acknowledgement_%%'""", (uuid.UUID(vid),))
        assert cur.fetchone()["n"] == before == 0
    department = handlers.listing(uow_of(ndb), settings, department="RP")
    assert people[1].username in {a.username for a in department}
    assert all(a.department == "RP" for a in department)
