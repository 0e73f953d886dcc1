"""A backup destination (a directory or an S3 bucket: backup_storage.py) and what proves a
backup whole (docs/backup.md).

  DEST/objects/sha256/ab/abcd…      every stored object once, named by its sha256
                                    (shared by every backup of DEST: incremental)
  DEST/backups/<ID>/database.dump   the PostgreSQL snapshot (pg_dump, custom format)
  DEST/backups/<ID>/manifest.json   every file with its size and sha256, every object
                                    version with its key, version id, sha256, legal hold
  DEST/backups/<ID>/complete        written last: the manifest's sha256

A backup without `complete`, or whose `complete` does not name its manifest, is not
a backup: it is never listed as complete, never restored.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from procedura_cli.backup_storage import BackupError, DirectoryStorage, Storage
from procedura_cli.backup_storage_s3 import S3Storage, s3_client

CHUNK = 1024 * 1024
FORMAT = 1   # of manifest.json; a newer Procedura reads every older format

__all__ = ["BackupError", "Destination", "Problem", "check_files", "verify",
           "referenced_files", "open_destination", "HashingReader"]


class HashingReader:
    """A stream whose bytes are hashed (and counted) as they are read through it;
    `pace(n)`, when given, is told of every chunk (a rate limit)."""

    def __init__(self, stream, pace=None):
        self.stream, self.pace = stream, pace
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        self.size += len(data)
        if self.pace:
            self.pace(len(data))
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


@dataclass(frozen=True)
class Problem:
    kind: str     # missing | truncated | damaged | incomplete
    path: str     # relative to DEST
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind:10} {self.path}" + (f"  ({self.detail})" if self.detail else "")


class Destination:
    """Where backups are kept: a directory or an S3 bucket and prefix (its Storage)."""

    def __init__(self, where: str | Path | Storage):
        self.storage = DirectoryStorage(where) if isinstance(where, (str, Path)) else where
        self.name = self.storage.name

    # ---- layout
    def object_path(self, sha256: str) -> str:
        return f"objects/sha256/{sha256[:2]}/{sha256}"

    def backup_file(self, backup_id: str, name: str) -> str:
        return f"backups/{backup_id}/{name}"

    def stored_objects(self) -> dict[str, int]:
        """path -> size of every object already stored by this or an earlier backup, in
        one listing (not a request per object: an S3 destination answers thousands per
        listing). Moved into place only once written whole and hashed, so its presence
        at the right size is enough to skip it; `verify` hashes it again."""
        return {key: size for key, size in self.storage.files("objects/sha256")
                if not key.startswith("objects/sha256/tmp/")}

    def locked(self):
        """One writer at a time (create, prune): a prune must not collect the objects
        of a backup being written."""
        return self.storage.locked()

    # ---- files
    def sha256(self, key: str) -> tuple[str, int]:
        """The file's sha256 and size (FileNotFoundError when there is none)."""
        with self.storage.reader(key) as stream:
            reader = HashingReader(stream)
            while reader.read(CHUNK):
                pass
        return reader.hexdigest(), reader.size

    def write_bytes(self, key: str, data: bytes) -> None:
        self.storage.write(key, io.BytesIO(data), len(data))

    def read_bytes(self, key: str) -> bytes:
        with self.storage.reader(key) as stream:
            return stream.read()

    # ---- backups
    def backup_ids(self) -> list[str]:
        return self.storage.folders("backups")

    def manifest(self, backup_id: str) -> dict:
        key = self.backup_file(backup_id, "manifest.json")
        try:
            return json.loads(self.read_bytes(key).decode("utf-8"))
        except FileNotFoundError:
            raise BackupError(f"backup {backup_id} has no manifest ({key} is missing)") \
                from None
        except ValueError as exc:
            raise BackupError(f"{key} is damaged: {exc}") from None

    def is_complete(self, backup_id: str) -> bool:
        return not self.completeness(backup_id)

    def completeness(self, backup_id: str) -> list[Problem]:
        """Why `backup_id` is not a complete backup ([] when it is)."""
        marker = self.backup_file(backup_id, "complete")
        manifest = self.backup_file(backup_id, "manifest.json")
        if self.storage.size(manifest) is None:
            return [Problem("incomplete", manifest, "never written")]
        try:
            expected = json.loads(self.read_bytes(marker).decode("utf-8"))["manifest_sha256"]
        except FileNotFoundError:
            return [Problem("incomplete", marker, "the backup never finished (interrupted?)")]
        except (ValueError, KeyError, TypeError) as exc:
            return [Problem("damaged", marker, str(exc))]
        found, _ = self.sha256(manifest)
        if found != expected:
            return [Problem("damaged", manifest, f"sha256 {found}, `complete` names {expected}")]
        return []

    def complete_ids(self) -> list[str]:
        return [b for b in self.backup_ids() if self.is_complete(b)]

    def latest(self) -> str:
        complete = self.complete_ids()
        if not complete:
            raise BackupError(f"{self.name} holds no complete backup")
        return complete[-1]

    def mark_complete(self, backup_id: str) -> None:
        digest, _ = self.sha256(self.backup_file(backup_id, "manifest.json"))
        self.write_bytes(self.backup_file(backup_id, "complete"),
                         json.dumps({"manifest_sha256": digest}).encode())


