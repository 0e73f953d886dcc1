"""Reading an organisation file uploaded on the administration page (YAML or CSV) into
what `documents.load_organisation` takes, checked whole before anything is loaded.

YAML: the organisation file (`departments:` and `users:`, as demo/organisation.yaml).
CSV (UTF-8, `,` or `;`, one person a line, header first):
    username,full_name,department,department_name,function,roles,password
`roles` separated by spaces or `|` (reader author verifier endorser approver qms_admin);
`department_name` on at least one line of each department.

A bad file raises InvalidInput naming the line and the field; nothing is loaded.
The gateway runs `parse` in a child process of its own (orgimport_process.py): a file
crafted to take long or grow large stalls that child, never the gateway's requests."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field as dataclass_field
from typing import Any

import yaml
from pydantic import ValidationError

from services.contracts.errors import InvalidInput
from services.contracts.models import DEPARTMENT_CODE, Organisation, StaffMember
from services.gateway.ui.render import N_

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 8        # the organisation file nests 4 deep (users, a person, their roles)
MAX_PROBLEMS = 100   # listed one by one; the rest are counted
CSV_COLUMNS = ("username", "full_name", "department", "department_name", "function",
               "roles", "password")
REQUIRED_COLUMNS = ("username", "full_name", "department", "roles", "password")
NO_FILE = N_("choose a file to import")


def parse(filename: str, content: bytes) -> Organisation:
    """The organisation in `content`; its kind is told by the file name's extension."""
    name = (filename or "").lower()
    if not content.strip():
        _fail([Problem(None, None, N_("the file is empty"))])
    if len(content) > MAX_BYTES:
        _fail([Problem(None, None, N_("the file is larger than %(megabytes)s MB"),
                       {"megabytes": str(MAX_BYTES // 1024 // 1024)})])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail([Problem(None, None, N_("the file is not UTF-8 text (byte %(byte)s)"),
                       {"byte": str(exc.start)})])
    if name.endswith((".yaml", ".yml")):
        return _yaml(text)
    if name.endswith(".csv"):
        return _csv(text)
    _fail([Problem(None, None, N_("the file must be .yaml, .yml or .csv"))])


@dataclass
class Problem:
    """One problem of the file: where, and what as a catalog message with its values
    (the administration page shows it in the person's language)."""
    line: int | None
    field: str | None
    message: str                 # an N_() message, or a text of its own (no catalog entry)
    values: dict = dataclass_field(default_factory=dict)

    def text(self) -> str:
        what = self.message % self.values if self.values else self.message
        if self.line is None:
            return f"{self.field}: {what}" if self.field else what
        return f"line {self.line}{f', {self.field}' if self.field else ''}: {what}"


# pydantic's error types, as the administration page says them
_PYDANTIC = {
    "missing": N_("is required"),
    "string_too_short": N_("is too short: at least %(min_length)s characters"),
    "string_too_long": N_("is too long: at most %(max_length)s characters"),
    "string_pattern_mismatch": N_("does not have the expected form (%(pattern)s)"),
    "enum": N_("must be one of: %(expected)s"),
    "literal_error": N_("must be one of: %(expected)s"),
    "string_type": N_("must be text"),
    "list_type": N_("must be a list"),
    "bool_parsing": N_("must be true or false"),     # `active`
    "bool_type": N_("must be true or false"),
    "extra_forbidden": N_("is not a field of this file"),
}


# the patterns of the organisation's fields, as a person reads them
_PATTERNS = {
    StaffMember.model_fields["username"].metadata[0].pattern:
        N_("must be 2 to 64 small letters without diacritics, digits, '.', '_' or '-'"),
    DEPARTMENT_CODE:
        N_("must be a code of capital letters without diacritics, digits or '_', starting "
           "with a letter (at most 16)"),
}


def _from_pydantic(line: int | None, field: str | None, error: dict) -> Problem:
    pattern = (error.get("ctx") or {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and pattern in _PATTERNS:
        return Problem(line, field, _PATTERNS[pattern])
    message = _PYDANTIC.get(error["type"])
    if message is None:          # a check of our own (its message) or a rare type
        return Problem(line, field, error["msg"])
    context = error.get("ctx") or {}
    values = {k: str(v) for k, v in context.items() if f"%({k})s" in message}
    if "expected" in values:     # pydantic's "'a', 'b' or 'c'": no English word in it
        values["expected"] = values["expected"].replace(" or ", ", ")
    return Problem(line, field, message, values)


def refuse(message: str, values: dict | None = None) -> None:
    """The file cannot be taken at all (none chosen, empty, too large, not UTF-8...)."""
    _fail([Problem(None, None, message, values or {})])


def _fail(problems: list[Problem]):
    """InvalidInput with the problems, as text and as {line, field, message, values};
    past MAX_PROBLEMS only their number (a page of thousands helps no one)."""
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS] + [Problem(None, None, N_(
            "and %(count)s more problems"), {"count": str(more)})]
    texts = [p.text() for p in problems]
    where = [{"line": str(p.line) if p.line is not None else None, "field": p.field,
              "message": p.message, "values": p.values} for p in problems]
    raise InvalidInput("the organisation file has errors; nothing was loaded: "
                       + "; ".join(texts[:20]),
                       {"field": "file", "problems": texts, "where": where})


# --- YAML -------------------------------------------------------------------------

class _Refused(yaml.YAMLError):
    def __init__(self, node_mark, message: str, values: dict):
        super().__init__(message)
        self.line, self.message, self.values = node_mark.line + 1, message, values


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without aliases and nested at most MAX_DEPTH deep.

    An alias (`*name`) repeats a part of the file without its bytes: ten aliases of ten
    aliases... (billion laughs, or the same through merge keys `<<`) make a small file
    mean billions of entries. An organisation file never needs one. Depth is bounded so
    the composer, which recurses, stops long before Python's recursion limit."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _Refused(self.peek_event().start_mark,
                           N_("aliases (*name) are not allowed in an organisation file"), {})
        if self._depth >= MAX_DEPTH:
            raise _Refused(self.peek_event().start_mark,
                           N_("the file nests more than %(depth)s levels deep"),
                           {"depth": str(MAX_DEPTH)})
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _load(text: str):
    """The root node (for lines in problems) and the data of one YAML document."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _yaml(text: str) -> Organisation:
    try:
        root, data = _load(text)
    except _Refused as exc:
        _fail([Problem(exc.line, None, exc.message, exc.values)])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        _fail([Problem(mark.line + 1 if mark else None, None,
                       N_("not valid YAML (%(problem)s)"),
                       {"problem": str(getattr(exc, "problem", None) or exc)[:200]})])
    if not isinstance(data, dict) or not {"departments", "users"} <= set(data):
        _fail([Problem(1, None, N_("the file needs a 'departments' list and a 'users' "
                                   "list"))])
    data = {"departments": data["departments"], "users": data["users"]}
    try:
        return Organisation.model_validate(data)
    except ValidationError as exc:
        _fail([_from_pydantic(_yaml_line(root, e["loc"]), _path(e["loc"]), e)
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
    reader = _csv_reader(text)
    users, names, problems = _csv_rows(reader)
    if not users and not problems:
        problems.append(Problem(2, None, N_("the file has no person")))
    problems += _csv_user_problems(users, names)
    if problems:
        _fail(problems)
    departments = [{"code": code, "name": name} for code, name in names.items()]
    try:
        return Organisation.model_validate({"departments": departments,
                                            "users": [u for _, u in users]})
    except ValidationError as exc:
        _fail([_from_pydantic(None, _path(e["loc"]), e) for e in exc.errors()])


def _csv_reader(text: str) -> csv.DictReader:
    """A reader of the file's rows (`,` or `;`, whichever the header uses more), its
    header checked: every required column there and no unknown one."""
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        _fail(([Problem(1, None, N_("missing column(s) %(columns)s"),
                        {"columns": ", ".join(missing)})] if missing else [])
              + ([Problem(1, None, N_("unknown column(s) %(columns)s (the columns are: "
                                      "%(known)s)"),
                          {"columns": ", ".join(unknown), "known": ", ".join(CSV_COLUMNS)})]
                 if unknown else []))
    reader.fieldnames = header
    return reader


def _csv_rows(reader: csv.DictReader) -> tuple[list[tuple[int, dict[str, Any]]],
                                                dict[str, str], list[Problem]]:
    """The people of the file with their lines, the departments' names by code, and the
    rows that could not be read."""
    problems: list[Problem] = []
    users: list[tuple[int, dict[str, Any]]] = []
    names: dict[str, str] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(Problem(line, None, N_("more values than columns")))
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
    return users, names, problems


def _csv_user_problems(users: list[tuple[int, dict[str, Any]]],
                       names: dict[str, str]) -> list[Problem]:
    """What is wrong with each person, on their line: a user name given twice, a
    department no line names (said once per department), a field the model refuses."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, user in users:
        if user["username"] in seen:
            problems.append(Problem(line, "username", N_("%(username)s is already on line "
                                                         "%(line)s"),
                                    {"username": user["username"],
                                     "line": str(seen[user["username"]])}))
        seen.setdefault(user["username"], line)
        if user["department"] not in names:
            problems.append(Problem(line, "department_name",
                                    N_("no line names department %(department)s"),
                                    {"department": user["department"] or "—"}))
            names[user["department"]] = ""   # said once per department
        try:
            Organisation.model_validate({"departments": [], "users": [user]})
        except ValidationError as exc:
            problems += [_from_pydantic(line, e["loc"][2] if len(e["loc"]) > 2 else None, e)
                         for e in exc.errors() if e["loc"][0] == "users"]
    return problems
