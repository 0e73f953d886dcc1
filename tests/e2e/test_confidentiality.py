"""A confidential document through the gateway (issue 12, findings 2, 3 and part of 9):
whoever may not read it finds it in no list, count or view, and naming it (by code,
version id or link) answers exactly as naming something that does not exist."""
from __future__ import annotations

import uuid

from procedura_cli.docgen import docx_bytes
from tests.e2e.test_risks import SCORES
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.testenv import eventually

HOLDER, DJ_READER, DJ_HEAD, QUALITY = ("paul.zamfir", "radu.munteanu", "stefan.ionescu",
                                        "elena.dumitrascu")


def secret_document(login, **fields) -> dict:
    """A confidential procedure of urbanism (DUAT), on nobody else's list."""
    return login(HOLDER).post("/api/documents", {
        "code": unique_code("PO-DUAT"), "title": "Autorizații de urbanism cu regim special",
        "type": "PO", "owner_department": "DUAT", "distribution": ["DUAT"],
        "confidential": True, **fields})


def answer(response, *names: str):
    """Status and error body with the names it was asked about replaced, to compare two."""
    text = response.text
    for name in names:
        text = text.replace(name, "NAME")
    return response.status_code, text


def test_a_process_lists_only_the_procedures_its_reader_may_read(login):
    code = f"P-{uuid.uuid4().hex[:6].upper()}"
    login(QUALITY).post("/api/processes", {"code": code, "name": f"Urbanism {code}",
                                           "department": "DUAT"})
    secret = secret_document(login, process=code)
    public = login("ana.popescu").post("/api/documents", {
        "code": unique_code(), "title": "Avizarea contractelor", "type": "PO",
        "owner_department": "DJ", "distribution": ["DJ"], "process": code})
    both = sorted([secret["code"], public["code"]])
    for reader, shown in ((DJ_READER, [public["code"]]), (DJ_HEAD, [public["code"]]),
                          (HOLDER, both), (QUALITY, both)):
        client = login(reader)
        process = client.get(f"/api/processes/{code}")
        assert [p["code"] for p in process["procedures"]] == shown, reader
        [listed] = [p for p in client.get("/api/processes")["items"] if p["code"] == code]
        assert [p["code"] for p in listed["procedures"]] == shown, reader
        if secret["code"] not in shown:
            assert secret["title"] not in str(client.get("/api/processes"))


def test_a_confidential_procedure_is_not_linked_named_or_counted_in_the_risk_register(login):
    secret, public = secret_document(login), register(login("ana.popescu"), unique_code())
    head, quality = login(DJ_HEAD), login(QUALITY)
    body = {"code": f"R-{uuid.uuid4().hex[:6].upper()}", "department": "DJ",
            "description": "Contracte fără aviz", **SCORES}

    # naming it by code answers exactly as a code that does not exist
    unknown = unique_code("PO-DUAT")
    answers = [answer(head.request("POST", "/api/risks", json={
        **body, "controls": [{"measure": "Control", "procedure": code}]}), code)
        for code in (secret["code"], unknown)]
    assert answers[0] == answers[1] and answers[0][0] == 422
    risk = head.post("/api/risks", body)
    answers = [answer(head.request("PUT", f"/api/risks/{risk['id']}", json={
        "controls": [{"measure": "Control", "procedure": code}]}), code)
        for code in (secret["code"], unknown)]
    assert answers[0] == answers[1] and answers[0][0] == 422

    # the quality office links it; the views show it only to who may read it
    quality.request("PUT", f"/api/risks/{risk['id']}", json={"controls": [
        {"measure": "Control intern", "procedure": secret["code"]},
        {"measure": "Avizare", "procedure": public["code"]}]}).raise_for_status()
    assessed = head.post(f"/api/risks/{risk['id']}/assessments",
                         {**SCORES, "residual_probability": 3, "residual_impact": 4})
    assert assessed["reviews_requested"] == [public["code"]]
    for reader, shown in ((DJ_HEAD, [None, public["code"]]), (DJ_READER, [None, public["code"]]),
                          (QUALITY, [secret["code"], public["code"]])):
        client = login(reader)
        detail = client.get(f"/api/risks/{risk['id']}")
        assert [c["procedure"]["code"] if c["procedure"] else None
                for c in detail["controls"]] == shown, reader
        assert detail["assessments"][-1]["reviews_requested"] == sorted(c for c in shown if c)
        [listed] = [r for r in client.get("/api/risks", department="DJ")["items"]
                    if r["id"] == risk["id"]]
        assert listed["controls"] == detail["controls"]
        if reader != QUALITY:
            assert secret["code"] not in str(detail) and secret["title"] not in str(detail)

    # the review notice goes to the department that holds it, and to nobody else
    def review_due(username, document):
        return [i for i in login(username).get("/api/feed", kind="review_due")["items"]
                if i["document_id"] == document["id"]]
    eventually(lambda: review_due(HOLDER, secret))
    eventually(lambda: review_due(DJ_READER, public))
    assert review_due(DJ_READER, secret) == [] and review_due(DJ_HEAD, secret) == []


