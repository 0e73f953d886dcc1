"""The search service: an Elasticsearch projection that follows the events."""
from __future__ import annotations

import dataclasses

from services.common.callers import GATEWAY, OPERATORS
from services.common.identity import IdentifiedRpcProxy, rpc
from services.common.messaging import event_handler

from services.common.health import HealthBeacon
from services.contracts import events
from services.contracts.errors import EXPECTED, validate
from services.contracts.models import Role, User
from services.contracts.search import SearchQuery, SuggestQuery
from services.contracts.signing import STEP_EVENT_TYPES
from services.search import projections, rebuild
from services.search.bootstrap import IndexProvider


class SearchService:
    name = "search"

    health_beacon = HealthBeacon()

    index = IndexProvider()
    documents = IdentifiedRpcProxy("documents")
    versioning = IdentifiedRpcProxy("versioning")

    @rpc(callers=GATEWAY)
    def health(self) -> dict:
        """Readiness: broker and Elasticsearch (the cluster is at least yellow)."""
        return {"service": self.name, "elasticsearch": self.index.health()}

    # Both answer JSON text (a SearchResult, Suggestions), not an object: the gateway
    # sends it to the person as it is. An object would be built here, encoded for the
    # reply, decoded by the gateway (kombu's decoder runs a Python hook on every JSON
    # object: about 1 ms for a page of hits) and encoded again, for the same bytes
    # (docs/benchmarks.md, "The gateway's search path").

    @rpc(expected_exceptions=EXPECTED)
    def search(self, user: dict, query: dict) -> str:
        """Full-text search over the versions `user` may read: a SearchResult's JSON."""
        person, asked = validate(User, user), validate(SearchQuery, query)
        return self.index.search(person, asked, self._waiting(person, asked.scope)
                                 ).model_dump_json()

    @rpc(expected_exceptions=EXPECTED)
    def suggest(self, user: dict, query: dict) -> str:
        """Codes and titles for the search box, as the user types: Suggestions' JSON."""
        person, asked = validate(User, user), validate(SuggestQuery, query)
        return self.index.suggest(person, asked, self._waiting(person, asked.scope)
                                  ).model_dump_json()

    def _waiting(self, user: User, scope: str) -> tuple[str, ...]:
        """For `scope=work`: the versions waiting for `user`'s signature or opinion, as
        the documents service's signing inbox says (it alone reads the workflows)."""
        if scope != "work" or user.has(Role.QMS_ADMIN):
            return ()
        return tuple(item["revision"]["version_id"]
                     for item in self.documents.signing_inbox(user.username))

    @rpc(callers=OPERATORS)
    def verify_index(self) -> dict:
        """For `procedura doctor`: the index compared with the register and versioning
        (search/rebuild.py verify): versions missing from it, entries that differ (with
        the fields that do) and entries of versions the register does not have."""
        report = rebuild.verify(self.index, rebuild.RpcSource(self.documents, self.versioning))
        return {**dataclasses.asdict(report), "clean": report.clean}

    @event_handler("versioning", "version_text_extracted")
    def on_text_extracted(self, payload: dict) -> None:
        projections.index_version(self.index, self.documents, self.versioning,
                                  events.parse(payload), with_text=True)

    @event_handler("versioning", "version_extraction_failed")
    def on_extraction_failed(self, payload: dict) -> None:
        # still findable by code and title
        projections.index_version(self.index, self.documents, self.versioning,
                                  events.parse(payload), with_text=False)

    # the signing steps' events (on_verified, on_endorsed, on_approved): _step_handler
    @event_handler("documents", "version_submitted")
    def on_submitted(self, payload: dict) -> None:
        projections.follow_transition(self.index, events.parse(payload))

    @event_handler("documents", "version_step_completed")
    def on_step_completed(self, payload: dict) -> None:
        """Any step of a workflow: the revision's status follows once the step is done."""
        projections.follow_step(self.index, events.parse(payload))

    @event_handler("documents", "version_in_force")
    def on_in_force(self, payload: dict) -> None:
        projections.follow_transition(self.index, events.parse(payload))

    @event_handler("documents", "version_superseded")
    def on_superseded(self, payload: dict) -> None:
        projections.follow_transition(self.index, events.parse(payload))

    @event_handler("documents", "version_rejected")
    def on_rejected(self, payload: dict) -> None:
        projections.follow_transition(self.index, events.parse(payload))

    @event_handler("documents", "document_withdrawn")
    def on_withdrawn(self, payload: dict) -> None:
        """A withdrawn revision leaves the default results (its history stays searchable)."""
        projections.follow_transition(self.index, events.parse(payload))

    @event_handler("documents", "document_updated")
    def on_document_updated(self, payload: dict) -> None:
        """Title, distribution, confidentiality... changed: every version follows."""
        projections.follow_document_update(self.index, self.documents, events.parse(payload))

    @event_handler("documents", "version_archived")
    def on_archived(self, payload: dict) -> None:
        projections.follow_transition(self.index, events.parse(payload))

    @event_handler("documents", "document_disposed")
    def on_disposed(self, payload: dict) -> None:
        """Disposed content leaves the index (the register facts stay findable)."""
        projections.follow_disposal(self.index, events.parse(payload))


def _step_handler(event_type: str):
    """The handler of a signing step's event (services/contracts/signing.py): the
    revision's status in the index follows. It is named on_<the step done>
    (on_verified, ...): the name is its queue's, so a step added to the chain gets a
    queue of its own and the existing ones keep theirs."""
    def handler(self, payload: dict) -> None:
        projections.follow_transition(self.index, events.parse(payload))

    handler.__name__ = "on_" + event_type.removeprefix("version_")
    handler.__qualname__ = f"SearchService.{handler.__name__}"
    return event_handler("documents", event_type)(handler)


for _handler in map(_step_handler, STEP_EVENT_TYPES):
    setattr(SearchService, _handler.__name__, _handler)
