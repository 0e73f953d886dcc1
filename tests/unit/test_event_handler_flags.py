"""Procedura's `event_handler` refuses nameko's `requeue_on_error`: its own
handle_message_processed decides what a failure does (retried, then dead-lettered) and
never reads the flag, so a handler passing it would promise what does not happen."""
from __future__ import annotations

import pytest
from nameko.events import SERVICE_POOL
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.messaging import ReliableEventHandler, event_handler


def on_approved(self, payload: dict) -> None:
    """A handler for the decorators below."""


@pytest.mark.parametrize("flag", [True, False])
def test_a_handler_passing_requeue_on_error_fails_where_it_is_declared(flag):
    with pytest.raises(TypeError, match="requeue_on_error"):
        event_handler("documents", "version_approved", requeue_on_error=flag)(on_approved)


def test_the_flag_given_in_its_place_among_nameko_s_arguments_is_refused_too():
    with pytest.raises(TypeError, match="requeue_on_error"):
        ReliableEventHandler("documents", "version_approved", SERVICE_POOL, True, True)


def test_a_handler_without_the_flag_is_declared_as_before():
    def handler(self, payload: dict) -> None:
        """A handler of its own: the one above must not get an entrypoint."""

    event_handler("documents", "version_approved", prefetch=lambda config: 2)(handler)
    [entrypoint] = getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR)
    assert isinstance(entrypoint, ReliableEventHandler)
    assert (entrypoint.source_service, entrypoint.event_type) == ("documents",
                                                                   "version_approved")
    assert entrypoint.requeue_on_error is False      # nameko's default, never read
