"""What the web interface's viewer reads, over plain HTTP with a session cookie: a version's
PDF rendition and its page images answer as the API's (the same permission path as
/content: a confidential document's are 404 to whoever may not read it), pdf.js and its
worker come from /static under the page's CSP, and /view opens only the generated forms."""
from __future__ import annotations

from urllib.parse import quote

import requests

from tests.browser import pdfs
from tests.e2e.test_walking_skeleton import register, unique_code
from tests.e2e.test_web_interface import web_login
from tests.testenv import eventually

PDF = "application/pdf"


def rendered(client, version_id: str) -> dict:
    return eventually(lambda: (v := client.get(f"/api/versions/{version_id}"))["rendition"][
        "status"] == "done" and v, timeout=180, interval=1)


def test_the_viewer_reads_a_rendition_and_its_pages_with_the_permissions_of_content(
        gateway, login):
    author = login("george.matei")   # an author of DRU
    document = register(author, unique_code("PO-DRU"), owner="DRU", distribution=("DRU",),
                        confidential=True, title="Dosare de personal")
    version = author.upload(document["id"], "dosare.pdf", pdfs.pages(3, {2: "Confidențial"}),
                            "", PDF)
    rendered(author, version["id"])
    reader, _ = web_login(gateway, "george.matei", "demo-dru")
    outsider, _ = web_login(gateway, "radu.munteanu", "demo-dj2")

    pdf = reader.get(f"{gateway}/versions/{version['id']}/rendition", timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == PDF
    assert pdf.content.startswith(b"%PDF")
    # pdf.js reads long files by byte ranges
    part = reader.get(f"{gateway}/versions/{version['id']}/rendition", timeout=60,
                      headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    thumb = reader.get(f"{gateway}/versions/{version['id']}/pages/2?width=120", timeout=60)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/png"
    assert thumb.content.startswith(b"\x89PNG")
    again = reader.get(f"{gateway}/versions/{version['id']}/pages/2?width=120", timeout=60,
                       headers={"If-None-Match": thumb.headers["ETag"]})
    assert again.status_code == 304
    # out of range: the API's refusal, naming the field, never a 500
    assert reader.get(f"{gateway}/versions/{version['id']}/pages/9?width=120",
                      timeout=60).status_code == 422

    # someone who may not read the document: as if it did not exist
    for path in ("rendition", "pages/1?width=120"):
        answer = outsider.get(f"{gateway}/versions/{version['id']}/{path}", timeout=60)
        assert answer.status_code == 404, path
        assert b"%PDF" not in answer.content and b"PNG" not in answer.content
    # and no one without a session
    assert requests.get(f"{gateway}/versions/{version['id']}/rendition", timeout=30,
                        allow_redirects=False).status_code == 303


def test_a_fresh_upload_is_read_once_rendered_and_refused_naming_pending_before(gateway,
                                                                               login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "nou.pdf", pdfs.pages(1, {}), "", PDF)
    ana, _ = web_login(gateway, "ana.popescu", "demo-dj")
    # asked at once: either not made yet (409, the viewer's page polls) or already there
    answer = ana.get(f"{gateway}/versions/{version['id']}/rendition", timeout=60,
                     allow_redirects=False)
    assert answer.status_code in (200, 409), answer.status_code
    if answer.status_code == 409:
        assert "pending" in answer.text
    rendered(author, version["id"])
    assert ana.get(f"{gateway}/versions/{version['id']}/rendition",
                   timeout=60).status_code == 200


def test_pdfjs_comes_from_static_under_the_page_policy(gateway, login):
    ana, _ = web_login(gateway, "ana.popescu", "demo-dj")
    for path in ("/static/viewer.mjs", "/static/pdfjs/build/pdf.min.mjs",
                 "/static/pdfjs/build/pdf.worker.min.mjs", "/static/pdfjs/web/pdf_viewer.mjs"):
        answer = ana.get(f"{gateway}{path}", timeout=30)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"].startswith("text/javascript"), path
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "eval" not in policy, path
    # PDF scripting is not even served
    assert ana.get(f"{gateway}/static/pdfjs/build/pdf.sandbox.min.mjs",
                   timeout=30).status_code == 404
    page = ana.get(f"{gateway}/", timeout=30)
    assert "worker-src 'self'" in page.headers["Content-Security-Policy"]


def test_view_opens_the_generated_forms_and_nothing_else(gateway, login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "f.pdf", pdfs.pages(1, {}), "", PDF)
    ana, _ = web_login(gateway, "ana.popescu", "demo-dj")
    outsider, _ = web_login(gateway, "george.matei", "demo-dru")
    form = f"/api/versions/{version['id']}/forms/responsabili"
    page = ana.get(f"{gateway}/view?form={quote(form)}", timeout=30)
    assert page.status_code == 200
    assert f'data-src="{form}?format=pdf"' in page.text
    for other in ("/api/register", f"/versions/{version['id']}/download", "https://evil.example/x",
                  f"/api/versions/{version['id']}/forms/responsabili/../../content"):
        answer = ana.get(f"{gateway}/view?form={quote(other)}", timeout=30)
        assert answer.status_code == 404, other
        assert "data-src" not in answer.text
    # the document's own permissions: a confidential one's forms are not there for others
    secret = register(author, unique_code(), confidential=True, distribution=("DJ",))
    secret_v = author.upload(secret["id"], "s.pdf", pdfs.pages(1, {}), "", PDF)
    secret_form = f"/api/versions/{secret_v['id']}/forms/responsabili"
    assert outsider.get(f"{gateway}/view?form={quote(secret_form)}",
                        timeout=30).status_code == 404
