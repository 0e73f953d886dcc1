"""Processes and the risk register through the gateway: re-assessing a risk puts
review_due into the owner department's feed for the procedure that controls it."""
from __future__ import annotations

import uuid

import pytest

from procedura_cli.client import ApiError
from tests.e2e.test_walking_skeleton import register, unique_code
from tests.testenv import eventually

SCORES = {"inherent_probability": 4, "inherent_impact": 4, "residual_probability": 2,
          "residual_impact": 2}


def test_reassessing_a_risk_flags_its_procedure_in_the_owner_departments_feed(login):
    quality, head = login("elena.dumitrascu"), login("stefan.ionescu")
    document = register(login("ana.popescu"), unique_code())
    process_code = f"P-{uuid.uuid4().hex[:6].upper()}"
    process = quality.post("/api/processes", {
        "code": process_code, "name": f"Avizare juridică {process_code}", "department": "DJ",
        "owner": "stefan.ionescu"})
    assert process["owner_name"] == "Ștefan Ionescu"
    risk = quality.post("/api/risks", {
        "code": f"R-{uuid.uuid4().hex[:6].upper()}", "department": "DJ", "process": process_code,
        "owner": "stefan.ionescu", "description": "Contracte semnate fără aviz juridic",
        "cause": "Termene scurte", "consequence": "Clauze nelegale",
        "controls": [{"measure": "Avizarea obligatorie a contractelor",
                      "procedure": document["code"]}], **SCORES})
    assert (risk["inherent"]["exposure"], risk["residual"]["level"]) == (16, "scăzută")
    assert risk["controls"][0]["procedure"]["code"] == document["code"]

    assessed = head.post(f"/api/risks/{risk['id']}/assessments", {
        **SCORES, "residual_probability": 3, "residual_impact": 4,
        "comment": "Volum dublu de contracte"})
    assert assessed["reviews_requested"] == [document["code"]]
    assert assessed["residual"]["exposure"] == 12

    def review_due():
        items = login("radu.munteanu").get("/api/feed", kind="review_due")["items"]
        return [i for i in items if i["document_id"] == document["id"]]
    [item] = eventually(review_due)
    assert item["code"] == document["code"]
    assert f"riscul {risk['code']} a fost reevaluat" in item["message"]
    assert "expunere reziduală 12 (medie)" in item["message"]

    history = quality.get(f"/api/risks/{risk['id']}")["assessments"]
    assert [a["residual"]["exposure"] for a in history] == [4, 12]
    listed = quality.get("/api/risks", department="DJ")["items"]
    assert any(r["id"] == risk["id"] and r["residual"]["exposure"] == 12 for r in listed)
    changed = quality.request("PUT", f"/api/risks/{risk['id']}",
                              json={"status": "monitored", "observations": "Revizuit"})
    assert changed.status_code == 200 and changed.json()["status"] == "monitored"


def test_risk_input_is_checked(login):
    quality = login("elena.dumitrascu")
    body = {"code": f"R-{uuid.uuid4().hex[:6].upper()}", "department": "DJ",
            "description": "Risc de test", **SCORES}
    response = quality.request("POST", "/api/risks", json={**body, "inherent_impact": 6})
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [
        "inherent_impact"]
    risk = quality.post("/api/risks", body)
    response = quality.request("POST", f"/api/risks/{risk['id']}/assessments",
                               json={**SCORES, "residual_probability": 0})
    assert response.status_code == 422
    assert "residual_probability" in response.json()["error"]["message"]
    with pytest.raises(ApiError) as raised:       # an author of another department
        login("george.matei").post(f"/api/risks/{risk['id']}/assessments", SCORES)
    assert raised.value.status == 403
    with pytest.raises(ApiError) as raised:
        login("ana.popescu").post("/api/processes", {"code": "P-X1", "name": "Proces",
                                                     "department": "DJ"})
    assert raised.value.status == 403
    assert quality.request("GET", "/api/risks/nu-exista").status_code == 404
