"""Reading an organisation file uploaded on the administration page."""
import pytest

from services.contracts.errors import InvalidInput
from services.gateway.ui import orgimport

CSV = ("username,full_name,department,department_name,function,roles,password\n"
       "ion.pop,Ion Pop,DJ,Direcția Juridică,Consilier,reader author,parola-1\n"
       "ana.dan,Ana Dan,DJ,,Șef serviciu,reader|verifier,parola-2\n")

YAML = """departments:
  - {code: DJ, name: "Direcția Juridică"}
users:
  - {username: ion.pop, full_name: "Ion Pop", department: DJ, roles: [reader], password: parola-1}
  - {username: ana.dan, full_name: "Ana Dan", department: DJ, roles: [reader, boss], password: parola-2}
"""


def test_a_csv_file_gives_departments_and_people():
    org = orgimport.parse("personal.csv", CSV.encode())
    assert [(d.code, d.name) for d in org.departments] == [("DJ", "Direcția Juridică")]
    assert [(u.username, [r.value for r in u.roles]) for u in org.users] == [
        ("ion.pop", ["reader", "author"]), ("ana.dan", ["reader", "verifier"])]


def test_semicolons_and_a_byte_order_mark_are_accepted():
    org = orgimport.parse("p.csv", ("\ufeff" + CSV.replace(",", ";")).encode())
    assert len(org.users) == 2


def errors(name: str, text: str) -> list[str]:
    with pytest.raises(InvalidInput) as raised:
        orgimport.parse(name, text.encode())
    return raised.value.details["problems"]


def test_csv_errors_name_the_line_and_the_field():
    bad = CSV + "x,Fără Nume,DRU,,Inspector,reader chief,123\n"
    problems = errors("p.csv", bad)
    assert "line 4, username: String should match pattern '^[a-z0-9._-]{2,64}$'" in problems
    assert any(p.startswith("line 4, department_name: no line names department DRU")
               for p in problems)
    assert any(p.startswith("line 4, roles:") for p in problems)
    assert any(p.startswith("line 4, password:") for p in problems)
    assert errors("p.csv", CSV + CSV.splitlines()[1] + "\n") == [
        "line 4, username: ion.pop is already on line 2"]
    assert errors("p.csv", "username,name\n")[0].startswith(
        "line 1: missing column(s) full_name, department, roles, password, unknown column(s) name")


def test_yaml_errors_name_the_line_and_the_field():
    [problem] = errors("org.yaml", YAML)
    assert problem.startswith("line 5, users[1].roles[1]: Input should be")
    assert errors("org.yml", "departments: [\n")[0].startswith("line 2: not valid YAML")
    assert errors("org.yaml", "- a\n") == [
        "line 1: the file needs a 'departments' list and a 'users' list"]


def test_other_files_are_refused():
    assert errors("org.xlsx", "x") == []
    with pytest.raises(InvalidInput, match="empty"):
        orgimport.parse("org.csv", b"  ")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        orgimport.parse("org.csv", "ăâ".encode("cp1250"))


def test_each_problem_is_also_given_as_line_field_and_message():
    with pytest.raises(InvalidInput) as raised:
        orgimport.parse("p.csv", (CSV + "X,Nume,DJ,,f,reader,parola-3\n").encode())
    assert raised.value.details["where"] == [{
        "line": "4", "field": "username",
        "message": "String should match pattern '^[a-z0-9._-]{2,64}$'"}]
