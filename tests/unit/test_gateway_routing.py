"""Routes written as functions of the gateway's route modules are served as methods of the
service class, named by their routes, under nameko's HTTP entrypoints
(services/gateway/routing.py)."""
from __future__ import annotations

import inspect
import logging
from types import SimpleNamespace

import pytest
import requests
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from services.contracts.errors import ServiceUnavailable
from services.gateway.entrypoints import HttpEntrypoint
from services.gateway.metrics import MetricsEntrypoint
from services.gateway.routing import Deps, Router, mount
from services.gateway.service import GatewayService
from tests.unit.test_gateway_listens_alone import serving

DEPS = ("documents", "versioning", "search", "notifications", "renditions", "config",
        "live", "request_metrics", "web")


class Greeter(DependencyProvider):
    """A worker-scoped dependency: a new object for every call."""

    def get_dependency(self, worker_ctx):
        return SimpleNamespace(greet=lambda who: f"hello {who}", worker=worker_ctx)


def _service():
    """A service class with the attributes `Deps.of` reads, documents a real provider."""
    attributes = {name: None for name in DEPS}
    return type("Tiny", (), {**attributes, "name": "tiny", "documents": Greeter()})


def entrypoints_of(method):
    return list(getattr(method, "nameko_entrypoints", ()))


def test_a_route_becomes_a_method_named_by_it_under_its_entrypoint():
    router = Router()

    @router.api("GET", "/api/hello/<who>")
    def hello(deps, request, who):
        """Greets."""
        return deps.documents.greet(who)

    @router.metrics("GET", "/metrics", name="metrics")
    def render_metrics(deps, request):
        return "counted"

    service = _service()
    mount(service, router)
    [entrypoint] = entrypoints_of(service.hello)
    assert type(entrypoint) is HttpEntrypoint
    assert (entrypoint.method, entrypoint.url) == ("GET", "/api/hello/<who>")
    assert service.hello.__name__ == "hello"
    assert service.hello.__qualname__ == "Tiny.hello"
    assert service.hello.__doc__ == "Greets."
    assert type(entrypoints_of(service.metrics)[0]) is MetricsEntrypoint
    assert not hasattr(service, "render_metrics")
    assert not entrypoints_of(hello)   # the module's function is left as written


def test_each_call_gets_the_dependencies_of_its_worker():
    router = Router()
    seen = []

    @router.api("POST", "/api/things/<thing_id>/done")
    def done(deps, request, thing_id):
        seen.append((deps, request, thing_id))
        return "ok"

    service = _service()
    mount(service, router)
    worker = SimpleNamespace(**{name: object() for name in DEPS})
    assert service.done(worker, "the request", thing_id="7") == "ok"
    [(deps, request, thing_id)] = seen
    assert isinstance(deps, Deps)
    assert (request, thing_id) == ("the request", "7")
    assert deps.documents is worker.documents and deps.versioning is worker.versioning
    assert deps.metrics is worker.request_metrics and deps.web is worker.web


def test_pages_are_wrapped_by_their_routers_wrapper():
    def page_wrapper(fn):
        def wrapped(deps, request, **params):
            return f"<page>{fn(deps, request.upper(), **params)}</page>"
        return wrapped

    router = Router(page_wrapper=page_wrapper)

    @router.page("GET", "/documents/<document_id>", name="document_page")
    def document(deps, current, document_id):
        return f"{current} {document_id}"

    @router.web("GET", "/login")
    def login_page(deps, request):
        return f"login {request}"

    service = _service()
    mount(service, router)
    worker = SimpleNamespace(**{name: None for name in DEPS})
    assert service.document_page(worker, "get", document_id="d1") == "<page>GET d1</page>"
    assert service.login_page(worker, "get") == "login get"
    assert type(entrypoints_of(service.login_page)[0]) is HttpEntrypoint
    with pytest.raises(TypeError):
        Router().page("GET", "/")


def test_a_name_or_a_rule_served_twice_is_refused():
    first, second, third = Router(), Router(), Router()

    def answer(deps, request):
        return "a"

    first.api("GET", "/api/a")(answer)
    second.api("GET", "/api/b")(answer)                # the name again
    third.api("GET,POST", "/api/a", name="other")(answer)   # the rule again
    service = _service()
    mount(service, first)
    with pytest.raises(ValueError, match="exists already"):
        mount(service, second)
    with pytest.raises(ValueError, match="served twice"):
        mount(service, third)


def test_every_method_of_the_gateway_is_a_function_of_its_own():
    methods = [m for _, m in inspect.getmembers(GatewayService, inspect.isfunction)
               if entrypoints_of(m)]
    assert len(methods) == len({id(m) for m in methods})
    for name, method in inspect.getmembers(GatewayService, inspect.isfunction):
        if entrypoints_of(method):
            assert method.__name__ == name


def test_nameko_serves_a_mounted_route_with_its_path_parameters():
    router = Router()

    @router.api("GET", "/hello/<who>")
    def hello(deps, request, who):
        return Response(deps.documents.greet(who))

    service = _service()
    mount(service, router)
    with serving(service) as port:
        assert requests.get(f"http://127.0.0.1:{port}/hello/ana", timeout=5).text == "hello ana"


def test_an_answer_of_5xx_is_logged_with_its_route_and_reason(caplog):
    router = Router()

    @router.api("GET", "/api/busy/<who>")
    def busy(deps, request, who):
        raise ServiceUnavailable("the search service did not answer within 8 s",
                                 {"service": "search"})

    @router.api("GET", "/api/fine")
    def fine(deps, request):
        return Response("ok")

    service = _service()
    mount(service, router)
    with caplog.at_level(logging.WARNING, logger="services.gateway.entrypoints"):
        with serving(service) as port:
            assert requests.get(f"http://127.0.0.1:{port}/api/busy/ana", timeout=5).status_code == 503
            assert requests.get(f"http://127.0.0.1:{port}/api/fine", timeout=5).status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "services.gateway.entrypoints"]
    assert len(logged) == 1, logged
    assert logged[0].startswith("GET /api/busy/ana answered 503 after ")
    assert logged[0].endswith(": service_unavailable: the search service did not answer "
                              "within 8 s")
