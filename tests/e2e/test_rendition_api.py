"""A version's PDF rendition and its page images through the gateway (issue 13, points 3
and 4): the bytes, ETag and 304, byte ranges, bad input named, exactly the permissions of
/content, 409 naming a pending or failed rendition, 404 once disposed, 503 when the
rendition worker is away."""
from __future__ import annotations

import io
import signal
import uuid

import psycopg2
import pytest
from PIL import Image

from procedura_cli.badfiles import text_pdf
from tests.e2e.conftest import dispose_content
from tests.e2e.test_confidentiality import DJ_READER, HOLDER, QUALITY, answer, secret_document
from tests.e2e.test_walking_skeleton import register, unique_code
from tests.testenv import eventually

AUTHOR = "ana.popescu"
PDF = "application/pdf"
THREE_PAGES = text_pdf([[f"Pagina {n}: înregistrarea petițiilor"] * 30 for n in (1, 2, 3)])


def rendered(client, version_id: str, timeout: float = 120.0) -> dict:
    """The version once its rendition is no longer pending."""
    def check():
        version = client.get(f"/api/versions/{version_id}")
        return version if version["rendition"]["status"] != "pending" else None
    return eventually(check, timeout=timeout, interval=0.5)


def uploaded_pdf(client, document_id: str, data: bytes = THREE_PAGES) -> dict:
    version = client.upload(document_id, "procedura.pdf", data, "", PDF)
    return rendered(client, version["id"])


@pytest.fixture(scope="module")
def version(login):
    author = login(AUTHOR)
    document = register(author, unique_code())
    done = uploaded_pdf(author, document["id"])
    assert done["rendition"] == {"status": "done", "pages": 3, "error": None}
    return done


def test_the_rendition_of_a_pdf_is_the_pdf_itself_shown_inline(login, version):
    author = login(AUTHOR)
    response = author.request("GET", f"/api/versions/{version['id']}/rendition")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == PDF
    assert response.content == THREE_PAGES
    assert response.headers["Content-Disposition"].startswith('inline; filename="procedura.pdf"')

    # pdf.js reads a large file in byte ranges
    part = author.request("GET", f"/api/versions/{version['id']}/rendition",
                          headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == THREE_PAGES[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(THREE_PAGES)}"
    # and asks again only when it changed
    again = author.request("GET", f"/api/versions/{version['id']}/rendition",
                           headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_page_as_png_and_webp_with_etag_and_304(login, version):
    author = login(AUTHOR)
    path = f"/api/versions/{version['id']}/pages/2"
    png = author.request("GET", path)
    assert png.status_code == 200, png.text
    image = Image.open(io.BytesIO(png.content))
    assert (png.headers["Content-Type"], image.format, image.width) == ("image/png", "PNG", 200)
    assert png.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    etag = png.headers["ETag"]

    same = author.request("GET", path, headers={"If-None-Match": etag})
    assert (same.status_code, same.content, same.headers["ETag"]) == (304, b"", etag)
    assert author.request("GET", path).content == png.content      # from the cache

    webp = author.request("GET", path, params={"width": 640, "format": "webp"})
    image = Image.open(io.BytesIO(webp.content))
    assert (webp.headers["Content-Type"], image.format, image.width) == (
        "image/webp", "WEBP", 640)
    assert webp.headers["ETag"] != etag
    assert author.request("GET", path, headers={"If-None-Match": webp.headers["ETag"]}
                          ).status_code == 200


@pytest.mark.parametrize("page, params, field", [
    ("4", {}, "page"), ("0", {}, "page"), ("doi", {}, "page"), ("-1", {}, "page"),
    ("1", {"width": "63"}, "width"), ("1", {"width": "2001"}, "width"),
    ("1", {"width": "lat"}, "width"), ("1", {"width": "99999999999999999999"}, "width"),
    ("1", {"format": "gif"}, "format"), ("1", {"format": "../png"}, "format")])
def test_a_bad_page_width_or_format_is_a_422_naming_it(login, version, page, params, field):
    response = login(AUTHOR).request("GET", f"/api/versions/{version['id']}/pages/{page}",
                                     params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == field


def test_a_confidential_rendition_and_its_pages_do_not_exist_for_who_may_not_read_it(login):
    secret = secret_document(login)
    version = uploaded_pdf(login(HOLDER), secret["id"])
    assert version["rendition"]["status"] == "done"
    nowhere = str(uuid.uuid4())
    for path in ("/api/versions/{}/rendition", "/api/versions/{}/pages/1",
                 "/api/versions/{}/pages/1?width=400&format=webp"):
        hidden, missing = (login(DJ_READER).request("GET", path.format(vid))
                           for vid in (version["id"], nowhere))
        assert hidden.status_code == 404, path
        assert answer(hidden, version["id"]) == answer(missing, nowhere), path
        for reader in (HOLDER, QUALITY):             # the owner department, the quality office
            assert login(reader).request("GET", path.format(version["id"])).status_code == 200


def set_rendition(environment, version_id: str, **columns) -> None:
    """Put a version's rendition in a state the worker leaves only for an instant."""
    assignments = ", ".join(f"{name} = %s" for name in columns)
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"UPDATE versioning.versions SET {assignments} WHERE id = %s",
                    (*columns.values(), version_id))


def test_a_pending_rendition_is_a_409_naming_pending(login, environment):
    author = login(AUTHOR)
    version = uploaded_pdf(author, register(author, unique_code())["id"])
    set_rendition(environment, version["id"], rendition_status="pending")
    assert author.get(f"/api/versions/{version['id']}")["rendition"]["status"] == "pending"
    for path in ("rendition", "pages/1"):
        response = author.request("GET", f"/api/versions/{version['id']}/{path}")
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["details"]["status"] == "pending" and "pending" in error["message"]


def test_a_failed_rendition_is_a_409_naming_why_and_the_original_stays(login):
    author = login(AUTHOR)
    broken = b"%PDF-1.4\n" + b"\x00nu este un PDF" * 200
    version = uploaded_pdf(author, register(author, unique_code())["id"], broken)
    assert version["rendition"]["status"] == "failed" and version["rendition"]["error"]
    for path in ("rendition", "pages/1"):
        response = author.request("GET", f"/api/versions/{version['id']}/{path}")
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["details"]["status"] == "failed"
        assert version["rendition"]["error"] in error["message"]
    assert author.request("GET", f"/api/versions/{version['id']}/content").content == broken


def test_a_disposed_version_has_no_rendition_or_pages(login, environment):
    author = login(AUTHOR)
    version = uploaded_pdf(author, register(author, unique_code())["id"])
    assert author.request("GET", f"/api/versions/{version['id']}/pages/1").status_code == 200
    dispose_content(environment, version["id"])
    for path in ("rendition", "pages/1", "pages/2?width=300"):
        response = author.request("GET", f"/api/versions/{version['id']}/{path}")
        assert response.status_code == 404, (path, response.text)
        assert "disposed" in response.json()["error"]["message"]


def test_without_the_rendition_worker_the_answer_is_a_503_naming_it(login, version, services):
    author = login(AUTHOR)
    services.stop("renditions", signal.SIGKILL)
    try:
        for path in ("rendition", "pages/3"):
            response = author.request("GET", f"/api/versions/{version['id']}/{path}")
            assert response.status_code == 503, response.text
            assert response.json()["error"]["details"]["service"] == "renditions"
        # the rest of the API does not depend on it
        assert author.request("GET", f"/api/versions/{version['id']}").status_code == 200
    finally:
        services.up()
    eventually(lambda: author.request(
        "GET", f"/api/versions/{version['id']}/pages/3").status_code == 200, timeout=60)
