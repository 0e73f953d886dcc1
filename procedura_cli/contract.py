"""`procedura schemas [--check]`: the event contract on disk (docs/events/).

- `<type>.json`: the JSON Schema of each event, as the models say now;
- `asyncapi.yaml`: the AsyncAPI 3.0 document (services/contracts/asyncapi.py);
- `published/<type>.v<schema_version>.json`: the baseline subscribers build on.
  A compatible change (a new optional field) updates it; a breaking one is refused:
  it must be published as a new event type (docs/events/README.md, "Versioning").
  A type whose model is gone must have its baselines moved to `published/retired/`
  after its migration period, so removing a type is a decision, not an accident.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

PUBLISHED = re.compile(r"^(?P<type>[a-z0-9_]+)\.v(?P<version>\d+)\.json$")


def _json(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _asyncapi_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from services.contracts.asyncapi import document

    try:
        release = version("procedura")
    except PackageNotFoundError:
        release = "0.0.0"
    header = ("# Generated from services/contracts by `procedura schemas`; do not edit.\n"
              "# Versioning policy and a runnable subscriber: docs/events/README.md\n")
    return header + yaml.safe_dump(document(release), sort_keys=False, allow_unicode=True,
                                   width=100)


def published_baselines(folder: Path) -> dict[str, dict[int, Path]]:
    """The committed baselines, by type and schema_version (retired ones excluded)."""
    found: dict[str, dict[int, Path]] = {}
    for path in sorted((folder / "published").glob("*.json")):
        match = PUBLISHED.match(path.name)
        if match:
            found.setdefault(match["type"], {})[int(match["version"])] = path
    return found


def compatibility_problems(folder: Path) -> list[str]:
    """Breaking changes against the published baselines, and published types that
    have disappeared (empty when the contract is kept)."""
    from services.contracts.compat import breaking_changes
    from services.contracts.events import ALL_EVENTS, json_schemas

    current = json_schemas()
    problems = []
    for event_type, versions in published_baselines(folder).items():
        if event_type not in current:
            problems.append(
                f"{event_type}: published, but no event class publishes it any more; keep "
                f"it during the migration period, then move its baselines to "
                f"published/retired/")
            continue
        own = ALL_EVENTS[event_type].model_fields["schema_version"].default
        if own < max(versions):
            problems.append(f"{event_type}: schema_version went down from "
                            f"{max(versions)} to {own}")
        for version, path in sorted(versions.items()):
            for change in breaking_changes(json.loads(path.read_text(encoding="utf-8")),
                                           current[event_type]):
                problems.append(f"{event_type} (published v{version}): {change}; "
                                f"publish it as a new event type instead")
    return problems


def expected_files(folder: Path) -> dict[Path, str]:
    """Every generated file and the text it must have."""
    from services.contracts.events import ALL_EVENTS, json_schemas

    files = {folder / f"{name}.json": _json(schema) for name, schema in json_schemas().items()}
    files[folder / "asyncapi.yaml"] = _asyncapi_text()
    for name, schema in json_schemas().items():
        version = ALL_EVENTS[name].model_fields["schema_version"].default
        files[folder / "published" / f"{name}.v{version}.json"] = _json(schema)
    return files


def write_or_check(folder: Path, check: bool) -> list[str]:
    """Write the contract (or only compare it, with `check`); returns what is wrong.
    Nothing is written while a change is breaking."""
    problems = compatibility_problems(folder)
    if problems:
        return problems
    stale = []
    for path, text in expected_files(folder).items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if check:
            stale.append(f"{path.relative_to(folder)}: stale; run `procedura schemas`")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return stale
