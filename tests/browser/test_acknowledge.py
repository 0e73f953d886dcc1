"""Acknowledgements in the web interface: "Am luat la cunoștință" from the list and from
the document page, and the report per revision and department for the quality office
and for a department's head."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.testenv import eventually


def test_acknowledge_a_revision_in_force(browser, scenario, login):
    # PO-RP-02 Ediția I, Revizia 3 is in force; DJ is on its distribution list
    eventually(lambda: [a for a in login("radu.munteanu").get("/api/me/acknowledgements")[
        "items"] if a["version_id"] == scenario.petitions_v1])
    b = browser().log_in("radu.munteanu")
    assert "PO-RP-02" in b.text("#ack-title + ul")
    b.screenshot("home-to-acknowledge")
    b.open("/acknowledgements")
    assert "Ediția I, Revizia 3" in b.text("main")
    b.screenshot("acknowledgements")
    mine = f"form[action='/versions/{scenario.petitions_v1}/acknowledge']"
    b.find(f"{mine} button").click()
    assert b.flash() == "Ați confirmat luarea la cunoștință."
    assert b.find_all(mine) == []
    b.screenshot("acknowledged")
    pending = login("radu.munteanu").get("/api/me/acknowledgements")
    assert all(a["version_id"] != scenario.petitions_v1 for a in pending["items"])

    report = browser().log_in("elena.dumitrascu").open("/quality")
    section = report.driver.find_element(By.ID, "acknowledgements").text
    assert "radu.munteanu" in section and "PO-RP-02" in section
    departments = report.text("#ack-departments")
    assert "DJ" in departments
    report.screenshot("quality-acknowledgements")


def test_acknowledge_from_the_document_page(browser, scenario, login):
    eventually(lambda: [a for a in login("ana.popescu").get("/api/me/acknowledgements")[
        "items"] if a["version_id"] == scenario.petitions_v1])
    b = browser().log_in("ana.popescu")
    b.open(f"/documents/{scenario.codes['PO-RP-02']}")
    button = b.find(f"form[action='/versions/{scenario.petitions_v1}/acknowledge'] button")
    assert button.text == "Am luat la cunoștință"
    b.screenshot("document-acknowledge")
    button.click()
    assert b.flash() == "Ați confirmat luarea la cunoștință."
    assert b.path.startswith(f"/documents/{scenario.codes['PO-RP-02']}")
    assert b.find_all(f"form[action='/versions/{scenario.petitions_v1}/acknowledge']") == []
    # someone not on the list (DRU is not on PO-RP-02's) gets no button
    other = browser().log_in("george.matei").open(f"/documents/{scenario.codes['PO-RP-02']}")
    assert other.find_all("form[action$='/acknowledge']") == []


def test_a_head_sees_the_acknowledgements_of_their_department_only(browser, scenario):
    b = browser().log_in("stefan.ionescu")
    b.open("/quality")
    assert b.text("h1").endswith("DJ")
    assert b.find_all("#register") == []          # the register is the quality office's
    departments = b.text("#ack-departments")
    assert "DJ" in departments and "DAP" not in departments
    assert "Radu Munteanu" in b.text("#acknowledgements")
    b.screenshot("quality-head")
