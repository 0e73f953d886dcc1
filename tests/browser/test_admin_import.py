"""The administration page: the quality office imports the organisation from a CSV or
YAML file; a bad file names its line and field and loads nothing."""
from __future__ import annotations

import uuid

import requests


def _upload(b, tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    b.open("/admin")
    b.find("#org-file").send_keys(str(path))
    b.find("#import button[type=submit]").click()
    b.wait_for("main h1")
    return b


COLUMNS = ("username", "full_name", "department", "department_name", "function", "roles",
           "password")


def _import_people(browser, tmp_path, separator: str, *people: tuple[str, ...]):
    """The quality office imports personal.csv: the header, then one line a person."""
    csv = "".join(separator.join(fields) + "\n" for fields in (COLUMNS, *people))
    return _upload(browser().log_in("elena.dumitrascu"), tmp_path, "personal.csv", csv)


def test_import_the_organisation_from_csv(browser, scenario, gateway, tmp_path):
    tag = uuid.uuid4().hex[:6]
    person = f"ioana.arhiva{tag}"
    b = _import_people(browser, tmp_path, ";", (
        person, "Ioana Arhivă", f"ARH{tag[:3].upper()}", "Compartimentul Arhivă", "Arhivar",
        "reader", "parola-arhiva"))
    assert b.flash() == ("personal.csv a fost importat (compartimente: 1, "
                                       "persoane: 1).")
    b.screenshot("admin-imported")
    newcomer = browser().log_in(person, "parola-arhiva")
    assert "Ioana Arhivă" in newcomer.text("header")


def test_a_bad_file_names_the_line_and_field_and_loads_nothing(browser, scenario, gateway,
                                                               tmp_path):
    tag = uuid.uuid4().hex[:6]
    good = f"nu.se.incarca{tag}"
    b = _import_people(
        browser, tmp_path, ",",
        (good, "Nu Se Încarcă", "DJ", "Direcția Juridică", "Consilier", "reader", "parola-buna"),
        ("X Y", "Fără Nume", "DJ", "", "Consilier", "reader sef", "parola-buna"))
    error = b.text("#import-error")
    assert "personal.csv nu a fost importat; nu s-a încărcat nimic." in error
    assert "Linia 3, username" in error and "Linia 3, roles" in error
    # the explanations in Romanian too, not the validator's English
    assert ("Linia 3, username: trebuie să aibă 2-64 de litere mici fără diacritice, cifre, "
            "„.”, „_” sau „-”") in error
    assert "Linia 3, roles: trebuie să fie una dintre valorile: 'reader', 'author'" in error
    assert "should" not in error and "Input" not in error
    b.screenshot("admin-import-refused")
    answer = requests.post(f"{gateway}/api/auth/token", timeout=30,
                           json={"username": good, "password": "parola-buna"})
    assert answer.status_code == 401            # the good line was not loaded either

    _upload(b, tmp_path, "org.yaml", "departments:\n  - {code: DJ, name: Juridic}\n"
                                     "users:\n  - {username: a.b, full_name: A B}\n")
    assert "Linia 4, users[0].department: este obligatoriu" in b.text("#import-error")

    reader = browser().log_in("radu.munteanu").open("/admin")
    assert reader.text("h1") == "Acces interzis"
