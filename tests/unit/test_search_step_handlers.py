"""The search service follows every signing step's event (services/contracts/signing.py)
with a handler of its own, named as its queue has always been named."""
from __future__ import annotations

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.contracts.signing import STEP_EVENT_TYPES
from services.search.service import SearchService


def _followed() -> dict[str, str]:
    found = {}
    for name in dir(SearchService):
        for entrypoint in getattr(getattr(SearchService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if getattr(entrypoint, "source_service", None) == "documents":
                found[entrypoint.event_type] = name
    return found


def test_every_signing_step_has_its_handler_with_its_queue_name():
    followed = _followed()
    assert {event: followed.get(event) for event in STEP_EVENT_TYPES} == {
        "version_verified": "on_verified", "version_endorsed": "on_endorsed",
        "version_approved": "on_approved"}
    for event in STEP_EVENT_TYPES:
        handler = getattr(SearchService, followed[event])
        assert handler.__qualname__ == f"SearchService.{followed[event]}"
