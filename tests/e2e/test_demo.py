"""`procedura demo load`, as `make up` runs it: the demo organisation and its procedures,
brought into force with the demo roles so that a new installation has something to find."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from procedura_cli.client import Client
from tests.e2e.conftest import Services
from tests.testenv import ROOT, TestEnvironment, eventually


@pytest.fixture(scope="module")
def fresh(stack, run_id):
    """An environment of its own: the suite's shares its register with the other tests."""
    env = TestEnvironment(f"{run_id}d")
    env.create()
    services = Services(env)
    try:
        services.up()
        yield env
    finally:
        services.down()
        env.destroy()


@pytest.fixture(scope="module")
def loaded(fresh):
    """`procedura demo load` run once; its output."""
    run = subprocess.run(
        [sys.executable, "-m", "procedura_cli.main", "demo", "load",
         "--gateway", fresh.gateway],
        env={**os.environ, **fresh.env}, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_the_demo_loads_its_procedures_in_force_and_they_are_found(fresh, loaded):
    run = loaded
    statuses = dict(line.split(": ", 1) for line in run.stdout.splitlines()
                    if line.endswith((": in_force", ": draft")))
    # AUD has no head with the verifier role in the demo: its confidential procedure stays
    # a draft, every other one comes into force
    assert statuses == {"PS-SMC-01": "in_force", "PO-DRU-01": "in_force",
                        "PO-RP-02": "in_force", "PO-DAP-03": "in_force",
                        "PO-AUD-01": "draft", "PO-SMC-02": "in_force"}, run.stdout
    reader = Client.login(fresh.gateway, "radu.munteanu", "demo-dj2")
    hits = eventually(lambda: reader.get("/api/search", q="petitiilor")["hits"], timeout=30)
    assert [(h["code"], h["status"]) for h in hits][:1] == [("PO-RP-02", "in_force")]


def test_the_scanned_demo_procedure_is_found_once_ocr_has_read_it(fresh, loaded):
    """PO-SMC-02 is loaded as an image-only PDF (procedura_cli/scans.py: two A4 pages
    turned 1.5 degrees, speckled): its words reach search only through the rendition
    worker's OCR, and are found with and without their diacritics."""
    reader = Client.login(fresh.gateway, "radu.munteanu", "demo-dj2")
    for query in ("selecționează", "selectioneaza", "trimestru"):
        hits = eventually(lambda: [h for h in reader.get("/api/search", q=query)["hits"]
                                   if h["code"] == "PO-SMC-02"], timeout=180)
        assert hits, query
    [version_id] = [line.rsplit("version ", 1)[1] for line in loaded.stdout.splitlines()
                    if line.startswith("PO-SMC-02: document ")]
    version = reader.get(f"/api/versions/{version_id}")
    assert version["extraction"]["ocr"] is True, version
    assert version["extraction"]["ocr_pages"] == 2, version
    assert version["rendition"]["status"] == "done", version
