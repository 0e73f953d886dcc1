"""The city hall's time zone, for the dates and times the gateway shows and writes (web
pages, forms): Settings.timezone. The gateway sets it at start from its settings
(GatewayConfig.setup); until then it is the settings' default, as in the unit tests."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from services.common.settings import Settings

_zone = ZoneInfo(Settings.model_fields["timezone"].default)


def use(name: str) -> None:
    """Make `name` (an IANA time zone, e.g. Europe/Bucharest) the city hall's."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone
