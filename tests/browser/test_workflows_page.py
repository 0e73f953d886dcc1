"""Workflows in the browser (issue 15): the quality office adds the legal department's
opinion to a document type's workflow with the editor's buttons alone (add, move up, a
refused quorum shown in Romanian next to its field, save), everyone sees the new diagram,
the step is removed again; the document page draws where a revision stands. Screenshots
at 1280 and 390 px: .stack/test-runs/<run>/screenshots/workflow-*.png"""
from __future__ import annotations

from selenium.webdriver.support.ui import Select

from procedura_cli.docgen import docx_bytes
from tests.browser.scenario import DOCX
from tests.helpers import extraction_settled

TYPE = "IL"   # work instructions: no document of the other browser tests waits in one
SHIPPED = ["verify", "approve"]   # config/workflows.yaml: a head verifies, the mayor approves
LEGAL = ["verify", "avizare-juridica", "approve"]


def drawn_steps(b, css: str = "#workflow-diagram .wf-wide") -> list[str]:
    return [g.get_attribute("data-step") for g in b.find_all(f"{css} g.step")]


def box_text(b, step: str, css: str = "#workflow-diagram .wf-wide") -> str:
    return b.find(f'{css} g[data-step="{step}"]').get_attribute("textContent")


def press(b, op: str):
    """An editor's button: the page answers with the form again (or the saved page)."""
    before = b.find("#workflow-editor")
    b.find(f'#workflow-editor button[name=op][value="{op}"]').click()
    b.wait_gone(before)
    b.wait_for("main h1")
    return b


def type_into(b, css: str, text: str):
    field = b.find(css)
    field.clear()
    field.send_keys(text)


def phone(browser, username: str):
    """A 390 px wide phone (chromium's window is never narrower than 500 px: its
    device metrics are, as test_viewer does), logged in as `username`."""
    b = browser(390, 844)
    b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    b.log_in(username)
    assert b.driver.execute_script("return window.innerWidth") == 390
    return b


def put_back(browser):
    """The shipped steps again, through the editor: every step not among them removed."""
    b = browser().log_in("elena.dumitrascu").open(f"/workflows/{TYPE}")
    while True:
        ids = [f.get_attribute("value") for f in b.find_all("fieldset.wf-step input[id$='-id']")]
        extra = [i for i, step in enumerate(ids) if step not in SHIPPED]
        if not extra:
            break
        press(b, f"remove:{extra[0]}")
    type_into(b, "#comment", "Revenire la fluxul inițial")
    press(b, "save")
    return b


def test_the_quality_office_adds_a_legal_step_with_the_editor_and_everyone_sees_it(
        browser, scenario, login):
    office = browser().log_in("elena.dumitrascu").open(f"/workflows/{TYPE}")
    assert drawn_steps(office) == SHIPPED
    try:
        _edit_and_look(browser, login)
    finally:
        if drawn_steps(office.open(f"/workflows/{TYPE}")) != SHIPPED:   # stopped halfway
            put_back(browser)


def _edit_and_look(browser, login):
    b = browser().log_in("elena.dumitrascu").open(f"/workflows/{TYPE}")
    assert drawn_steps(b) == SHIPPED
    assert len(b.find_all("fieldset.wf-step")) == 2
    press(b, "add")
    assert len(b.find_all("fieldset.wf-step")) == 3
    type_into(b, "#step-2-id", "avizare-juridica")
    type_into(b, "#step-2-label_ro", "Avizare juridică")
    type_into(b, "#step-2-label_en", "Legal opinion")
    type_into(b, "#step-2-signed_ro", "Avizat juridic")
    Select(b.find("#step-2-role")).select_by_value("verifier")
    Select(b.find("#step-2-department")).select_by_value("DJ")
    type_into(b, "#step-2-quorum", "0")
    type_into(b, "#step-2-deadline", "5")
    press(b, "up:2")   # between the verification and the approval
    assert b.find("#step-1-id").get_attribute("value") == "avizare-juridica"
    assert drawn_steps(b) == LEGAL
    assert "Previzualizare (nesalvată)" in b.text("#diagram-title")

    press(b, "save")   # a quorum of 0 is refused, in Romanian, next to its field
    assert b.text("#step-1-quorum-error") == "Cvorumul este un număr întreg de la 1 la 50."
    assert b.find("#step-1-quorum").get_attribute("aria-invalid") == "true"
    assert "nu a fost salvat" in b.text("#workflow-errors")
    b.screenshot("workflow-editor-refused")

    type_into(b, "#step-1-quorum", "1")
    type_into(b, "#comment", "Avizul Direcției juridice înaintea aprobării")
    press(b, "save")
    assert "a fost salvat ca versiunea" in b.flash()
    assert drawn_steps(b) == LEGAL
    legal = box_text(b, "avizare-juridica")
    assert "2. Avizare juridică" in legal and "verificator · DJ" in legal
    assert "termen: 5 zile lucrătoare" in legal
    assert "Avizul Direcției juridice înaintea aprobării" in b.text("#workflow-history")
    assert "elena.dumitrascu" in b.text("#workflow-history tbody tr")
    # what was saved, as the form reads it back
    assert [b.find(f"#step-1-{name}").get_attribute("value") for name in (
        "id", "label_ro", "label_en", "signed_ro", "role", "department", "quorum",
        "deadline")] == ["avizare-juridica", "Avizare juridică", "Legal opinion",
                         "Avizat juridic", "verifier", "DJ", "1", "5"]
    b.screenshot("workflow-editor-1280")

    small = phone(browser, "elena.dumitrascu").open(f"/workflows/{TYPE}")
    assert small.find("#workflow-diagram .wf-narrow svg").is_displayed()
    assert not small.find("#workflow-diagram .wf-wide svg").is_displayed()
    assert small.no_horizontal_scroll()
    small.screenshot("workflow-editor-390", full_page=False)   # as seen, 390 px wide
    small.driver.execute_script("document.getElementById('step-1').scrollIntoView()")
    small.screenshot("workflow-editor-390-step", full_page=False)

    reader = browser().log_in("radu.munteanu").open(f"/workflows/{TYPE}")
    assert not reader.find_all("#workflow-editor")
    assert drawn_steps(reader) == LEGAL
    reader.open("/workflows")
    assert "avizare-juridica" in [g.get_attribute("data-step") for g in reader.find_all(
        f"#type-{TYPE} .wf-wide g.step")]
    reader.screenshot("workflows-list-1280")

    _a_revision_waits_for_the_legal_opinion(browser, login)

    # and back to the workflow Procedura ships: the legal step removed, saved again
    b = put_back(browser)
    assert "a fost salvat ca versiunea" in b.flash()
    assert drawn_steps(b) == SHIPPED and len(b.find_all("fieldset.wf-step")) == 2
    assert "Revenire la fluxul inițial" in b.text("#workflow-history tbody tr")


def submitted(login, author: str, head: str, code: str, doc_type: str) -> dict:
    """A document of `author`'s department, its first revision submitted and verified by
    the department's head."""
    writer, verifier = login(author), login(head)
    department = code.split("-")[1]   # IL-DRU-15: DRU
    document = writer.post("/api/documents", {
        "code": code, "title": "Avizarea contractelor", "type": doc_type,
        "owner_department": department, "distribution": [department]})
    version = writer.upload(document["id"], "avizare.docx",
                            docx_bytes("Avizarea contractelor", "Contractele se avizează."),
                            "Prima ediție", DOCX)
    extraction_settled(writer, version["id"], timeout=60)
    writer.act(version["id"], "submit")
    verifier.act(version["id"], "verify", "Verificat")
    return document


def _a_revision_waits_for_the_legal_opinion(browser, login):
    """Submitted under the new version, a work instruction of DRU waits, once verified,
    for the head of the legal department: the document page draws it so."""
    document = submitted(login, "george.matei", "cristina.tarus", "IL-DRU-15", TYPE)
    b = browser().log_in("george.matei").open(f"/documents/{document['id']}")
    assert drawn_steps(b, "#progress-diagram .wf-wide") == LEGAL
    legal = b.find('#progress-diagram .wf-wide g[data-step="avizare-juridica"]')
    assert "step-current" in legal.get_attribute("class")
    assert "se așteaptă: Ștefan Ionescu" in legal.get_attribute("textContent")
    assert "Fluxul de lucru: la pasul „Avizare juridică”" in b.text("#progress-title")
    assert "În analiză" in b.text("#current-title + p")
    b.screenshot("workflow-document-legal-step-1280")


def test_the_document_page_draws_where_the_revision_stands(browser, scenario, login):
    document = submitted(login, "ana.popescu", "stefan.ionescu", "PO-DJ-15", "PO")
    for width in (1280, 390):
        b = (browser(width, 844).log_in("ana.popescu") if width == 1280
             else phone(browser, "ana.popescu")).open(f"/documents/{document['id']}")
        shown = "#progress-diagram " + (".wf-wide" if width == 1280 else ".wf-narrow")
        assert b.find(f"{shown} svg").is_displayed()
        assert drawn_steps(b, shown) == ["verify", "endorse", "approve"]
        verified = b.find(f'{shown} g[data-step="verify"]')
        assert "step-done" in verified.get_attribute("class")
        assert "Ștefan Ionescu" in verified.get_attribute("textContent")
        awaited = b.find(f'{shown} g[data-step="endorse"]')
        assert "step-current" in awaited.get_attribute("class")
        assert "se așteaptă" in awaited.get_attribute("textContent")
        assert "urmează" in box_text(b, "approve", shown)
        assert b.no_horizontal_scroll()
        if width == 1280:
            b.screenshot("workflow-document-progress-1280")
        else:   # as seen: a full page's screenshot resizes the window
            b.driver.execute_script(
                "document.getElementById('progress-diagram').scrollIntoView()")
            b.screenshot("workflow-document-progress-390", full_page=False)
