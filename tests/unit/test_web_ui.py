"""The web interface's small parts: sessions, redirects, escaping, formats, catalogs."""
from __future__ import annotations

import time
from datetime import date, datetime, timezone

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.gateway.ui import i18n, render
from services.gateway.ui.session import NoSession, Sessions, same_token

UI = render.HERE


def test_a_session_names_its_user_and_carries_a_csrf_token():
    sessions = Sessions("x" * 32, 60, secure=True)
    one, two = sessions.read(sessions.issue("ana.popescu", "s1")), sessions.read(
        sessions.issue("ana.popescu", "s2"))
    assert (one.username, one.id, two.id) == ("ana.popescu", "s1", "s2")
    assert len(one.csrf) >= 24 and one.csrf != two.csrf
    assert sessions.cookie_options() == {"httponly": True, "samesite": "Lax", "secure": True,
                                         "path": "/"}


def test_the_session_cookie_is_secure_whenever_the_site_is_served_over_https():
    sessions = Sessions("x" * 32, 60, secure=False)
    assert sessions.cookie_options(https=False)["secure"] is False
    assert sessions.cookie_options(https=True)["secure"] is True


def test_a_forged_or_missing_session_is_no_session_and_not_expired():
    sessions = Sessions("x" * 32, 60, secure=False)
    forged = Sessions("y" * 32, 60, secure=False).issue("daniel.balan", "s")
    for cookie in (None, "", forged, sessions.issue("a", "s")[:-3] + "abc"):
        with pytest.raises(NoSession) as caught:
            sessions.read(cookie)
        assert not caught.value.expired


def test_an_old_session_has_expired():
    sessions = Sessions("x" * 32, 1, secure=False)
    cookie = sessions.issue("ana.popescu", "s")
    time.sleep(2.1)
    with pytest.raises(NoSession) as caught:
        sessions.read(cookie)
    assert caught.value.expired


def test_csrf_tokens_compare_only_when_both_are_there():
    assert same_token("abc", "abc")
    assert not same_token("abc", "abd")
    assert not same_token("", "") and not same_token(None, "abc") and not same_token("abc", None)


def test_a_highlight_keeps_only_its_marks():
    fragment = "&lt;script&gt;x&lt;/script&gt; <mark>petiţiilor</mark> <b>bold</b> &amp; „a”"
    html = str(render._highlight(fragment))
    assert "<mark>petiţiilor</mark>" in html
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;" in html and "&amp;" in html


def test_user_text_is_escaped_in_every_page():
    page = render.page("ro", "error.html", 409, user=None, csrf="", path="/", args={},
                       is_admin=False, code=409,
                       error=type("E", (), {"message": "<script>alert(1)</script>"})())
    body = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_no_template_has_inline_script_or_style():
    for template in (UI / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script>" not in text and "<style" not in text, template.name
        assert " style=" not in text and " onclick=" not in text, template.name


def test_dates_are_day_month_year_in_the_city_halls_time():
    assert i18n.format_date(date(2026, 2, 5)) == "05.02.2026"
    assert i18n.format_date("2026-02-25") == "25.02.2026"
    # 23:30 UTC is already the next day in Bucharest
    assert i18n.format_date(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)) == "01.01.2027"
    assert i18n.format_datetime("2026-07-01T09:05:00+00:00") == "01.07.2026 12:05"
    assert i18n.format_date(None) == ""


def test_edition_and_revision_read_as_on_a_cover_page():
    assert render.context("ro")["edition"](1, 2) == "Ediția I, Revizia 2"
    assert render.context("ro")["edition"](4, 0) == "Ediția IV, Revizia 0"
    assert render.context("en")["edition"](14, 3) == "Edition XIV, Revision 3"


def test_romanian_is_the_default_and_english_can_be_chosen():
    assert i18n.choose(None, "en-GB,en;q=0.9") == "ro"
    assert i18n.choose("en", None) == "en"
    assert i18n.choose("fr", None) == "ro"
    assert render.context("ro")["status_label"]("in_force") == "În vigoare"
    assert render.context("en")["status_label"]("in_force") == "In force"


def test_romanian_plurals():
    ngettext = render.context("ro")["ngettext"]
    forms = [ngettext("%(num)d result", "%(num)d results", n) % {"num": n} for n in (1, 2, 20)]
    assert forms == ["1 rezultat", "2 rezultate", "20 de rezultate"]


def _messages():
    method_map = [("render.py", "python"), ("templates/**.html", "jinja2")]
    return {message for _, _, message, _, _ in extract_from_dir(
        str(UI), method_map, keywords={"_": None, "N_": None, "gettext": None,
                                       "ngettext": (1, 2)})}


def test_every_text_of_the_interface_has_its_romanian_translation():
    with open(UI / "locale" / "ro" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="ro")
    missing = []
    for message in _messages():
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key)
        strings = entry and (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if not entry or not all(strings):
            missing.append(key)
    assert not missing, f"add to locale/ro/LC_MESSAGES/messages.po: {missing}"


def test_the_romanian_catalog_writes_comma_below_letters():
    text = (UI / "locale" / "ro" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    # ş ţ (cedilla) are the wrong letters in Romanian; ș ț (comma below) are right
    assert "ş" not in text and "ţ" not in text and "Ş" not in text and "Ţ" not in text
    assert "ș" in text and "ț" in text and "ă" in text and "â" in text and "î" in text


def test_catalogs_work_from_the_po_files_alone(tmp_path, monkeypatch):
    """A fresh clone has no .mo files: the .po are compiled in memory."""
    locale = tmp_path / "ro" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    (locale / "messages.po").write_bytes(
        (UI / "locale" / "ro" / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("ro").gettext("Log in") == "Autentificare"
    finally:
        i18n.translations.cache_clear()


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_have_at_least_wcag_aa_contrast():
    import re

    css = (UI / "static" / "app.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [("ink", "paper"), ("muted", "paper"), ("muted", "band"), ("brand", "paper"),
             ("brand-ink", "brand"), ("bad", "#fbeaea"), ("ok", "#e7f4ea"),
             ("warn", "#fff4dc"), ("brand", "#e8f1fb"), ("ink", "#ffe58a")]
    for fg, bg in pairs:
        fg_colour, bg_colour = var.get(fg, fg), var.get(bg, bg)
        assert _contrast(fg_colour, bg_colour) >= 4.5, (fg, bg)
