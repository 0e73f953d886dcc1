"""Bulk import planning: naming rules and mapping files (no servers)."""
from pathlib import Path

import pytest

from procedura_cli.importing import MappingError, load_mapping, parse_name, plan, roman_or_int


def test_names_give_code_type_department_title_and_order():
    assert parse_name("PO-DJ-07 Înregistrarea petițiilor") == {
        "code": "PO-DJ-07", "type": "PO", "title": "Înregistrarea petițiilor",
        "order": (0, 0), "department": "DJ"}
    parsed = parse_name("PS-SMC-01_Controlul_documentelor_ed_II_rev_3")
    assert (parsed["code"], parsed["title"], parsed["order"]) == (
        "PS-SMC-01", "Controlul documentelor", (2, 3))
    assert parse_name("F-DJ-07.1 - Registru petiții")["type"] == "formular"
    assert "department" not in parse_name("F-DJ-07.1 - Registru petiții")
    assert parse_name("IL-DRU-02 Pontaj Ediția I Revizia 2")["order"] == (1, 2)
    assert parse_name("MC-01")["title"] == "MC-01"


@pytest.mark.parametrize("stem", ["Scrisoare către primar", "XY-DJ-01 Necunoscut", "PO",
                                  "raport_2024"])
def test_names_without_a_known_code_are_not_guessed(stem):
    assert parse_name(stem) == {}


def test_roman_numerals():
    assert [roman_or_int(v) for v in ("I", "IV", "IX", "XIV", "3", None)] == [1, 4, 9, 14, 3, 0]


def tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_plan_groups_versions_by_code_in_order_and_rejects_what_it_cannot_map(tmp_path):
    root = tree(tmp_path, {
        "DJ/PO-DJ-07 Petiții rev 1.docx": b"b", "DJ/PO-DJ-07 Petiții.docx": b"a",
        "DJ/F-REG-01 Registru.pdf": b"c", "diverse/notă.txt": b"d", ".ascuns/x.docx": b"e",
        "DJ/Thumbs.db": b"f"})
    result = plan(root)
    assert [d.code for d in result.documents] == ["F-REG-01", "PO-DJ-07"]
    form, procedure = result.documents
    assert form.department == "DJ" and form.type == "formular"   # from the folder
    assert [f.relative for f in procedure.files] == ["DJ/PO-DJ-07 Petiții.docx",
                                                      "DJ/PO-DJ-07 Petiții rev 1.docx"]
    assert procedure.distribution == ["DJ"]
    assert [r.relative for r in result.rejected] == ["diverse/notă.txt"]
    assert "no document code" in result.rejected[0].reason


def test_a_mapping_overrides_the_rules_and_names_missing_files(tmp_path):
    root = tree(tmp_path / "in", {"vechi/proc1.docx": b"a", "vechi/proc1-v2.docx": b"b"})
    mapping_file = tmp_path / "map.csv"
    mapping_file.write_text(
        "path,code,title,type,department,distribution,order\n"
        "vechi/proc1-v2.docx,PO-DAP-03,Achiziții publice,PO,DAP,DAP;DJ,2\n"
        "vechi/proc1.docx,PO-DAP-03,Achiziții publice,PO,DAP,DAP;DJ,1\n"
        "vechi/lipsă.docx,PO-DAP-04,Altă procedură,PO,DAP,,\n", encoding="utf-8")
    result = plan(root, load_mapping(mapping_file))
    (document,) = result.documents
    assert (document.code, document.title, document.department, document.distribution) == (
        "PO-DAP-03", "Achiziții publice", "DAP", ["DAP", "DJ"])
    assert [f.relative for f in document.files] == ["vechi/proc1.docx", "vechi/proc1-v2.docx"]
    assert [(r.relative, r.reason.split(" ")[0]) for r in result.rejected] == [
        ("vechi/lipsă.docx", "named")]


def test_yaml_mapping_and_its_errors_name_the_row(tmp_path):
    good = tmp_path / "m.yaml"
    good.write_text("files:\n  - {path: a.docx, code: PO-DJ-01, title: Titlu}\n",
                    encoding="utf-8")
    assert load_mapping(good) == {"a.docx": {"code": "PO-DJ-01", "title": "Titlu"}}
    bad = tmp_path / "b.yaml"
    bad.write_text("- {path: a.docx, cod: PO-DJ-01}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="row 1: unknown field"):
        load_mapping(bad)
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nu.csv")


def test_a_file_says_its_edition_and_revision_by_name_or_by_mapping(tmp_path):
    root = tree(tmp_path / "in", {"DJ/PO-DJ-09 Avize ed II rev 3.docx": b"a",
                                  "DJ/PO-DJ-09 Avize ed III.docx": b"b",
                                  "DJ/PO-DJ-08 Contracte rev 2.docx": b"c",
                                  "vechi/proc.docx": b"d", "vechi/proc2.docx": b"e"})
    mapping_file = tmp_path / "map.csv"
    mapping_file.write_text("path,code,title,type,department,edition,revision\n"
                            "vechi/proc.docx,PO-DAP-03,Achiziții,PO,DAP,4,1\n"
                            "vechi/proc2.docx,PO-DAP-04,Achiziții,PO,DAP,0,1\n",
                            encoding="utf-8")
    result = plan(root, load_mapping(mapping_file))
    files = {f.relative: f for d in result.documents for f in d.files}
    assert files["DJ/PO-DJ-09 Avize ed II rev 3.docx"].numbering == (2, 3)
    assert files["DJ/PO-DJ-09 Avize ed III.docx"].numbering == (3, 0)
    assert files["DJ/PO-DJ-08 Contracte rev 2.docx"].numbering is None    # no edition
    assert files["vechi/proc.docx"].numbering == (4, 1)
    assert [(r.relative, r.reason) for r in result.rejected] == [
        ("vechi/proc2.docx", "mapping: the edition starts at 1 and the revision at 0")]
