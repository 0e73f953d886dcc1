"""Is a new JSON Schema of an event compatible with the published one?

Compatible means: every message valid under the published schema is still valid
under the new one, and no field a subscriber may read has disappeared. So a removed
field, a changed type or format, a new required field (or an optional one made
required), a narrowed enum or a changed constant is breaking; a new optional field,
a widened type or enum, a new description is not. Free of I/O; pydantic's `$defs`
are resolved first, so a change inside a shared model is seen in every event.
"""
from __future__ import annotations

from typing import Any

TYPE_ALIASES = {"integer": {"integer"}, "number": {"number", "integer"}}


def resolve(schema: dict) -> dict:
    """`schema` with every local `$ref` (`#/$defs/X`) replaced by its definition."""
    defs = schema.get("$defs", {})

    def walk(node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, dict):
            if "$ref" in node and node["$ref"].startswith("#/$defs/"):
                name = node["$ref"].rsplit("/", 1)[1]
                if name in seen:   # recursive model: stop here
                    return {"$recursive": name}
                merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
                return walk(merged, seen + (name,))
            return {k: walk(v, seen) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        return node

    return walk(schema)


def _branches(node: dict) -> list[dict]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [b for sub in node[key] for b in _branches(sub)]
    return [node]


def _types(node: dict) -> set[str]:
    found: set[str] = set()
    for branch in _branches(node):
        kind = branch.get("type")
        if kind is None:
            if "const" in branch or "enum" in branch:
                values = [branch["const"]] if "const" in branch else branch["enum"]
                found |= {_json_type(v) for v in values}
            else:
                found.add("any")
        else:
            for k in (kind if isinstance(kind, list) else [kind]):
                found |= TYPE_ALIASES.get(k, {k})
    return found


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _values(node: dict) -> set | None:
    """The allowed values when restricted by enum/const (None: unrestricted)."""
    allowed: set = set()
    for branch in _branches(node):
        if "const" in branch:
            allowed.add(_hashable(branch["const"]))
        elif "enum" in branch:
            allowed |= {_hashable(v) for v in branch["enum"]}
        elif branch.get("type") == "null":
            allowed.add(None)
        else:
            return None
    return allowed


def _hashable(value: Any):
    return repr(value) if isinstance(value, (list, dict)) else value


def _formats(node: dict) -> dict[str, str]:
    return {b.get("type", "any"): b["format"] for b in _branches(node) if "format" in b}


def _branch_of(node: dict, kind: str) -> dict | None:
    for branch in _branches(node):
        if branch.get("type") == kind:
            return branch
    return None


def breaking_changes(old: dict, new: dict) -> list[str]:
    """Why `new` is not a compatible successor of `old` (empty when it is)."""
    problems: list[str] = []
    _compare(resolve(old), resolve(new), "", problems)
    return problems


def _compare(old: dict, new: dict, path: str, problems: list[str]) -> None:
    where = path or "(the event)"
    old_types, new_types = _types(old), _types(new)
    if "any" not in new_types and not old_types <= new_types:
        lost = sorted(old_types - new_types)
        problems.append(f"{where}: changed type ({'/'.join(sorted(old_types))} -> "
                        f"{'/'.join(sorted(new_types))}; no longer accepts {', '.join(lost)})")
        return
    old_values, new_values = _values(old), _values(new)
    if new_values is not None and (old_values is None or not old_values <= new_values):
        gone = sorted(map(str, (old_values or set()) - new_values)) if old_values else ["any"]
        problems.append(f"{where}: narrowed enum (no longer accepts {', '.join(gone)})")
    for kind, fmt in _formats(new).items():
        if _formats(old).get(kind) != fmt:
            problems.append(f"{where}: changed format ({_formats(old).get(kind)} -> {fmt})")
    old_obj, new_obj = _branch_of(old, "object"), _branch_of(new, "object")
    if old_obj and new_obj:
        old_props, new_props = old_obj.get("properties", {}), new_obj.get("properties", {})
        for name, old_prop in old_props.items():
            sub = f"{path}.{name}" if path else name
            if name not in new_props:
                problems.append(f"{sub}: removed field")
            else:
                _compare(old_prop, new_props[name], sub, problems)
        old_required = set(old_obj.get("required", []))
        for name in sorted(set(new_obj.get("required", [])) - old_required):
            sub = f"{path}.{name}" if path else name
            problems.append(f"{sub}: new required field" if name not in old_props
                            else f"{sub}: optional field made required")
    old_arr, new_arr = _branch_of(old, "array"), _branch_of(new, "array")
    if old_arr and new_arr and "items" in old_arr and "items" in new_arr:
        _compare(old_arr["items"], new_arr["items"], f"{path}[]", problems)
