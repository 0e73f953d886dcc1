"""Reading an organisation file uploaded on the administration page (YAML or CSV) into
what `documents.load_organisation` takes, checked whole before anything is loaded.

YAML: the organisation file (`departments:` and `users:`, as demo/organisation.yaml).
CSV (UTF-8, `,` or `;`, one person a line, header first):
    username,full_name,department,department_name,function,roles,password
`roles` separated by spaces or `|` (reader author verifier endorser approver qms_admin);
`department_name` on at least one line of each department.

A bad file raises InvalidInput naming the line and the field; nothing is loaded."""
from __future__ import annotations

import csv
import io
import re
from typing import Any

import yaml
from pydantic import ValidationError

from services.contracts.errors import InvalidInput
from services.contracts.models import Organisation

MAX_BYTES = 2 * 1024 * 1024
CSV_COLUMNS = ("username", "full_name", "department", "department_name", "function",
               "roles", "password")
REQUIRED_COLUMNS = ("username", "full_name", "department", "roles", "password")


def parse(filename: str, content: bytes) -> Organisation:
    """The organisation in `content`; its kind is told by the file name's extension."""
    name = (filename or "").lower()
    if not content.strip():
        raise InvalidInput("the file is empty", {"field": "file", "problems": []})
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB",
                           {"field": "file", "problems": []})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text (byte {exc.start})",
                           {"field": "file", "problems": []}) from None
    if name.endswith((".yaml", ".yml")):
        return _yaml(text)
    if name.endswith(".csv"):
        return _csv(text)
    raise InvalidInput("the file must be .yaml, .yml or .csv", {"field": "file",
                                                                 "problems": []})


_WHERE = re.compile(r"^line (?P<line>\d+)(?:, (?P<field>[^:]+))?: (?P<message>.*)$", re.S)


def _fail(problems: list[str]):
    """InvalidInput with every problem, as text and as {line, field, message}."""
    where = [m.groupdict() if (m := _WHERE.match(p)) else
             {"line": None, "field": None, "message": p} for p in problems]
    raise InvalidInput("the organisation file has errors; nothing was loaded: "
                       + "; ".join(problems[:20]),
                       {"field": "file", "problems": problems, "where": where})


# --- YAML -------------------------------------------------------------------------

def _yaml(text: str) -> Organisation:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        _fail([f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})"])
    if not isinstance(data, dict) or not {"departments", "users"} <= set(data):
        _fail(["line 1: the file needs a 'departments' list and a 'users' list"])
    data = {"departments": data["departments"], "users": data["users"]}
    try:
        return Organisation.model_validate(data)
    except ValidationError as exc:
        _fail([f"line {_yaml_line(root, e['loc'])}, {_path(e['loc'])}: {e['msg']}"
               for e in exc.errors()])


def _yaml_line(node, loc: tuple) -> int:
    """The line of the deepest YAML node found on the error's path."""
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            child = node.value[key]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1 if node is not None else 1


def _path(loc: tuple) -> str:
    path = ""
    for key in loc:
        path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
    return path


# --- CSV --------------------------------------------------------------------------

def _csv(text: str) -> Organisation:
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        _fail(["line 1: " + ", ".join(
            ([f"missing column(s) {', '.join(missing)}"] if missing else [])
            + ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []))
            + f" (columns: {', '.join(CSV_COLUMNS)})"])
    reader.fieldnames = header
    problems: list[str] = []
    users: list[tuple[int, dict[str, Any]]] = []
    names: dict[str, str] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"line {line}: more values than columns")
            continue
        row = {k: (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        if row.get("department_name"):
            names.setdefault(row["department"], row["department_name"])
        users.append((line, {"username": row["username"], "full_name": row["full_name"],
                             "department": row["department"],
                             "function": row.get("function", ""),
                             "roles": row["roles"].replace("|", " ").split(),
                             "password": row["password"]}))
    if not users and not problems:
        problems.append("line 2: the file has no person")
    seen: dict[str, int] = {}
    for line, user in users:
        if user["username"] in seen:
            problems.append(f"line {line}, username: {user['username']} is already on "
                            f"line {seen[user['username']]}")
        seen.setdefault(user["username"], line)
        if user["department"] not in names:
            problems.append(f"line {line}, department_name: no line names department "
                            f"{user['department'] or '(empty)'}")
            names[user["department"]] = ""   # said once per department
        try:
            Organisation.model_validate({"departments": [], "users": [user]})
        except ValidationError as exc:
            problems += [f"line {line}, {e['loc'][2] if len(e['loc']) > 2 else 'row'}: "
                         f"{e['msg']}" for e in exc.errors() if e["loc"][0] == "users"]
    if problems:
        _fail(problems)
    departments = [{"code": code, "name": name} for code, name in names.items()]
    try:
        return Organisation.model_validate({"departments": departments,
                                            "users": [u for _, u in users]})
    except ValidationError as exc:
        _fail([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()])
