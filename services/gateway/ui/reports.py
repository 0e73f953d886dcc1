"""Pure helpers of the quality office page: the acknowledgement records grouped per
revision and per department (the records come from notifications'
`department_acknowledgements`)."""
from __future__ import annotations

from itertools import groupby


def _counts(rows: list[dict]) -> tuple[int, int, int]:
    confirmed = sum(1 for r in rows if r.get("acknowledged_at"))
    overdue = sum(1 for r in rows if not r.get("acknowledged_at") and r.get("overdue"))
    return confirmed, len(rows) - confirmed, overdue


def by_revision(records: list[dict]) -> list[dict]:
    """One entry per revision (code, edition, revision), its people pending first."""
    def key(r):
        return (r["code"], r["edition"], r["revision"], r["version_id"])
    result = []
    for (code, edition, revision, version_id), rows in groupby(sorted(records, key=key),
                                                                key=key):
        rows = sorted(rows, key=lambda r: (bool(r.get("acknowledged_at")), r["department"],
                                           r["full_name"]))
        confirmed, pending, overdue = _counts(rows)
        result.append({"version_id": version_id, "document_id": rows[0]["document_id"],
                       "code": code, "title": rows[0]["title"], "edition": edition,
                       "revision": revision, "due_date": rows[0]["due_date"],
                       "confirmed": confirmed, "pending": pending, "overdue": overdue,
                       "people": rows})
    return result


def by_department(records: list[dict]) -> list[dict]:
    """One entry per department: how many confirmations are done, pending, overdue."""
    def key(r):
        return r["department"]
    result = []
    for department, rows in groupby(sorted(records, key=key), key=key):
        confirmed, pending, overdue = _counts(list(rows))
        result.append({"department": department, "confirmed": confirmed,
                       "pending": pending, "overdue": overdue})
    return result
