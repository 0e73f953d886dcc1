"""Load the demo organisation and its five procedures into a running Procedura."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import yaml

from procedura_cli.client import ApiError, Client
from procedura_cli.docgen import write_demo_documents

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
    """Register each demo procedure as its department's author and upload it.

    Idempotent: a procedure whose code is already registered is left as it is.
    """
    loaded = []
    with tempfile.TemporaryDirectory() as tmp:
        for doc in write_demo_documents(DEMO / "procedures", tmp, formats=(fmt,)):
            meta = doc.meta
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
                    continue
                raise
            path = doc.files[fmt]
            with open(path, "rb") as fh:
                version = client.upload(registered["id"], path.name, fh,
                                        "Încărcare inițială (demo)", MEDIA[fmt])
            loaded.append({"code": meta["code"], "document_id": registered["id"],
                           "version_id": version["id"]})
    return loaded
