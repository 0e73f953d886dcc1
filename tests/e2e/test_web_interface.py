"""The web interface's safety, over plain HTTP: sessions, CSRF, headers, the live feed by
cookie, confidential documents (the browser suite in tests/browser shows the pages)."""
from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.test_walking_skeleton import register, unique_code

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_login(gateway: str, username: str, password: str, next_path: str = "/"):
    session = requests.Session()
    page = session.get(f"{gateway}/login", timeout=30)
    token = CSRF.search(page.text).group(1)
    answer = session.post(f"{gateway}/login", allow_redirects=False, timeout=30, data={
        "csrf_token": token, "username": username, "password": password, "next": next_path})
    return session, answer


@pytest.fixture(scope="module")
def radu(gateway, org):
    session, answer = web_login(gateway, "radu.munteanu", "demo-dj2")
    assert answer.status_code == 303
    return session


def test_pages_need_a_session_and_keep_the_page_asked_for(gateway):
    answer = requests.get(f"{gateway}/search?q=petitii", allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=%2Fsearch%3Fq%3Dpetitii"
    assert requests.get(f"{gateway}/ui/suggest?q=po", timeout=30).status_code == 401


def test_log_in_sets_an_httponly_lax_cookie_and_goes_only_to_this_site(gateway, org):
    session, answer = web_login(gateway, "radu.munteanu", "demo-dj2", "https://evil.example/")
    assert answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "procedura_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie     # UI.secure_cookie is false on plain-HTTP development
    _, wrong = web_login(gateway, "radu.munteanu", "wrong")
    _, unknown = web_login(gateway, "nobody", "wrong")
    assert wrong.status_code == unknown.status_code == 401
    message = "Numele de utilizator sau parola nu sunt corecte."
    assert message in wrong.text and message in unknown.text


def test_a_form_without_its_csrf_token_is_refused(gateway, radu, login):
    session = requests.Session()
    answer = session.post(f"{gateway}/login", timeout=30, allow_redirects=False,
                          data={"username": "radu.munteanu", "password": "demo-dj2"})
    assert answer.status_code == 403 and "procedura_session" not in answer.headers.get(
        "Set-Cookie", "")
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "a.txt", b"Procedura de test.", "x", "text/plain")
    ana, _ = web_login(gateway, "ana.popescu", "demo-dj")
    refused = ana.post(f"{gateway}/versions/{version['id']}/sign", timeout=30,
                       allow_redirects=False, data={"action": "submit"})
    assert refused.status_code == 403
    forged = ana.post(f"{gateway}/versions/{version['id']}/sign", timeout=30,
                      allow_redirects=False, data={"action": "submit", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert author.get(f"/api/versions/{version['id']}")["status"] == "draft"
    assert radu.post(f"{gateway}/logout", timeout=30, allow_redirects=False).status_code == 403
    page = ana.get(f"{gateway}/documents/{document['id']}", timeout=30)
    token = CSRF.search(page.text).group(1)
    done = ana.post(f"{gateway}/versions/{version['id']}/sign", timeout=30,
                    allow_redirects=False, data={"action": "submit", "csrf_token": token,
                                                 "back": f"/documents/{document['id']}"})
    assert done.status_code == 303
    assert author.get(f"/api/versions/{version['id']}")["status"] == "in_verification"

    # the upload page's XHR: multipart, the token in X-CSRF-Token (the body is streamed to
    # storage, never parsed as a form)
    upload = f"{gateway}/documents/{document['id']}/upload"
    files = {"file": ("b.txt", b"Procedura, revizia 1.", "text/plain")}
    assert ana.post(upload, files=files, data={"csrf_token": token},
                    timeout=30).status_code == 403
    sent = ana.post(upload, files=files, headers={"X-CSRF-Token": token}, timeout=30)
    assert sent.status_code == 201, sent.text
    assert sent.json()["version"]["filename"] == "b.txt"
    # back on the document's page, on the new version, in the viewer
    assert sent.json()["location"] == (f"/documents/{document['id']}?version="
                                       f"{sent.json()['version']['id']}&flash=uploaded#viewer")


def test_every_page_has_a_content_security_policy_without_inline_script(gateway, radu):
    for path in ("/", "/search?q=x", "/inbox", "/acknowledgements", "/login"):
        answer = radu.get(f"{gateway}{path}", timeout=30)
        assert answer.status_code == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "<script>" not in answer.text
    assert radu.get(f"{gateway}/static/app.js", timeout=30).headers[
        "Content-Type"].startswith(("application/javascript", "text/javascript"))
    for escape in ("/static/../render.py", "/static/%2e%2e/render.py",
                   "/static/../../service.py"):
        assert radu.get(f"{gateway}{escape}", timeout=30).status_code == 404, escape


def test_a_confidential_document_is_404_for_someone_not_permitted(gateway, radu, login):
    auditor = login("livia.grigore")
    secret = auditor.post("/api/documents", {
        "code": unique_code("PO-AUD"), "title": "Misiune de audit <b>confidențială</b>",
        "type": "PO", "owner_department": "AUD", "distribution": ["AUD"],
        "confidential": True})
    answer = radu.get(f"{gateway}/documents/{secret['id']}", timeout=30)
    assert answer.status_code == 404
    assert "confidențială" not in answer.text and "Nu a fost găsit" in answer.text
    auditor_web, _ = web_login(gateway, "livia.grigore", "demo-aud")
    page = auditor_web.get(f"{gateway}/documents/{secret['id']}", timeout=30)
    assert page.status_code == 200
    assert "Misiune de audit &lt;b&gt;confidențială&lt;/b&gt;" in page.text


def test_the_live_feed_takes_the_session_cookie(gateway, radu):
    with radu.get(f"{gateway}/api/feed/stream", stream=True, timeout=30) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == b"retry: 3000"
        assert re.fullmatch(rb"id: [0-9]+(:[0-9]+(,[0-9]+)*)?", next(lines))  # where it starts
    anonymous = requests.get(f"{gateway}/api/feed/stream", timeout=30)
    assert anonymous.status_code == 401
    forged = requests.get(f"{gateway}/api/feed/stream", timeout=30,
                          cookies={"procedura_session": "forged"})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "unauthorized"


def test_the_home_page_starts_its_live_feed_above_the_items_it_shows(gateway, radu, login):
    """Its script opens the stream from the page's resume point (data-resume): an item
    numbered below those shown but committed after the page was drawn still comes, and
    none shown comes again."""
    from services.gateway.resume import ResumePoint
    from tests.e2e.test_document_control import approve_fully
    from tests.testenv import eventually

    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=("DJ",))
    version = author.upload(document["id"], "a.txt", b"Procedura de test.", "x", "text/plain")
    approve_fully(login, version["id"])     # radu (DJ) is told
    eventually(lambda: [i for i in login("radu.munteanu").get("/api/feed")["items"]
                        if i["version_id"] == version["id"]])
    page = radu.get(f"{gateway}/", timeout=30).text
    resume = re.search(r'<ul class="feed" id="feed" data-resume="([0-9:,]+)"', page)[1]
    shown = [int(i) for i in re.findall(r'<li class="[a-z ]*" data-id="([0-9]+)">', page)]
    point = ResumePoint.parse(resume, "data-resume")
    assert shown
    assert not [i for i in shown if point.owes(i)]
    assert point.floor == min(shown) or (len(shown) < 20 and point.floor == 0)
    with radu.get(f"{gateway}/api/feed/stream", params={"last_event_id": resume},
                  stream=True, timeout=30) as stream:
        assert stream.status_code == 200, stream.text
        # its first frame: no event, the browser's last event ID set to where it resumed
        lines = stream.iter_lines()
        assert [next(lines) for _ in range(3)] == [b"retry: 3000", f"id: {resume}".encode(), b""]


def test_the_upload_page_asks_for_the_numbering_only_for_a_first_version(gateway, login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    ana, _ = web_login(gateway, "ana.popescu", "demo-dj")
    page = ana.get(f"{gateway}/documents/{document['id']}/upload", timeout=30)
    assert 'name="edition"' in page.text and 'name="revision"' in page.text
    assert "Numerotarea pe care o are deja" in page.text          # Romanian by default
    token = CSRF.search(page.text).group(1)
    sent = ana.post(f"{gateway}/documents/{document['id']}/upload",
                    files={"file": ("a.txt", b"Procedura existenta.", "text/plain")},
                    data={"edition": "3", "revision": "1"},
                    headers={"X-CSRF-Token": token}, timeout=30)
    assert sent.status_code == 201, sent.text
    assert (sent.json()["version"]["edition"], sent.json()["version"]["revision"]) == (3, 1)
    page = ana.get(f"{gateway}/documents/{document['id']}", timeout=30)
    assert "Ediția III, Revizia 1" in page.text
    again = ana.get(f"{gateway}/documents/{document['id']}/upload", timeout=30)
    assert 'name="edition"' not in again.text                     # Procedura numbers on
