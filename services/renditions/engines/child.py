"""OCR run in a child Python process: scanned images are decoded by Pillow and PDFs read
and written page by page in Python, which would otherwise hold the worker's memory (an
A3 scan at 600 dpi is 200 MB decoded) and its event loop (a 300-page TIFF is seconds of
CPU) while it works; the child has the engines' memory cap.

  python -m services.renditions.engines.child ocr_images|ocr_pdf SOURCE TARGET SETTINGS_JSON

prints the OcrResult as JSON, or {"error": exception class, "message": ...} and exits 3
for a rendition that cannot be made (services/renditions/errors.py).
"""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from .. import errors
from . import processes
from .ocr import OcrResult, ocr_images, ocr_pdf
from ..settings import RenditionSettings

ROOT = Path(__file__).resolve().parents[3]
_FAILED = 3
# beyond the OCR limits: decoding the images and the Python start
_MARGIN_SECONDS = 120.0
STEPS = {"ocr_images": ocr_images, "ocr_pdf": ocr_pdf}


def run_ocr(step: str, source: Path, target: Path, settings: RenditionSettings) -> OcrResult:
    """`ocr_images` or `ocr_pdf` in a child process with the engines' memory cap and a
    deadline beyond the file's own OCR limit."""
    encoded = json.dumps({f.name: str(v) if isinstance(v, Path) else v
                          for f in dataclasses.fields(settings)
                          for v in [getattr(settings, f.name)]})
    # the child gets no secrets: only what it needs to find its programs
    env = processes.child_environment("LANG", "HOME")
    # its scratch files (and so its engines' arguments) in the rendition's own folder of
    # this worker: a worker killed mid-OCR leaves them where the next one to start finds
    # and ends them (services/renditions/engines/engine.py)
    target.parent.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(target.parent.resolve())
    try:
        done = processes.run(
            [sys.executable, "-m", "services.renditions.engines.child", step, str(source),
             str(target), encoded], cwd=str(ROOT), env=env,
            timeout=settings.ocr_seconds_per_file + settings.conversion_seconds
            + _MARGIN_SECONDS, memory_limit=settings.memory_limit_bytes,
            niceness=settings.niceness)
    except processes.Deadline as exc:
        raise errors.RenditionFailed(f"OCR of {source.name} took too long ({exc})",
                                     {"file": source.name}) from None
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = None
    if not isinstance(answer, dict):
        detail = done.stderr.strip()[-300:] or f"exit {done.returncode}"
        if "MemoryError" in detail:
            detail = (f"it needs more memory than the {settings.memory_limit_bytes:,} bytes "
                      f"allowed")
        raise errors.RenditionFailed(f"OCR of {source.name} failed: {detail}",
                                     {"file": source.name})
    if "error" in answer:
        kind = getattr(errors, answer["error"], errors.RenditionFailed)
        if not (isinstance(kind, type) and issubclass(kind, errors.RenditionFailed)):
            kind = errors.RenditionFailed
        raise kind(answer["message"], {"file": source.name})
    return OcrResult(**answer)


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] not in STEPS:
        print(__doc__, file=sys.stderr)
        return 2
    settings = RenditionSettings.from_config({"renditions": json.loads(argv[3])})
    try:
        result = STEPS[argv[0]](Path(argv[1]), Path(argv[2]), settings)
    except errors.RenditionFailed as exc:
        print(json.dumps({"error": type(exc).__name__, "message": exc.message}))
        return _FAILED
    print(json.dumps(dataclasses.asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
