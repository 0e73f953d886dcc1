"""The gateway writes dates and times in the city hall's time zone, the settings' one."""
from datetime import datetime, timezone

from services.common.settings import Settings
from services.gateway import forms, local_time
from services.gateway.ui import i18n

MOMENT = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)


def test_by_default_the_zone_is_the_settings_default():
    assert local_time.zone().key == Settings.model_fields["timezone"].default \
        == "Europe/Bucharest"
    assert i18n.format_datetime(MOMENT) == "01.01.2027 00:30"
    assert forms.local_date(MOMENT) == "01.01.2027"


def test_the_zone_the_gateway_is_given_is_the_one_its_pages_and_forms_use():
    try:
        local_time.use("Europe/London")
        assert i18n.format_datetime(MOMENT) == "31.12.2026 22:30"
        assert i18n.format_date(MOMENT) == "31.12.2026"
        assert forms.local_date(MOMENT) == "31.12.2026"
    finally:
        local_time.use(Settings.model_fields["timezone"].default)
