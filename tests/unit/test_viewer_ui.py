"""The viewer's small parts: which version the document page shows, what each rendition
state says, the pinned pdf.js and what of it is served, the policy it runs under."""
from __future__ import annotations

import json
import re
import subprocess

from services.gateway.ui import render
from services.gateway.routes.web_pages import _shown

REPO = render.HERE.parents[2]
PDFJS = render.HERE / "static" / "pdfjs"


def test_the_document_page_shows_the_version_chosen_else_the_one_in_force_else_the_latest():
    versions = [{"id": "c", "status": "draft"}, {"id": "b", "status": "in_force"},
                {"id": "a", "status": "superseded"}]
    assert _shown(versions, None)["id"] == "b"
    assert _shown(versions, "a")["id"] == "a"
    assert _shown(versions, "not-one-of-them")["id"] == "b"
    assert _shown(versions[:1], None)["id"] == "c"
    assert _shown([], "a") is None


def viewer_for(rendition: dict | None, q: str = "") -> str:
    template = render.ENV.from_string(
        '{% from "viewer.html" import version_viewer with context %}'
        '{{ version_viewer(v, "PO-DJ-01", q) }}')
    return template.render(**render.context("ro"), v={"id": "v1", "rendition": rendition}, q=q)


def test_each_rendition_state_says_what_the_reader_can_do():
    done = viewer_for({"status": "done", "pages": 3, "error": None}, q='a"><script>')
    assert 'data-src="/versions/v1/rendition"' in done
    assert 'data-pages-url="/versions/v1/pages/"' in done
    assert 'data-q="a&#34;&gt;&lt;script&gt;"' in done       # the words, escaped
    assert 'href="/versions/v1/download"' in done
    pending = viewer_for({"status": "pending", "pages": None, "error": None})
    assert "este în pregătire" in pending and 'data-poll="/versions/v1/rendition"' in pending
    assert 'href="/versions/v1/download"' in pending and "data-src" not in pending
    assert "este în pregătire" in viewer_for(None)   # a manifest from before renditions
    failed = viewer_for({"status": "failed", "pages": None,
                         "error": "the PDF is protected by a password"})
    assert "nu poate fi afișată în browser: the PDF is protected by a password" in failed
    assert 'href="/versions/v1/download"' in failed and "data-src" not in failed


def test_the_policy_lets_pdfjs_run_its_worker_and_nothing_more():
    policy = dict(part.strip().split(" ", 1) for part in render.CSP.split(";"))
    assert policy["worker-src"] == "'self'"
    assert policy["script-src"] == "'self'"       # no eval, no wasm, no inline script
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in render.CSP and "blob:" not in render.CSP


def test_pdfjs_is_pinned_with_its_integrity_and_copied_without_scripting():
    package = json.loads((REPO / "web" / "package.json").read_text())
    pinned = package["dependencies"]["pdfjs-dist"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), pinned     # an exact version
    lock = json.loads((REPO / "web" / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/pdfjs-dist"]
    assert entry["version"] == pinned and entry["integrity"].startswith("sha512-")
    # the copy `make venv` made is the lock's, and holds only what the viewer loads
    assert subprocess.run([REPO / "scripts" / "pdfjs.sh", "check"]).returncode == 0
    served = {p.relative_to(PDFJS).as_posix() for p in PDFJS.rglob("*") if p.is_file()}
    assert {"build/pdf.min.mjs", "build/pdf.worker.min.mjs", "web/pdf_viewer.mjs",
            "web/pdf_viewer.css", "wasm/openjpeg_nowasm_fallback.js"} <= served
    assert not [p for p in served if "sandbox" in p or p.endswith((".wasm", ".map"))]


def test_the_viewer_module_opens_pdfs_without_eval_scripting_or_forms():
    source = (render.HERE / "static" / "viewer.mjs").read_text()
    assert "isEvalSupported: false" in source and "useWasm: false" in source
    assert "AnnotationMode.ENABLE," in source         # links, not ENABLE_FORMS
    assert "scriptingManager:" not in source and not re.search(r"(import|from).*sandbox", source)
    for module in (render.HERE / "static").glob("viewer*.mjs"):   # and the modules it loads
        source = module.read_text()
        assert "https://" not in source, module            # no CDN
        assert "innerHTML" not in source, module           # texts are set as text
        assert "eval(" not in source and "new Function" not in source, module
