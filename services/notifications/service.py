"""The notifications service: each person's feed of what concerns them, the
acknowledgements of revisions in force, and e-mail (docs/notifications.md)."""
from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from nameko.timer import timer

from services.common.callers import GATEWAY, OPERATORS
from services.common.identity import IdentifiedRpcProxy, rpc
from services.common.db import DatabaseProvider
from services.common.messaging import event_handler
from services.common.outbox import OutboxRelay, backlog
from services.common.health import HealthBeacon
from services.contracts import events
from services.contracts.confidentiality import may_read
from services.contracts.errors import EXPECTED, InvalidInput, NotFound, validate
from services.contracts.models import User
from services.contracts.notifications import Preferences
from services.contracts.signing import APPROVE, STEP_EVENT_TYPES
from services.notifications import domain
from services.notifications.domain import acknowledgements
from services.notifications.use_cases import email_delivery, feed, step_deadlines
from services.notifications.adapters.email_repository import EmailRepository
from services.notifications.adapters.mailer import Mailer
from services.notifications.adapters.repository import Repository
from services.notifications.adapters.unit_of_work import PostgresUnitOfWork
from services.notifications.bootstrap import (
    ClockProvider, NotificationSettingsProvider, SigningStepsProvider)

# the steps' events go to on_revision_event, but approval's: it has a handler, and so a
# queue, of its own (on_version_approved); a step added to the chain is heard at once
_STEPS_BEFORE_APPROVAL = tuple(e for e in STEP_EVENT_TYPES if e != APPROVE.event)


def _on_documents(*event_types: str):
    """One event handler per type of the documents' events, stacked on one method: the
    queue of each is named by the method (evt-documents-<type>--notifications.<method>)."""
    def stacked(method):
        for event_type in reversed(event_types):
            method = event_handler("documents", event_type)(method)
        return method
    return stacked