def test_a_version_of_a_confidential_document_answers_as_one_that_does_not_exist(login):
    secret = secret_document(login)
    version = login(HOLDER).upload(secret["id"], "a.docx", docx_bytes("a", BODY), "", DOCX)
    outsider, nowhere = login(DJ_READER), str(uuid.uuid4())
    for method, path in (("GET", "/api/versions/{}"), ("GET", "/api/versions/{}/content"),
                         ("GET", "/api/versions/{}/text"), ("GET", "/api/versions/{}/signatures"),
                         ("GET", "/api/versions/{}/forms/responsabili"),
                         ("GET", "/api/versions/{}/acknowledgements"),
                         ("POST", "/api/versions/{}/submit"),
                         ("POST", "/api/versions/{}/acknowledge"),
                         ("GET", f"/api/versions/{{}}/diff?against={version['id']}")):
        hidden, missing = (outsider.request(method, path.format(vid), json={})
                           for vid in (version["id"], nowhere))
        assert answer(hidden, version["id"]) == answer(missing, nowhere), path
        assert hidden.status_code == 404 and secret["id"] not in hidden.text, path
    # nor as the version to restore into a document the person may change
    own = register(login("ana.popescu"), unique_code())
    hidden, missing = (login("ana.popescu").request(
        "POST", f"/api/documents/{own['id']}/restore", json={"version_id": vid})
        for vid in (version["id"], nowhere))
    assert answer(hidden, version["id"]) == answer(missing, nowhere)
    assert hidden.status_code == 404
    # (the owner department still reads it)
    assert login(HOLDER).get(f"/api/versions/{version['id']}")["document_id"] == secret["id"]


def test_links_to_a_confidential_document_answer_as_links_to_none(login):
    secret, nowhere = secret_document(login), str(uuid.uuid4())
    author, head = login("ana.popescu"), login(DJ_HEAD)
    answers = []
    for target in (secret["id"], nowhere):
        link = [{"relation": "reference", "document_id": target}]
        registered = author.request("POST", "/api/documents", json={
            "code": unique_code(), "title": "Avizarea contractelor", "type": "PO",
            "owner_department": "DJ", "distribution": ["DJ"], "links": link})
        document = register(author, unique_code())
        patched = head.request("PATCH", f"/api/documents/{document['id']}", json={"links": link})
        answers.append((answer(registered, target), answer(patched, target)))
    assert answers[0] == answers[1]
    assert answers[0][0][0] == answers[0][1][0] == 422

    # a link the quality office made stays, unseen, when the head changes the others
    public = register(author, unique_code())
    document = register(author, unique_code())
    login(QUALITY).request("PATCH", f"/api/documents/{document['id']}", json={"links": [
        {"relation": "reference", "document_id": secret["id"]}]}).raise_for_status()
    assert head.get(f"/api/documents/{document['id']}")["links"] == []
    assert secret["id"] not in str(head.get("/api/documents"))
    changed = head.request("PATCH", f"/api/documents/{document['id']}", json={"links": [
        {"relation": "related", "document_id": public["id"]}]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["links"] == [{"relation": "related", "document_id": public["id"]}]
    # sending back what they see changes nothing, wherever the unseen link stands
    ordered = login(QUALITY).request("PATCH", f"/api/documents/{document['id']}", json={
        "links": [{"relation": "reference", "document_id": secret["id"]},
                  {"relation": "related", "document_id": public["id"]}]}).json()
    again = head.request("PATCH", f"/api/documents/{document['id']}",
                         json={"links": changed.json()["links"]})
    assert again.json()["updated_at"] == ordered["updated_at"]
    assert {link["document_id"] for link in login(QUALITY).get(
        f"/api/documents/{document['id']}")["links"]} == {public["id"], secret["id"]}


def test_a_taken_code_is_refused_alike_whoever_holds_it_and_names_no_document(login):
    """Codes stay unique across the register, so a taken code must be refused; the 409
    is the same for a code held by a document the person may read or not, and names no
    document (no id, title or department): it says only that the code is not free."""
    secret = login(HOLDER).post("/api/documents", {
        "code": f"F-DUAT-{uuid.uuid4().hex[:8]}", "title": "Formular confidențial de urbanism",
        "type": "formular", "owner_department": "DUAT", "distribution": ["DUAT"],
        "confidential": True})
    public = login("ana.popescu").post("/api/documents", {
        "code": f"F-DJ-{uuid.uuid4().hex[:8]}", "title": "Formular de avizare",
        "type": "formular", "owner_department": "DJ", "distribution": ["DJ"]})
    answers = []
    for taken in (secret, public):
        response = login("ana.popescu").request("POST", "/api/documents", json={
            "code": taken["code"], "title": "Alt formular", "type": "formular",
            "owner_department": "DJ", "distribution": ["DJ"]})
        assert taken["id"] not in response.text and taken["title"] not in response.text
        answers.append(answer(response, taken["code"]))
    assert answers[0] == answers[1] and answers[0][0] == 409


def test_an_upload_to_a_confidential_document_answers_as_one_to_none_and_stores_nothing(
        login, environment):
    """Small bodies are read before documents says whether the document may be seen (one
    RPC per upload), large ones are refused before they are read: both answer as a
    document that does not exist, and leave no object behind."""
    from tests.e2e.test_bad_input import uploaded

    secret, nowhere = secret_document(login), str(uuid.uuid4())
    outsider = login("ana.popescu")   # an author, of another department
    for size in (20_000, 4_500_000):
        before = uploaded(environment)
        hidden, missing = (outsider.request(
            "POST", f"/api/documents/{document_id}/versions",
            files={"file": ("p.docx", docx_bytes("p", BODY) + b"\0" * size, DOCX)},
            data={"change_summary": "x"}) for document_id in (secret["id"], nowhere))
        assert answer(hidden, secret["id"]) == answer(missing, nowhere), size
        assert hidden.status_code == 404 and secret["code"] not in hidden.text
        assert uploaded(environment) == before
    assert login(HOLDER).get(f"/api/documents/{secret['id']}/versions")["items"] == []
