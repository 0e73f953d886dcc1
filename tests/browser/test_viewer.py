"""The document viewer (pdf.js) in a real browser: a search hit opens it at the page that
matches with the words highlighted, thumbnails come as page images only when seen, keys
move through pages and zoom, it fits a phone, a PDF's own scripts never run, a form opens
in it, and a version it cannot show says why beside the download.
Screenshots: .stack/test-runs/<run>/screenshots/viewer-*.png"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import pdfs
from tests.e2e.test_walking_skeleton import register, unique_code
from tests.testenv import eventually

pytestmark = pytest.mark.browser

PDF = "application/pdf"
PAGES = 12
MATCH_PAGE = 7


def rendered(client, version_id: str, status: str = "done", timeout: float = 180) -> dict:
    def check():
        version = client.get(f"/api/versions/{version_id}")
        return version if version["rendition"]["status"] == status else None
    return eventually(check, timeout=timeout, interval=1)


@pytest.fixture(scope="module")
def shelf(login):
    """As Ana (author, DJ): a 12-page guide whose page 7 alone names a rare word, a PDF
    full of scripts, and a broken PDF; each uploaded and rendered (or failed)."""
    author = login("ana.popescu")
    word = "zq" + uuid.uuid4().hex[:8]
    guide = register(author, unique_code(), title="Ghidul registrului de petiții")
    guide_v = author.upload(guide["id"], "ghid.pdf", pdfs.pages(PAGES, {
        MATCH_PAGE: f"Registrul petițiilor {word}\nSe păstrează la registratură."}), "", PDF)
    scripted = register(author, unique_code(), title="Document cu scripturi")
    scripted_v = author.upload(scripted["id"], "scripturi.pdf",
                               pdfs.with_scripts("Textul se vede, scripturile nu rulează"),
                               "", PDF)
    broken = register(author, unique_code(), title="Document deteriorat")
    broken_v = author.upload(broken["id"], "rupt.pdf", b"%PDF-1.7\n1 0 obj <<\n%%EOF\n",
                             "", PDF)
    rendered(author, guide_v["id"])
    rendered(author, scripted_v["id"])
    rendered(author, broken_v["id"], "failed")
    # the guide comes into force (search shows what is in force), and is found by its
    # rare word before the tests search for it
    author.act(guide_v["id"], "submit", "Ghid nou")
    login("stefan.ionescu").act(guide_v["id"], "verify", "Verificat")
    login("mihai.tudose").act(guide_v["id"], "endorse", "Avizat")
    login("daniel.balan").act(guide_v["id"], "approve", "Aprob")
    eventually(lambda: author.get(f"/api/versions/{guide_v['id']}")["status"] == "in_force",
               timeout=60)
    eventually(lambda: any(h["document_id"] == guide["id"]
                           for h in author.get(f"/api/search?q={word}")["hits"]), timeout=60)
    return {"word": word, "guide": guide, "guide_v": guide_v["id"], "scripted": scripted,
            "scripted_v": scripted_v["id"], "broken": broken, "broken_v": broken_v["id"]}


@pytest.fixture(scope="session")
def shots():
    """This file's screenshots, where the viewer's helper looks at them."""
    return Path("/tmp/shots-viewer")


def ready(b, timeout: float = 60):
    """The first viewer of the page once its PDF is open (fails on its error state)."""
    try:
        state = b.wait(lambda d: d.execute_script(
            "const v = document.querySelector('.viewer'); return v && v.dataset.state"),
            timeout)
    except TimeoutException:
        raise AssertionError(f"no viewer opened on {b.path}: {b.text()[:500]}") from None
    assert state == "ready", b.text(".viewer-status")
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".viewer .page canvas"), timeout)
    return b.find(".viewer")


def page_shown(b) -> int:
    return int(b.find(".viewer").get_attribute("data-page") or "1")


def test_a_search_hit_opens_the_viewer_at_the_page_that_matches_with_the_words_marked(
        browser, shelf):
    b = browser().log_in("radu.munteanu")
    b.open("/search")
    box = b.find("#q")
    box.send_keys(f"petitiilor {shelf['word']}")     # without diacritics, as people type
    box.send_keys(Keys.ENTER)
    hit = next(h for h in b.find_all(".hit a.title") if shelf["guide"]["code"] in h.text)
    hit.click()
    assert b.path.startswith(f"/documents/{shelf['guide']['id']}?version={shelf['guide_v']}")
    viewer = ready(b)
    b.wait(lambda d: viewer.get_attribute("data-find") == "found")
    b.wait(lambda d: page_shown(b) == MATCH_PAGE)
    marked = [m.text for m in b.find_all(".viewer .textLayer .highlight")]
    assert any(shelf["word"] in m for m in marked), marked
    assert any("petițiilor" in m for m in marked), marked     # diacritics ignored
    assert "1 din" in b.text(".viewer-status")                # "Potrivirea 1 din 2"
    assert b.find(".viewer-find-input").get_attribute("value") == f"petitiilor {shelf['word']}"
    # the next match of those words, not of them as one phrase
    b.find(".viewer-toolbar [data-act=find-next]").click()
    b.wait(lambda d: "2 din 2" in b.text(".viewer-status"))
    assert viewer.get_attribute("data-find") == "found"
    current = b.find(".viewer-thumbs a[aria-current=page] img")
    b.wait(lambda d: d.execute_script("return arguments[0].complete && "
                                      "arguments[0].naturalWidth", current) == 120)
    b.screenshot("viewer-search-hit", full_page=False)


def test_the_find_box_ignores_diacritics_as_the_search_does(browser, shelf):
    """Typed without diacritics, or with the old cedilla letters, a word is found as
    written with comma-below ones ("petițiilor")."""
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{shelf['guide']['id']}")
    viewer = ready(b)
    box = b.find(".viewer-find-input")
    for typed in ("petitiilor", "PETIŢIILOR"):
        box.clear()
        box.send_keys(typed, Keys.ENTER)
        b.wait(lambda d: viewer.get_attribute("data-find") == "found")
        b.wait(lambda d: page_shown(b) == MATCH_PAGE)
        b.wait(lambda d: "petițiilor" in [m.text for m in
                                           b.find_all(".viewer .textLayer .highlight")])
        assert "1 din 1" in b.text(".viewer-status")
    box.clear()
    box.send_keys("petitiilorx", Keys.ENTER)
    b.wait(lambda d: viewer.get_attribute("data-find") == "none")


def test_thumbnails_are_page_images_asked_for_only_when_seen(browser, shelf):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{shelf['guide']['id']}")
    ready(b)
    thumbs = b.find_all(".viewer-thumbs img")
    assert len(thumbs) == PAGES
    first = thumbs[0]
    b.wait(lambda d: d.execute_script("return arguments[0].complete && "
                                      "arguments[0].naturalWidth", first) == 120)
    assert f"/versions/{shelf['guide_v']}/pages/1?width=120" in first.get_attribute("src")
    # the last ones are not asked for until scrolled to: a long file costs nothing unseen
    assert thumbs[-1].get_attribute("src") is None
    b.driver.execute_script("arguments[0].scrollIntoView()", thumbs[-1])
    b.wait(lambda d: thumbs[-1].get_attribute("src"))
    # a thumbnail goes to its page
    b.find_all(".viewer-thumbs a")[4].click()
    b.wait(lambda d: page_shown(b) == 5)
    assert b.find_all(".viewer-thumbs a")[4].get_attribute("aria-current") == "page"
    b.screenshot("viewer-thumbnails", full_page=False)


def test_the_viewer_is_used_by_keyboard(browser, shelf):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{shelf['guide']['id']}")
    ready(b)
    pages = b.find(".viewer-scroll")
    assert pages.get_attribute("aria-label").startswith("Paginile documentului")
    pages.click()
    keys = b.driver.switch_to.active_element
    keys.send_keys(Keys.PAGE_DOWN)
    b.wait(lambda d: page_shown(b) == 2)
    keys.send_keys(Keys.END)
    b.wait(lambda d: page_shown(b) == PAGES)
    keys.send_keys(Keys.ARROW_LEFT)
    b.wait(lambda d: page_shown(b) == PAGES - 1)
    keys.send_keys(Keys.HOME)
    b.wait(lambda d: page_shown(b) == 1)
    zoom = lambda: int(b.find(".viewer-zoom").text.rstrip("%"))    # noqa: E731
    before = zoom()
    keys.send_keys("+")
    b.wait(lambda d: zoom() > before)
    keys.send_keys("-")
    keys.send_keys("-")
    b.wait(lambda d: zoom() < before)
    # the page number field goes to the page typed
    field = b.find(".viewer-page")
    field.clear()
    field.send_keys("9", Keys.ENTER)
    b.wait(lambda d: page_shown(b) == 9)
    # every control is named, and focus shows where it is
    unnamed = b.driver.execute_script("""
        return [...document.querySelectorAll('.viewer button, .viewer input')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                       && !e.textContent.trim()).map(e => e.outerHTML)""")
    assert unnamed == []
    b.find(".viewer-toolbar [data-act=next]").send_keys(Keys.SHIFT, Keys.TAB)
    focused = b.driver.switch_to.active_element
    assert focused.get_attribute("class") == "viewer-page"
    assert b.driver.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle") == "solid"
    b.screenshot("viewer-keyboard", full_page=False)


def test_the_viewer_fits_a_phone(browser, shelf):
    b = browser(390, 844)
    # a phone's viewport exactly (a headless window keeps a wider minimum)
    b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    b.log_in("radu.munteanu")
    b.open(f"/documents/{shelf['guide']['id']}?q={shelf['word']}#viewer")   # as a search hit
    ready(b)
    assert b.driver.execute_script("return window.innerWidth") == 390
    assert b.no_horizontal_scroll()
    b.wait(lambda d: page_shown(b) == MATCH_PAGE)
    # the pages take the width; the thumbnails come when asked for
    thumbs = b.find(".viewer-thumbs")
    assert not thumbs.is_displayed()
    page_width = b.driver.execute_script(
        "return document.querySelector('.viewer .page').getBoundingClientRect().width")
    assert 300 <= page_width <= 390
    # landed on #viewer: its heading, toolbar and pages on the screen at once, no part of
    # it below the screen's edge
    landed = b.driver.execute_script(
        "return document.getElementById('viewer').getBoundingClientRect().height")
    assert landed <= 844, landed
    b.screenshot("viewer-phone", full_page=False)
    b.find(".viewer-thumbs-toggle").click()
    assert thumbs.is_displayed()
    assert b.no_horizontal_scroll()
    # opened on the page being read, its image drawn
    current = b.find(".viewer-thumbs a[aria-current=page]")
    assert current.text == str(MATCH_PAGE)
    image = current.find_element(By.TAG_NAME, "img")
    b.wait(lambda d: d.execute_script("return arguments[0].complete && "
                                      "arguments[0].naturalWidth", image) == 120)
    b.screenshot("viewer-phone-thumbnails", full_page=False)
    # a thumbnail chosen: the drawer gives way to that page
    b.find_all(".viewer-thumbs a")[1].click()
    b.wait(lambda d: page_shown(b) == 2)
    assert not thumbs.is_displayed()


def test_a_pdf_with_scripts_and_an_embedded_file_runs_none_of_them(browser, shelf):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{shelf['scripted']['id']}")
    title = b.driver.title
    ready(b)
    b.wait(lambda d: "scripturile nu rulează" in b.text(".viewer .textLayer"))
    with pytest.raises(NoAlertPresentException):
        b.driver.switch_to.alert.text    # noqa: B018: no alert was opened
    assert b.driver.title == title and pdfs.SCRIPT_TITLE not in b.driver.title
    assert len(b.driver.window_handles) == 1
    # the page's policy forbids eval, inline script and WebAssembly to the page and worker
    policy = b.driver.execute_script("""
        return fetch('/static/pdfjs/build/pdf.worker.min.mjs')
          .then(r => r.headers.get('Content-Security-Policy'))""")
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "wasm-unsafe-eval" not in policy
    b.screenshot("viewer-scripts-not-run", full_page=False)


def test_a_version_that_cannot_be_shown_says_why_beside_the_download(browser, shelf):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{shelf['broken']['id']}")
    box = b.find(".viewer-unavailable")
    assert "nu poate fi afișată în browser" in box.text
    assert box.find_element(By.CSS_SELECTOR, "a").get_attribute("href").endswith(
        f"/versions/{shelf['broken_v']}/download")
    assert not b.find_all(".viewer")


def test_a_generated_form_opens_in_the_viewer(browser, shelf):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{shelf['guide']['id']}")
    b.find("#forms a.view").click()
    assert b.path.startswith("/view?form=")
    ready(b)
    assert "Lista responsabililor" in b.text("h1") or "Situația" in b.text("h1")
    b.screenshot("viewer-form", full_page=False)
    # only the forms open there: any other path is not fetched, and not found
    b.open("/view?form=/api/versions/x/../../admin")
    assert not b.find_all(".viewer") and b.text("h1") == "Nu a fost găsit"


def test_the_signer_reads_what_they_sign_in_the_inbox(browser, login, shelf):
    author = login("ana.popescu")
    document = register(author, unique_code(), title="Procedură de semnat")
    version = author.upload(document["id"], "de-semnat.pdf", pdfs.pages(3, {
        2: "Verificați această pagină înainte de semnare"}), "", PDF)
    rendered(author, version["id"])
    author.act(version["id"], "submit", "Spre verificare")
    b = browser().log_in("stefan.ionescu")       # head of DJ: verifies it
    b.open("/inbox")
    item = b.find(f"#r-{version['id']}")
    details = item.find_element(By.CSS_SELECTOR, "details.read")
    if not details.get_attribute("open"):
        details.find_element(By.CSS_SELECTOR, "summary").click()
    viewer = item.find_element(By.CSS_SELECTOR, ".viewer")
    b.wait(lambda d: viewer.get_attribute("data-state") == "ready", 60)
    assert len(viewer.find_elements(By.CSS_SELECTOR, ".page")) == 3
    assert viewer.find_element(By.CSS_SELECTOR, ".viewer-download").get_attribute(
        "href").endswith(f"/versions/{version['id']}/download")
    b.screenshot("viewer-inbox", full_page=False)


def test_after_an_upload_the_new_version_shows_in_the_viewer_once_rendered(browser, login,
                                                                            tmp_path):
    author = login("ana.popescu")
    document = register(author, unique_code(), title="Procedură încărcată din pagină")
    file = tmp_path / "procedura-noua.pdf"
    file.write_bytes(pdfs.pages(2, {1: "Versiunea abia încărcată"}))
    b = browser().log_in("ana.popescu")
    b.open(f"/documents/{document['id']}/upload")
    b.find("#file").send_keys(str(file))
    b.find("#upload button[type=submit]").click()
    b.wait(lambda d: "/upload" not in d.current_url, 60)
    version_id = b.path.split("version=")[1].split("&")[0]
    assert b.path.endswith("&flash=uploaded#viewer")
    # while it is rendered the page says so and offers the file; then shows it by itself
    pending = b.find_all(".viewer-pending")
    if pending:
        assert pending[0].find_element(By.CSS_SELECTOR, "a").get_attribute("href").endswith(
            f"/versions/{version_id}/download")
        b.screenshot("viewer-pending", full_page=False)
    ready(b, timeout=180)
    assert b.find(".viewer").get_attribute("data-src") == f"/versions/{version_id}/rendition"
    b.wait(lambda d: "abia încărcată" in b.text(".viewer .textLayer"))


def test_a_demo_procedure_made_readable_by_libreoffice_opens_at_its_words(browser, scenario,
                                                                          login):
    """A DOCX of the demo: its rendition is LibreOffice's PDF, its words found in it."""
    rendered(login("radu.munteanu"), scenario.petitions_v1)
    b = browser().log_in("radu.munteanu")
    b.open("/search?q=petitiilor")
    hit = next(h for h in b.find_all(".hit a.title") if "PO-RP-02" in h.text)
    hit.click()
    assert "q=petitiilor" in b.path and f"version={scenario.petitions_v1}" in b.path
    viewer = ready(b)
    b.wait(lambda d: viewer.get_attribute("data-find") == "found")
    marked = [m.text.lower() for m in b.find_all(".viewer .textLayer .highlight")]
    assert any(m.startswith("peti") for m in marked), marked
    b.screenshot("viewer-demo-procedure", full_page=False)
