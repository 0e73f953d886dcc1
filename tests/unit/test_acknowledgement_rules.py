"""Acknowledgement rules and e-mail texts, free of I/O."""
import csv
import io
from datetime import date, datetime, timedelta, timezone

from services.contracts.notifications import Preferences, ReportPerson
from services.notifications.domain import messages as email
from services.notifications.domain.acknowledgements import (
    Reminder, due_date, is_overdue, reminder_message, reminder_owed, report_csv)
from services.notifications.settings import NotificationSettings, load_holidays
from tests.testenv import ROOT

HOLIDAYS = load_holidays(ROOT / "config" / "holidays-ro.yaml")


def test_the_due_date_counts_working_days_from_coming_into_force():
    # Tue–Fri count 4, Mon 30.11 and Tue 01.12 are holidays, Wed 02.12 is the fifth
    assert due_date(date(2026, 11, 23), 5, HOLIDAYS) == date(2026, 12, 2)


def test_overdue_only_when_unconfirmed_after_the_due_date():
    due = date(2026, 12, 3)
    now = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    assert not is_overdue(due, None, date(2026, 12, 3))
    assert is_overdue(due, None, date(2026, 12, 4))
    assert not is_overdue(due, now, date(2026, 12, 4))
    assert not is_overdue(None, None, date(2026, 12, 4))   # not in force yet


def test_reminders_before_and_after_the_due_date():
    due = date(2026, 12, 3)
    assert reminder_owed(due, date(2026, 12, 1), 1) is None
    assert reminder_owed(due, date(2026, 12, 2), 1) is Reminder.BEFORE
    assert reminder_owed(due, date(2026, 12, 3), 1) is Reminder.BEFORE
    assert reminder_owed(due, date(2026, 12, 4), 1) is Reminder.AFTER
    assert reminder_owed(due, date(2027, 1, 4), 1) is Reminder.AFTER
    assert reminder_owed(due, date(2026, 12, 2), 0) is None


def test_reminder_texts_are_romanian_with_the_due_date():
    before = reminder_message(Reminder.BEFORE, "PO-DJ-01", "Petiții", 1, 2, date(2026, 12, 3))
    assert "„Am luat la cunoștință”" in before and "03.12.2026" in before
    assert "Ediția I, Revizia 2" in before
    after = reminder_message(Reminder.AFTER, "PO-DJ-01", "Petiții", 2, 0, date(2026, 12, 3))
    assert "a expirat la 03.12.2026" in after and "Ediția II, Revizia 0" in after


def test_the_csv_of_a_distribution_list_has_romanian_headers_and_local_dates():
    people = [ReportPerson(username="radu.munteanu", full_name="Radu Munteanu",
                           department="DJ", function="Consilier juridic",
                           notified_at=datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc),
                           acknowledged_at=datetime(2026, 11, 23, 22, 30, tzinfo=timezone.utc),
                           overdue=False),
              ReportPerson(username="stefan.ionescu", full_name="Ștefan Ionescu",
                           department="DJ", function="Director executiv",
                           notified_at=None, acknowledged_at=None, overdue=True)]
    rows = list(csv.reader(io.StringIO(report_csv(people, "Europe/Bucharest"))))
    assert rows[0][:2] == ["Nume și prenume", "Utilizator"]
    assert rows[1] == ["Radu Munteanu", "radu.munteanu", "DJ", "Consilier juridic",
                       "23.11.2026 10:00", "24.11.2026 00:30", "nu"]
    assert rows[2][0] == "Ștefan Ionescu" and rows[2][4:] == ["", "", "da"]


def test_the_csv_of_a_department_names_each_revision():
    import uuid

    from services.contracts.notifications import Acknowledgement
    from services.notifications.domain.acknowledgements import listing_csv

    record = Acknowledgement(
        version_id=uuid.uuid4(), document_id=uuid.uuid4(), code="PO-DJ-01", title="Petiții",
        edition=2, revision=1, due_date=date(2026, 12, 2), username="radu.munteanu",
        full_name="Radu Munteanu", department="DJ", function="Consilier juridic",
        notified_at=None, acknowledged_at=None, overdue=True)
    rows = list(csv.reader(io.StringIO(listing_csv([record], "Europe/Bucharest"))))
    assert rows[1] == ["PO-DJ-01", "Petiții", "Ediția II, Revizia 1", "02.12.2026",
                       "Radu Munteanu", "radu.munteanu", "DJ", "Consilier juridic", "", "",
                       "da"]


