"""How the gateway's routes are written and served.

A route is a plain function `(deps, request, **path parameters)` in a module of
services/gateway/routes/, registered on that module's `Router`. `mount` turns each route
into a method of GatewayService, named as the route says, under nameko's HTTP entrypoint:
nameko finds entrypoints on the service class, and those method names are part of what
must not change (tests/contracts/golden). A route never sees the worker: it gets `Deps`,
the worker's dependencies of this one call, so nothing reaches it that it does not name.

    router = Router()

    @router.api("GET", "/api/processes")
    def list_processes(deps, request):
        user = auth.current_user(deps, request)
        return json_response({"items": deps.documents.list_processes(user.username)})

The web interface's pages are registered with `router.page(...)` on a Router made with the
wrapper that turns a request into a page of the session's person (`page_wrapper`); its
routes that are not a logged-in person's page (the login form, static files) with
`router.web(...)`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from services.gateway.entrypoints import http
from services.gateway.metrics import metrics_http

API, WEB, PAGE, METRICS = "api", "web", "page", "metrics"
# the nameko entrypoint each kind of route is served by (metrics: its own address, if set)
ENTRYPOINTS = {API: http, WEB: http, PAGE: http, METRICS: metrics_http}


@dataclass(frozen=True)
class Deps:
    """What a route may use, taken from the nameko worker of one call.

    The RPC proxies and providers are worker-scoped: a `Deps` is made per call
    (`Deps.of(worker)`) and never kept past the answer, except by a streaming body that
    needs the very same proxy (a download's integrity alarm, the live feed). Tests build
    one from fakes, naming only what the route uses."""
    documents: Any = None
    versioning: Any = None
    search: Any = None
    notifications: Any = None
    renditions: Any = None
    config: Any = None    # GatewayConfig: settings, tokens, trusted proxies, staging bucket
    live: Any = None      # the live feed's hub on this process
    metrics: Any = None   # the request metrics of this process
    web: Any = None       # the web interface's session signer and upload limit

    @classmethod
    def of(cls, worker) -> Deps:
        return cls(documents=worker.documents, versioning=worker.versioning,
                   search=worker.search, notifications=worker.notifications,
                   renditions=worker.renditions, config=worker.config, live=worker.live,
                   metrics=worker.request_metrics, web=worker.web)


@dataclass(frozen=True)
class Route:
    verb: str             # one or more, comma-separated: "GET,POST"
    rule: str             # werkzeug's rule: /api/documents/<document_id>
    fn: Callable          # (deps, request, **path parameters) -> Response
    name: str             # the method of GatewayService that serves it
    kind: str = API


@dataclass
class Router:
    """The routes of one module. `page_wrapper` turns a page function into a route
    function (web pages only)."""
    page_wrapper: Callable[[Callable], Callable] | None = None
    routes: list[Route] = field(default_factory=list)

    def api(self, verb: str, rule: str, name: str | None = None):
        return self._register(verb, rule, name, API)

    def web(self, verb: str, rule: str, name: str | None = None):
        return self._register(verb, rule, name, WEB)

    def page(self, verb: str, rule: str, name: str | None = None):
        if self.page_wrapper is None:
            raise TypeError("a Router serving pages needs its page_wrapper")
        return self._register(verb, rule, name, PAGE)

    def metrics(self, verb: str, rule: str, name: str | None = None):
        return self._register(verb, rule, name, METRICS)

    def _register(self, verb: str, rule: str, name: str | None, kind: str):
        def register(fn: Callable) -> Callable:
            served = self.page_wrapper(fn) if kind == PAGE else fn
            self.routes.append(Route(verb, rule, served, name or fn.__name__, kind))
            return fn   # the module's function stays callable (and testable) as written
        return register


def mount(service: type, *routers: Router) -> None:
    """Every route of `routers` as a method of `service`, named by its route, under the
    nameko entrypoint of its kind. A name or a (verb, rule) served twice is refused."""
    served = _served(service)
    for router in routers:
        for route in router.routes:
            if hasattr(service, route.name):
                raise ValueError(f"{service.__name__}.{route.name} exists already")
            for verb in route.verb.split(","):
                if (verb.strip().upper(), route.rule) in served:
                    raise ValueError(f"{verb} {route.rule} is served twice")
                served.add((verb.strip().upper(), route.rule))
            setattr(service, route.name,
                    ENTRYPOINTS[route.kind](route.verb, route.rule)(_method(service, route)))


def _method(service: type, route: Route) -> Callable:
    """A new function for each route (decorators register on the function they get, so
    no function is ever served twice), named as GatewayService's method."""
    fn = route.fn

    def method(self, request, **params):
        return fn(Deps.of(self), request, **params)

    method.__name__ = route.name
    method.__qualname__ = f"{service.__name__}.{route.name}"
    method.__module__ = service.__module__
    method.__doc__ = fn.__doc__
    return method


def _served(service: type) -> set[tuple[str, str]]:
    """The (verb, rule) pairs the class serves already."""
    served = set()
    for name in dir(service):
        for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()):
            for verb in getattr(entrypoint, "method", "").split(","):
                if verb and hasattr(entrypoint, "url"):
                    served.add((verb.strip().upper(), entrypoint.url))
    return served
