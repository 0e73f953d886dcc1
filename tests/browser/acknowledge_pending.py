"""For the lead, once acknowledgements (`POST /api/versions/{vid}/acknowledge`,
`GET /api/me/acknowledgements`) are merged into the gateway: not collected yet (the file
name does not start with test_). To finish it:

1. In services/gateway/ui_routes.py, make `UiRoutes._pending_acknowledgements(user)` return
   the items of `GET /api/me/acknowledgements` (each with document_id, version_id, code,
   title), and add `@http("POST", "/versions/<version_id>/acknowledge") @page` that calls the
   acknowledgements RPC and redirects to `/acknowledgements?flash=acknowledged` (add that
   flash to FLASH in ui/render.py, "Ați confirmat luarea la cunoștință.", then
   `make catalogs-update` and translate).
2. The templates are ready: home.html ("De luat la cunoștință" card), acknowledgements.html
   (the list and the "Am luat la cunoștință" button posting to the route above), and
   quality.html's `acknowledgement_report` block for the report per revision and department.
3. Rename this file to test_acknowledge.py.
"""
from __future__ import annotations

from selenium.webdriver.common.by import By


def test_acknowledge_a_revision_in_force(browser, scenario, login):
    # PO-RP-02 Ediția I, Revizia 0 is in force; DJ is on its distribution list
    b = browser().log_in("radu.munteanu")
    assert "PO-RP-02" in b.text("#ack-title + ul")
    b.open("/acknowledgements")
    b.find("form[action$='/acknowledge'] button").click()
    assert b.text("[role=status]") == "Ați confirmat luarea la cunoștință."
    assert b.find_all("form[action$='/acknowledge']") == []
    b.screenshot("acknowledged")
    pending = login("radu.munteanu").get("/api/me/acknowledgements")
    assert all(a["version_id"] != scenario.petitions_v1 for a in pending["items"])
    report = browser().log_in("elena.dumitrascu").open("/quality")
    assert "radu.munteanu" in report.driver.find_element(By.ID, "acknowledgements").text
