"""The rendition worker killed with SIGKILL in the middle of a LibreOffice conversion
leaves no process of it behind (issue 13: "never a LibreOffice process left behind"; the
mechanism: services/renditions/engines/processes.py and libreoffice.py), and a rendition stored
by an attempt that never recorded it does not stay in storage."""
from __future__ import annotations

import io
import signal
import zipfile

import psycopg2

from procedura_cli.docgen import docx_bytes
from tests.e2e.conftest import dispose_content
from tests.e2e.test_renditions_worker import (RENDERED_WITHIN, rendered, rendered_upload,
                                              rendition_forgotten)
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.integration.test_renditions import TEXT, processes_using
from tests.integration.test_renditions_lifetime import comm
from tests.testenv import eventually, minio_admin


def long_docx(paragraphs: int = 10_000) -> bytes:
    """A DOCX of a few hundred kilobytes that LibreOffice lays out for minutes."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes("lungă", "x")))
    out = io.BytesIO()
    body = f"<w:p><w:r><w:t>{TEXT}</w:t></w:r></w:p>" * paragraphs
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                text = data.decode()
                start = text.index("<w:body>") + len("<w:body>")
                data = (text[:start] + body + text[start:]).encode()
            target.writestr(item, data)
    return out.getvalue()


def test_a_worker_killed_mid_conversion_leaves_no_libreoffice_process(login, services,
                                                                    environment):
    # the same mid-OCR (child, tesseract): tests/integration/test_renditions_lifetime.py,
    # with a stand-in worker, so this run restarts the real one only once
    author = login("ana.popescu")
    document = register(author, unique_code())
    worker = int((services.run_dir / "renditions.pid").read_text())
    # its LibreOffice profiles and its scratch folders (services/renditions/engines/engine.py)
    marker = f"/worker-{worker}/"
    version = author.upload(document["id"], "lungă.docx", long_docx(), "", DOCX)
    try:
        eventually(lambda: any(comm(pid) == "soffice.bin" for pid in processes_using(marker)),
                   timeout=RENDERED_WITHIN, interval=0.05)

        services.stop("renditions", signal.SIGKILL)

        eventually(lambda: processes_using(marker) == [], timeout=5, interval=0.05)
    finally:
        # not taken up again by the next worker: it would hold the environment's one slot
        dispose_content(environment, version["id"])
        services.up()


def test_a_rendition_stored_by_an_attempt_that_never_recorded_it_is_removed(
        login, environment):
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    author = login("ana.popescu")
    document = register(author, unique_code())
    version = rendered_upload(author, document, "decizie.docx", docx_bytes("d", BODY), DOCX)
    key = f"renditions/{document['id']}/{version['id']}.pdf"
    minio = minio_admin()
    # as a worker killed after storing a rendition and before recording it leaves it:
    # an object version the register does not name, the version still pending
    minio.put_object(environment.bucket, key, io.BytesIO(b"%PDF-1.4 stray"), 14)
    rendition_forgotten(environment, version["id"], attempts=1)

    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.renditions.rebuild("missing")
    assert rendered(author, version["id"])["rendition"]["status"] == "done"

    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rendition_object_version FROM versioning.versions "
                    "WHERE id = %s", (version["id"],))
        recorded = cur.fetchone()[0]
    conn.close()
    stored = [o.version_id for o in minio.list_objects(environment.bucket, prefix=key,
                                                       include_version=True)]
    assert stored == [recorded]