class NotificationsService:
    name = "notifications"

    health_beacon = HealthBeacon()

    db = DatabaseProvider("notifications", "services.notifications.migrations")
    outbox = OutboxRelay("notifications")
    documents = IdentifiedRpcProxy("documents")
    settings = NotificationSettingsProvider()
    steps = SigningStepsProvider()
    clock = ClockProvider()

    def _uow(self) -> PostgresUnitOfWork:
        """The use cases' unit of work on this worker's database: built here alone."""
        return PostgresUnitOfWork(self.db)

    @event_handler("documents", "version_approved")
    def on_version_approved(self, payload: dict) -> int:
        """Tell everyone in the departments on the distribution list."""
        return self._notify(payload)

    @_on_documents("version_submitted", *_STEPS_BEFORE_APPROVAL, "version_rejected",
                   "version_in_force", "version_superseded", "document_withdrawn",
                   "review_due")
    def on_revision_event(self, payload: dict) -> int:
        """The next signers, the author of a rejected revision, or the distribution list."""
        return self._notify(payload)

    def _notify(self, payload: dict) -> int:
        event = events.parse(payload)
        # membership is resolved now, when the event happens, and kept with the item
        audience = domain.audience(event.type, event.data, self.steps)
        users = [u for u in self._resolve(audience)
                 if may_read(u, event.data)]
        added = feed.notify(self._uow(), self.settings, event, users)
        # an event may arrive after its document was made confidential or its list
        # changed (document_updated heard first): what it added follows the facts now
        try:
            facts = self._facts_now(event.data.document_id)
        except NotFound:   # a document the register does not hold: nothing to follow
            return added
        if feed.access_changed(event.data, facts):
            feed.follow_access(self._uow(), facts, self._people)
        return added

    @event_handler("documents", "version_step_completed")
    def on_step_signed(self, payload: dict) -> int:
        """A signature of a workflow step. A committee member who signed before the
        quorum is not reminded of the step's deadline; a step with no event of its own
        that moves the revision on tells its next signers (the others' named events do)."""
        data = events.parse(payload).data
        step_deadlines.step_signed(self._uow(), data)
        if data.status is not None and data.transition_event is None:
            return self._notify(payload)
        return 0

    @event_handler("documents", "document_updated")
    def on_document_updated(self, payload: dict) -> dict:
        """Confidentiality or distribution changed: feed items, acknowledgements, their
        reminders and reports follow, for everyone told of the document so far."""
        event = events.parse(payload)
        # the facts as the register holds them now, so a late or repeated event cannot
        # bring old ones back (an idempotent recomputation: no inbox needed)
        return feed.follow_access(self._uow(), self._facts_now(event.data.document_id),
                                  self._people)

    def _facts_now(self, document_id) -> events.DocumentFacts:
        record = self.documents.document_record(str(document_id))
        return events.DocumentFacts.model_validate({**record, "document_id": record["id"]})

    def _people(self, told: dict[str, str]) -> dict[str, User]:
        """username → User as they are now; who has left, as they were, with no role."""
        found = {u["username"]: User.model_validate(u)
                 for u in self.documents.users(sorted(told))}
        for username, department in told.items():
            found.setdefault(username, User(username=username, full_name=username,
                                            department=department, function="", roles=[]))
        return found

    def _resolve(self, audience: domain.Audience) -> list[User]:
        found: dict[str, User] = {}
        if audience.departments:
            for u in self.documents.staff(list(audience.departments), None):
                found[u["username"]] = User.model_validate(u)
        for role, department in audience.roles:
            for u in self.documents.staff([department] if department else None, [role.value]):
                found[u["username"]] = User.model_validate(u)
        for username in audience.usernames:
            found[username] = User.model_validate(self.documents.get_user(username))
        return [u for u in found.values() if u.username not in audience.excluded]

    @rpc(callers=GATEWAY)
    def health(self) -> dict:
        """Readiness: the broker answered (this call) and the database does."""
        return {"service": self.name, "database": self.db.ping()}

    @rpc(expected_exceptions=EXPECTED)
    def feed(self, username: str, kind: str | None = None, limit: int = 50,
             before: int | None = None) -> dict:
        """Newest first, with the count of unread items."""
        limit = max(1, min(int(limit), 200))
        with self.db.transaction() as cur:
            return Repository(cur).feed(username, kind, limit, before).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def feed_since(self, username: str, after: int) -> list[dict]:
        """Items newer than `after`, oldest first (the live stream resuming)."""
        with self.db.transaction() as cur:
            return [i.model_dump(mode="json") for i in Repository(cur).since(username, after)]

    @rpc(expected_exceptions=EXPECTED)
    def mark_read(self, username: str, item_id: int) -> dict:
        with self.db.transaction() as cur:
            return Repository(cur).mark_read(username, int(item_id)).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def mark_all_read(self, username: str) -> int:
        with self.db.transaction() as cur:
            return Repository(cur).mark_all_read(username)

    # --- acknowledgements ("Am luat la cunoștință") --------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def acknowledge(self, username: str, version_id: str) -> dict:
        """Confirm a revision in force; Forbidden when not on its distribution list, the
        first record again when confirmed before (`"recorded": false`)."""
        record, new = feed.acknowledge(self._uow(), self.settings, username,
                                       _version_id(version_id), self.clock)
        return {**record.model_dump(mode="json"), "recorded": new}

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def acknowledgement_report(self, version_id: str) -> dict:
        """The distribution list of one revision: who confirmed when, who has not."""
        return feed.report(self._uow(), self.settings, _version_id(version_id),
                           clock=self.clock).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def acknowledgement_report_csv(self, version_id: str) -> str:
        """The same, as a spreadsheet (Romanian headers, dates dd.mm.yyyy HH:MM)."""
        report = feed.report(self._uow(), self.settings, _version_id(version_id),
                             clock=self.clock)
        return acknowledgements.report_csv(report.people, self.settings.timezone)

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def department_acknowledgements(self, department: str | None = None) -> list[dict]:
        """Every record of a department's people (all departments: None)."""
        return [a.model_dump(mode="json") for a in
                feed.listing(self._uow(), self.settings, department=department,
                             clock=self.clock)]

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def department_acknowledgements_csv(self, department: str | None = None) -> str:
        """The same, as a spreadsheet."""
        return acknowledgements.listing_csv(
            feed.listing(self._uow(), self.settings, department=department,
                         clock=self.clock),
            self.settings.timezone)

    @rpc(expected_exceptions=EXPECTED)
    def pending_acknowledgements(self, username: str) -> list[dict]:
        """What a person still has to confirm, due first."""
        return [a.model_dump(mode="json") for a in
                feed.listing(self._uow(), self.settings, username=username,
                             clock=self.clock)]

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def send_reminders(self, on: str | None = None) -> int:
        """The reminders owed today (or on the day `on`, YYYY-MM-DD); the timer calls it."""
        return feed.send_reminders(self._uow(), self.settings,
                                   _day(on) if on else self.clock.today())

    @timer(interval=600)
    def remind(self) -> int:
        return self.send_reminders()

    # --- deadlines of workflow steps ----------------------------------------------
    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def send_step_deadlines(self, on: str | None = None) -> int:
        """The reminders and escalations of late workflow steps owed today (or on the day
        `on`, YYYY-MM-DD); the timer calls it."""
        return step_deadlines.send_notices(self._uow(), self.settings,
                                           _day(on) if on else self.clock.today(),
                                           self._staff, self._facts_if_held)

    @timer(interval=600)
    def remind_step_deadlines(self) -> int:
        return self.send_step_deadlines()

    def _staff(self, role: str, department: str | None) -> list[User]:
        return [User.model_validate(u) for u in
                self.documents.staff([department] if department else None, [role])]

    def _facts_if_held(self, document_id) -> events.DocumentFacts | None:
        try:
            return self._facts_now(document_id)
        except NotFound:   # a document the register does not hold: nobody is told
            return None

    # --- e-mail -------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def get_preferences(self, username: str) -> dict:
        with self.db.transaction() as cur:
            return EmailRepository(cur).preferences(username).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def set_preferences(self, username: str, preferences: dict) -> dict:
        chosen = validate(Preferences, preferences)
        with self.db.transaction() as cur:
            return EmailRepository(cur).set_preferences(username, chosen).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def outbox_backlog(self, older_than: float) -> dict:
        """For `procedura doctor`: how many events of this service's outbox are still not
        relayed `older_than` seconds after they were recorded, and when the oldest was
        ({"count": int, "oldest": ISO timestamp or None})."""
        return backlog(self.db, older_than)

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def queue_digests(self, day: str | None = None) -> int:
        """Queue the daily digests of `day` (YYYY-MM-DD; default: yesterday)."""
        on = _day(day) if day else self.clock.today() - timedelta(days=1)
        with self.db.transaction() as cur:
            return email_delivery.queue_digests(cur, on, self.settings)

    @timer(interval=600)
    def digest_yesterday(self) -> int:
        return self.queue_digests()

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def deliver_email(self) -> dict:
        """Send the queued messages whose time has come (the delivery worker's tick)."""
        return email_delivery.deliver_due(self.db, Mailer(self.settings.email),
                                          self.settings, clock=self.clock)

    @timer(interval=2)
    def delivery_worker(self) -> dict:
        return self.deliver_email()

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def delivery_log(self, username: str | None = None, limit: int = 200) -> list[dict]:
        """The newest messages (of one person), with their status and attempts."""
        with self.db.transaction() as cur:
            rows = EmailRepository(cur).log(username, max(1, min(int(limit), 1000)))
        return [{**r, "next_attempt_at": r["next_attempt_at"].isoformat(),
                 "created_at": r["created_at"].isoformat(),
                 "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None}
                for r in rows]


def _version_id(value: str) -> str:
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise NotFound(f"no version {value}", {"version_id": value}) from None


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", {"field": "day"}) from None
