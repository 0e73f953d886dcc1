"""Load the demo organisation and its procedures (five written, one scanned) into a
running Procedura."""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import yaml

from procedura_cli import scans
from procedura_cli.client import ApiError, Client
from procedura_cli.docgen import parse_procedure, write_demo_documents

log = logging.getLogger(__name__)
DEMO = Path(__file__).resolve().parent.parent / "demo"
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text"}


def organisation(path: Path = DEMO / "organisation.yaml") -> dict:
    """The organisation file as the documents service's load_organisation takes it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {"departments": data["departments"], "users": data["users"]}


def author_of(org: dict, department: str) -> dict:
    return next(u for u in org["users"]
                if u["department"] == department and "author" in u["roles"])


def load_procedures(gateway: str, org: dict, fmt: str = "docx") -> list[dict]:
    """Register each demo procedure as its department's author and upload it: the ones
    of demo/procedures as `fmt` files, the ones of demo/scanned as image-only PDFs (a
    paper procedure scanned: its text is found once the rendition worker has OCR'd it).

    Idempotent: a procedure whose code is already registered is left as it is.
    """
    loaded = []
    with tempfile.TemporaryDirectory() as tmp:
        for doc in write_demo_documents(DEMO / "procedures", tmp, formats=(fmt,)):
            item = _load_one(gateway, org, doc.meta, doc.files[fmt], MEDIA[fmt])
            loaded += [item] if item else []
        for meta, path in write_scanned_procedures(DEMO / "scanned", Path(tmp)):
            item = _load_one(gateway, org, meta, path, MEDIA["pdf"])
            loaded += [item] if item else []
    return loaded


def write_scanned_procedures(src_dir: Path, out_dir: Path) -> list[tuple[dict, Path]]:
    """Each demo/scanned/*.md procedure printed and scanned (procedura_cli/scans.py) to
    `out_dir/<code>.pdf`, pages as images only."""
    written = []
    for src in sorted(Path(src_dir).glob("*.md")):
        proc = parse_procedure(src)
        path = scans.save(scans.scan_procedure(proc.body), out_dir / f"{proc.meta['code']}.pdf")
        written.append((proc.meta, path))
    return written


def _load_one(gateway: str, org: dict, meta: dict, path: Path, media: str) -> dict | None:
    author = author_of(org, meta["owner_department"])
    client = Client.login(gateway, author["username"], author["password"])
    try:
        registered = client.post("/api/documents", {
            "code": meta["code"], "title": meta["title"], "type": meta["type"],
            "owner_department": meta["owner_department"],
            "distribution": meta["distribution"], "process": meta.get("process"),
            "confidential": bool(meta.get("confidential", False))})
    except ApiError as exc:
        if exc.status == 409:
            log.info("%s is already registered", meta["code"])
            return None
        raise
    # the edition and revision the procedure's header says (as an import keeps them)
    numbering = {k: str(meta[k]) for k in ("edition", "revision") if k in meta}
    with open(path, "rb") as fh:
        version = client.upload(registered["id"], path.name, fh,
                                "Încărcare inițială (demo)", media, **numbering)
    return {"code": meta["code"], "document_id": registered["id"], "version_id": version["id"],
            "department": meta["owner_department"]}


def _first(org: dict, role: str, department: str | None = None) -> dict | None:
    return next((u for u in org["users"] if role in u["roles"]
                 and (department is None or u["department"] == department)), None)


def bring_into_force(gateway: str, org: dict, loaded: list[dict],
                     timeout: float = 120) -> dict[str, str]:
    """Take each freshly loaded demo procedure through its signing chain with the demo
    roles (the author submits, the head of the owner department verifies, the monitoring
    committee endorses, the mayor approves), so that the demo has procedures in force.

    A procedure whose department has no head with the verifier role stays a draft.
    Returns code → the status each procedure ended in.
    """
    endorser, approver = _first(org, "endorser"), _first(org, "approver")
    clients: dict[str, Client] = {}

    def as_(user: dict) -> Client:
        if user["username"] not in clients:
            clients[user["username"]] = Client.login(gateway, user["username"],
                                                     user["password"])
        return clients[user["username"]]

    outcome = {}
    for item in loaded:
        author = as_(author_of(org, item["department"]))
        head = _first(org, "verifier", item["department"])
        if head is None:
            log.info("%s stays a draft: %s has no head with the verifier role",
                     item["code"], item["department"])
            outcome[item["code"]] = "draft"
            continue
        deadline = time.monotonic() + timeout   # submitted only once its text is read
        while author.get(f"/api/versions/{item['version_id']}")["extraction"]["status"] \
                == "pending":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{item['code']}: text not extracted after {timeout}s")
            time.sleep(0.5)
        author.act(item["version_id"], "submit", "Ediția inițială (demo)")
        as_(head).act(item["version_id"], "verify", "Verificat")
        as_(endorser).act(item["version_id"], "endorse", "Avizat")
        approved = as_(approver).act(item["version_id"], "approve", "Aprob")
        outcome[item["code"]] = approved["status"]
    return outcome
