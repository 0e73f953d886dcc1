"""LibreOffice never reaches the network (issue 13): an HTML file naming remote images
converts to a PDF without a single request reaching the server it names. Without the
locks of services/renditions/engines/libreoffice.py LibreOffice 7.4 fetched both the image and
the table's background while converting (seen: three requests)."""
from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request

import pytest

from services.renditions.engines import libreoffice
from services.renditions.engines.libreoffice import convert_to_pdf
from services.renditions.settings import RenditionSettings
from tests.helpers import pdftotext

pytestmark = pytest.mark.integration


class Counting(http.server.ThreadingHTTPServer):
    def __init__(self):
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def server():
    srv = Counting()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    # the server answers what does reach it: the test can see a request
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://127.0.0.1:{srv.server_port}/probe", timeout=5)
    assert srv.requests == ["/probe"]
    srv.requests.clear()
    yield srv
    srv.shutdown()
    srv.server_close()


def remote_html(tmp_path, port: int):
    page = tmp_path / "pagina.html"
    page.write_text(
        "<html><body><p>Primăria municipiului: anunț</p>"
        f'<img src="http://127.0.0.1:{port}/x.png" width="80" height="80">'
        f'<table background="http://127.0.0.1:{port}/fundal.png"><tr><td>ședința</td>'
        "</tr></table></body></html>", encoding="utf-8")
    return page


def test_an_html_naming_remote_images_converts_without_a_request(server, tmp_path):
    source = remote_html(tmp_path, server.server_port)

    target = convert_to_pdf(source, tmp_path / "pagina.pdf", slot=0,
                            settings=RenditionSettings(profiles_dir=tmp_path / "profiles"))

    assert "Primăria municipiului" in pdftotext(target)
    assert server.requests == []


def test_without_a_network_namespace_the_profile_alone_blocks_remote_images(
        server, tmp_path, monkeypatch):
    # a Kubernetes pod without user namespaces: unshare is refused there
    monkeypatch.setattr(libreoffice, "confinement", lambda: ())
    source = remote_html(tmp_path, server.server_port)
    settings = RenditionSettings(profiles_dir=tmp_path / "profiles")

    # twice: the second run reads the profile LibreOffice rewrote after the first
    for n in (1, 2):
        target = convert_to_pdf(source, tmp_path / f"pagina-{n}.pdf", slot=0,
                                settings=settings)
        assert "ședința" in pdftotext(target)
    assert server.requests == []


def test_the_network_and_pid_namespaces_are_used_where_the_kernel_allows_them():
    # this machine and CI allow it: a regression to no namespace would show here
    assert libreoffice.confinement() == ("unshare", "--net", "--map-root-user", "--pid", "--fork",
                                        "--kill-child")
