"""Workflows as data (issue 15), on the real stack: the quality office adds the legal
office's step and a committee's to the PO workflow through the REST API alone, revisions
go through them, and the definition is put back; a revision that started under the
changed definition finishes under it."""
from __future__ import annotations

import pytest

from procedura_cli.client import ApiError, Client
from procedura_cli.docgen import docx_bytes
from tests.e2e.test_document_control import through_endorsement, uploaded
from tests.e2e.test_forms import docx_text, fetch
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.testenv import eventually

LEGAL = {"id": "avizare-juridica",
         "label": {"ro": "Avizare juridică", "en": "Legal review"},
         "signed_label": {"ro": "Avizat juridic", "en": "Legally reviewed"},
         "role": "verifier", "department": "DJ"}
COMMITTEE = {"id": "comisie-monitorizare",
             "label": {"ro": "Avizare comisie", "en": "Committee endorsement"},
             "role": "endorser", "department": "CM", "quorum": 2}
VERIFY = {"id": "verify", "label": {"ro": "Verificare", "en": "Verification"},
          "role": "verifier", "department": "owner"}
APPROVE = {"id": "approve", "label": {"ro": "Aprobare", "en": "Approval"},
           "role": "approver", "department": "any"}
# two more members of the monitoring committee (CM), beside mihai.tudose
MEMBERS = [{"username": f"membru.cm{i}", "full_name": f"Membru Comisie {i}",
            "department": "CM", "function": "Membru CM", "roles": ["reader", "endorser"],
            "password": "parola-membru-cm"} for i in (1, 2)]


def put(client, doc_type: str, body: dict):
    return client._json(client.request("PUT", f"/api/workflows/{doc_type}", json=body))


@pytest.fixture
def po_workflow(login):
    """The PO workflow as it is, put back (a new version) after the test."""
    quality = login("elena.dumitrascu")
    before = quality.get("/api/workflows/PO")
    yield quality, before
    put(quality, "PO", {**before["workflow"], "comment": "înapoi la circuitul obișnuit"})


@pytest.fixture
def committee(gateway, environment, org):
    """The demo organisation with two more committee members (three endorsers in CM),
    logged in."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.documents.load_organisation({"departments": org["departments"],
                                         "users": [*org["users"], *MEMBERS]})
    return [Client.login(gateway, m["username"], m["password"]) for m in MEMBERS]


def _dru_procedure(login):
    author = login("george.matei")
    document = register(author, unique_code("PO-DRU"), owner="DRU", distribution=("DRU",),
                        title="Recrutarea personalului contractual")
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    author.act(version["id"], "submit")
    login("cristina.tarus").act(version["id"], "verify", "Conform")
    return version["id"]


def told(client, version_id: str) -> list[str]:
    """What the person's feed says waits for them about the version (its words after
    the document's name)."""
    return [i["message"].split(") ", 1)[1] for i in client.get("/api/feed", limit=200)["items"]
            if i["version_id"] == version_id and "așteaptă" in i["message"]]


def test_the_legal_offices_step_is_added_signed_and_put_back(login, po_workflow):
    quality, before = po_workflow
    assert [s["id"] for s in before["workflow"]["steps"]] == ["verify", "endorse", "approve"]
    verify, endorse, approve = before["workflow"]["steps"]
    with pytest.raises(ApiError) as refused:         # the quality office alone
        put(login("stefan.ionescu"), "PO", {"steps": [verify, LEGAL, approve]})
    assert refused.value.status == 403
    with pytest.raises(ApiError) as refused:         # a department the city hall lacks
        put(quality, "PO", {"steps": [verify, {**LEGAL, "department": "DJX"}, approve]})
    assert (refused.value.status, refused.value.error["details"]["field"]) == (
        422, "steps[1].department")
    changed = put(quality, "PO", {"steps": [verify, LEGAL, approve],
                                  "comment": "avizul juridic"})
    assert changed["version"] == before["version"] + 1
    assert [w["version"] for w in quality.get("/api/workflows/PO/history")["items"]][:2] == [
        changed["version"], before["version"]]

    version_id = _dru_procedure(login)
    waiting = login("george.matei").get(f"/api/versions/{version_id}")
    assert waiting["status"] == "in_review"
    with pytest.raises(ApiError) as refused:         # the DRU head is not the legal office
        login("cristina.tarus").post(f"/api/versions/{version_id}/steps/avizare-juridica", {})
    assert refused.value.status == 403
    legal = login("stefan.ionescu")
    inbox = legal.get("/api/me/inbox")["items"]
    assert [i["actions"] for i in inbox if i["revision"]["version_id"] == version_id] == [
        ["avizare-juridica", "reject"]]
    eventually(lambda: version_id in {h["version_id"] for h in legal.get(
        "/api/search", q="Recrutarea", scope="work")["hits"]}, timeout=60)
    progress = legal.get(f"/api/versions/{version_id}/workflow")
    assert progress["current_step"] == "avizare-juridica"
    assert [p["username"] for p in progress["steps"][1]["awaited"]] == ["stefan.ionescu"]
    # the legal office's head is told in their feed, under the step's label
    assert eventually(lambda: told(legal, version_id), timeout=30) == [
        "așteaptă Avizare juridică de la dumneavoastră."]

    signed = legal.post(f"/api/versions/{version_id}/steps/avizare-juridica",
                        {"comment": "Avizat"})
    assert signed["status"] == "in_approval"
    # the step has no event of its own: its completion tells the approver, and search
    # follows the revision's move
    approver = login("daniel.balan")
    assert eventually(lambda: told(approver, version_id), timeout=30) == [
        "așteaptă aprobarea dumneavoastră."]
    eventually(lambda: [h["status"] for h in approver.get(
        "/api/search", q="Recrutarea", scope="work")["hits"]
        if h["version_id"] == version_id] == ["in_approval"], timeout=30)
    put(quality, "PO", {**before["workflow"], "comment": "înapoi"})   # meanwhile, put back
    assert login("daniel.balan").act(version_id, "approve")["status"] == "in_force"
    progress = legal.get(f"/api/versions/{version_id}/workflow")
    assert progress["workflow_version"] == changed["version"]
    assert [(s["id"], s["state"], s["signed_label"]["ro"]) for s in progress["steps"]] == [
        ("verify", "done", "Verificat"), ("avizare-juridica", "done", "Avizat juridic"),
        ("approve", "done", "Aprobat")]
    assert [s["username"] for s in progress["steps"][1]["signed_by"]] == ["stefan.ionescu"]
    signatures = legal.get(f"/api/versions/{version_id}/signatures")["items"]
    assert [(s["step"], s["signed_label"] and s["signed_label"]["ro"]) for s in signatures] == [
        ("submit", None), ("verify", "Verificat"), ("avizare-juridica", "Avizat juridic"),
        ("approve", "Aprobat")]
    form = docx_text(fetch(legal, f"/api/versions/{version_id}/forms/responsabili", "docx"))
    rows = [line for line in form.splitlines() if "semnat electronic" in line]
    assert [row.split(" | ")[1:3] for row in rows] == [
        ["Elaborat", "George Matei"], ["Verificat", "Cristina Țăruș"],
        ["Avizat juridic", "Ștefan Ionescu"], ["Aprobat", "Daniel Bălan"]]


