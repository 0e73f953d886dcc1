"""Planning a bulk import (pure: no network): which files of a folder tree become which
documents and versions, from a mapping file or from naming rules (docs/import.md).

Naming rules, when a file is not in the mapping:
  * the file name starts with the document's code, then a space, `_` or ` - `, then the
    title: `PO-DJ-07 Înregistrarea petițiilor.docx`, `F-DJ-07.1_Registru_petiții.pdf`;
  * the type comes from the code's prefix (PS, PO, IL, RR, F → formular, MC, LP, EXT);
  * the owner department is the code's second part for PS/PO/IL/RR (`PO-DJ-07` → DJ),
    otherwise the first folder under the import root when it looks like a department
    code (`DJ/F-REG-01 Registru.pdf`), otherwise `--department`;
  * several files with one code are versions of that document, uploaded in the order of
    an optional `ed <N>` / `rev <N>` at the end of the name (`... ed II rev 3.docx`),
    then of their path. A document's first version keeps the edition and revision of
    its name; later ones are numbered by Procedura (a higher edition in a name starts a
    new edition).
A mapping row (CSV or YAML) names `path` (relative to the root) and any of code, title,
type, department, distribution, confidential, change_summary, order, edition, revision;
what it leaves out comes from the naming rules.
"""
from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

TYPE_OF_PREFIX = {"PS": "PS", "PO": "PO", "IL": "IL", "RR": "registrul_riscurilor",
                  "F": "formular", "MC": "manualul_calitatii", "LP": "lista_proceselor",
                  "EXT": "extern"}
DEPARTMENT_IN_CODE = {"PS", "PO", "IL", "RR"}
DEPARTMENT = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SUFFIX = re.compile(r"(?:[\s_-]+ed(?:i[tț]ia)?[\s_.]*(?P<edition>[IVXLC]+|\d+))?"
                    r"(?:[\s_,-]+rev(?:izia)?[\s_.]*(?P<revision>\d+))?$", re.IGNORECASE)
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
MAPPING_FIELDS = {"path", "code", "title", "type", "department", "distribution",
                  "confidential", "change_summary", "order", "edition", "revision"}


class MappingError(ValueError):
    """The mapping file cannot be used (names the file, row and field)."""


@dataclass
class FileItem:
    path: Path                  # absolute
    relative: str               # to the import root, with `/`
    size: int
    order: tuple = ()
    change_summary: str = ""
    sha256: str | None = None
    numbering: tuple[int, int] | None = None   # (edition, revision) the file says it is


@dataclass
class DocumentPlan:
    code: str
    title: str
    type: str
    department: str
    distribution: list[str] = field(default_factory=list)
    confidential: bool = False
    files: list[FileItem] = field(default_factory=list)


@dataclass
class Rejected:
    relative: str
    reason: str


@dataclass
class Plan:
    documents: list[DocumentPlan]
    rejected: list[Rejected]

    @property
    def files(self) -> int:
        return sum(len(d.files) for d in self.documents)

    @property
    def bytes(self) -> int:
        return sum(f.size for d in self.documents for f in d.files)


def sha256_of(path: Path, chunk: int = 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def roman_or_int(value: str | None) -> int:
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    total, previous = 0, 0
    for letter in reversed(value.upper()):
        number = ROMAN[letter]
        total += -number if number < previous else number
        previous = max(previous, number)
    return total


def parse_name(stem: str) -> dict:
    """Code, title and ordering of a file name without extension; {} when it has no code."""
    stem = unicodedata.normalize("NFC", stem).strip()
    match = re.match(r"^(?P<code>[^\s_]+?)(?:\s+-\s+|[\s_]+|$)(?P<rest>.*)$", stem)
    if not match:
        return {}
    code = match["code"].rstrip("-.")
    prefix = code.split("-", 1)[0].upper()
    if prefix not in TYPE_OF_PREFIX or "-" not in code or not CODE.match(code):
        return {}
    rest = match["rest"]
    suffix = SUFFIX.search(rest)
    edition = revision = 0
    if suffix and suffix.group(0):
        edition, revision = roman_or_int(suffix["edition"]), int(suffix["revision"] or 0)
        rest = rest[: suffix.start()]
    title = re.sub(r"[\s_]+", " ", rest).strip(" -")
    parsed = {"code": code.upper() if prefix != "EXT" else code, "type": TYPE_OF_PREFIX[prefix],
              "title": title or code, "order": (edition, revision)}
    parts = code.split("-")
    if prefix in DEPARTMENT_IN_CODE and len(parts) >= 3:
        parsed["department"] = parts[1].upper()
    return parsed


def load_mapping(path: Path) -> dict[str, dict]:
    """Rows of a CSV (header row) or YAML (a list, or {files: [...]}) mapping, by path."""
    if not path.is_file():
        raise MappingError(f"mapping file {path} does not exist")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        rows = data.get("files", []) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise MappingError(f"{path}: expected a list of files (or files: [...])")
    elif path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    else:
        raise MappingError(f"{path}: a mapping is a .csv or .yaml file")
    mapping: dict[str, dict] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("path"):
            raise MappingError(f"{path}: row {number} has no `path`")
        unknown = set(row) - MAPPING_FIELDS
        if unknown:
            raise MappingError(f"{path}: row {number}: unknown field(s) "
                               f"{', '.join(sorted(map(str, unknown)))}; known: "
                               f"{', '.join(sorted(MAPPING_FIELDS))}")
        clean = {k: v for k, v in row.items() if v not in (None, "")}
        key = unicodedata.normalize("NFC", str(clean.pop("path")).strip().strip("/"))
        mapping[key] = clean
    return mapping


def _distribution(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v for v in re.split(r"[;,\s]+", str(value or "")) if v]


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "da", "yes", "y")


