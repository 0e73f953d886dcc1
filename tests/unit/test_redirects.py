"""After logging in or switching the language the browser goes to a path of this site
only (services/gateway/ui/redirects.py): the usual open-redirect bypasses, one by one."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.gateway.ui.redirects import safe_next

LOCAL = [
    ("/search?q=a", "/search?q=a"),
    ("/documents/1", "/documents/1"),
    ("/search?q=petiții&type=PO", "/search?q=peti%C8%9Bii&type=PO"),
    ("/search?q=a%20b", "/search?q=a%20b"),
    ("/search?q=a b", "/search?q=a%20b"),
    ("/inbox#top", "/inbox#top"),
    ("/quality?tab=risks&x=1:2", "/quality?tab=risks&x=1:2"),
    ("/docs/http://not-a-host", "/docs/http://not-a-host"),
    ("/@evil.example//", "/@evil.example//"),          # a path of this site
    ("/search\r\n?q=a", "/search?q=a"),              # CR/LF dropped: never a header split
    ("/search?q=a\r\nSet-Cookie: x=1", "/search?q=aSet-Cookie:%20x=1"),
]

# the usual bypasses, by what they try (the file is data: the strings as a browser or an
# attacker sends them, JSON escapes for the invisible ones)
BYPASSES = json.loads(Path(__file__).with_name("redirect_bypasses.json").read_text())
FOREIGN = [None, "", "   ", "x" * 3000,
           *(target for targets in BYPASSES.values() for target in targets)]


@pytest.mark.parametrize("target, expected", LOCAL)
def test_a_path_of_this_site_is_kept(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize("target", FOREIGN)
def test_anything_that_could_leave_the_site_goes_home(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", [t for t, _ in LOCAL] + FOREIGN)
def test_what_comes_out_is_always_a_plain_local_path(target):
    out = safe_next(target)
    assert out.isascii() and out.isprintable() and " " not in out
    parts = urlsplit(out)
    assert out.startswith("/") and not out.startswith("//") and "\\" not in out
    assert not parts.scheme and not parts.netloc


def test_the_language_switch_may_return_to_the_login_page():
    assert safe_next("/login?next=/inbox", login=True) == "/login?next=/inbox"
    assert safe_next("//evil.example", login=True) == "/"