def test_a_committee_step_is_complete_with_two_of_its_three_endorsers(login, po_workflow,
                                                                       committee):
    quality, before = po_workflow
    verify, endorse, approve = before["workflow"]["steps"]
    put(quality, "PO", {"steps": [verify, COMMITTEE, approve]})
    version_id = _dru_procedure(login)
    first = committee[0].post(f"/api/versions/{version_id}/steps/comisie-monitorizare", {})
    assert first["status"] == "in_review"
    with pytest.raises(ApiError) as refused:          # the same member twice
        committee[0].post(f"/api/versions/{version_id}/steps/comisie-monitorizare", {})
    assert refused.value.status == 409
    step = login("george.matei").get(f"/api/versions/{version_id}/workflow")["steps"][1]
    assert (step["state"], [s["username"] for s in step["signed_by"]]) == (
        "current", ["membru.cm1"])
    assert sorted(p["username"] for p in step["awaited"]) == ["membru.cm2", "mihai.tudose"]
    second = login("mihai.tudose").post(
        f"/api/versions/{version_id}/steps/comisie-monitorizare", {})
    assert second["status"] == "in_approval"


@pytest.mark.parametrize("change,field", [
    (lambda verify, approve: [verify, {**LEGAL, "role": "jurist"}, approve], "steps[1].role"),
    (lambda verify, approve: [verify, {**LEGAL, "department": "DJX"}, approve],
     "steps[1].department"),
    (lambda verify, approve: [verify, approve, {**LEGAL, "id": "verify"}], "steps[2].id"),
    (lambda verify, approve: [], "steps"),
    (lambda verify, approve: [verify, {**LEGAL, "quorum": 0}, approve], "steps[1].quorum"),
])
def test_a_bad_workflow_is_refused_naming_the_field(login, change, field):
    """The steps are written here, not read from the type's workflow: the refusal must not
    depend on what other tests of the run did to it (the browser tests edit IL's)."""
    quality = login("elena.dumitrascu")
    before = quality.get("/api/workflows/formular")
    with pytest.raises(ApiError) as refused:
        put(quality, "formular", {"steps": change(VERIFY, APPROVE)})
    answer = (refused.value.status, refused.value.error.get("details", {}).get("field"))
    assert answer == (422, field), refused.value.error
    assert quality.get("/api/workflows/formular")["version"] == before["version"]


def test_an_opinion_is_given_on_its_step_by_the_steps_route(login):
    """POST /api/versions/{id}/steps/{step} with `favourable`, where the step takes the
    departments' opinions (endorse in the shipped PO workflow), is the opinion of the
    person's department; on another step than the one the revision waits in, 409."""
    _, version = uploaded(login)
    through_endorsement(login, version["id"])
    rp_head = login("maria.ilie")
    with pytest.raises(ApiError) as elsewhere:
        rp_head.post(f"/api/versions/{version['id']}/steps/verify", {"favourable": True})
    assert elsewhere.value.status == 409
    assert elsewhere.value.error["details"]["current_step"] == "endorse"
    rp_head.post(f"/api/versions/{version['id']}/steps/endorse",
                 {"favourable": False, "comment": "Lipsește termenul"})
    author = login("ana.popescu")
    assert author.get(f"/api/versions/{version['id']}")["status"] == "draft"
    last = author.get(f"/api/versions/{version['id']}/signatures")["items"][-1]
    assert (last["step"], last["decision"], last["comment"]) == (
        "opinion", "unfavourable", "Lipsește termenul")
