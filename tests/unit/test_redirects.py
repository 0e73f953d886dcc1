"""After logging in or switching the language the browser goes to a path of this site
only (services/gateway/ui/redirects.py): the usual open-redirect bypasses, one by one."""
from __future__ import annotations

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

FOREIGN = [
    None, "", "   ", "x" * 3000,
    # a scheme or a host, plain
    "https://evil.example/", "http:evil.example", "HTTPS://evil.example", "//evil.example/",
    "///evil.example", "////evil.example", "evil.example", "evil.example/x",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    # backslashes (browsers read them as slashes)
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
    "/x\\..\\..\\evil", "%5C%5Cevil.example", "/%5Cevil.example",
    # control and white space, which browsers drop
    "/\t/evil.example/", "/%09/evil.example/", "/\n/evil.example", "/%0a/evil.example",
    "/%0d/evil.example", "/\r\n/evil.example", "/%00/evil.example", " //evil.example",
    "\t//evil.example", "/ /evil.example", "/%20/evil.example", "/\x0b/evil.example",
    "/\u200b/evil.example", "/%E2%80%8B/evil.example", "/\u2028/evil.example",
    "/\ufeff/evil.example", "/\u202e/evil.example",
    # encoded and double-encoded
    "%2F%2Fevil.example", "/%2Fevil.example", "/%2f%2fevil.example", "%2F%5Cevil.example",
    "%252F%252Fevil.example", "/%252Fevil.example", "%25252F%25252Fevil.example",
    "%2525252F%2525252Fevil", "https%3A%2F%2Fevil.example", "https%253A%252F%252Fevil",
    "javascript%3Aalert(1)", "/%09%2F/evil.example",
    # unicode look-alikes of / and \ and :
    "/\uff0fevil.example", "\uff0f\uff0fevil.example", "/\uff3cevil.example",
    "%EF%BC%8F%EF%BC%8Fevil.example", "/%EF%BC%8Fevil.example",
    "javascript\uff1aalert(1)",
    # credentials and ports
    "//user:pass@evil.example", "//evil.example:443/", "http://127.0.0.1:8080/",
    # the login page itself (a loop)
    "/login", "/login?next=/x", "/login/", "/%6Cogin",
]


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
