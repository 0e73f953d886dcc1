"""Who is told of a workflow step and of its deadline, on running services (real RabbitMQ
and PostgreSQL): a revision event with `awaiting`, published into documents.events as the
documents service publishes it, reaches the step's signers; with the clock of the
notifications service moved past the step's deadline, the feed (the notifications RPC the
gateway's feed reads) shows the reminder to the signers, then the escalation to the head
of the owner department (a step any department signs), each once, also after the event is
delivered again and the service restarted."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone

from kombu import Connection, Exchange

from procedura_cli.demo import organisation
from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
from services.contracts import events
from services.documents.service import DocumentsService
from services.notifications.adapters.unit_of_work import PostgresUnitOfWork as uow_of
from services.notifications.bootstrap import ClockProvider
from services.notifications.domain import deadlines as rules
from services.notifications.service import NotificationsService
from services.notifications.settings import load_holidays
from tests.integration.running import running, service_config
from tests.integration.test_email_delivery import ndb  # noqa: F401
from tests.testenv import ROOT, eventually
from tests.unit.fakes import FakeClock

DOCUMENTS = Exchange("documents.events", type="topic", durable=True)
COMMITTEE = events.Awaiting(
    step="avizare-comisie", label={"ro": "Avizare comisie", "en": "Committee endorsement"},
    role="endorser", department=None, quorum=1, opinions=False, deadline_working_days=2,
    # Friday 27.11.2026: 30.11 and 1.12 are public holidays, so due Thursday 3.12, the
    # reminder from Wednesday 2.12
    entered_at=datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc))
SIGNER, HEAD = "mihai.tudose", "stefan.ionescu"   # the endorser; the head of DJ


def entering_the_step(document: dict) -> events.Envelope:
    """The revision verified, now awaited in the committee's step (as the documents
    service publishes it; in_review once the documents service has that status)."""
    return events.VersionVerifiedEvent(subject=document["id"], data=events.RevisionTransitioned(
        document_id=document["id"], code=document["code"], title=document["title"],
        type=document["type"], owner_department="DJ", distribution=["DJ"],
        confidential=False, version_id=uuid.uuid4(), edition=1, revision=0,
        status="in_endorsement", previous_status="in_verification", status_seq=3,
        actor=HEAD, actor_function="Director", comment="", author="ana.popescu",
        current_step=COMMITTEE.step, awaiting=COMMITTEE))


def publish(environment, event: events.Envelope) -> None:
    with Connection(environment.amqp_uri) as conn:
        conn.Producer().publish(json.loads(event.model_dump_json()), exchange=DOCUMENTS,
                                routing_key=event.type, serializer="json",
                                declare=[DOCUMENTS])


def moved_clock(runner, day: date) -> FakeClock:
    """The running notifications service's clock, replaced by one the test moves."""
    provider = next(d for d in runner.service_map["notifications"].dependencies
                    if isinstance(d, ClockProvider))
    provider.clock = FakeClock(day)
    return provider.clock


def of_version(rpc, username: str, version_id) -> list[tuple[str, str]]:
    items = rpc.notifications.feed(username, None, 200)["items"]
    return [(i["kind"], i["message"]) for i in reversed(items)
            if i["version_id"] == str(version_id)]


