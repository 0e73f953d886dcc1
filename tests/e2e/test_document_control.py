"""The signing chain as OSGG 600 describes it, registration, and coming into force."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from procedura_cli.client import ApiError
from procedura_cli.docgen import docx_bytes
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests.testenv import eventually


def uploaded(login, distribution=("DJ", "RP")):
    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=distribution)
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    return document, version


def through_endorsement(login, version_id):
    login("ana.popescu").act(version_id, "submit")
    login("stefan.ionescu").act(version_id, "verify", "Conform")


def test_opinions_endorsement_approval_and_the_signature_record(login):
    document, version = uploaded(login)
    through_endorsement(login, version["id"])
    rp_head = login("maria.ilie")
    rp_head.post(f"/api/versions/{version['id']}/opinion",
                 {"favourable": True, "comment": "Fără observații"})
    with pytest.raises(ApiError) as raised:            # one opinion per department
        rp_head.post(f"/api/versions/{version['id']}/opinion", {"favourable": True})
    assert raised.value.status == 409
    login("mihai.tudose").act(version["id"], "endorse", "Avizat")
    approved = login("daniel.balan").act(version["id"], "approve", "Aprob")
    assert approved["status"] == "in_force"
    number, year = approved["registry_number"].split("/")
    assert int(number) >= 1 and year == approved["effective_date"][:4]

    signatures = login("ana.popescu").get(f"/api/versions/{version['id']}/signatures")["items"]
    assert [(s["step"], s["signer"], s["decision"]) for s in signatures] == [
        ("submit", "ana.popescu", "submitted"),
        ("verify", "stefan.ionescu", "favourable"),
        ("opinion", "maria.ilie", "favourable"),
        ("endorse", "mihai.tudose", "favourable"),
        ("approve", "daniel.balan", "favourable"),
    ]
    assert signatures[1]["function"] == "Director executiv"
    assert signatures[2]["comment"] == "Fără observații"


def test_an_unfavourable_opinion_returns_the_revision_to_draft_with_its_observations(login):
    document, version = uploaded(login)
    through_endorsement(login, version["id"])
    login("maria.ilie").post(f"/api/versions/{version['id']}/opinion",
                             {"favourable": False, "comment": "Termenul de 30 de zile lipsește"})
    assert login("ana.popescu").get(f"/api/versions/{version['id']}")["status"] == "draft"
    signatures = login("ana.popescu").get(f"/api/versions/{version['id']}/signatures")["items"]
    assert signatures[-1]["decision"] == "unfavourable"
    assert signatures[-1]["comment"] == "Termenul de 30 de zile lipsește"
    # resubmitted, the department may give its opinion again
    through_endorsement(login, version["id"])
    login("maria.ilie").post(f"/api/versions/{version['id']}/opinion", {"favourable": True})


def test_a_new_revision_supersedes_the_one_in_force_only_when_it_comes_into_force(login):
    document, first = uploaded(login)
    through_endorsement(login, first["id"])
    login("mihai.tudose").act(first["id"], "endorse")
    assert login("daniel.balan").act(first["id"], "approve")["status"] == "in_force"

    author = login("ana.popescu")
    second = author.upload(document["id"], "p2.docx", docx_bytes("p", BODY + "\nRevizie."),
                           "Termene actualizate", DOCX)
    assert second["revision"] == 1
    # while the new revision is prepared, the old one stays in force
    assert author.get(f"/api/versions/{first['id']}")["status"] == "in_force"
    through_endorsement(login, second["id"])
    login("mihai.tudose").act(second["id"], "endorse")
    later = (date.today() + timedelta(days=30)).isoformat()
    approved = login("daniel.balan").post(f"/api/versions/{second['id']}/approve",
                                          {"effective_date": later})
    assert approved["status"] == "approved" and approved["effective_date"] == later
    assert author.get(f"/api/versions/{first['id']}")["status"] == "in_force"

    third = author.upload(document["id"], "p3.docx", docx_bytes("p", BODY + "\nR2."), "", DOCX)
    through_endorsement(login, third["id"])
    login("mihai.tudose").act(third["id"], "endorse")
    assert login("daniel.balan").act(third["id"], "approve")["status"] == "in_force"
    assert author.get(f"/api/versions/{first['id']}")["status"] == "superseded"
    assert approved["registry_number"] != author.get(
        f"/api/versions/{third['id']}")["registry_number"]


def test_bad_signing_input(login):
    document, version = uploaded(login)
    through_endorsement(login, version["id"])
    with pytest.raises(ApiError) as raised:          # approval before endorsement
        login("daniel.balan").act(version["id"], "approve")
    assert raised.value.status == 409
    assert raised.value.error["details"] == {
        "status": "in_endorsement", "allowed_actions": ["endorse", "opinion", "reject"]}
    with pytest.raises(ApiError) as raised:          # verifying twice
        login("stefan.ionescu").act(version["id"], "verify")
    assert raised.value.status == 409
    with pytest.raises(ApiError) as raised:          # an opinion must say which
        login("maria.ilie").post(f"/api/versions/{version['id']}/opinion", {})
    assert raised.value.status == 422
    login("mihai.tudose").act(version["id"], "endorse")
    with pytest.raises(ApiError) as raised:          # in force before it was approved
        login("daniel.balan").post(f"/api/versions/{version['id']}/approve",
                                   {"effective_date": "2020-01-01"})
    assert raised.value.status == 422
    assert raised.value.error["details"]["field"] == "effective_date"
    assert login("ana.popescu").get(f"/api/versions/{version['id']}")["status"] == "in_approval"


def test_the_diff_shows_the_changed_sentences(login):

    author = login("ana.popescu")
    document = register(author, unique_code())
    old = author.upload(document["id"], "r0.docx", docx_bytes(
        "p", BODY + "\nRăspunsul se transmite în termen de 30 de zile.\n"), "", DOCX)
    new = author.upload(document["id"], "r1.docx", docx_bytes(
        "p", BODY + "\nRăspunsul se transmite în termen de 15 zile lucrătoare.\n"),
        "Termen redus", DOCX)
    for version in (old, new):
        assert extraction_settled(author, version["id"])["extraction"]["status"] == "done"
    diff = author.get(f"/api/versions/{new['id']}/diff", against=old["id"])
    changed = [h for h in diff["hunks"] if h["op"] != "equal"]
    assert len(changed) == 1 and changed[0]["op"] == "replace"
    words = [(w["old"], w["new"]) for w in changed[0]["words"] if w["op"] != "equal"]
    assert ("30 de", "15") in words
    assert "-Răspunsul se transmite în termen de 30 de zile." in diff["unified"]
    assert "--- Ediția I, Revizia 0" in diff["unified"]

    other = register(author, unique_code())
    stranger = author.upload(other["id"], "x.docx", docx_bytes("x", BODY), "", DOCX)
    response = author.request("GET", f"/api/versions/{new['id']}/diff",
                              params={"against": stranger["id"]})
    assert response.status_code == 404


def approve_fully(login, version_id):
    through_endorsement(login, version_id)
    login("mihai.tudose").act(version_id, "endorse")
    return login("daniel.balan").act(version_id, "approve")


def acknowledge_when_asked(reader, version_id: str, timeout: float = 30) -> dict:
    """The reader confirms a revision in force as a reader does: once it is among the
    reader's confirmations (the distribution list opens when notifications handles
    version_in_force)."""
    eventually(lambda: [a for a in reader.get("/api/me/acknowledgements")["items"]
                        if a["version_id"] == version_id], timeout=timeout)
    return reader.post(f"/api/versions/{version_id}/acknowledge")


def in_force(login, name: str):
    """The author, a document of the author's and its first revision `name`.docx, through
    the whole chain."""
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], f"{name}.docx", docx_bytes(name, BODY), "", DOCX)
    approve_fully(login, version["id"])
    return author, document, version


def test_revisions_record_what_changed_and_a_new_edition_starts_at_revision_zero(login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    first = author.upload(document["id"], "a.docx", docx_bytes("a", BODY), "Ediția inițială",
                          DOCX, component_revised="integral", how_revised="elaborare")
    second = author.upload(document["id"], "b.docx", docx_bytes("b", BODY), "Termene noi",
                           DOCX, component_revised="cap. 5", how_revised="modificare")
    assert (second["edition"], second["revision"]) == (1, 1)
    assert (second["component_revised"], second["how_revised"],
            second["change_summary"]) == ("cap. 5", "modificare", "Termene noi")
    assert author.post(f"/api/documents/{document['id']}/new-edition")["next_edition"]
    third = author.upload(document["id"], "c.docx", docx_bytes("c", BODY), "Lege nouă", DOCX)
    assert (third["edition"], third["revision"]) == (2, 0)
    fourth = author.upload(document["id"], "d.docx", docx_bytes("d", BODY), "", DOCX)
    assert (fourth["edition"], fourth["revision"]) == (2, 1)
    assert first["revision"] == 0


def test_a_superseded_version_can_be_restored_as_a_new_draft(login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    old = author.upload(document["id"], "vechi.docx", docx_bytes("v", BODY), "", DOCX)
    approve_fully(login, old["id"])
    new = author.upload(document["id"], "nou.docx", docx_bytes("n", BODY + "\nX."), "", DOCX)
    approve_fully(login, new["id"])
    assert author.get(f"/api/versions/{old['id']}")["status"] == "superseded"

    restored = author.post(f"/api/documents/{document['id']}/restore",
                           {"version_id": old["id"]})
    assert restored["status"] == "draft" and restored["id"] != old["id"]
    assert restored["restored_from"] == old["id"] and restored["sha256"] == old["sha256"]
    assert (restored["edition"], restored["revision"]) == (1, 2)
    assert author.get(f"/api/versions/{old['id']}")["status"] == "superseded"

    with pytest.raises(ApiError) as raised:      # in force: nothing to restore
        author.post(f"/api/documents/{document['id']}/restore", {"version_id": new["id"]})
    assert raised.value.status == 409
    other = register(author, unique_code())
    with pytest.raises(ApiError) as raised:      # a version of another document
        author.post(f"/api/documents/{other['id']}/restore", {"version_id": old["id"]})
    assert raised.value.status == 404


def test_the_quality_office_withdraws_a_revision_in_force_with_a_reason(login):
    author, document, version = in_force(login, "w")
    with pytest.raises(ApiError) as raised:
        author.act(version["id"], "withdraw", "nu mai e necesară")
    assert raised.value.status == 403
    quality = login("elena.dumitrascu")
    with pytest.raises(ApiError) as raised:
        quality.act(version["id"], "withdraw", "")
    assert raised.value.status == 422
    reader = login("radu.munteanu")
    assert eventually(lambda: [h for h in reader.get("/api/search", q=document["code"])["hits"]
                               if h["status"] == "in_force"])
    withdrawn = quality.act(version["id"], "withdraw", "Activitate preluată de altă direcție")
    assert withdrawn["status"] == "withdrawn"
    # gone from the default results within 5 s, still in the history
    eventually(lambda: reader.get("/api/search", q=document["code"])["total"] == 0, timeout=5)
    history = reader.get("/api/search", q=document["code"], all_versions="true")["hits"]
    assert [h["status"] for h in history] == ["withdrawn"]
    signatures = author.get(f"/api/versions/{version['id']}/signatures")["items"]
    assert signatures[-1]["comment"] == "Activitate preluată de altă direcție"


def test_the_quality_office_reads_the_audit_trail_of_a_document_and_exports_it(login):
    author, document, version = in_force(login, "a")
    with pytest.raises(ApiError) as raised:
        author.get("/api/audit", document_id=document["id"])
    assert raised.value.status == 403
    quality = login("elena.dumitrascu")
    trail = quality.get("/api/audit", document_id=document["id"])["items"]
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("ana.popescu", "register"), ("ana.popescu", "upload"),
        ("ana.popescu", "version_submitted"), ("stefan.ionescu", "version_verified"),
        ("mihai.tudose", "version_endorsed"), ("daniel.balan", "version_approved"),
        ("daniel.balan", "version_in_force")]
    csv_text = quality.request("GET", "/api/audit",
                               params={"user": "stefan.ionescu", "format": "csv"}).text
    assert csv_text.splitlines()[0] == "id,at,actor,action,document_id,version_id,details,hash"
    assert "version_verified" in csv_text and "daniel.balan" not in csv_text
    # a format it has not: refused naming it, never JSON in its place
    answer = quality.request("GET", "/api/audit", params={"user": "stefan.ionescu",
                                                          "format": "xlsx"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"field": "format", "allowed": ["json", "csv"]}


def test_periodic_review_dates_follow_the_type_and_a_review_without_change_moves_them(login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    assert author.get(f"/api/documents/{document['id']}")["next_review_date"] is None
    version = author.upload(document["id"], "r.docx", docx_bytes("r", BODY), "", DOCX)
    in_force = approve_fully(login, version["id"])
    effective = date.fromisoformat(in_force["effective_date"])
    due = author.get(f"/api/documents/{document['id']}")["next_review_date"]
    assert due == effective.replace(year=effective.year + 1).isoformat()   # PO: 12 months
    with pytest.raises(ApiError) as raised:
        login("radu.munteanu").post(f"/api/documents/{document['id']}/reviewed")
    assert raised.value.status == 403
    reviewed = login("stefan.ionescu").post(f"/api/documents/{document['id']}/reviewed",
                                            {"comment": "Analizată, fără modificări"})
    assert reviewed["next_review_date"] >= due
    trail = login("elena.dumitrascu").get("/api/audit", document_id=document["id"])["items"]
    assert trail[-1]["action"] == "reviewed_without_change"
