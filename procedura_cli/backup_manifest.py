"""A backup destination on disk and what proves a backup whole (docs/backup.md).

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

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

CHUNK = 1024 * 1024
FORMAT = 1   # of manifest.json; a newer Procedura reads every older format


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message says why."""


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_atomically(path: Path, data: bytes) -> None:
    """Write, flush to disk, then rename: a reader sees the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class Problem:
    kind: str     # missing | truncated | damaged | incomplete
    path: str     # relative to DEST
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind:10} {self.path}" + (f"  ({self.detail})" if self.detail else "")


class Destination:
    """A directory holding backups."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # ---- layout
    def object_path(self, sha256: str) -> str:
        return f"objects/sha256/{sha256[:2]}/{sha256}"

    def backup_dir(self, backup_id: str) -> Path:
        return self.root / "backups" / backup_id

    def path(self, relative: str) -> Path:
        return self.root / relative

    def has_object(self, sha256: str, size: int) -> bool:
        """Already stored by this or an earlier backup (renamed into place only once
        written whole and hashed: its presence at the right size is enough here;
        `verify` hashes it again)."""
        try:
            return self.path(self.object_path(sha256)).stat().st_size == size
        except FileNotFoundError:
            return False

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time (create, prune): a prune must not collect the objects
        of a backup being written."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(f"another backup or prune is running on {self.root}") \
                    from None
            yield

    # ---- backups
    def backup_ids(self) -> list[str]:
        folder = self.root / "backups"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() \
            else []

    def manifest(self, backup_id: str) -> dict:
        path = self.backup_dir(backup_id) / "manifest.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"backup {backup_id} has no manifest "
                              f"(backups/{backup_id}/manifest.json is missing)") from None
        except ValueError as exc:
            raise BackupError(f"backups/{backup_id}/manifest.json is damaged: {exc}") from None

    def is_complete(self, backup_id: str) -> bool:
        return not self.completeness(backup_id)

    def completeness(self, backup_id: str) -> list[Problem]:
        """Why `backup_id` is not a complete backup ([] when it is)."""
        folder = f"backups/{backup_id}"
        marker = self.backup_dir(backup_id) / "complete"
        manifest = self.backup_dir(backup_id) / "manifest.json"
        if not manifest.exists():
            return [Problem("incomplete", f"{folder}/manifest.json", "never written")]
        if not marker.exists():
            return [Problem("incomplete", f"{folder}/complete",
                            "the backup never finished (interrupted?)")]
        try:
            expected = json.loads(marker.read_text(encoding="utf-8"))["manifest_sha256"]
        except (ValueError, KeyError, TypeError) as exc:
            return [Problem("damaged", f"{folder}/complete", str(exc))]
        found, _ = sha256_file(manifest)
        if found != expected:
            return [Problem("damaged", f"{folder}/manifest.json",
                            f"sha256 {found}, `complete` names {expected}")]
        return []

    def complete_ids(self) -> list[str]:
        return [b for b in self.backup_ids() if self.is_complete(b)]

    def latest(self) -> str:
        complete = self.complete_ids()
        if not complete:
            raise BackupError(f"{self.root} holds no complete backup")
        return complete[-1]

    def mark_complete(self, backup_id: str) -> None:
        digest, _ = sha256_file(self.backup_dir(backup_id) / "manifest.json")
        write_atomically(self.backup_dir(backup_id) / "complete",
                         json.dumps({"manifest_sha256": digest}).encode())


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
    for relative, (size, sha256) in sorted(files.items()):
        path = dest.path(relative)
        try:
            found_size = path.stat().st_size
        except FileNotFoundError:
            problems.append(Problem("missing", relative))
            continue
        if found_size != size:
            problems.append(Problem("truncated" if found_size < size else "damaged",
                                    relative, f"{found_size} bytes, expected {size}"))
        elif deep and sha256_file(path)[0] != sha256:
            problems.append(Problem("damaged", relative, "sha256 differs"))
    return problems


def verify(dest: Destination, backup_id: str, deep: bool = True) -> list[Problem]:
    """Every problem of one backup: its completeness, then every file it names."""
    problems = dest.completeness(backup_id)
    try:
        manifest = dest.manifest(backup_id)
    except BackupError as exc:
        return problems or [Problem("damaged", f"backups/{backup_id}/manifest.json",
                                    str(exc))]
    return problems + check_files(dest, referenced_files(manifest), deep)
