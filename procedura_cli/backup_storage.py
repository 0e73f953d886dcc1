"""Where a backup's files live: a directory, or `s3://bucket/prefix` on another MinIO or
S3 service (docs/backup.md). Both hold the same layout under relative keys
("objects/sha256/ab/abcd…", "backups/<ID>/manifest.json"); everything a backup means
(manifest, content addressing, `complete`, verify, retention) is written once, in
backup_manifest.py and beside it, over these few verbs.

A file is written whole or not at all: on disk under a temporary name, flushed and
renamed; on S3 by one PUT (an object appears only once its upload is complete).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Protocol

from eventlet import tpool

CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message says why."""


class StorageFull(BackupError):
    """The destination has no room left; nothing written was marked complete."""


class ContentMismatch(BackupError):
    """The bytes read hash to `found`, not to the sha256 expected: written nowhere."""

    def __init__(self, found: str):
        super().__init__(f"the bytes hash to {found}, not to the sha256 expected")
        self.found = found


class Storage(Protocol):
    name: str   # as the operator wrote it: a path, or s3://bucket/prefix

    def size(self, key: str) -> int | None:
        """The file's size; None when there is none."""

    def reader(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """The file's bytes (FileNotFoundError when there is none)."""

    def write(self, key: str, source: BinaryIO, length: int | None = None) -> None:
        """Write `source` (read to its end) as `key`, whole or not at all."""

    def write_addressed(self, source: BinaryIO, length: int, expected: str | None,
                        key_for: Callable[[str], str]) -> tuple[str, int]:
        """Write `source` as `key_for(its sha256)`, whole, and only when it hashes to
        `expected` (when given; ContentMismatch otherwise, nothing written under a good
        name); returns its sha256 and size."""

    def move(self, key: str, to: str) -> None:
        """Rename a file written whole (into its content-addressed place)."""

    def remove(self, key: str) -> None:
        """Remove a file (none: nothing to do)."""

    def files(self, prefix: str) -> Iterator[tuple[str, int]]:
        """Every file under `prefix/` (recursive): its key and size."""

    def folders(self, prefix: str) -> list[str]:
        """The names just under `prefix/` that hold files (the backups' ids)."""

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """One writer (create, prune) at a time; BackupError naming the other one."""


class DirectoryStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.name = str(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def reader(self, key: str):
        return open(self.path(key), "rb")

    def write(self, key: str, source: BinaryIO, length: int | None = None) -> None:
        path = self.path(key)
        os.replace(self._written(path, source), path)

    def write_addressed(self, source: BinaryIO, length: int, expected: str | None,
                        key_for: Callable[[str], str]) -> tuple[str, int]:
        hashed = Hashing(source)
        tmp = self._written(self.root / "objects/sha256/tmp/object", hashed)
        found = hashed.digest.hexdigest()
        if expected and found != expected:
            tmp.unlink()
            raise ContentMismatch(found)
        path = self.path(key_for(found))
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
        return found, hashed.size

    def _written(self, path: Path, source: BinaryIO) -> Path:
        """`source` in a temporary file beside `path`, on disk: its name."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                while chunk := source.read(CHUNK):
                    fh.write(chunk)
                fh.flush()
                # on disk before its name says it is whole; in a real thread, since under
                # eventlet (the CLI) a blocking fsync would stop every other copy
                tpool.execute(os.fsync, fh.fileno())
            return tmp
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise StorageFull(f"the destination {self.name} is full: {exc}") from None
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def move(self, key: str, to: str) -> None:
        self.path(to).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(key), self.path(to))

    def remove(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        # and its folders once empty: a removed backup is no longer listed
        for folder in path.parents:
            if folder == self.root or not folder.is_relative_to(self.root):
                break
            try:
                folder.rmdir()
            except OSError:
                break

    def files(self, prefix: str) -> Iterator[tuple[str, int]]:
        folder = self.path(prefix)
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                yield path.relative_to(self.root).as_posix(), path.stat().st_size

    def folders(self, prefix: str) -> list[str]:
        folder = self.path(prefix)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() \
            else []

    @contextlib.contextmanager
    def locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(f"another backup or prune is running on {self.name}") \
                    from None
            yield


class Hashing:
    """A stream whose bytes are hashed and counted as they are read through it."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data
