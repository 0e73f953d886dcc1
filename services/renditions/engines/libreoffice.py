"""Office, text and HTML files to PDF with LibreOffice in headless mode.

Each worker slot owns a LibreOffice user profile (`slot-N`): two soffice processes on one
profile wait on its lock or fail, so slots are what lets conversions run in parallel.

LibreOffice never reaches the network: an HTML or office file naming a remote image
(`<img src="http://...">`, a table's background) would otherwise make it fetch that URL
while converting, from inside our network (MinIO, RabbitMQ, PostgreSQL are reachable from
the worker). Two locks, each enough on its own (tests/integration/
test_renditions_offline.py): soffice runs in a network namespace of its own with nothing
in it (`unshare --net --map-root-user`, where the kernel allows it: not in a Kubernetes
pod without user namespaces), and every slot's profile sets LibreOffice's
BlockUntrustedRefererLinks, which stops it loading linked images and objects.

The same `unshare` gives soffice a PID namespace whose first process is oosplash: when
the worker dies, the kernel kills unshare (services/renditions/engines/processes.py), unshare
its child (--kill-child), and with the namespace's first process every process in it,
soffice.bin too (tests/integration/test_renditions_lifetime.py).
"""
from __future__ import annotations

import functools
import shutil
import tempfile
import zipfile
from pathlib import Path

import msoffcrypto

from . import processes
from ..errors import ConversionTimedOut, CorruptFile, PasswordProtected, RenditionFailed
from ..settings import RenditionSettings

SOFFICE = "soffice"
# HTML opens in Writer/Web by default, whose PDF export writes blank pages: read it with
# Writer's own HTML filter instead
_FILTERS = {".html": ("HTML (StarWriter)", "pdf:writer_pdf_Export"),
            ".htm": ("HTML (StarWriter)", "pdf:writer_pdf_Export")}


def convert_to_pdf(source: Path, target: Path, *, slot: int,
                   settings: RenditionSettings) -> Path:
    """Write the PDF rendition of `source` to `target`.

    Raises PasswordProtected, CorruptFile or ConversionTimedOut (each naming the file);
    never leaves a LibreOffice process behind."""
    source, target = Path(source), Path(target)
    if is_password_protected(source):
        raise PasswordProtected(f"{source.name} is password-protected",
                                {"file": source.name})
    check_package(source)
    profile = settings.profiles_dir / f"slot-{slot}"
    block_remote_content(profile)
    # beside the target, in the rendition's own folder of this worker: a worker killed
    # mid-conversion leaves it where the next one to start removes it (engine.py)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="soffice-out-", dir=target.parent) as out:
        infilter, export = _FILTERS.get(source.suffix.lower(), (None, "pdf"))
        argv = [*confinement(), SOFFICE,
                f"-env:UserInstallation={profile.resolve().as_uri()}",
                "--headless", "--norestore", "--nolockcheck", "--nodefault",
                *([f"--infilter={infilter}"] if infilter else []),
                "--convert-to", export, "--outdir", out, str(source.resolve())]
        # HOME too: without it LibreOffice may write a profile into the real home
        env = processes.child_environment(HOME=str(profile), LANG="C.UTF-8",
                                          SAL_USE_VCLPLUGIN="svp")
        try:
            done = processes.run(argv, timeout=settings.conversion_seconds,
                                 memory_limit=settings.memory_limit_bytes, env=env,
                                 niceness=settings.niceness)
        except processes.Deadline:
            raise ConversionTimedOut(
                f"LibreOffice did not convert {source.name} within "
                f"{settings.conversion_seconds:g} s", {"file": source.name}) from None
        produced = Path(out) / (source.stem + ".pdf")
        if not produced.exists() or produced.stat().st_size == 0:
            detail = (done.stderr or done.stdout).strip()[-300:]
            if "could not be loaded" in detail:
                raise CorruptFile(f"LibreOffice could not read {source.name}: {detail}",
                                  {"file": source.name})
            raise RenditionFailed(f"LibreOffice made no PDF of {source.name} "
                                  f"(exit {done.returncode}): {detail}", {"file": source.name})
        shutil.move(str(produced), target)
    return target


_BLOCK = ('<item oor:path="/org.openoffice.Office.Common/Security/Scripting">'
          '<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value>'
          '</prop></item>')
_REGISTRY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
             'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n</oor:items>\n')


def block_remote_content(profile: Path) -> None:
    """Make the slot's profile refuse linked images and objects from anywhere. The
    profile's settings file is LibreOffice's own, kept between runs: the item is added
    to it once (LibreOffice keeps it when it rewrites the file)."""
    registry = profile / "user" / "registrymodifications.xcu"
    registry.parent.mkdir(parents=True, exist_ok=True)
    text = registry.read_text(encoding="utf-8") if registry.exists() else _REGISTRY
    if "BlockUntrustedRefererLinks" not in text:
        registry.write_text(text.replace("</oor:items>", _BLOCK + "\n</oor:items>", 1),
                            encoding="utf-8")


# tried in order: the first this kernel and container allow is used
_CONFINEMENTS = (
    ("unshare", "--net", "--map-root-user", "--pid", "--fork", "--kill-child"),
    ("unshare", "--net", "--map-root-user"),
)


@functools.lru_cache(maxsize=1)
def confinement() -> tuple[str, ...]:
    """`unshare` into an empty network namespace and a PID namespace that dies with the
    worker, when this kernel and container allow it (asked once per process); else
    nothing: the profile's block is the network lock, and the sweep of a starting worker
    ends what a dead one left."""
    for argv in _CONFINEMENTS:
        try:
            done = processes.run([*argv, "true"], timeout=10)
        except (OSError, processes.Deadline):
            continue
        if done.returncode == 0:
            return argv
    return ()


# the part every package of these formats has; LibreOffice would otherwise read a broken
# one as plain text and render its bytes
_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml",
              ".pptx": "ppt/presentation.xml", ".odt": "content.xml", ".ods": "content.xml",
              ".odp": "content.xml"}


def check_package(path: Path) -> None:
    """Raise CorruptFile for a DOCX/XLSX/PPTX/ODF file that is not a readable package."""
    part = _MAIN_PART.get(path.suffix.lower())
    if part is None:
        return
    try:
        with zipfile.ZipFile(path) as zf:
            zf.getinfo(part)
    except (zipfile.BadZipFile, KeyError, OSError):
        raise CorruptFile(f"{path.name} is not a readable {path.suffix.lower()[1:].upper()} "
                          f"package (no {part})", {"file": path.name}) from None


def is_password_protected(path: Path) -> bool:
    """True for an encrypted OOXML/legacy Office file or an encrypted ODF package: asked
    before LibreOffice, which would otherwise wait for a password or say only 'could not
    be loaded'."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        fh.seek(0)
        if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: legacy Office or encrypted OOXML
            try:
                return msoffcrypto.OfficeFile(fh).is_encrypted()
            except Exception:  # not an Office OLE file msoffcrypto knows: not ours to say
                return False
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                if "META-INF/manifest.xml" in zf.namelist():
                    return b"encryption-data" in zf.read("META-INF/manifest.xml")
        except (zipfile.BadZipFile, KeyError, OSError):
            return False
    return False
