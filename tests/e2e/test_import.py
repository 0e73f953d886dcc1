"""`procedura import` on a small generated tree, run as a user would, then run again."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from procedura_cli.docgen import docx_bytes, odt_bytes, pdf_bytes
from tests.testenv import ROOT, eventually

BODY = "## Scop\n\nProcedura stabilește modul de lucru al compartimentului {token}.\n"


def run_import(environment, folder, *extra, report=None):
    command = [str(ROOT / ".venv" / "bin" / "procedura"), "import", str(folder),
               "--gateway", environment.gateway, "--concurrency", "3",
               "--login", "ana.popescu:demo-dj", "--login", "george.matei:demo-dru",
               "--login", "elena.dumitrascu:demo-smc", *extra]
    if report:
        command += ["--report", str(report)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, **environment.env})
    return result


def generated_tree(root, n):
    """DJ procedures in three formats (one with two revisions), a DRU form by mapping,
    and a stray file no rule can map."""
    tokens, codes = {}, []
    for i in range(n):
        code = f"PO-DJ-{uuid.uuid4().int % 10**8:08d}"
        codes.append(code)
        token = f"imp{uuid.uuid4().hex[:10]}"
        maker, ext = [(docx_bytes, "docx"), (odt_bytes, "odt"), (pdf_bytes, "pdf")][i % 3]
        path = root / "DJ" / f"{code} Procedură importată {i}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(maker(code, BODY.format(token=token)))
        tokens[token] = code
    second = f"imp{uuid.uuid4().hex[:10]}"
    (root / "DJ" / f"{codes[0]} Procedură importată 0 rev 1.docx").write_bytes(
        docx_bytes(codes[0], BODY.format(token=second)))
    tokens[second] = codes[0]
    form_code = f"F-DRU-{uuid.uuid4().hex[:6].upper()}"
    (root / "arhivă").mkdir()
    (root / "arhivă" / "formular pontaj.docx").write_bytes(
        docx_bytes("pontaj", BODY.format(token="pontajlunar")))
    mapping = root.parent / "mapare.csv"
    mapping.write_text("path,code,title,type,department,distribution\n"
                       f"arhivă/formular pontaj.docx,{form_code},Formular de pontaj,formular,"
                       "DRU,DRU;DJ\n", encoding="utf-8")
    (root / "diverse").mkdir()
    (root / "diverse" / "notă fără cod.txt").write_text("nimic", encoding="utf-8")
    return tokens, codes, form_code, mapping


def test_import_registers_uploads_reports_and_a_rerun_skips_everything(
        tmp_path, environment, login):
    root = tmp_path / "dosare"
    tokens, codes, form_code, mapping = generated_tree(root, 7)
    report_file = tmp_path / "raport.json"

    first = run_import(environment, root, "--mapping", str(mapping), report=report_file)
    assert first.returncode == 1, first.stderr          # the stray file failed
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert (report["imported"], report["skipped"], report["failed"]) == (9, 0, 1)
    (failed,) = [f for f in report["files"] if f["result"] == "failed"]
    assert failed["relative"] == "diverse/notă fără cod.txt"
    assert "no document code" in failed["reason"]
    assert "imported 9, skipped 0 (already imported), failed 1" in first.stdout
    assert "files/s" in first.stderr and "ETA" in first.stderr      # the progress line

    author = login("ana.popescu")
    documents = {d["code"]: d for d in author.get("/api/documents")["items"]}
    assert set(codes) <= set(documents)
    assert documents[codes[0]]["owner_department"] == "DJ"
    versions = author.get(f"/api/documents/{documents[codes[0]]['id']}/versions")["items"]
    assert sorted((v["revision"], v["filename"]) for v in versions) == [
        (0, f"{codes[0]} Procedură importată 0.docx"),
        (1, f"{codes[0]} Procedură importată 0 rev 1.docx")]
    form = {d["code"]: d for d in login("george.matei").get("/api/documents")["items"]}
    assert form[form_code]["title"] == "Formular de pontaj"
    assert sorted(form[form_code]["distribution"]) == ["DJ", "DRU"]
    # every imported text becomes searchable
    for token, code in tokens.items():
        eventually(lambda: [h for h in author.get("/api/search", q=token,
                                                  all_versions="true")["hits"]
                            if h["code"] == code], timeout=90)

    again = run_import(environment, root, "--mapping", str(mapping), report=report_file)
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert (report["imported"], report["skipped"], report["failed"]) == (0, 9, 1)
    assert again.returncode == 1
    (root / "diverse" / "notă fără cod.txt").unlink()
    clean = run_import(environment, root, "--mapping", str(mapping))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "imported 0, skipped 9 (already imported), failed 0" in clean.stdout
    # nothing was stored twice
    versions = author.get(f"/api/documents/{documents[codes[0]]['id']}/versions")["items"]
    assert len(versions) == 2


def test_import_explains_bad_arguments(tmp_path, environment):
    missing = run_import(environment, tmp_path / "nu-exista")
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    (tmp_path / "m.csv").write_text("cale,cod\nx.docx,PO-DJ-01\n", encoding="utf-8")
    (tmp_path / "d").mkdir()
    bad = run_import(environment, tmp_path / "d", "--mapping", str(tmp_path / "m.csv"))
    assert bad.returncode == 2 and "row 1 has no `path`" in bad.stderr


def test_imported_procedures_keep_the_edition_and_revision_their_names_say(
        tmp_path, environment, login):
    root = tmp_path / "dosare"
    code = f"PO-DJ-{uuid.uuid4().int % 10**8:08d}"
    (root / "DJ").mkdir(parents=True)
    for name in (f"{code} Avizarea contractelor ed II rev 3.docx",
                 f"{code} Avizarea contractelor ed II rev 5.docx",
                 f"{code} Avizarea contractelor ed III rev 0.docx"):
        (root / "DJ" / name).write_bytes(docx_bytes(code, BODY.format(token=name[-20:])))
    result = run_import(environment, root)
    assert result.returncode == 0, result.stdout + result.stderr
    # rev 4 is missing from the folder: Procedura numbers on without a gap, and says so
    assert ("numbered Ediția II, Revizia 4 after the versions before it (the file says "
            "Ediția II, Revizia 5)") in result.stdout
    author = login("ana.popescu")
    document = next(d for d in author.get("/api/documents")["items"] if d["code"] == code)
    versions = author.get(f"/api/documents/{document['id']}/versions")["items"]
    assert sorted((v["edition"], v["revision"]) for v in versions) == [(2, 3), (2, 4), (3, 0)]
    assert run_import(environment, root).returncode == 0            # a rerun adds nothing
    assert len(author.get(f"/api/documents/{document['id']}/versions")["items"]) == 3


def test_only_a_first_version_may_say_its_numbering_and_bad_numbers_are_named(login):
    from tests.e2e.test_walking_skeleton import DOCX, register, unique_code

    author = login("ana.popescu")
    document = register(author, unique_code())
    content = docx_bytes("x", BODY.format(token="numerotare"))
    for fields, field in (({"edition": "0", "revision": "1"}, "edition"),
                          ({"edition": "II", "revision": "1"}, "edition"),
                          ({"edition": "2"}, "revision")):
        refused = author.request("POST", f"/api/documents/{document['id']}/versions",
                                 files={"file": ("a.docx", content, DOCX)}, data=fields)
        assert refused.status_code == 422, refused.text
        assert [f["field"] for f in refused.json()["error"]["details"]["fields"]] == [field]
    assert author.get(f"/api/documents/{document['id']}/versions")["items"] == []  # none kept

    first = author.upload(document["id"], "a.docx", content, "", DOCX, edition="2",
                          revision="3")
    assert (first["edition"], first["revision"]) == (2, 3)
    again = author.request("POST", f"/api/documents/{document['id']}/versions",
                           files={"file": ("b.docx", content, DOCX)},
                           data={"edition": "1", "revision": "0"})
    assert again.status_code == 409
    error = again.json()["error"]
    assert "Ediția II, Revizia 3" in error["message"]
    # error details cross the RPC as text (nameko), as in every error of the API
    assert error["details"]["latest"] == {"edition": "2", "revision": "3"}
    second = author.upload(document["id"], "b.docx", content, "", DOCX)
    assert (second["edition"], second["revision"]) == (2, 4)
