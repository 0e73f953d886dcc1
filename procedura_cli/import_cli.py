"""`procedura import <folder>`: bulk import of existing documents through the gateway.

Registers the documents that do not exist yet, uploads every file as a version with
bounded concurrency, shows progress with rate and ETA, and ends with a report. Re-running
is safe: a file whose sha256 is already among its document's versions is skipped, so an
interrupted import is resumed by running it again (docs/import.md).

Hooked into procedura_cli/main.py with `import_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import eventlet
import requests

from procedura_cli.client import ApiError, Client
from procedura_cli.importing import (
    DocumentPlan, FileItem, MappingError, Plan, load_mapping, plan, sha256_of)
from procedura_cli.localenv import variable
from services.common.labels import edition_label

RETRY_FOR = 180.0     # seconds a file is retried for 502/503/504 and dropped connections
MEDIA_TYPES = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               ".doc": "application/msword", ".pdf": "application/pdf",
               ".odt": "application/vnd.oasis.opendocument.text",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".txt": "text/plain"}


class ImportFailure(Exception):
    """A document cannot be imported with the logins given."""


@dataclass
class Outcome:
    relative: str
    result: str                  # imported | skipped | failed
    reason: str = ""
    code: str = ""
    version_id: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def as_dict(self) -> dict:
        return {"imported": self.count("imported"), "skipped": self.count("skipped"),
                "failed": self.count("failed"),
                "files": [o.__dict__ for o in self.outcomes]}


class Progress:
    """One line on stderr: bar, files, rate (files/s, MB/s) and ETA; redrawn at most
    every 0.2 s on a terminal, every 5 s otherwise."""

    def __init__(self, total_files: int, total_bytes: int, stream=sys.stderr):
        self.total_files, self.total_bytes = total_files, max(total_bytes, 1)
        self.files = self.bytes = 0
        self.started = time.monotonic()
        self.stream = stream
        self.tty = stream.isatty()
        self._last = 0.0

    def advance(self, size: int) -> None:
        self.files += 1
        self.bytes += size
        self.draw()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate, mb_rate = self.files / elapsed, self.bytes / elapsed / 1e6
        left = self.total_bytes - self.bytes
        eta = left / (self.bytes / elapsed) if self.bytes else 0
        width = 30
        filled = width * self.files // max(self.total_files, 1)
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.files}/{self.total_files} "
                f"files  {rate:.1f} files/s  {mb_rate:.2f} MB/s  ETA {_clock(eta)}")

    def draw(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < (0.2 if self.tty else 5.0) \
                and self.files < self.total_files:
            return
        self._last = now
        end = "\n" if final or not self.tty else ""
        print(("\r" if self.tty else "") + self.line(), end=end, file=self.stream, flush=True)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Importer:
    def __init__(self, gateway: str, logins: list[tuple[str, str]], concurrency: int,
                 timeout: float = 600):
        self.gateway = gateway
        self.concurrency = concurrency
        self.clients: list[tuple[Client, dict]] = []
        for username, password in logins:
            client = Client.login(gateway, username, password)
            client.timeout = timeout
            self.clients.append((client, client.get("/api/me")))

    def _for(self, department: str, registering: bool = False) -> Client | None:
        for client, me in self.clients:
            roles = set(me.get("roles", []))
            if "author" in roles and me.get("department") == department:
                return client
        if registering:
            for client, me in self.clients:
                if "qms_admin" in set(me.get("roles", [])):
                    return client
        return None

    def run(self, the_plan: Plan, progress: Progress | None = None) -> Report:
        report = Report()
        for rejected in the_plan.rejected:
            report.outcomes.append(Outcome(rejected.relative, "failed", rejected.reason))
        existing = {}
        for client, _ in self.clients:
            for document in client.get("/api/documents")["items"]:
                existing.setdefault(document["code"], document)
        pool = eventlet.GreenPool(self.concurrency)
        for outcomes in pool.imap(lambda d: self._document(d, existing.get(d.code), progress),
                                  the_plan.documents):
            report.outcomes.extend(outcomes)
        if progress:
            progress.draw(final=True)
        return report

    def _document(self, document: DocumentPlan, found: dict | None,
                  progress: Progress | None) -> list[Outcome]:
        outcomes: list[Outcome] = []

        def done(item: FileItem, result: str, reason: str = "", version_id=None):
            outcomes.append(Outcome(item.relative, result, reason, document.code, version_id))
            if progress:
                progress.advance(item.size)

        uploader = self._for(document.department)
        if uploader is None:
            for item in document.files:
                done(item, "failed", f"no login is an author of {document.department}; "
                                     f"pass --login for one")
            return outcomes
        try:
            if found is None:
                found = _patiently(lambda: self._register(document))
            versions = _patiently(lambda: uploader.get(
                f"/api/documents/{found['id']}/versions"))["items"]
            known = {v["sha256"] for v in versions}
            latest = max(((v["edition"], v["revision"]) for v in versions), default=None)
        except (ApiError, ImportFailure, requests.RequestException) as exc:
            for item in document.files:
                done(item, "failed", f"document {document.code}: {exc}")
            return outcomes
        for item in document.files:
            try:
                item.sha256 = sha256_of(item.path)
            except OSError as exc:
                done(item, "failed", f"cannot read the file: {exc}")
                continue
            if item.sha256 in known:
                done(item, "skipped", "already imported (same sha256)")
                continue
            try:
                numbering = self._numbering(uploader, found["id"], item, latest)
                version = self._upload(uploader, found["id"], item, numbering)
            except ApiError as exc:
                done(item, "failed", f"{exc.status} {exc.error['code']}: {exc.error['message']}")
                continue
            except requests.RequestException as exc:
                done(item, "failed", f"gateway unreachable: {exc}")
                continue
            if version is None:
                done(item, "skipped", "already imported (same sha256)")
                continue
            known.add(version["sha256"])
            latest = (version["edition"], version["revision"])
            note = ""
            if item.numbering and item.numbering != latest:
                note = (f"numbered {edition_label(*latest)} after the versions before it "
                        f"(the file says {edition_label(*item.numbering)})")
            done(item, "imported", note, version_id=version["id"])
        return outcomes

    @staticmethod
    def _numbering(client: Client, document_id: str, item: FileItem,
                   latest: tuple[int, int] | None) -> dict:
        """What to send with the upload: a first version keeps the edition and revision
        the file says it is; a later one whose edition is higher starts a new edition."""
        if item.numbering is None:
            return {}
        if latest is None:
            return {"edition": str(item.numbering[0]), "revision": str(item.numbering[1])}
        if item.numbering[0] > latest[0]:
            _patiently(lambda: client.post(f"/api/documents/{document_id}/new-edition"))
        return {}

    def _register(self, document: DocumentPlan) -> dict:
        client = self._for(document.department, registering=True)
        if client is None:
            raise ImportFailure(f"no login may register documents of {document.department}")
        body = {"code": document.code, "title": document.title, "type": document.type,
                "owner_department": document.department,
                "distribution": document.distribution, "confidential": document.confidential}
        try:
            return client.post("/api/documents", body)
        except ApiError as exc:
            if exc.status != 409:
                raise
        # registered meanwhile (another importer, or a lost answer): use it
        for item in client.get("/api/documents")["items"]:
            if item["code"] == document.code:
                return item
        raise ImportFailure(f"{document.code} is taken but not visible to this login")

    def _upload(self, client: Client, document_id: str, item: FileItem,
                numbering: dict) -> dict | None:
        media_type = MEDIA_TYPES.get(item.path.suffix.lower(), "application/octet-stream")
        give_up = time.monotonic() + RETRY_FOR
        attempt = 0
        while True:
            try:
                with open(item.path, "rb") as handle:
                    return client.upload(document_id, item.path.name, handle,
                                         item.change_summary, media_type, **numbering)
            except ApiError as exc:
                if exc.status not in (502, 503, 504) or time.monotonic() > give_up:
                    raise
                wait = float(exc.error.get("details", {}).get("retry_after_seconds")
                             or 2 ** attempt)
            except requests.RequestException:
                if time.monotonic() > give_up:
                    raise
                wait = 2 ** attempt
            attempt += 1
            eventlet.sleep(min(wait, 15))
            # the upload may have gone through before the answer was lost
            try:
                stored = {v["sha256"] for v in client.get(
                    f"/api/documents/{document_id}/versions")["items"]}
            except (ApiError, requests.RequestException):
                stored = set()
            if item.sha256 in stored:
                return None


def _patiently(call):
    """`call()`, retried with backoff for RETRY_FOR seconds while the gateway answers
    502/503/504 or cannot be reached (a service or the broker restarting)."""
    give_up = time.monotonic() + RETRY_FOR
    attempt = 0
    while True:
        try:
            return call()
        except ApiError as exc:
            if exc.status not in (502, 503, 504) or time.monotonic() > give_up:
                raise
        except requests.RequestException:
            if time.monotonic() > give_up:
                raise
        eventlet.sleep(min(2 ** attempt, 15))
        attempt += 1


def _logins(values: list[str]) -> list[tuple[str, str]]:
    raw = list(values or [])
    raw += [v for v in variable("PROCEDURA_IMPORT_LOGINS", "").split(",") if v]
    logins = []
    for value in raw:
        username, sep, password = value.partition(":")
        if not sep or not username or not password:
            raise ValueError(f"--login expects USER:PASSWORD, got {value!r}")
        logins.append((username, password))
    if not logins:
        raise ValueError("give at least one --login USER:PASSWORD "
                         "(or PROCEDURA_IMPORT_LOGINS=user:pass,user2:pass2)")
    return logins


def cmd_import(args) -> int:
    root = Path(args.folder)
    if not root.is_dir():
        print(f"procedura import: {root} is not a folder", file=sys.stderr)
        return 2
    try:
        mapping = load_mapping(Path(args.mapping)) if args.mapping else None
    except MappingError as exc:
        print(f"procedura import: {exc}", file=sys.stderr)
        return 2
    if args.concurrency < 1:
        print("procedura import: --concurrency must be at least 1", file=sys.stderr)
        return 2
    the_plan = plan(root, mapping, args.department)
    print(f"{the_plan.files} files in {len(the_plan.documents)} documents "
          f"({the_plan.bytes / 1e6:.1f} MB), {len(the_plan.rejected)} not mappable",
          file=sys.stderr)
    if args.dry_run:
        for document in the_plan.documents:
            print(f"{document.code}\t{document.type}\t{document.department}\t{document.title}")
            for item in document.files:
                numbered = f"\t{edition_label(*item.numbering)}" if item.numbering else ""
                print(f"\t{item.relative}{numbered}")
        for rejected in the_plan.rejected:
            print(f"not mappable\t{rejected.relative}\t{rejected.reason}")
        return 0
    try:
        logins = _logins(args.login)
    except ValueError as exc:
        print(f"procedura import: {exc}", file=sys.stderr)
        return 2
    try:
        importer = Importer(args.gateway, logins, args.concurrency)
    except (ApiError, requests.RequestException) as exc:
        print(f"procedura import: cannot log in at {args.gateway}: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    report = importer.run(the_plan, Progress(the_plan.files, the_plan.bytes))
    elapsed = time.monotonic() - started
    for outcome in report.outcomes:
        if outcome.result == "failed" or (outcome.result == "imported" and outcome.reason):
            print(f"{outcome.result}\t{outcome.relative}\t{outcome.reason}")
    summary = report.as_dict()
    print(f"imported {summary['imported']}, skipped {summary['skipped']} (already imported), "
          f"failed {summary['failed']} in {elapsed:.1f} s")
    if args.report:
        Path(args.report).write_text(json.dumps(summary, ensure_ascii=False, indent=2),
                                     encoding="utf-8")
    return 1 if summary["failed"] else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `import` to the `procedura` command."""
    command = subparsers.add_parser(
        "import", help="import a folder tree of existing documents (docs/import.md)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("folder")
    command.add_argument("--mapping", help="CSV or YAML: path, code, title, type, department, "
                                           "distribution, confidential, change_summary, order")
    command.add_argument("--concurrency", type=int, default=4,
                         help="documents uploaded at once (default 4)")
    command.add_argument("--gateway", default=variable("PROCEDURA_GATEWAY",
                                                       "http://127.0.0.1:8080"))
    command.add_argument("--login", action="append", metavar="USER:PASSWORD",
                         help="an author of each department imported (repeat); a "
                              "qms_admin may register documents for any department")
    command.add_argument("--department", help="owner department of files the rules and "
                                              "the mapping leave without one")
    command.add_argument("--report", help="also write the report as JSON to this file")
    command.add_argument("--dry-run", action="store_true",
                         help="print the documents and versions found; upload nothing")
    command.set_defaults(func=cmd_import)
