"""Errors that cross service boundaries.

The callers register them with nameko (services/common/remote_errors.py), so a
caller gets the same exception type back from an RPC, and the gateway maps them to
HTTP statuses in one place. This module names no framework: the domain raises them.
They stay in this module: nameko finds a remote error by its dotted path,
`services.contracts.errors.<Name>`, on both sides.
"""


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


class Unauthorized(ProceduraError):
    code = "unauthorized"


class Forbidden(ProceduraError):
    code = "forbidden"


class NotFound(ProceduraError):
    code = "not_found"


class Conflict(ProceduraError):
    code = "conflict"


class InvalidInput(ProceduraError):
    code = "invalid_input"


class PayloadTooLarge(ProceduraError):
    code = "payload_too_large"


class UnsupportedMediaType(ProceduraError):
    code = "unsupported_media_type"


class ServiceUnavailable(ProceduraError):
    code = "service_unavailable"


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
