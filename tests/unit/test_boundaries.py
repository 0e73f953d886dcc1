"""No service imports another service's package: they meet only through RPC and
events, with shared code in services.contracts and services.common. The contracts and
the rules need no framework; no module imports itself around a circle; the CLI and the
benchmarks reach past the services' RPCs only where a list says why; and the services'
own house rules (names, flags, function length, the environment, the gateway's routes)."""
import ast
import sys
from pathlib import Path

from tests.unit import import_graph as g

SERVICES = Path(__file__).resolve().parents[2] / "services"
SHARED = {"contracts", "common"}
# the rendition worker is the versioning service's second worker (as extraction is): it
# keeps its facts in versioning's database and its PDFs in versioning's store, so it may
# use versioning's storage adapter; nothing may import it (docs/architecture.md)
ALSO_ALLOWED = {"renditions": {"versioning"}}


def imported_services(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "services" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_services_only_share_contracts_and_common():
    packages = [p for p in SERVICES.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert {p.name for p in packages} >= {"documents", "versioning", "search",
                                          "notifications", "gateway"}
    offences = []
    for package in packages:
        allowed = SHARED | {package.name} | ALSO_ALLOWED.get(package.name, set())
        for path in package.rglob("*.py"):
            wrong = imported_services(path) - allowed
            if wrong:
                offences.append(f"{path.relative_to(SERVICES)} imports {sorted(wrong)}")
    assert offences == []


def test_shared_code_imports_no_service():
    for package in SHARED:
        for path in (SERVICES / package).rglob("*.py"):
            assert imported_services(path) <= SHARED, path


# the arrows of the whole repository (tests/unit/import_graph.py)
CODE = g.modules("services", "procedura_cli")
ARROWS = g.graph(CODE)
# what a rule or a contract may not need: a framework, a driver, a client of a server
FRAMEWORKS = {"nameko", "eventlet", "kombu", "psycopg2", "requests", "werkzeug", "minio",
              "elasticsearch"}


def _rules_and_contracts() -> list[str]:
    return sorted(name for name in CODE if name.startswith("services.contracts")
                  or "domain" in name.split(".")[2:3])


def test_contracts_and_domain_need_no_framework():
    """The contracts and every service's domain import no framework, driver or client,
    not even through the shared code they use (a rule is tested without servers)."""
    checked = _rules_and_contracts()
    assert "services.contracts.errors" in checked and "services.documents.domain" in checked
    offences = []
    for start in checked:
        for module, importer in g.reached(start, ARROWS).items():
            wrong = {n.split(".")[0] for n in g.imported(CODE[module])} & FRAMEWORKS
            if wrong:
                way = "" if module == start else f" through {module} (imported by {importer})"
                offences.append(f"{start} needs {sorted(wrong)}{way}")
    assert offences == []


def test_no_import_circles():
    """No two modules of the services or the CLI import each other, directly or around
    a circle, counting the imports inside functions (which would only hide one)."""
    assert g.circles(ARROWS) == []


# the CLI reaches past the services' RPCs only here, each for a reason
CLI_REACHES = {
    "services.search.rebuild": "search reindex|verify: a long operator job over the "
                               "index, run by the operator's process, not an RPC",
    "services.search.adapters.index": "the index search reindex builds and swaps",
    "services.versioning.adapters.storage": "backup create|restore copy the objects",
    "services.documents.adapters.audit": "backup create records the audit trail's "
                                         "anchor of the snapshot it dumps",
}
# the CLI files that talk to the database: a backup dumps and restores it whole
CLI_DATABASE = {
    "procedura_cli.backup_snapshot": "the snapshot pg_dump exports, and what it names",
    "procedura_cli.backup_restore": "pg_restore, and the restored objects' new versions",
    "procedura_cli.backup_cli": "names the database restore --replace replaces (no SQL)",
}


def test_the_cli_uses_the_services_rpcs():
    """The CLI imports the contracts and the shared code; a service's internals only on
    the list above (each entry still needed); doctor none at all (it asks each service
    over RPC)."""
    offences, used = [], set()
    for name, path in CODE.items():
        if not name.startswith("procedura_cli"):
            continue
        for target in {g.resolve(n, CODE) for n in g.imported(path)} - {None}:
            service = target.split(".")[1] if target.startswith("services.") else None
            if service in (None, "contracts", "common"):
                continue
            allowed = {a for a in CLI_REACHES if target == a or target.startswith(a + ".")}
            used |= allowed
            if name.startswith("procedura_cli.doctor") or not allowed:
                offences.append(f"{name} imports {target}")
    assert offences == []
    assert used == CLI_REACHES.keys()


def test_only_the_backup_reads_the_database_from_the_cli():
    drivers = {name for name, path in CODE.items() if name.startswith("procedura_cli")
               and "psycopg2" in {n.split(".")[0] for n in g.imported(path)}}
    assert drivers == CLI_DATABASE.keys()


# a benchmark may measure a service's internals or its tables on purpose: listed here
BENCH_REACHES = {
    "bench.acknowledgements": "fills notifications' tables to the volume measured, and "
                              "times the report's SQL raw beside the RPC",
    "bench.backup": "fills versioning's table and store without the services, as a backup "
                    "finds them",
    "bench.diff": "the diff of two texts (versioning.domain.diff), alone",
    "bench.feed": "times the feed's SQL raw beside the RPC and the API",
    "bench.ingest": "Tika and Elasticsearch raw beside the pipeline; stages from the outbox",
    "bench.isolation": "waits for versions in versioning's table",
    "bench.libreoffice": "the conversion (renditions.libreoffice), alone",
    "bench.ocr": "OCR (renditions.ocr), alone",
    "bench.pages": "the page images' keys (renditions.domain)",
    "bench.rpc_round_trip": "the gateway's caller (gateway.rpc TimedRpcProxy) in a round trip "
                            "alone",
    "bench.search": "queries and indexing against Elasticsearch without the services",
    "bench.search_events": "the search service alone in the benchmark's process (CPU per event)",
    "bench.search_highlight": "highlighting against Elasticsearch without the services",
    "bench.upload_stages": "each stage of an upload alone (MinIO, Tika)",
}


def test_benchmarks_import_nothing_from_the_tests():
    """The benchmarks' environment is devenv/, shared with the tests; a service's
    internals or a database driver only in a benchmark listed above (each entry still
    needed)."""
    known = g.modules("services", "procedura_cli", "bench", "devenv", "tests")
    offences, reaching = [], set()
    for name, path in g.modules("bench", "devenv").items():
        names = g.imported(path)
        if any(n == "tests" or n.startswith("tests.") for n in names):
            offences.append(f"{name} imports the tests")
        reaches = {t for t in (g.resolve(n, known) for n in names) if t and
                   t.startswith("services.") and t.split(".")[1] not in SHARED}
        if name.startswith("bench") and (
                reaches or "psycopg2" in {n.split(".")[0] for n in names}):
            reaching.add(name)
            if name not in BENCH_REACHES:
                offences.append(f"{name} reaches into a service ({sorted(reaches)}) unlisted")
    assert offences == []
    assert reaching == BENCH_REACHES.keys()


def test_no_module_of_the_services_is_named_like_the_standard_librarys():
    """`services/notifications/email.py` hid the standard library's email to its
    neighbours' readers: a name says what the module holds, and only that."""
    clashing = [name for name in g.modules("services")
                if name.rpartition(".")[2] in sys.stdlib_module_names]
    assert clashing == []


def test_no_handler_asks_for_requeue_on_error():
    """services/common/messaging retries and dead-letters every failure: the flag would
    say something that does not happen."""
    asking = [f"{name}:{node.lineno}" for name, path in g.modules("services").items()
              for node in ast.walk(g.tree(path))
              if isinstance(node, ast.keyword) and node.arg == "requeue_on_error"]
    assert asking == []


def test_no_function_of_the_services_is_longer_than_60_lines():
    long = [f"{name}.{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for name, path in g.modules("services").items()
            for node in ast.walk(g.tree(path))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > 60]
    assert long == []


# where a service reads the process environment: its settings, and the environment it
# hands the programs the renditions run (PATH, the locale); and broker_users' command
# line, which sets the broker users' passwords from its environment before any settings
# exist (scripts/stack.sh runs it with the system's python3, without nameko, and the
# deployment's job with the passwords of a Secret)
ENVIRONMENT_READERS = {"services.common.settings", "services.renditions.engines.processes",
                       "services.common.broker_users"}


def _reads_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id == "os" and node.attr in ("environ", "environb", "getenv")
    if isinstance(node, ast.ImportFrom) and node.module == "os":
        return any(a.name in ("environ", "environb", "getenv") for a in node.names)
    return False


def test_only_the_settings_read_the_environment():
    readers = {name for name, path in g.modules("services").items()
               if any(_reads_environment(node) for node in ast.walk(g.tree(path)))}
    assert readers <= ENVIRONMENT_READERS


def test_the_gateway_is_route_modules_without_mixins():
    """GatewayService is assembled from route modules, each a set of functions given
    what they use: no base class hands them undeclared attributes."""
    service = g.tree(CODE["services.gateway.service"])
    gateway = next(node for node in service.body
                   if isinstance(node, ast.ClassDef) and node.name == "GatewayService")
    assert [ast.unparse(base) for base in gateway.bases] == []
    using_self = [f"{name}:{node.lineno}" for name, path in g.modules("services").items()
                  if name.startswith("services.gateway.routes.")
                  for node in ast.walk(g.tree(path))
                  if isinstance(node, ast.Name) and node.id == "self"]
    assert using_self == []
