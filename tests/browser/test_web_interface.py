"""The staff web interface in a real browser (Debian's chromium), as the demo staff use it.
Every page visited is saved as a screenshot under .stack/test-runs/<run>/screenshots."""
from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from services.gateway.ui.session import SESSION_COOKIE
from tests.browser.scenario import XSS_TITLE
from tests.testenv import eventually, stack_secrets

pytestmark = pytest.mark.browser


def test_log_in_with_a_wrong_password_then_the_right_one(browser, scenario):
    b = browser()
    b.log_in("radu.munteanu", "not-the-password")
    message = b.text("[role=alert]")
    assert message == "Numele de utilizator sau parola nu sunt corecte."
    b.screenshot("login-wrong-password")
    b.log_in("nobody.here", "whatever")
    assert b.text("[role=alert]") == message          # no hint which part was wrong
    assert b.find("#username").get_attribute("value") == "nobody.here"
    b.open("/login")
    b.screenshot("login")
    b.log_in("radu.munteanu")
    assert b.path == "/"
    assert b.text("h1") == "Bună ziua, Radu Munteanu"
    cookie = b.driver.get_cookie(SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert b.driver.execute_script("return document.cookie").find(SESSION_COOKIE) < 0
    b.screenshot("home")


def test_an_expired_session_goes_back_to_log_in_and_then_to_the_page_asked_for(browser,
                                                                              scenario):
    class Yesterday(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 2 * 86400

    # signed with the gateway's own secret (the stack's secrets.env), but two days old
    old = URLSafeTimedSerializer(stack_secrets()["PROCEDURA_AUTH_SECRET"],
                                 salt="procedura-web-session", signer=Yesterday)
    b = browser().open("/login")
    b.driver.add_cookie({"name": SESSION_COOKIE, "value": old.dumps({"u": "radu.munteanu",
                                                                       "c": "x" * 24}),
                         "path": "/"})
    asked = f"/documents/{scenario.codes['PO-RP-02']}"
    b.open(asked)
    assert b.path.startswith("/login?")
    assert "Sesiunea a expirat" in b.flash()
    b.screenshot("login-session-expired")
    b.find("#username").send_keys("radu.munteanu")
    b.find("#password").send_keys(b.passwords["radu.munteanu"])
    b.find("#password").send_keys(Keys.ENTER)
    b.wait(lambda d: "/login" not in d.current_url)
    assert b.path == asked
    assert "PO-RP-02" in b.text("h1")


@pytest.mark.parametrize("words", ["petiţiilor", "petițiilor", "petitiilor", "PETITIILOR"])
def test_search_with_and_without_diacritics(browser, scenario, words):
    b = browser().log_in("radu.munteanu")
    b.open("/search")
    box = b.find("#q")
    box.send_keys(words)
    box.send_keys(Keys.ENTER)
    hits = eventually(lambda: b.find_all(".hit") or (b.driver.refresh(), None)[1], timeout=30)
    assert any("PO-RP-02" in h.text for h in hits)
    marks = [m.text.lower() for m in b.find_all(".hit mark")]
    assert any(m.startswith("peti") for m in marks)
    assert "rezultat" in b.text("#results-title")
    if words == "petitiilor":
        b.screenshot("search-results")


def test_search_suggests_filters_by_facet_and_shows_the_history(browser, scenario):
    b = browser().log_in("radu.munteanu")
    b.open("/search")
    b.find("#q").send_keys("PO-RP")
    suggestion = b.wait_for("#suggestions li")
    assert "PO-RP-02" in suggestion.text
    assert b.find("#q").get_attribute("aria-expanded") == "true"
    b.screenshot("search-suggestions", full_page=False)
    b.find("#q").send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    assert b.path == f"/documents/{scenario.codes['PO-RP-02']}"

    b.open("/search?q=petitiilor")
    before = b.find("h1")
    b.driver.find_element(By.LINK_TEXT, "În vigoare").click()
    b.wait_gone(before)      # the filtered results, not the page leaving
    assert "status=in_force" in b.path
    assert all("În vigoare" in h.text for h in b.find_all(".hit .meta"))
    b.find("#all_versions").click()
    before = b.find("h1")
    b.find("form.search button[type=submit]").click()
    b.wait_gone(before)
    assert "all_versions=true" in b.path
    b.screenshot("search-filtered")


def test_open_a_document_and_compare_two_versions(browser, scenario):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{scenario.codes['PO-RP-02']}")
    assert b.text("#current-title") == "Versiunea în vigoare"
    current = b.text("#current-title + p")
    assert "Ediția I, Revizia 3" in current and "În vigoare" in current
    assert "nr. 1/" in b.text("main") or "nr. " in b.text("main")
    rows = b.find_all("#history-title ~ .table-wrap tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in rows] == [
        "Ediția I, Revizia 4", "Ediția I, Revizia 3"]
    download = b.find("a.button.primary").get_attribute("href")
    assert download.endswith(f"/versions/{scenario.petitions_v1}/download")
    assert b.find_all("#audit-title") == []        # the audit trail is the quality office's
    b.screenshot("document")
    assert Select(b.find("#old")).first_selected_option.text == "Ediția I, Revizia 3"
    assert Select(b.find("#new")).first_selected_option.text == "Ediția I, Revizia 4"
    before = b.find("h1")
    b.find("form.compare button").click()
    b.wait_gone(before)      # the diff page, not the document page leaving
    assert b.text("h1") == "Ce s-a modificat"
    assert "legal" in [d.text.strip() for d in b.find_all("table.diff del")]
    inserted = " ".join(i.text for i in b.find_all("table.diff ins"))
    assert "30 de zile" in inserted and "firme" in inserted
    headers = [th.text for th in b.find_all("table.diff th")]
    assert headers == ["Ediția I, Revizia 3", "Ediția I, Revizia 4"]
    b.screenshot("diff")


def test_the_quality_office_sees_the_register_and_the_audit_trail(browser, scenario):
    b = browser().log_in("elena.dumitrascu")
    b.open("/quality")
    register = b.text("#register")
    for code in ("PO-RP-02", "PO-AUD-01", "PS-SMC-01"):
        assert code in register
    b.screenshot("quality-office")
    b.open(f"/documents/{scenario.codes['PO-RP-02']}")
    audit = b.text("#audit-title + .table-wrap")
    assert "maria.ilie" in audit and "aprobare" in audit
    b.screenshot("document-audit-trail")
    b2 = browser().log_in("radu.munteanu")
    b2.open("/quality")
    assert b2.text("h1") == "Acces interzis"


def test_sign_from_the_inbox_as_the_right_user(browser, scenario, login):
    other = browser().log_in("radu.munteanu")
    other.open("/inbox")
    assert "Niciun document nu așteaptă" in other.text()
    b = browser().log_in("maria.ilie")
    b.open("/inbox")
    item = b.find(f"#r-{scenario.petitions_v2}")
    assert "Ediția I, Revizia 4" in item.text and "În verificare" in item.text
    # the signing buttons (the viewer of what is signed has its own)
    buttons = [x.text for x in item.find_elements(By.CSS_SELECTOR, ".actions button")]
    assert buttons == ["Verifică", "Respinge"]
    b.screenshot("inbox")
    item.find_element(By.CSS_SELECTOR, "textarea").send_keys("Conform; termen verificat.")
    item.find_element(By.CSS_SELECTOR, "button[value=verify]").click()
    assert b.flash() == "Semnătura dumneavoastră a fost înregistrată."
    # now in endorsement: RP is on its distribution list, so its head is asked for the
    # department's opinion (formularul de analiză), no longer for the verification
    item = b.find(f"#r-{scenario.petitions_v2}")
    assert "În avizare" in item.text
    assert [x.text for x in item.find_elements(By.CSS_SELECTOR, ".actions button")] == [
        "Dă avizul"]
    b.screenshot("inbox-signed")
    version = login("maria.ilie").get(f"/api/versions/{scenario.petitions_v2}")
    assert version["status"] == "in_endorsement"
    signatures = login("maria.ilie").get(f"/api/versions/{scenario.petitions_v2}/signatures")
    assert signatures["items"][-1]["comment"] == "Conform; termen verificat."
    assert signatures["items"][-1]["signer"] == "maria.ilie"


def test_a_feed_item_arrives_live_in_a_second_session(browser, scenario):
    reader = browser().log_in("radu.munteanu")
    reader.wait(lambda d: d.find_element(By.ID, "feed-live").text.startswith("În direct"))
    before = len(reader.find_all("#feed li[data-id]"))
    mayor = browser().log_in("daniel.balan")
    mayor.open("/inbox")
    item = mayor.find(f"#r-{scenario.approval_pending}")
    item.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    assert mayor.flash() == "Semnătura dumneavoastră a fost înregistrată."
    fresh = reader.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#feed li.fresh"), 30)
    assert "PO-DAP-03" in fresh[0].text
    # the same time as the server writes: dd.mm.yyyy HH:MM, the city hall's time
    shown = fresh[0].find_element(By.CSS_SELECTOR, "time")
    from services.gateway.ui.i18n import format_datetime
    assert shown.text == format_datetime(shown.get_attribute("datetime"))
    assert len(reader.find_all("#feed li[data-id]")) > before
    reader.screenshot("home-live-feed")


def test_a_confidential_document_is_not_found_by_someone_not_permitted(browser, scenario):
    b = browser().log_in("radu.munteanu")
    b.open(f"/documents/{scenario.codes['PO-AUD-01']}")
    assert b.text("h1") == "Nu a fost găsit"
    b.screenshot("confidential-not-found")
    status = b.driver.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus")
    assert status == 404
    b.open(f"/documents/{scenario.codes['PO-AUD-01']}/diff?old=x&new=y")
    assert b.text("h1") == "Nu a fost găsit"
    auditor = browser().log_in("livia.grigore")
    auditor.open(f"/documents/{scenario.codes['PO-AUD-01']}")
    assert "PO-AUD-01" in auditor.text("h1")


def test_a_title_with_a_script_shows_as_text(browser, scenario):
    b = browser().log_in("ana.popescu")
    b.open(f"/documents/{scenario.xss_document}")
    assert XSS_TITLE in b.text("h1")
    with pytest.raises(NoAlertPresentException):
        b.driver.switch_to.alert.text
    assert b.driver.execute_script("return document.querySelectorAll('main script').length") == 0
    b.screenshot("document-script-title")


def test_upload_a_new_version_with_drag_and_drop_messages_and_progress(browser, scenario,
                                                                       tmp_path):
    from procedura_cli.docgen import docx_bytes

    b = browser().log_in("ana.popescu")
    b.open(f"/documents/{scenario.xss_document}")
    b.driver.find_element(By.LINK_TEXT, "Încarcă o versiune nouă").click()
    assert b.text("h1") == "Încarcă o versiune nouă"
    file_input = b.find("#file")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" + b"\0" * 100)
    file_input.send_keys(str(program))
    assert "nu poate citi acest tip de fișier" in b.text("#upload-message")
    limit = int(b.find("#upload").get_attribute("data-limit"))
    big = tmp_path / "mare.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (limit + 10))
    file_input.send_keys(str(big))
    assert "Fișierul este prea mare" in b.text("#upload-message")
    b.screenshot("upload-too-large")
    # a page that let it through (an old page, another limit): the server's own answer
    b.driver.execute_script(
        "document.getElementById('upload').dataset.limit = String(10 * 1024 * 1024 * 1024)")
    file_input.send_keys(str(big))
    b.driver.execute_script("""
        window.progressSeen = [];
        const bar = document.getElementById('progress');
        new MutationObserver(() => progressSeen.push([bar.hidden, bar.value]))
          .observe(bar, {attributes: true});""")
    b.find("#upload button[type=submit]").click()
    message = b.wait(lambda d: d.find_element(By.ID, "upload-message").text.startswith(
        "Încărcarea nu a reușit:") and d.find_element(By.ID, "upload-message").text, 60)
    assert "Serverul a refuzat fișierul: este prea mare sau gol." in message
    assert "larger than" in message     # the server's own words, after the upload
    seen = b.driver.execute_script("return window.progressSeen")
    assert any(not hidden and value > 0 for hidden, value in seen), seen   # it moved
    assert b.find("#progress").get_attribute("hidden") is not None   # hidden again
    b.screenshot("upload-refused-by-the-server")

    good = tmp_path / "Procedură avizare.docx"
    good.write_bytes(docx_bytes("Avizare", "# Avizare\n\nTermenul este de 15 zile.\n"))
    # drag and drop: a drop event carrying the file, as the browser sends it
    b.driver.execute_script("""
        const input = arguments[0], zone = document.getElementById('dropzone');
        const transfer = new DataTransfer();
        transfer.items.add(input.files[0]);
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
    """, _with_file(file_input, good))
    assert "Procedură avizare.docx" in b.text("#chosen")
    b.find("#change_summary").send_keys("Ediția I: termen de 15 zile")
    b.find("#upload button[type=submit]").click()
    b.wait(lambda d: "/upload" not in d.current_url, 60)
    assert b.flash() == "Noua versiune a fost încărcată."
    assert "Procedură avizare.docx" in b.text("#history-title ~ .table-wrap")
    b.screenshot("document-after-upload")


def _with_file(file_input, path):
    file_input.send_keys(str(path))
    return file_input


def test_english_can_be_chosen_and_romanian_is_the_default(browser, scenario):
    b = browser().log_in("radu.munteanu")
    assert b.find("html").get_attribute("lang") == "ro"
    b.driver.find_element(By.LINK_TEXT, "English").click()
    assert b.find("html").get_attribute("lang") == "en"
    assert [a.text for a in b.find_all(".top nav a")][:3] == ["Home", "Search", "To sign"]
    b.open(f"/documents/{scenario.codes['PO-RP-02']}")
    assert "Edition I, Revision 3" in b.text("#current-title + p")
    b.screenshot("document-english")
    b.driver.find_element(By.LINK_TEXT, "Română").click()
    assert b.text("#current-title") == "Versiunea în vigoare"


def test_keyboard_focus_and_labels(browser, scenario):
    b = browser().log_in("radu.munteanu")
    b.open("/search")
    b.find("body").send_keys(Keys.TAB)
    focused = b.driver.switch_to.active_element
    assert focused.text == "Salt la conținut"
    outline = b.driver.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    focused.send_keys(Keys.ENTER)
    # every form control has a label
    unlabeled = b.driver.execute_script("""
        return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
          .map(e => e.id || e.name);""")
    assert unlabeled == []


@pytest.mark.parametrize("page", ["home", "search", "document", "inbox"])
def test_pages_fit_a_phone(browser, scenario, page):
    b = browser(390, 844).log_in("maria.ilie")
    path = {"home": "/", "search": "/search?q=petitiilor",
            "document": f"/documents/{scenario.codes['PO-RP-02']}", "inbox": "/inbox"}[page]
    b.open(path)
    assert b.no_horizontal_scroll(), f"{page} scrolls sideways on a phone"
    b.screenshot(f"phone-{page}")


def test_a_first_upload_may_keep_the_numbering_the_procedure_already_has(browser, login,
                                                                          tmp_path):
    from procedura_cli.docgen import docx_bytes
    from tests.e2e.test_walking_skeleton import register, unique_code

    document = register(login("ana.popescu"), unique_code())
    b = browser().log_in("ana.popescu")
    b.open(f"/documents/{document['id']}/upload")
    assert b.text("legend") == "Numerotarea pe care o are deja (opțional)"
    b.find("#edition").send_keys("2")
    b.find("#revision").send_keys("1")
    b.screenshot("upload-first-version-numbering")
    existing = tmp_path / "Procedură existentă.docx"
    existing.write_bytes(docx_bytes("Existentă", "# Existentă\n\nTermenul este de 10 zile.\n"))
    b.find("#file").send_keys(str(existing))
    b.find("#upload button[type=submit]").click()
    b.wait(lambda d: "/upload" not in d.current_url, 60)
    assert "Ediția II, Revizia 1" in b.text("#history-title ~ .table-wrap")
    b.open(f"/documents/{document['id']}/upload")          # the next is numbered by Procedura
    assert b.find_all("#edition") == []
