"""A review asked for by a risk re-assessment says why in the feed; the periodic one
reads as before."""
from __future__ import annotations

from datetime import date
from uuid import uuid4

from services.contracts.events import ReviewDue
from services.notifications.domain import message


def review(reason=None) -> ReviewDue:
    return ReviewDue(document_id=uuid4(), code="PO-DJ-01", title="Avizarea contractelor",
                     type="PO", owner_department="DJ", distribution=["DJ"], confidential=False,
                     due_date=date(2026, 4, 1), reason=reason)


def test_the_reason_is_in_the_message():
    assert message("review_due", review("riscul R-DJ-01 a fost reevaluat la 02.03.2026")) == (
        "PO-DJ-01 „Avizarea contractelor” trebuie analizată până la 01.04.2026: "
        "riscul R-DJ-01 a fost reevaluat la 02.03.2026.")


def test_the_periodic_review_reads_as_before():
    assert message("review_due", review()) == (
        "PO-DJ-01 „Avizarea contractelor” trebuie analizată periodic până la 01.04.2026.")
