"""The documents the browser tests look at, made through the REST API as the demo staff."""
from __future__ import annotations

from dataclasses import dataclass

from procedura_cli.demo import DEMO, load_procedures
from procedura_cli.docgen import docx_bytes, parse_procedure
from tests.helpers import extraction_settled

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XSS_TITLE = "Test <script>alert('xss')</script> & „ghilimele”"


@dataclass
class Scenario:
    codes: dict[str, str]       # code → document id
    petitions_v1: str           # PO-RP-02, Ediția I, Revizia 3 (in force)
    petitions_v2: str           # PO-RP-02, Ediția I, Revizia 4 (waiting for verification)
    xss_document: str
    approval_pending: str       # PO-DAP-03, Ediția I, Revizia 0 (waiting for the mayor)


def build(gateway: str, org: dict, login) -> Scenario:
    loaded = {d["code"]: d for d in load_procedures(gateway, org)}
    codes = {code: d["document_id"] for code, d in loaded.items()}
    author, head = login("andrei.nistor"), login("maria.ilie")
    endorser, mayor = login("mihai.tudose"), login("daniel.balan")
    v1 = loaded["PO-RP-02"]["version_id"]
    extraction_settled(author, v1, timeout=60, until_done=True)
    author.act(v1, "submit", "Prima ediție")
    head.act(v1, "verify", "Verificat")
    endorser.act(v1, "endorse", "Avizat")
    mayor.act(v1, "approve", "Aprob")

    procedure = parse_procedure(DEMO / "procedures" / "PO-RP-02.md")
    changed = procedure.body.replace("în termen legal", "în termen de 30 de zile").replace(
        "de cetăţeni şi de organizaţii legal constituite",
        "de cetăţeni, de firme şi de organizaţii legal constituite")
    v2 = author.upload(codes["PO-RP-02"], "PO-RP-02 rev 1.docx",
                       docx_bytes(procedure.meta["title"], changed),
                       "Termenul de soluționare devine 30 de zile", DOCX,
                       component_revised="1. Scop", how_revised="termen precizat")["id"]
    extraction_settled(author, v2, timeout=60, until_done=True)
    author.act(v2, "submit", "Revizia 1")

    # PO-DAP-03 waits for the mayor's approval, for the live feed test
    dap, dap_head = login("bogdan.radulescu"), login("oana.florea")
    dap_v = loaded["PO-DAP-03"]["version_id"]
    extraction_settled(dap, dap_v, timeout=60, until_done=True)
    dap.act(dap_v, "submit")
    dap_head.act(dap_v, "verify")
    endorser.act(dap_v, "endorse")

    xss = login("ana.popescu").post("/api/documents", {
        "code": "PO-DJ-77", "title": XSS_TITLE, "type": "PO", "owner_department": "DJ",
        "distribution": ["DJ"]})
    return Scenario(codes, v1, v2, xss["id"], dap_v)
