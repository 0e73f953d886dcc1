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


def errors(name: str, text: str | bytes) -> list[str]:
    with pytest.raises(InvalidInput) as raised:
        orgimport.parse(name, text.encode() if isinstance(text, str) else text)
    return raised.value.details["problems"]


def test_csv_errors_name_the_line_and_the_field():
    bad = CSV + "x,Fără Nume,DRU,,Inspector,reader chief,123\n"
    problems = errors("p.csv", bad)
    assert ("line 4, username: must be 2 to 64 small letters without diacritics, digits, "
            "'.', '_' or '-'") in problems
    assert any(p.startswith("line 4, department_name: no line names department DRU")
               for p in problems)
    assert any(p.startswith("line 4, roles:") for p in problems)
    assert any(p.startswith("line 4, password:") for p in problems)
    assert errors("p.csv", CSV + CSV.splitlines()[1] + "\n") == [
        "line 4, username: ion.pop is already on line 2"]
    assert errors("p.csv", "username,name\n") == [
        "line 1: missing column(s) full_name, department, roles, password",
        "line 1: unknown column(s) name (the columns are: username, full_name, department, "
        "department_name, function, roles, password)"]


def test_yaml_errors_name_the_line_and_the_field():
    [problem] = errors("org.yaml", YAML)
    assert problem.startswith("line 5, users[1].roles[1]: must be one of: 'reader', ")
    assert errors("org.yml", "departments: [\n")[0].startswith("line 2: not valid YAML")
    assert errors("org.yaml", "- a\n") == [
        "line 1: the file needs a 'departments' list and a 'users' list"]


def test_other_files_are_refused():
    assert errors("org.xlsx", "x") == ["the file must be .yaml, .yml or .csv"]
    assert errors("org.csv", "  ") == ["the file is empty"]
    assert errors("org.csv", "ăâ".encode("cp1250")) == ["the file is not UTF-8 text (byte 0)"]


def test_each_problem_is_also_given_as_line_field_and_message():
    with pytest.raises(InvalidInput) as raised:
        orgimport.parse("p.csv", (CSV + "X,Nume,DJ,,f,reader,parola-3\n").encode())
    assert raised.value.details["where"] == [{
        "line": "4", "field": "username",
        "message": "must be 2 to 64 small letters without diacritics, digits, '.', '_' or '-'",
        "values": {}}]


def test_yaml_aliases_and_deep_nesting_are_refused_before_anything_grows():
    laughs = ('a: &a ["lol", "lol"]\nb: &b [*a, *a]\n'
              "departments: *b\nusers: []\n")
    assert errors("org.yaml", laughs) == [
        "line 2: aliases (*name) are not allowed in an organisation file"]
    merged = "m: &m {k: v}\nn: {<<: *m}\ndepartments: []\nusers: []\n"
    assert errors("org.yaml", merged) == [
        "line 2: aliases (*name) are not allowed in an organisation file"]
    assert errors("org.yaml", "[" * 100_000) == [
        f"line 1: the file nests more than {orgimport.MAX_DEPTH} levels deep"]
    # the real file nests 4 deep: an anchor without an alias is harmless
    assert len(orgimport.parse("org.yaml", YAML.replace("- {code: DJ", "- &dj {code: DJ")
                               .replace("boss", "author").encode()).users) == 2


def test_past_a_hundred_problems_only_their_number_is_given():
    lines = "".join(f"X{n},Nume,DJ,Direcția,f,reader,parola-1\n" for n in range(150))
    problems = errors("p.csv", CSV.splitlines()[0] + "\n" + lines)
    assert len(problems) == orgimport.MAX_PROBLEMS + 1
    assert problems[-1] == "and 50 more problems"


def test_a_person_who_has_left_is_marked_inactive_and_a_bad_flag_is_named():
    head = "departments:\n  - {code: DJ, name: J}\nusers:\n"
    person = "  - {username: a.b, full_name: A B, department: DJ, roles: [reader], " \
             "password: parola1, active: %s}\n"
    assert orgimport.parse("o.yaml", (head + person % "false").encode()).users[0].active \
        is False
    with pytest.raises(InvalidInput) as refused:
        orgimport.parse("o.yaml", (head + person % "maybe").encode())
    where = refused.value.details["where"][0]
    assert (where["line"], where["field"], where["message"]) == (
        "4", "users[0].active", "must be true or false")
