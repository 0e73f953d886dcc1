"""Disposal while a rendition or a page image is being made (issue 13 with the retention
rule of services/versioning/use_cases.py `dispose`): a disposed version keeps no readable
rendition, page image or text in the object storage, however the two meet."""
from __future__ import annotations

import random
import threading
import zlib

import psycopg2

from procedura_cli.docgen import pdf_bytes
from tests.e2e.conftest import dispose_content
from tests.e2e.test_renditions_worker import (PDF, RENDERED_WITHIN, pdf_of, rendered_upload,
                                              scan_pdf)
from tests.e2e.test_walking_skeleton import BODY, register, unique_code
from tests.integration.test_renditions import processes_using
from tests.integration.test_renditions_lifetime import comm
from tests.testenv import eventually, minio_admin


def heavy_pdf(strokes: int = 5000) -> bytes:
    """One page with a line of text (so the PDF is its own rendition) over thousands of
    strokes: pdftoppm takes seconds to draw it 2,000 pixels wide."""
    rnd = random.Random(1)
    ops = ["BT /F1 14 Tf 72 800 Td (Procedura: plan de situatie) Tj ET", "0.1 w"]
    for _ in range(strokes):
        x, y = rnd.uniform(0, 595), rnd.uniform(0, 842)
        ops.append(f"{x:.1f} {y:.1f} m {x + rnd.uniform(-40, 40):.1f} "
                   f"{y + rnd.uniform(-40, 40):.1f} l S")
    stream = zlib.compress("\n".join(ops).encode())
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
               + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return pdf_of(objects)


def dispose(environment, version_id: str) -> None:
    dispose_content(environment, version_id)


def stored(environment, *prefixes: str) -> list[str]:
    """Every object version under these prefixes of the run's bucket."""
    minio = minio_admin()
    return [f"{o.object_name}@{o.version_id}" for prefix in prefixes
            for o in minio.list_objects(environment.bucket, prefix=prefix, recursive=True,
                                        include_version=True)]


def content_prefixes(document_id: str, version_id: str) -> list[str]:
    # services/versioning/adapters/storage.py: the original, its text, its rendition,
    # its page images
    return [f"originals/{document_id}/{version_id}/", f"texts/{document_id}/{version_id}",
            f"renditions/{document_id}/{version_id}", f"pages/{version_id}/"]


def test_a_page_image_drawn_while_its_version_is_disposed_of_is_not_stored(
        login, environment):
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    author = login("ana.popescu")
    document = register(author, unique_code())
    version = rendered_upload(author, document, "plan.pdf", heavy_pdf(), PDF)
    answers = {}

    def ask():   # as the gateway asks, without its answer deadline: drawing takes seconds
        with ClusterRpcProxy(environment.config(), timeout=120) as rpc:
            try:
                answers["page"] = rpc.renditions.page_image(version["id"], 1, 2000, "png")
            except Exception as exc:   # the remote error, as the gateway gets it
                answers["page"] = exc

    drawing = threading.Thread(target=ask)
    drawing.start()
    # pdftoppm draws it from the worker's local copy, named by the version
    eventually(lambda: any(comm(pid) == "pdftoppm" for pid in processes_using(version["id"])),
               timeout=60, interval=0.02)
    dispose(environment, version["id"])
    drawing.join(timeout=120)

    assert "disposed of" in str(answers["page"]), answers["page"]
    assert stored(environment, f"pages/{version['id']}/") == []
    page = author.request("GET", f"/api/versions/{version['id']}/pages/1",
                          params={"width": 2000})
    assert page.status_code == 404 and "disposed" in page.json()["error"]["message"]


def test_a_rendition_finishing_after_its_version_was_disposed_of_is_not_stored(
        login, environment):
    from services.renditions.settings import RenditionSettings

    author = login("ana.popescu")
    document = register(author, unique_code())
    before = rendered_upload(author, document, "înainte.pdf", pdf_bytes("i", BODY), PDF)
    version = author.upload(document["id"], "dosar scanat.pdf", scan_pdf(4), "", PDF)
    work = RenditionSettings.from_config(environment.config()).work_dir
    # the worker's scratch folder of this version (services/renditions/use_cases/rendering.py)
    making = lambda: list(work.glob(f"worker-*/{version['id']}-*"))  # noqa: E731
    eventually(lambda: making() and processes_using(version["id"]), timeout=RENDERED_WITHIN,
               interval=0.05)

    dispose(environment, version["id"])

    eventually(lambda: not making(), timeout=RENDERED_WITHIN)   # the rendition was made
    assert stored(environment, *content_prefixes(document["id"], version["id"])) == []
    kept = author.get(f"/api/versions/{version['id']}")
    assert kept["rendition"]["status"] == "pending", kept["rendition"]   # not "failed"
    for path in ("rendition", "pages/1", "content"):
        answer = author.request("GET", f"/api/versions/{version['id']}/{path}")
        assert answer.status_code == 404, (path, answer.status_code)
    # the document's other version keeps its own
    assert author.request("GET", f"/api/versions/{before['id']}/rendition").status_code == 200


def test_the_registers_disposal_takes_the_rendition_and_page_images_with_the_content(
        login, environment):
    """The whole disposal (the quality office's decision, `document_disposed`): the
    rendition, the page images drawn and the worker's local copy of the rendition go
    with the original, and the API answers for them as for the content."""
    from services.renditions.engines.local_copies import LocalCopies
    from services.renditions.settings import RenditionSettings

    author, quality = login("ana.popescu"), login("elena.dumitrascu")
    document = register(author, unique_code())
    version = rendered_upload(author, document, "procedura.pdf", pdf_bytes("p", BODY), PDF)
    for step, who in (("submit", author), ("verify", login("stefan.ionescu")),
                      ("endorse", login("mihai.tudose")), ("approve", login("daniel.balan"))):
        who.act(version["id"], step)
    for path in ("pages/1", "pages/1?width=400&format=webp"):
        assert author.request("GET", f"/api/versions/{version['id']}/{path}").status_code == 200
    settings = RenditionSettings.from_config(environment.config())
    copies = LocalCopies(settings.page_cache_dir, settings.page_cache_bytes)
    held = lambda: [n for n in copies.names() if n.startswith(version["id"])]  # noqa: E731
    assert held(), "the worker drew the pages from a local copy of the rendition"
    assert stored(environment, f"pages/{version['id']}/", f"renditions/{document['id']}/")

    quality.post(f"/api/versions/{version['id']}/withdraw", {"comment": "Abrogată"})
    quality.post(f"/api/versions/{version['id']}/archive", {})
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE documents.revisions SET archived_at = archived_at
                       - interval '10 years 1 day' WHERE document_id = %s""", (document["id"],))
    quality.post(f"/api/documents/{document['id']}/dispose",
                 {"reason": "Decizia comisiei de selecționare nr. 7"})

    assert stored(environment, *content_prefixes(document["id"], version["id"])) == []
    eventually(lambda: not held(), timeout=30)
    for path in ("content", "rendition", "pages/1", "pages/1?width=400&format=webp"):
        answer = author.request("GET", f"/api/versions/{version['id']}/{path}")
        assert answer.status_code == 404, (path, answer.status_code)
        assert "disposed" in answer.json()["error"]["message"], path
