"""The rendition worker's engine room: its settings (the `renditions:` section of
config/procedura.yaml), its slots and its scratch folders (handed to the worker by
services/renditions/bootstrap.py)."""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
from pathlib import Path
from typing import Callable, Iterator

from eventlet.queue import LightQueue

from . import processes
from .local_copies import LocalCopies
from ..settings import RenditionSettings

log = logging.getLogger(__name__)


class Engine:
    """`slots` renditions at once; each slot number names its own LibreOffice profile,
    under a folder of this process (two workers on one machine never share one)."""

    def __init__(self, settings: RenditionSettings, spawn: Callable | None = None):
        own = f"worker-{os.getpid()}"
        self.settings = dataclasses.replace(
            settings, profiles_dir=settings.profiles_dir / own,
            work_dir=settings.work_dir / own)
        self._free: LightQueue = LightQueue()
        for number in range(settings.slots):
            self._free.put(number)
        self._spawn = spawn
        self.rebuilding = False

    @contextlib.contextmanager
    def slot(self) -> Iterator[int]:
        """A free slot's number, waited for; given back on exit."""
        number = self._free.get()
        try:
            yield number
        finally:
            self._free.put(number)

    def prepare(self) -> None:
        _remove_dead(self.settings.profiles_dir.parent)
        _remove_dead(self.settings.work_dir.parent)
        copies = LocalCopies(self.settings.page_cache_dir, self.settings.page_cache_bytes)
        if copies.folder.is_dir():
            copies.remove_left_by_dead()
        self.settings.profiles_dir.mkdir(parents=True, exist_ok=True)
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)

    def clean(self) -> None:
        for folder in (self.settings.profiles_dir, self.settings.work_dir):
            shutil.rmtree(folder, ignore_errors=True)

    def spawn(self, run: Callable[[], None]) -> None:
        """Run `run` in the background of the service (a rebuild)."""
        self._spawn(run)


def _remove_dead(parent: Path) -> None:
    """Folders of worker processes that no longer run (killed, so not cleaned), and any
    engine still working in them: where no PID namespace could be had, soffice.bin
    outlives a killed worker (services/renditions/engines/libreoffice.py)."""
    if not parent.is_dir():
        return
    for folder in parent.glob("worker-*"):
        try:
            pid = int(folder.name.split("-", 1)[1])
        except ValueError:
            continue
        if processes.alive(pid):
            continue
        killed = processes.kill_using(str(folder))
        if killed:
            log.warning("ended %d engine processes left by dead worker %d", killed, pid)
        shutil.rmtree(folder, ignore_errors=True)
