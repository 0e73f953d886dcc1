"""The HTTP entrypoint of the gateway: every error becomes JSON, mapped in one place."""
from __future__ import annotations

import json
import logging
import math
import socket
import time
from collections import Counter, defaultdict

import eventlet
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.wrappers import Response

from services.common.signature import SignatureReadAtSetup
from services.contracts.errors import (
    EXPECTED, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, ProceduraError,
    ServiceUnavailable, TooManyRequests, Unauthorized, UnsupportedMediaType)

log = logging.getLogger(__name__)

STATUS = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
}


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    headers=headers, mimetype="application/json")


def json_text_response(text: str | dict, status: int = 200) -> Response:
    """An answer already encoded as JSON by the service that made it (search), sent on
    as it is. (A search service of before that answered an object: while an upgrade
    replaces the processes one by one, it is encoded here.)"""
    if not isinstance(text, str):
        return json_response(text, status)
    return Response(text, status=status, mimetype="application/json")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    details = dict(details or {})
    wait = retry_seconds(details)
    if wait is not None:
        headers["Retry-After"] = str(wait)
        details["retry_after_seconds"] = wait
    return json_response({"error": {"code": code, "message": message,
                                    "details": details}}, status, headers)


def retry_seconds(details: dict | None) -> int | None:
    """When to try again, if the details say so (whole seconds, at least 1). Over RPC
    nameko turns the number into text; it is a number again here."""
    try:
        return max(1, math.ceil(float((details or {})["retry_after_seconds"])))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


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


def listening_socket(address: tuple[str, int]):
    """The gateway's listening socket: its address alone (no SO_REUSEPORT, see below),
    and answers sent at once. eventlet's wsgi writes an answer through a 16 KB buffer, so
    a longer one leaves in two writes; with Nagle's algorithm the second waited for the
    client's delayed acknowledgement of the first, about 40 ms on Linux (a search answer
    of 17 KB took 50 ms more than one of 15 KB: docs/benchmarks.md, issue 18). The
    connections it accepts inherit TCP_NODELAY."""
    sock = eventlet.listen(address, reuse_port=False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class ExclusiveWebServer(WebServer):
    """nameko's WebServer, listening on its address alone. eventlet sets SO_REUSEPORT by
    default, so a second gateway started on a port already served (a second `make up`, two
    test environments given one port) would start without a word and the kernel would
    share the requests between the two; without it the second one fails, naming the
    address in use."""

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = listening_socket(self.bind_addr)
            self._sock.settimeout(None)   # as nameko: https://github.com/celery/kombu/issues/838
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)


class HttpEntrypoint(SignatureReadAtSetup, HttpRequestHandler):
    """nameko's HTTP entrypoint: every error a JSON answer, the route's signature read
    once (services/common/signature.py), not inspected again on every request."""

    server = ExclusiveWebServer()
    metrics = RequestMetrics()

    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        started = time.monotonic()
        refused = _nul_in(request)
        response = (self.response_from_exception(refused) if refused is not None
                    else super().handle_request(request))
        seconds = time.monotonic() - started
        self.metrics.observe(request.method, response.status_code, seconds)
        if response.status_code >= 500:
            # the route and Procedura's reason, so an operator (or the cluster fault run,
            # tests/cluster/checks.py) can tell a broker away from a service too slow
            log.warning("%s %s answered %s after %.2f s: %s", request.method, request.path,
                        response.status_code, seconds, _reason(response))
        return response

    def response_from_exception(self, exc):
        if isinstance(exc, ProceduraError):
            return error_response(STATUS.get(type(exc), 400), exc.code, exc.message,
                                  exc.details)
        log.error("unexpected error in the gateway", exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the gateway log")


def _reason(response: Response) -> str:
    """The error's code and message of a JSON answer ("-" for another answer)."""
    if response.is_streamed or response.mimetype != "application/json":
        return "-"
    try:
        error = json.loads(response.get_data())["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return "-"


def _nul_in(request) -> InvalidInput | None:
    """A NUL character in the path or a parameter: no text of Procedura has one, and
    PostgreSQL refuses it, so it is named here instead of failing deep inside."""
    if "\x00" in request.path:
        return InvalidInput("the address contains a NUL character", {"field": "path"})
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return InvalidInput(f"the parameter {name.replace(chr(0), '')!r} contains a NUL "
                                "character", {"field": name.replace("\x00", "")})
    return None


http = HttpEntrypoint.decorator
