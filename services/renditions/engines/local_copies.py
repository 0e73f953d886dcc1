"""Rendition PDFs kept on the worker's disk, so drawing page 500 and then page 501 of a
1,000-page file downloads it once. The folder is bounded by size: the copies used least
recently go first (their modification time is their last use). The folder is shared by
the worker processes of one machine; each names its unfinished files by its pid, so a
worker starting removes those of killed ones (services/renditions/engines/engine.py)."""
from __future__ import annotations

import contextlib
import glob
import os
import re
import threading
import uuid
import zlib
from pathlib import Path
from typing import Callable, Iterator

from . import processes

# one lock per stripe of names: two asks for pages of one new rendition download it once,
# without a table of locks that grows with every rendition ever asked for
_STRIPES = [threading.Lock() for _ in range(64)]


# a caller's own files: `.{name}.{pid}-{random}.part|reading`, the pid its process's
_PRIVATE = re.compile(r"\.(\d+)-[0-9a-f]{32}\.(?:part|reading)$")


def _own() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex}"


class LocalCopies:
    def __init__(self, folder: Path, max_bytes: int):
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    @contextlib.contextmanager
    def copy(self, name: str, fetch: Callable[[Path], None]) -> Iterator[Path]:
        """A local path of `name`, fetched with `fetch(path)` when it is not here yet.

        The path yielded is a hard link of this caller's own: trimming the folder for
        another caller meanwhile removes the cached name, never the file being read."""
        self.folder.mkdir(parents=True, exist_ok=True)
        cached = self.folder / name
        with _STRIPES[zlib.crc32(name.encode()) % len(_STRIPES)]:
            if cached.exists():
                os.utime(cached)       # used now: the last to be trimmed
            else:
                part = self.folder / f".{name}.{_own()}.part"
                try:
                    fetch(part)
                    os.replace(part, cached)
                finally:
                    part.unlink(missing_ok=True)
            mine = self.folder / f".{name}.{_own()}.reading"
            os.link(cached, mine)
        try:
            self.trim(keep=cached)
            yield mine
        finally:
            mine.unlink(missing_ok=True)

    def trim(self, keep: Path | None = None) -> None:
        """Remove the least recently used copies until the folder is within its bound."""
        copies = []
        for path in self.folder.iterdir():
            if path.name.startswith("."):    # being fetched or read right now
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:        # trimmed by another caller meanwhile
                continue
            copies.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in copies)
        for _, size, path in sorted(copies, key=lambda c: c[0]):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size

    def remove_left_by_dead(self) -> int:
        """Copies half-fetched or being read by worker processes that were killed (no
        `finally` ran): nothing would ever remove them, trimming passes them by. Asked
        when a worker starts; answers how many went."""
        removed = 0
        for path in self.folder.glob(".*"):
            found = _PRIVATE.search(path.name)
            if found and not processes.alive(int(found.group(1))):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def forget(self, prefix: str) -> int:
        """Remove the copies whose names begin with `prefix` (a version's id: its
        content was disposed of); how many went. Idempotent. A copy being read keeps its
        reader's own link until the reading ends (`copy`'s `finally` removes it)."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.glob(f"{glob.escape(prefix)}*"):
            with _STRIPES[zlib.crc32(path.name.encode()) % len(_STRIPES)]:
                if path.exists():
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def names(self) -> list[str]:
        """The renditions held now (for tests and the operators)."""
        return sorted(p.name for p in self.folder.glob("*") if not p.name.startswith("."))
