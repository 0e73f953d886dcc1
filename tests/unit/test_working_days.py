"""Working-day arithmetic of acknowledgement due dates (weekends and Romanian public
holidays are not working days)."""
from datetime import date

import pytest

from services.notifications.domain.working_days import add_working_days, is_working_day
from services.notifications.settings import load_holidays
from tests.testenv import ROOT

HOLIDAYS = load_holidays(ROOT / "config" / "holidays-ro.yaml")


def test_weekends_are_skipped():
    assert add_working_days(date(2026, 11, 19), 1, ()) == date(2026, 11, 20)   # Thu → Fri
    assert add_working_days(date(2026, 11, 20), 1, ()) == date(2026, 11, 23)   # Fri → Mon
    assert add_working_days(date(2026, 11, 21), 1, ()) == date(2026, 11, 23)   # Sat → Mon
    assert add_working_days(date(2026, 11, 16), 5, ()) == date(2026, 11, 23)   # a week


def test_holidays_are_skipped():
    # Fri 27.11.2026 + 2: Sat, Sun, Mon 30.11 (Sfântul Andrei), Tue 01.12 (Ziua Națională)
    assert add_working_days(date(2026, 11, 27), 2, HOLIDAYS) == date(2026, 12, 3)
    # Thu 24.12.2026 + 3: Fri 25 and Sat 26 (Crăciunul), Sun; Mon 28, Tue 29, Wed 30
    assert add_working_days(date(2026, 12, 24), 3, HOLIDAYS) == date(2026, 12, 30)
    # Boboteaza and Sfântul Ioan: Wed 06.01 and Thu 07.01.2027
    assert add_working_days(date(2027, 1, 5), 1, HOLIDAYS) == date(2027, 1, 8)
    # Orthodox Easter 2026: Good Friday 10.04 and Easter Monday 13.04
    assert add_working_days(date(2026, 4, 9), 1, HOLIDAYS) == date(2026, 4, 14)


def test_the_holidays_file_lists_the_romanian_public_holidays():
    for day in (date(2026, 1, 1), date(2026, 1, 24), date(2026, 4, 10), date(2026, 4, 13),
                date(2026, 5, 1), date(2026, 6, 1), date(2026, 8, 15), date(2026, 11, 30),
                date(2026, 12, 1), date(2026, 12, 25), date(2027, 5, 3), date(2027, 6, 21)):
        assert day in HOLIDAYS and not is_working_day(day, HOLIDAYS), day
    assert is_working_day(date(2026, 11, 23), HOLIDAYS)


def test_zero_days_is_the_start_and_negative_is_refused():
    assert add_working_days(date(2026, 11, 21), 0, HOLIDAYS) == date(2026, 11, 21)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 21), -1, HOLIDAYS)


def test_a_holidays_file_of_plain_dates_is_read_too(tmp_path):
    path = tmp_path / "h.yaml"
    path.write_text("holidays:\n  - 2026-11-24\n  - {date: '2026-11-25', name: x}\n")
    assert load_holidays(path) == {date(2026, 11, 24), date(2026, 11, 25)}
    assert add_working_days(date(2026, 11, 23), 1, load_holidays(path)) == date(2026, 11, 26)
