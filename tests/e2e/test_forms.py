"""Forms generated from the data, through the gateway: after a revision goes through the
chain with the demo roles, the forms name the right people, functions and dates."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import docx
import pytest

from procedura_cli.client import ApiError
from procedura_cli.docgen import docx_bytes
from tests.e2e.test_document_control import approve_fully
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import pdf_text

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in d.paragraphs]
                     + [" | ".join(c.text for c in row.cells) for t in d.tables for row in t.rows])


def fetch(client, path: str, fmt: str) -> bytes:
    response = client.request("GET", path, params={"format": fmt})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(
        {"docx": DOCX_TYPE, "pdf": "application/pdf", "csv": "text/csv"}[fmt])
    return response.content


def both(client, path: str) -> list[str]:
    """The text of the DOCX and of the PDF of one form."""
    return [docx_text(fetch(client, path, "docx")), pdf_text(fetch(client, path, "pdf"))]


@pytest.fixture(scope="module")
def revised(login):
    """A DJ procedure: Ediția I, Revizia 0 in force, then Revizia 1 supersedes it."""
    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=("DJ", "RP"),
                        title="Avizarea juridică a contractelor")
    first = author.upload(document["id"], "a.docx", docx_bytes("a", BODY), "Ediția inițială",
                          DOCX, component_revised="integral", how_revised="elaborare")
    first = approve_fully(login, first["id"])
    second = author.upload(document["id"], "b.docx", docx_bytes("b", BODY), "Termene noi",
                           DOCX, component_revised="cap. 5 Descrierea activității",
                           how_revised="modificarea termenelor")
    second = approve_fully(login, second["id"])
    assert second["status"] == "in_force"
    return document, first, second


def ro(iso_date: str) -> str:
    return datetime.fromisoformat(iso_date).strftime("%d.%m.%Y")


def test_the_list_of_responsible_people_names_who_signed_with_function_and_date(login,
                                                                                revised,
                                                                                tmp_path):
    document, _, second = revised
    today = datetime.now(ZoneInfo("Europe/Bucharest")).strftime("%d.%m.%Y")
    path = f"/api/versions/{second['id']}/forms/responsabili"
    reader = login("radu.munteanu")          # a reader of the document, not a signer
    for text in both(reader, path):
        for expected in ("Lista responsabililor cu elaborarea, verificarea și aprobarea",
                         document["code"], "Ediția I, Revizia 1",
                         f"nr. înregistrare {second['registry_number']}",
                         "Elaborat", "Ana Popescu", "Consilier juridic",
                         "Verificat", "Ștefan Ionescu", "Director executiv",
                         "Avizat", "Mihai Tudose", "Președinte comisie monitorizare",
                         "Aprobat", "Daniel Bălan", "Primar", today, "semnat electronic"):
            assert expected in text, (expected, text)
    (tmp_path / "responsabili.pdf").write_bytes(fetch(reader, path, "pdf"))


def test_the_history_of_editions_and_revisions(login, revised):
    document, first, second = revised
    for text in both(login("ana.popescu"), f"/api/documents/{document['id']}/forms/editii"):
        assert "Situația edițiilor și a reviziilor" in text
        for expected in ("integral", "elaborare", ro(first["effective_date"]),
                         "cap. 5 Descrierea activității", "modificarea termenelor",
                         ro(second["effective_date"])):
            assert expected in text, (expected, text)
        assert text.index("integral") < text.index("cap. 5")


def test_the_register_is_for_the_quality_office(login, revised):
    document, _, second = revised
    with pytest.raises(ApiError) as raised:
        login("ana.popescu").get("/api/register")
    assert raised.value.status == 403
    quality = login("elena.dumitrascu")
    rows = list(csv.reader(io.StringIO(fetch(quality, "/api/register", "csv")
                                       .decode("utf-8-sig"))))
    assert rows[0][:4] == ["Nr. crt.", "Cod", "Titlu", "Tip"]
    [row] = [r for r in rows if r[1] == document["code"]]
    assert row[2:8] == ["Avizarea juridică a contractelor", "Procedură operațională", "DJ", "",
                        "Ediția I, Revizia 1",
                        f"{second['registry_number']} / {ro(second['registry_date'])}"]
    for text in both(quality, "/api/register"):
        assert document["code"] in text and "Registrul procedurilor" in text


def test_bad_format_unknown_form_and_confidential_documents(login):
    author = login("ana.popescu")
    secret = register(author, unique_code(), distribution=("DJ",), confidential=True)
    version = author.upload(secret["id"], "s.docx", docx_bytes("s", BODY), "", DOCX)
    ok = author.request("GET", f"/api/versions/{version['id']}/forms/responsabili",
                        params={"format": "docx"})
    assert ok.status_code == 200                 # a draft: only "Elaborat" is blank too
    bad = author.request("GET", f"/api/versions/{version['id']}/forms/responsabili",
                         params={"format": "odt"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "format"
    unknown = author.request("GET", f"/api/versions/{version['id']}/forms/altceva")
    assert unknown.status_code == 404
    outsider = login("george.matei")              # DRU: not on the distribution list
    for path in (f"/api/versions/{version['id']}/forms/responsabili",
                 f"/api/documents/{secret['id']}/forms/editii"):
        assert outsider.request("GET", path).status_code == 404
