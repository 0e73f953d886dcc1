"""The document page's register fields and forms, and the quality office's risk
register, process list and register download, in a real browser."""
from __future__ import annotations

import uuid

import requests


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(b, href: str) -> requests.Response:
    """A link of the page fetched with the browser's own session cookie."""
    cookies = {c["name"]: c["value"] for c in b.driver.get_cookies()}
    return requests.get(href, cookies=cookies, timeout=60)


def test_a_document_shows_its_register_fields_links_and_forms(browser, scenario, login):
    quality = login("elena.dumitrascu")
    petitions = scenario.codes["PO-RP-02"]
    quality.request("PATCH", f"/api/documents/{petitions}",
                    json={"scim_standard": 6, "archive_indicator": "I-A-1"}).raise_for_status()
    extern = quality.post("/api/documents", {
        "code": f"EXT-{uuid.uuid4().hex[:8]}", "title": "Legea nr. 233/2002 privind petițiile",
        "type": "extern", "owner_department": "RP", "distribution": ["RP"],
        "issuer": "Parlamentul României", "external_reference": "Legea 233/2002",
        "validity_date": "2030-12-31",
        "links": [{"relation": "reference", "document_id": petitions}]})

    b = browser().log_in("elena.dumitrascu")
    b.open(f"/documents/{extern['id']}")
    meta = b.text("#meta-title + dl")
    for text in ("Parlamentul României", "Legea 233/2002", "31.12.2030", "5 ani",
                 "Document de referință: PO-RP-02"):
        assert text in meta, text
    b.screenshot("document-extern")

    b.open(f"/documents/{petitions}")
    meta = b.text("#meta-title + dl")
    assert "Standardul 6" in meta and "I-A-1" in meta and "10 ani" in meta
    forms = b.text("#forms")
    for name in ("Lista responsabililor", "Situația edițiilor și a reviziilor",
                 "Lista de difuzare"):
        assert name in forms
    links = [a.get_attribute("href") for a in b.find_all("#forms a[download]")]
    assert len(links) == 6
    # and each opens in the viewer (tests/browser/test_viewer.py)
    assert len(b.find_all("#forms a.view")) == 3
    for href in links:
        answer = _download(b, href)
        assert answer.status_code == 200, (href, answer.text[:300])
        if href.endswith("pdf"):
            assert answer.headers["Content-Type"] == "application/pdf"
            assert answer.content.startswith(b"%PDF")
        else:
            assert answer.headers["Content-Type"] == DOCX
            assert answer.content.startswith(b"PK")
    b.screenshot("document-forms")


def test_the_quality_office_sees_risks_processes_and_downloads_the_register(browser,
                                                                            scenario, login):
    quality = login("elena.dumitrascu")
    process = f"P-{uuid.uuid4().hex[:6].upper()}"
    quality.post("/api/processes", {"code": process, "name": "Soluționarea petițiilor",
                                    "department": "RP", "owner": "maria.ilie"})
    risk = quality.post("/api/risks", {
        "code": f"R-{uuid.uuid4().hex[:6].upper()}", "department": "RP", "process": process,
        "owner": "maria.ilie", "description": "Petiții soluționate după termenul legal",
        "controls": [{"measure": "Termen urmărit în registru", "procedure": "PO-RP-02"}],
        "inherent_probability": 4, "inherent_impact": 5, "residual_probability": 2,
        "residual_impact": 3})

    b = browser().log_in("elena.dumitrascu")
    b.open("/quality")
    risks = b.text("#risks")
    assert risk["code"] in risks and "Petiții soluționate după termenul legal" in risks
    assert "20 ridicată" in risks and "6 medie" in risks
    row = b.find(f"#risks tr:has(a[href='/documents/{scenario.codes['PO-RP-02']}'])")
    assert risk["code"] in row.text and process in row.text
    processes = b.text("#processes")
    assert process in processes and "Maria Ilie" in processes
    b.screenshot("quality-risks")

    kinds = {"docx": DOCX, "pdf": "application/pdf", "csv": "text/csv"}
    for a in b.find_all("#register .downloads a"):
        href = a.get_attribute("href")
        answer = _download(b, href)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.headers["Content-Type"].startswith(kinds[href.rsplit("=", 1)[1]])
    csv = _download(b, b.find("#register .downloads a[href$=csv]").get_attribute("href"))
    assert "PO-RP-02" in csv.content.decode("utf-8-sig")