def test_a_late_step_gives_a_reminder_then_an_escalation_each_once(environment, db):
    config = service_config(environment)
    with running(config, DocumentsService, NotificationsService) as runner, \
            ClusterRpcProxy(config, timeout=30) as rpc:
        rpc.documents.load_organisation(organisation())
        document = rpc.documents.register("ana.popescu", {
            "code": "PO-DJ-41", "title": "Avizarea contractelor",
            "type": "PO", "owner_department": "DJ", "distribution": ["DJ"]})
        event = entering_the_step(document)
        vid = event.data.version_id
        clock = moved_clock(runner, date(2026, 11, 27))
        publish(environment, event)
        [(kind, told)] = eventually(lambda: of_version(rpc, SIGNER, vid), timeout=20)
        assert kind == "version_verified"
        assert told.endswith("așteaptă Avizare comisie de la dumneavoastră.")
        assert of_version(rpc, "ana.popescu", vid) == []          # the author is not
        publish(environment, event)                               # delivered again

        clock.day = date(2026, 12, 1)                             # a public holiday
        assert rpc.notifications.send_step_deadlines() == 0
        clock.day = date(2026, 12, 2)                             # the day before
        assert rpc.notifications.send_step_deadlines() == 1
        assert rpc.notifications.send_step_deadlines() == 0
        reminders = of_version(rpc, SIGNER, vid)[1:]
        assert [k for k, _ in reminders] == ["step_deadline_reminder"]
        assert "Avizare comisie" in reminders[0][1] and "03.12.2026" in reminders[0][1]
        clock.day = date(2026, 12, 3)                             # the due date
        assert rpc.notifications.send_step_deadlines() == 0
        assert of_version(rpc, HEAD, vid) == []
    # a restart: the notices already sent are not sent again
    with running(config, DocumentsService, NotificationsService) as runner, \
            ClusterRpcProxy(config, timeout=30) as rpc:
        clock = moved_clock(runner, date(2026, 12, 2))
        assert rpc.notifications.send_step_deadlines() == 0
        clock.day = date(2026, 12, 4)                             # late
        # other revisions of this test run's database may be late too on that day: this
        # revision's feed says what was sent for it, once across two rounds
        assert rpc.notifications.send_step_deadlines() >= 1
        clock.advance(5)
        rpc.notifications.send_step_deadlines()
        [(kind, escalation)] = of_version(rpc, HEAD, vid)
        assert kind == "step_deadline_escalation"
        assert "a expirat la 03.12.2026" in escalation
        assert [k for k, _ in of_version(rpc, SIGNER, vid)] == [
            "version_verified", "step_deadline_reminder"]


def test_the_step_kept_follows_the_newest_transition_and_each_notice_is_claimed_once(ndb):  # noqa: F811
    """The PostgreSQL adapter: a later transition clears the step, a late one cannot
    bring it back, a notice is claimed once and only for the step still awaited, a
    committee's signers before the quorum are kept once."""
    def transition(status_seq: int, waits):
        return events.RevisionTransitioned(
            document_id=did, code="PO-DJ-42", title="Arhivarea", type="PO",
            owner_department="DJ", distribution=["DJ"], confidential=False, version_id=vid,
            edition=1, revision=0, status="in_endorsement", previous_status="in_verification",
            status_seq=status_seq, actor=HEAD, actor_function="", comment="",
            author="ana.popescu", awaiting=waits)

    vid, did = uuid.uuid4(), uuid.uuid4()
    step = rules.of_transition(transition(3, COMMITTEE), "Europe/Bucharest",
                               load_holidays(ROOT / "config" / "holidays-ro.yaml"))
    with uow_of(ndb) as uow:
        assert uow.deadlines.follow(transition(3, COMMITTEE), step)
        assert not uow.deadlines.follow(transition(3, COMMITTEE), step)   # again: no
        uow.deadlines.signed(vid, 3, "elena.membru")
        uow.deadlines.signed(vid, 3, "elena.membru")                      # once
        uow.deadlines.signed(vid, 2, "radu.membru")                       # another step
        [row] = [r for r in uow.deadlines.owed(date(2026, 12, 2)) if r["version_id"] == vid]
        assert (row["due_date"], row["remind_on"], row["department"], row["role"],
                row["signed_by"]) == (date(2026, 12, 3), date(2026, 12, 2), None,
                                      "endorser", ["elena.membru"])
        assert not [r for r in uow.deadlines.owed(date(2026, 12, 1)) if r["version_id"] == vid]
        assert uow.deadlines.claim(vid, 3, False)
        assert not uow.deadlines.claim(vid, 3, False)                    # once
        assert not uow.deadlines.claim(vid, 2, True)                     # not that step
        assert uow.deadlines.follow(transition(4, None), None)           # moved on
        assert not uow.deadlines.follow(transition(3, COMMITTEE), step)  # late: ignored
        assert not uow.deadlines.claim(vid, 4, True)                     # nothing awaited
        assert not [r for r in uow.deadlines.owed(date(2027, 1, 1)) if r["version_id"] == vid]
