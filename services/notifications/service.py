"""The notifications service: each person's feed of what concerns them."""
from __future__ import annotations

from services.common.delivery import event_handler
from nameko.rpc import RpcProxy, rpc

from services.common.db import DatabaseProvider
from services.common.inbox import first_delivery
from services.common.outbox import OutboxRelay, record
from services.common.health import HealthBeacon
from services.contracts import events
from services.contracts.errors import EXPECTED
from services.contracts.models import User
from services.notifications import domain
from services.notifications.repository import Repository


class NotificationsService:
    name = "notifications"

    health_beacon = HealthBeacon()

    db = DatabaseProvider("notifications", "services.notifications.migrations")
    outbox = OutboxRelay("notifications")
    documents = RpcProxy("documents")

    @event_handler("documents", "version_approved", requeue_on_error=True)
    def on_version_approved(self, payload: dict) -> int:
        """Tell everyone in the departments on the distribution list."""
        return self._notify(payload)

    @event_handler("documents", "version_submitted", requeue_on_error=True)
    @event_handler("documents", "version_verified", requeue_on_error=True)
    @event_handler("documents", "version_endorsed", requeue_on_error=True)
    @event_handler("documents", "version_rejected", requeue_on_error=True)
    @event_handler("documents", "version_in_force", requeue_on_error=True)
    @event_handler("documents", "version_superseded", requeue_on_error=True)
    @event_handler("documents", "document_withdrawn", requeue_on_error=True)
    @event_handler("documents", "review_due", requeue_on_error=True)
    def on_revision_event(self, payload: dict) -> int:
        """The next signers, the author of a rejected revision, or the distribution list."""
        return self._notify(payload)

    def _notify(self, payload: dict) -> int:
        event = events.parse(payload)
        # membership is resolved now, when the event happens, and kept with the item
        users = [u for u in self._resolve(domain.audience(event.type, event.data))
                 if domain.may_receive(u, event.data)]
        with self.db.transaction() as cur:
            if not first_delivery(cur, event.id, event.type):
                return 0
            items = Repository(cur).add_items(event.id, event.type, event.data,
                                              domain.message(event.type, event.data), users)
            for item in items:   # for the live feed of each person's open browsers
                record(cur, events.NotificationCreatedEvent(
                    subject=item["document_id"], data=events.NotificationCreated(**item)))
            return len(items)

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
        return list(found.values())

    @rpc
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
