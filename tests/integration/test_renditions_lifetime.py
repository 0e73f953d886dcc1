"""An engine never outlives the rendition worker that started it (issue 13: "never a
LibreOffice process left behind"): a worker killed with SIGKILL in the middle of a
LibreOffice conversion or of an OCR run takes every process of it along within seconds,
and a worker starting ends what a dead worker's engines still run in its folders. The
files of a killed run are in that worker's own folders, never in the temporary folder.

The worker here is a stand-in: a Python process making a rendition with the engine's own
code (services/renditions/), as the nameko worker does; tests/e2e/
test_renditions_lifetime.py kills the real one."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from services.renditions.engines import processes
from services.renditions.engines.engine import Engine
from services.renditions.settings import RenditionSettings
from tests.e2e.test_renditions_worker import scan_pdf
from tests.integration.test_renditions import TEXT, processes_using
from tests.testenv import ROOT, eventually

pytestmark = pytest.mark.integration

# a worker's make-believe: settings as JSON in argv[1], the step in argv[2]
STAND_IN = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from services.renditions.settings import RenditionSettings
    settings = RenditionSettings.from_config({"renditions": json.loads(sys.argv[1])})
    step, source, target = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    if step == "libreoffice":
        from services.renditions.engines.libreoffice import convert_to_pdf
        convert_to_pdf(source, target, slot=0, settings=settings)
    else:
        from services.renditions.engines.child import run_ocr
        run_ocr("ocr_pdf", source, target, settings)
""")


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def start_worker(tmp_path: Path, step: str, source: Path, **limits):
    """The stand-in worker, its own folders named by its pid as the engine names them."""
    import json

    folders = {"profiles_dir": str(tmp_path / "profiles" / "worker-stand-in"),
               "work_dir": str(tmp_path / "work" / "worker-stand-in")}
    target = Path(folders["work_dir"]) / "v-1" / "rendition.pdf"
    # the worker's temporary folder: what a killed run leaves must not land there, but
    # in its own folder, which the next worker to start removes (engine.py)
    (tmp_path / "tmp").mkdir()
    worker = subprocess.Popen(
        [sys.executable, "-c", STAND_IN, json.dumps({**folders, **limits}), step,
         str(source), str(target)], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    return worker, folders


def killed_mid_run(worker: subprocess.Popen, marker: str, engine: str) -> float:
    """Wait until `engine` runs under `marker`, SIGKILL the worker; seconds until no
    process names `marker` any more."""
    eventually(lambda: worker.poll() is None and
               any(comm(pid) == engine for pid in processes_using(marker)),
               timeout=120, interval=0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed = time.monotonic()
    eventually(lambda: processes_using(marker) == [], timeout=5, interval=0.05)
    return time.monotonic() - killed


def test_a_worker_killed_mid_conversion_leaves_no_libreoffice_process(tmp_path):
    big = tmp_path / "lung.txt"   # minutes of layout for LibreOffice: it is mid-work
    with open(big, "w", encoding="utf-8") as fh:
        for n in range(60_000):
            fh.write(f"{n} {TEXT} " * 3 + "\n")
    worker, folders = start_worker(tmp_path, "libreoffice", big, conversion_seconds=600)

    seconds = killed_mid_run(worker, folders["profiles_dir"], "soffice.bin")

    assert seconds < 5
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_worker_killed_mid_ocr_leaves_no_ocr_or_tesseract_process(tmp_path):
    scan = tmp_path / "dosar scanat.pdf"
    scan.write_bytes(scan_pdf(20))   # a page of Tesseract is a second or more
    worker, folders = start_worker(tmp_path, "ocr", scan)

    seconds = killed_mid_run(worker, folders["work_dir"], "tesseract")

    assert seconds < 5
    assert list((tmp_path / "tmp").iterdir()) == []   # the pages drawn for OCR


def test_a_starting_worker_ends_the_engines_a_dead_worker_left(tmp_path):
    settings = RenditionSettings(profiles_dir=tmp_path / "profiles",
                                 work_dir=tmp_path / "work")
    gone = subprocess.Popen(["true"])
    gone.wait()                      # a pid no worker runs under any more
    left = {}
    for kind in ("profiles", "work"):
        folder = tmp_path / kind / f"worker-{gone.pid}" / "slot-0"
        folder.mkdir(parents=True)
        (folder / "held").touch()
        # as soffice.bin without a PID namespace: its own session, its parent gone
        left[kind] = subprocess.Popen(["tail", "-f", str(folder / "held")],
                                      start_new_session=True, stdout=subprocess.DEVNULL)
    alive = tmp_path / "profiles" / f"worker-{os.getpid()}"
    alive.mkdir()
    try:
        Engine(settings).prepare()

        for kind, process in left.items():
            assert process.wait(timeout=5) == -signal.SIGKILL, kind
            assert not (tmp_path / kind / f"worker-{gone.pid}").exists(), kind
        assert alive.is_dir()        # a live worker's folder is its own
    finally:
        for process in left.values():
            processes.kill_group(process.pid)


def test_a_starting_worker_removes_page_cache_files_a_dead_worker_left(tmp_path):
    settings = RenditionSettings(profiles_dir=tmp_path / "profiles",
                                 work_dir=tmp_path / "work", page_cache_dir=tmp_path / "pages")
    gone = subprocess.Popen(["true"])
    gone.wait()
    copies = settings.page_cache_dir
    copies.mkdir()
    name = "6f1c1d4e-3a56-4f0e-9d53-2f6c3f0a9e11-current.pdf"
    (copies / name).write_bytes(b"%PDF-1.4 kept")   # a finished copy: the cache's own
    left = [copies / f".{name}.{gone.pid}-{'a' * 32}.part",      # killed mid-download
            copies / f".{name}.{gone.pid}-{'b' * 32}.reading"]   # killed mid-drawing
    ours = copies / f".{name}.{os.getpid()}-{'c' * 32}.reading"  # a live worker's
    for path in (*left, ours):
        path.write_bytes(b"%PDF-1.4 secret")

    Engine(settings).prepare()

    assert [p for p in left if p.exists()] == []
    assert ours.exists() and (copies / name).exists()
