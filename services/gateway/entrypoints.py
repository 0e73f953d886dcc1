"""The HTTP entrypoint of the gateway: every error becomes JSON, mapped in one place."""
from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter, defaultdict

import eventlet
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.wrappers import Response

from services.contracts.errors import (
    EXPECTED, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, ProceduraError,
    ServiceUnavailable, TooManyRequests, Unauthorized, UnsupportedMediaType)

log = logging.getLogger(__name__)
MAX_JSON = 1024 * 1024   # bytes of a JSON request body
MAX_JSON_DEPTH = 32      # nesting of a JSON request body: no model of Procedura nears it
BIGINT_MAX = 2 ** 63 - 1   # PostgreSQL's bigint: a larger number is an error there, not here
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")

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


class ExclusiveWebServer(WebServer):
    """nameko's WebServer, listening on its address alone. eventlet sets SO_REUSEPORT by
    default, so a second gateway started on a port already served (a second `make up`, two
    test environments given one port) would start without a word and the kernel would
    share the requests between the two; without it the second one fails, naming the
    address in use."""

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
            self._sock.settimeout(None)   # as nameko: https://github.com/celery/kombu/issues/838
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)


class HttpEntrypoint(HttpRequestHandler):
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
        self.metrics.observe(request.method, response.status_code, time.monotonic() - started)
        return response

    def response_from_exception(self, exc):
        if isinstance(exc, ProceduraError):
            return error_response(STATUS.get(type(exc), 400), exc.code, exc.message,
                                  exc.details)
        log.error("unexpected error in the gateway", exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the gateway log")


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


def whole_number(value: str, field: str, maximum: int = BIGINT_MAX) -> int:
    """A parameter that must be a whole number from 0 to `maximum`, or InvalidInput naming
    it. ASCII digits only: int() also reads '١٢' or '１２', which no client means as a
    number here, and a number past bigint would fail in PostgreSQL instead."""
    if not _ASCII_DIGITS.fullmatch(value) or int(value) > maximum:
        raise InvalidInput(f"{field} must be a whole number from 0 to {maximum}",
                           {"field": field})
    return int(value)


def json_body(request) -> dict:
    """The JSON object a request carries, or InvalidInput naming what is wrong with it."""
    if (request.content_length or 0) > MAX_JSON:
        raise InvalidInput("the request body is too large", {"field": "body"})
    data = request.get_data() or b"{}"
    if len(data) > MAX_JSON:     # chunked: no Content-Length to check first
        raise InvalidInput("the request body is too large", {"field": "body"})
    too_deep = InvalidInput(f"the body nests arrays or objects more than {MAX_JSON_DEPTH} "
                            "levels deep", {"field": "body", "max_depth": MAX_JSON_DEPTH})
    try:
        body = json.loads(data)
    except RecursionError:   # json's decoder stops itself at Python's recursion limit
        raise too_deep from None
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", {"field": "body"}) from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", {"field": "body"})
    if _depth(body) > MAX_JSON_DEPTH:   # before anything walks it recursively
        raise too_deep
    where = _nul_at(body)
    if where is not None:   # PostgreSQL refuses NUL in text: name the field instead
        raise InvalidInput(f"{where} contains a NUL character", {"field": where})
    return body


def _depth(value) -> int:
    """How deep the arrays and objects of a JSON value nest, found without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _nul_at(value, path: str = "") -> str | None:
    """The first field (dotted path) of a JSON value whose text holds a NUL character
    (the value nests at most MAX_JSON_DEPTH deep: json_body checked)."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "")
            found = _nul_at(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = _nul_at(item, f"{path}[{n}]")
            if found is not None:
                return found
    return None


http = HttpEntrypoint.decorator
