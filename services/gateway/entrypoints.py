"""The HTTP entrypoint of the gateway: every error becomes JSON, mapped in one place."""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict

from nameko.extensions import DependencyProvider, SharedExtension
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from services.contracts.errors import (
    EXPECTED, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, ProceduraError,
    ServiceUnavailable, Unauthorized, UnsupportedMediaType)

log = logging.getLogger(__name__)

STATUS = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    ServiceUnavailable: 503,
}


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    headers=headers, mimetype="application/json")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response({"error": {"code": code, "message": message,
                                    "details": details or {}}}, status, headers)


class RequestMetrics(SharedExtension):
    """Request counts and durations of this gateway process, in Prometheus' text format."""

    def setup(self):
        self.requests: Counter = Counter()
        self.seconds: defaultdict = defaultdict(float)

    def observe(self, method: str, status: int, seconds: float) -> None:
        self.requests[(method, status)] += 1
        self.seconds[method] += seconds

    def render(self) -> str:
        lines = ["# HELP procedura_http_requests_total HTTP requests by method and status.",
                 "# TYPE procedura_http_requests_total counter"]
        lines += [f'procedura_http_requests_total{{method="{m}",status="{s}"}} {n}'
                  for (m, s), n in sorted(self.requests.items())]
        lines += ["# HELP procedura_http_request_seconds_total Time spent answering, by method.",
                  "# TYPE procedura_http_request_seconds_total counter"]
        lines += [f'procedura_http_request_seconds_total{{method="{m}"}} {v:.6f}'
                  for m, v in sorted(self.seconds.items())]
        return "\n".join(lines) + "\n"


class MetricsProvider(DependencyProvider):
    metrics = RequestMetrics()

    def get_dependency(self, worker_ctx):
        return self.metrics


class HttpEntrypoint(HttpRequestHandler):
    metrics = RequestMetrics()

    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        started = time.monotonic()
        response = super().handle_request(request)
        self.metrics.observe(request.method, response.status_code, time.monotonic() - started)
        return response

    def response_from_exception(self, exc):
        if isinstance(exc, ProceduraError):
            return error_response(STATUS.get(type(exc), 400), exc.code, exc.message,
                                  exc.details)
        log.error("unexpected error in the gateway", exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the gateway log")


http = HttpEntrypoint.decorator
