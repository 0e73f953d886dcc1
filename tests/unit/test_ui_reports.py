"""The quality office's acknowledgement report, grouped per revision and department."""
from services.gateway.ui import reports


def record(code, username, department, acknowledged=None, overdue=False, revision=0):
    return {"version_id": f"v-{code}-{revision}", "document_id": f"d-{code}", "code": code,
            "title": f"Titlu {code}", "edition": 1, "revision": revision,
            "due_date": "2026-12-01", "username": username, "full_name": username.title(),
            "department": department, "function": "", "notified_at": None,
            "acknowledged_at": acknowledged, "overdue": overdue}


RECORDS = [record("PO-RP-02", "radu", "DJ", "2026-11-20T10:00:00+00:00"),
           record("PO-RP-02", "ana", "DJ", overdue=True),
           record("PO-RP-02", "ion", "DAP"),
           record("PO-DJ-01", "radu", "DJ", "2026-11-21T10:00:00+00:00")]


def test_per_revision_counts_and_pending_people_first():
    [dj, rp] = reports.by_revision(RECORDS)
    assert (dj["code"], dj["confirmed"], dj["pending"]) == ("PO-DJ-01", 1, 0)
    assert (rp["code"], rp["confirmed"], rp["pending"], rp["overdue"]) == ("PO-RP-02", 1, 2, 1)
    assert [p["username"] for p in rp["people"]] == ["ion", "ana", "radu"]


def test_per_department_counts():
    assert reports.by_department(RECORDS) == [
        {"department": "DAP", "confirmed": 0, "pending": 1, "overdue": 0},
        {"department": "DJ", "confirmed": 2, "pending": 1, "overdue": 1}]


def test_nothing_to_report():
    assert reports.by_revision([]) == [] and reports.by_department([]) == []


def test_audit_details_show_links_as_text():
    from services.gateway.ui import render
    assert render._details({"links": [{"relation": "reference", "document_id": "d-1"}],
                            "scim_standard": 6}) == "links: reference d-1; scim_standard: 6"
