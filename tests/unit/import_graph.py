"""The modules of this repository and what each imports, read with ast (nothing is
imported): the boundary tests (test_boundaries.py) check the arrows between them."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(*tops: str) -> dict[str, Path]:
    """Every module under these top-level folders, by dotted name."""
    return {module_name(path): path for top in tops for path in (ROOT / top).rglob("*.py")}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported(path: Path) -> set[str]:
    """Every dotted name the file imports, at the top or inside a function: `import a.b`
    gives a.b, `from a import b` a.b (b may be a module or a name in a: see resolve)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:   # relative: from the package, one level up per extra dot
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module of the repository a dotted name is (or is in); None for another
    distribution's."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's arrows to the other modules of `known` it imports."""
    arrows = {}
    for name, path in known.items():
        targets = {resolve(n, known) for n in imported(path)}
        arrows[name] = {t for t in targets if t and t != name}
    return arrows


def circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(arrows[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return found


def reached(start: str, arrows: dict[str, set[str]]) -> dict[str, str]:
    """Every module `start` imports, directly or through others: each with the module
    that imports it (to name the way in a failure)."""
    via = {start: start}
    todo = [start]
    while todo:
        node = todo.pop()
        for target in arrows[node] - via.keys():
            via[target] = node
            todo.append(target)
    return via
