"""No service imports another service's package: they meet only through RPC and
events, with shared code in services.contracts and services.common."""
import ast
from pathlib import Path

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
