"""Errors that cross service boundaries.

Each is registered with nameko so a caller gets the same exception type back
from an RPC, and the gateway maps them to HTTP statuses in one place.
"""
from nameko.exceptions import deserialize_to_instance


class ProceduraError(Exception):
    """Base class: `code` is the stable machine-readable name, args[0] the message,
    args[1] (optional) a JSON-serialisable details dict."""

    code = "error"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message, details or {})

    @property
    def message(self) -> str:
        return self.args[0]

    @property
    def details(self) -> dict:
        return self.args[1] if len(self.args) > 1 else {}


@deserialize_to_instance
class Unauthorized(ProceduraError):
    code = "unauthorized"


@deserialize_to_instance
class Forbidden(ProceduraError):
    code = "forbidden"


@deserialize_to_instance
class NotFound(ProceduraError):
    code = "not_found"


@deserialize_to_instance
class Conflict(ProceduraError):
    code = "conflict"


@deserialize_to_instance
class InvalidInput(ProceduraError):
    code = "invalid_input"


@deserialize_to_instance
class PayloadTooLarge(ProceduraError):
    code = "payload_too_large"


@deserialize_to_instance
class UnsupportedMediaType(ProceduraError):
    code = "unsupported_media_type"


@deserialize_to_instance
class ServiceUnavailable(ProceduraError):
    code = "service_unavailable"


@deserialize_to_instance
class TooManyRequests(ProceduraError):
    """Too many failed attempts (logging in): details.retry_after_seconds says when to
    try again."""
    code = "too_many_requests"


EXPECTED = (Unauthorized, Forbidden, NotFound, Conflict, InvalidInput,
            PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable, TooManyRequests)


def validate(model, data):
    """`model.model_validate(data)`, with a pydantic error turned into InvalidInput
    that names every offending field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in err["loc"]) or "body",
                     "problem": err["msg"]} for err in exc.errors()]
        fields = ", ".join(p["field"] for p in problems)
        raise InvalidInput(f"invalid {fields}", {"fields": problems}) from None