ITEM = {"item_id": 7, "username": "radu.munteanu", "kind": "version_in_force",
        "document_id": "0b5e0c39-1c38-4a4f-9c4e-5b8f1d0f3a11", "version_id": None,
        "code": "PO-DJ-01", "title": "Înregistrarea petițiilor",
        "message": ("PO-DJ-01 „Înregistrarea petițiilor” (Ediția I, Revizia 0) "
                    "este în vigoare."),
        "created_at": datetime(2026, 11, 23, 7, 5, tzinfo=timezone.utc)}


def test_an_immediate_message_carries_the_item_and_a_link_to_the_document():
    link = email.document_link("{base_url}/documents/{document_id}", "https://dms.example/",
                               ITEM)
    assert link == "https://dms.example/documents/0b5e0c39-1c38-4a4f-9c4e-5b8f1d0f3a11"
    message = email.immediate(ITEM, link)
    assert message.subject == "[Procedura] PO-DJ-01 – Înregistrarea petițiilor"
    assert ITEM["message"] in message.body and link in message.body
    assert message.body.startswith("Bună ziua,")


def test_a_digest_lists_the_day_in_one_message():
    second = {**ITEM, "item_id": 8, "message": "Al doilea mesaj",
              "created_at": ITEM["created_at"] + timedelta(hours=3)}
    message = email.digest([ITEM, second], ["L1", "L2"], date(2026, 11, 23), "Europe/Bucharest")
    assert message.subject == "[Procedura] Rezumatul zilei 23.11.2026: 2 notificări"
    assert message.body.index("09:05") < message.body.index("12:05")
    assert "L1" in message.body and "Al doilea mesaj" in message.body
    one = email.digest([ITEM], ["L1"], date(2026, 11, 23), "Europe/Bucharest")
    assert one.subject.endswith("o notificare")


def test_backoff_doubles_up_to_a_ceiling_and_gives_up_after_the_last_attempt():
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    waits = [(email.next_attempt(now, n, 60, 600) - now).total_seconds() for n in (1, 2, 3, 4, 5)]
    assert waits == [60, 120, 240, 480, 600]
    assert not email.gives_up(5, 6) and email.gives_up(6, 6)


def test_the_address_is_the_chosen_one_or_the_users_at_the_city_hall_domain():
    assert email.address(Preferences(), "radu.munteanu", "primarie.local") == \
        "radu.munteanu@primarie.local"
    chosen = Preferences(email_delivery="immediate", email_address="radu@example.ro")
    assert email.address(chosen, "radu.munteanu", "primarie.local") == "radu@example.ro"


def test_settings_come_from_the_config_file_with_the_holidays():
    from services.common.settings import load_config

    settings = NotificationSettings.from_config(load_config(ROOT / "config" / "procedura.yaml"))
    assert settings.acknowledgement.working_days == 5
    assert date(2026, 12, 1) in settings.holidays
    assert settings.timezone == "Europe/Bucharest"
    assert settings.email.max_attempts >= 1


def test_a_preference_takes_one_plain_address_and_names_what_is_wrong():
    import pytest

    from services.contracts.errors import InvalidInput, validate

    assert validate(Preferences, {"email_delivery": "daily_digest"}).email_address is None
    for bad in ("radu", "radu@primaria", "a@b.ro\nBcc: c@d.ro", "a@b.ro, c@d.ro",
                "Radu <radu@b.ro>"):
        with pytest.raises(InvalidInput) as error:
            validate(Preferences, {"email_delivery": "immediate", "email_address": bad})
        assert error.value.details["fields"][0]["field"] == "email_address"
    with pytest.raises(InvalidInput) as error:
        validate(Preferences, {"email_delivery": "weekly"})
    assert error.value.details["fields"][0]["field"] == "email_delivery"
