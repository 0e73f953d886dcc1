"""The HTTP entrypoint of the gateway: every error becomes JSON, mapped in one place."""
from __future__ import annotations

import json
import logging

from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from services.contracts.errors import (
    EXPECTED, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, ProceduraError,
    Unauthorized, UnsupportedMediaType)

log = logging.getLogger(__name__)

STATUS = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
}


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    headers=headers, mimetype="application/json")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response({"error": {"code": code, "message": message,
                                    "details": details or {}}}, status, headers)


class HttpEntrypoint(HttpRequestHandler):
    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        if isinstance(exc, ProceduraError):
            return error_response(STATUS.get(type(exc), 400), exc.code, exc.message,
                                  exc.details)
        log.error("unexpected error in the gateway", exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the gateway log")


http = HttpEntrypoint.decorator