def destination_storage(where: str, environ: dict[str, str]) -> Storage:
    """`s3://bucket/prefix` or a directory."""
    if where.startswith("s3://"):
        bucket = where[len("s3://"):].partition("/")[0]
        if not bucket:
            raise BackupError(f"{where}: an s3:// destination names its bucket "
                              f"(s3://bucket/prefix)")
        return S3Storage(where.rstrip("/"), s3_client(environ))
    return DirectoryStorage(where)


def open_destination(where: str, environ: dict[str, str]) -> Destination:
    """DEST as the operator wrote it: `s3://bucket/prefix` (credentials from `environ`,
    docs/backup.md) or a directory."""
    return Destination(destination_storage(where, environ))


def referenced_files(manifest: dict) -> dict[str, tuple[int, str]]:
    """path (relative to DEST) -> (size, sha256) of every file a manifest names."""
    files = {f["path"]: (f["size"], f["sha256"]) for f in manifest["files"]}
    for obj in manifest["objects"]:
        files[obj["path"]] = (obj["size"], obj["sha256"])
    return files


def check_files(dest: Destination, files: dict[str, tuple[int, str]],
                deep: bool = True) -> list[Problem]:
    """Each file missing, of the wrong size (truncated or grown) or, when `deep`, whose
    bytes no longer hash to the manifest's sha256."""
    problems = []
    sizes = _sizes(dest, files)
    for relative, (size, sha256) in sorted(files.items()):
        found_size = sizes(relative)
        if found_size is None:
            problems.append(Problem("missing", relative))
        elif found_size != size:
            problems.append(Problem("truncated" if found_size < size else "damaged",
                                    relative, f"{found_size} bytes, expected {size}"))
        elif deep and dest.sha256(relative)[0] != sha256:
            problems.append(Problem("damaged", relative, "sha256 differs"))
    return problems


def _sizes(dest: Destination, paths) -> Callable[[str], int | None]:
    """The size of each of `paths` (None: missing): many of them from one listing of
    their folders (an S3 destination answers a thousand per request, not one), a few
    by asking for each."""
    if len(paths) < 20:
        return dest.storage.size
    folders = {"/".join(p.split("/")[:2]) for p in paths}
    listed = {key: size for folder in folders for key, size in dest.storage.files(folder)}
    return listed.get


def verify(dest: Destination, backup_id: str, deep: bool = True) -> list[Problem]:
    """Every problem of one backup: its completeness, then every file it names."""
    problems = dest.completeness(backup_id)
    try:
        manifest = dest.manifest(backup_id)
    except BackupError as exc:
        return problems or [Problem("damaged", dest.backup_file(backup_id, "manifest.json"),
                                    str(exc))]
    return problems + check_files(dest, referenced_files(manifest), deep)
