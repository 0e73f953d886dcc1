"""The notifications service: each person's feed of what concerns them."""
from __future__ import annotations

from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc

from services.common.db import DatabaseProvider
from services.common.inbox import first_delivery
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
    documents = RpcProxy("documents")

    @event_handler("documents", "version_approved", requeue_on_error=True)
    def on_version_approved(self, payload: dict) -> int:
        """Tell everyone in the departments on the distribution list."""
        event = events.parse(payload)
        # membership is resolved now, when the event happens, and kept with the item
        users = [User.model_validate(u) for u in
                 self.documents.users_in_departments(domain.audience_of_approval(event.data))]
        with self.db.transaction() as cur:
            if not first_delivery(cur, event.id, "on_version_approved"):
                return 0
            return Repository(cur).add_items(event.id, event.type, event.data,
                                             domain.approved_message(event.data), users)

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
    def mark_read(self, username: str, item_id: int) -> dict:
        with self.db.transaction() as cur:
            return Repository(cur).mark_read(username, int(item_id)).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def mark_all_read(self, username: str) -> int:
        with self.db.transaction() as cur:
            return Repository(cur).mark_all_read(username)
