"""notifications follows a document's confidentiality and distribution list (issue 12,
finding 4) on the real PostgreSQL: the feed items, acknowledgement, reminders, reports and
queued e-mail of a person no longer allowed are withheld, not deleted, and come back."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.contracts import events
from services.contracts.errors import Forbidden
from services.contracts.notifications import Preferences
from services.notifications.adapters.unit_of_work import PostgresUnitOfWork as uow_of
from services.notifications.use_cases import feed as handlers
from services.notifications.adapters.email_repository import EmailRepository
from services.notifications.adapters.repository import Repository
from tests.integration.test_acknowledgements import revision_event, staff
from tests.integration.test_email_delivery import ndb, settings_for, free_port  # noqa: F401


def facts(document_id, distribution, confidential) -> events.DocumentFacts:
    return events.DocumentFacts(document_id=document_id, code="PO-DJ-77",
                                title="Înregistrarea petițiilor", type="PO",
                                owner_department="DJ", distribution=distribution,
                                confidential=confidential)


def tell(ndb, email: bool):  # noqa: F811
    """A revision in force for DJ and RP: one person of each, the RP one with e-mail at
    once if `email` (then every test withholds it: a queued message left behind would be
    sent by other tests' delivery runs)."""
    settings = settings_for(free_port())
    vid, did = uuid.uuid4(), uuid.uuid4()
    inside, outside = staff(f"a{vid.hex[:6]}.dj"), staff(f"b{vid.hex[:6]}.rp", "RP")
    if email:
        with ndb.transaction() as cur:
            EmailRepository(cur).set_preferences(outside.username,
                                                  Preferences(email_delivery="immediate"))
    handlers.notify(uow_of(ndb), settings, revision_event(
        "version_in_force", vid, did, datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)),
        [inside, outside])
    people = {u.username: u for u in (inside, outside)}
    return settings, str(vid), did, inside, outside, lambda names: {n: people[n] for n in names}


def feed(ndb, username):  # noqa: F811
    with ndb.transaction() as cur:
        return Repository(cur).feed(username, None, 50, None)


def queued_mail(ndb, username):  # noqa: F811
    with ndb.transaction() as cur:
        return [r["status"] for r in EmailRepository(cur).log(username)]


def test_made_confidential_without_a_department_withholds_all_of_it_from_its_people(
        ndb):  # noqa: F811
    settings, vid, did, inside, outside, resolve = tell(ndb, email=True)
    assert feed(ndb, outside.username).unread == 1 and queued_mail(ndb, outside.username) == [
        "queued"]
    counts = handlers.follow_access(uow_of(ndb), facts(did, ["DJ"], True), resolve)
    assert counts == {"readers": 1, "listed": 1, "withheld_items": 1}

    shown = feed(ndb, outside.username)
    assert (shown.unread, shown.items) == (0, [])
    assert queued_mail(ndb, outside.username) == ["withheld"]     # the e-mail is not sent
    assert handlers.listing(uow_of(ndb), settings, username=outside.username) == []
    assert all(a.version_id != uuid.UUID(vid)
               for a in handlers.listing(uow_of(ndb), settings, department="RP"))
    assert {p.username for p in handlers.report(uow_of(ndb), settings, vid).people} == {inside.username}
    with pytest.raises(Forbidden):
        handlers.acknowledge(uow_of(ndb), settings, outside.username, vid)
    handlers.send_reminders(uow_of(ndb), settings, date(2026, 12, 1))
    assert [i.kind for i in feed(ndb, outside.username).items] == []
    assert [i.kind for i in feed(ndb, inside.username).items] == [
        "acknowledgement_reminder", "version_in_force"]
    assert handlers.listing(uow_of(ndb), settings, username=inside.username)

    # put back: the same items, the same acknowledgement, nothing lost
    handlers.follow_access(uow_of(ndb), facts(did, ["DJ", "RP"], True), resolve)
    assert [i.kind for i in feed(ndb, outside.username).items] == ["version_in_force"]
    assert [a.version_id for a in handlers.listing(uow_of(ndb), settings, username=outside.username)
            ] == [uuid.UUID(vid)]
    assert handlers.acknowledge(uow_of(ndb), settings, outside.username, vid)[1]
    handlers.follow_access(uow_of(ndb), facts(did, ["DJ", "RP"], True), resolve)   # again: no change
    assert handlers.report(uow_of(ndb), settings, vid).confirmed == 1


def test_a_department_taken_off_a_public_document_keeps_its_feed_but_not_the_confirmation(
        ndb):  # noqa: F811
    settings, vid, did, inside, outside, resolve = tell(ndb, email=False)
    handlers.follow_access(uow_of(ndb), facts(did, ["DJ"], False), resolve)
    assert [i.kind for i in feed(ndb, outside.username).items] == ["version_in_force"]
    assert handlers.listing(uow_of(ndb), settings, username=outside.username) == []
    assert {p.username for p in handlers.report(uow_of(ndb), settings, vid).people} == {inside.username}


def test_the_daily_digest_leaves_out_a_withheld_item(ndb):  # noqa: F811
    settings, vid, did, inside, outside, resolve = tell(ndb, email=False)
    every_day = (datetime(2000, 1, 1, tzinfo=timezone.utc),
                 datetime(2100, 1, 1, tzinfo=timezone.utc))
    with ndb.transaction() as cur:   # what a digest is made of (delivery.queue_digests)
        assert len(EmailRepository(cur).items_between(outside.username, *every_day)) == 1
    handlers.follow_access(uow_of(ndb), facts(did, ["DJ"], True), resolve)
    with ndb.transaction() as cur:
        assert EmailRepository(cur).items_between(outside.username, *every_day) == []