def walk(root: Path) -> list[Path]:
    """Every regular file under `root`, hidden ones and OS clutter left out, sorted."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or path.name in SKIP_NAMES:
            continue
        if path.is_file() and not path.is_symlink():
            found.append(path)
    return found


def plan(root: Path, mapping: dict[str, dict] | None = None,
         default_department: str | None = None) -> Plan:
    """Group the files under `root` into documents (by code) with their versions in order."""
    mapping = mapping or {}
    documents: dict[str, DocumentPlan] = {}
    rejected: list[Rejected] = []
    seen = set()
    for path in walk(root):
        relative = unicodedata.normalize("NFC", path.relative_to(root).as_posix())
        seen.add(relative)
        row = mapping.get(relative, {})
        parsed = parse_name(path.stem)
        info = {**parsed, **{k: v for k, v in row.items() if k != "order"}}
        if "code" not in info:
            rejected.append(Rejected(relative, "no document code: the name does not start "
                                               "with one (e.g. `PO-DJ-07 Titlu.docx`) and "
                                               "the mapping does not name it"))
            continue
        code = str(info["code"]).strip()
        if not CODE.match(code):
            rejected.append(Rejected(relative, f"invalid document code {code!r}"))
            continue
        if "type" not in info:
            prefix = code.split("-", 1)[0].upper()
            if prefix not in TYPE_OF_PREFIX:
                rejected.append(Rejected(relative, f"no type for code {code!r}: give `type` "
                                                   "in the mapping"))
                continue
            info["type"] = TYPE_OF_PREFIX[prefix]
        department = info.get("department")
        if not department:
            top = Path(relative).parts[0] if len(Path(relative).parts) > 1 else ""
            department = top if DEPARTMENT.match(top) else default_department
        if not department or not DEPARTMENT.match(str(department)):
            rejected.append(Rejected(relative, f"no owner department for {code}: put the file "
                                               "in a department folder, name it in the "
                                               "mapping or pass --department"))
            continue
        department = str(department)
        title = str(info.get("title") or code).strip()
        order = parsed.get("order", (0, 0))
        numbering = order if order[0] >= 1 else None
        if "edition" in row or "revision" in row:
            try:
                numbering = (int(row.get("edition") or 1), int(row.get("revision") or 0))
            except ValueError:
                rejected.append(Rejected(relative, f"mapping: edition {row.get('edition')!r} "
                                                   f"and revision {row.get('revision')!r} "
                                                   "must be numbers"))
                continue
            if numbering[0] < 1 or numbering[1] < 0:
                rejected.append(Rejected(relative, "mapping: the edition starts at 1 and the "
                                                   "revision at 0"))
                continue
            order = numbering
        if "order" in row:
            try:
                order = (int(row["order"]), 0)
            except ValueError:
                rejected.append(Rejected(relative, f"mapping: order {row['order']!r} is not "
                                                   "a number"))
                continue
        document = documents.get(code)
        if document is None:
            document = documents[code] = DocumentPlan(
                code=code, title=title, type=str(info["type"]), department=department,
                distribution=_distribution(info.get("distribution")) or [department],
                confidential=_truthy(info.get("confidential", False)))
        elif document.department != department:
            rejected.append(Rejected(relative, f"{code} is owned by {document.department}, "
                                               f"this file says {department}"))
            continue
        document.files.append(FileItem(path=path, relative=relative, numbering=numbering,
                                       size=path.stat().st_size, order=(order, relative),
                                       change_summary=str(row.get("change_summary", "")
                                                          or f"Import: {relative}")[:2000]))
    for missing in sorted(set(mapping) - seen):
        rejected.append(Rejected(missing, "named in the mapping but not found under the "
                                          "folder"))
    for document in documents.values():
        document.files.sort(key=lambda f: f.order)
    return Plan(documents=sorted(documents.values(), key=lambda d: d.code), rejected=rejected)
