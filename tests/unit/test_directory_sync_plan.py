"""The sync's plan and its guard, without servers; and the demo directory's LDIF."""
from __future__ import annotations

import base64
from pathlib import Path

import yaml

from procedura_cli.directory_demo import demo_ldif
from services.common.directory_settings import DirectorySettings
from services.documents.adapters.directory import DirectoryPerson, escaped
from services.documents.use_cases.directory_sync import plan, refusal

ROOT = Path(__file__).resolve().parents[2]


def person(username, department="DJ", roles=("reader", "author"), disabled=False):
    return DirectoryPerson(username=username, dn=f"uid={username},ou=people", full_name=username,
                           email=None, department=department, function="", roles=roles,
                           disabled=disabled)


def row(username, source="directory", active=True, department="DJ",
        roles=("reader", "author")):
    return {"username": username, "full_name": username, "department": department,
            "function": "", "roles": list(roles), "email": None, "active": active,
            "source": source}


def test_the_plan_adds_changes_deactivates_and_leaves_local_accounts_alone():
    current = {"a": row("a"), "b": row("b"), "gone": row("gone"), "local": row("local", "local"),
               "left": row("left", active=False)}
    people = [person("a"), person("b", department="DRU"), person("new"),
              person("off", disabled=True), person("left")]
    result = plan(current, people, {"DJ", "DRU"}, lambda p: True)
    assert [p.username for p in result.add] == ["new"]
    assert [(p.username, c) for p, c in result.change] == [
        ("b", {"department": ["DJ", "DRU"]}), ("left", {"active": [False, True]})]
    assert result.deactivate == [("gone", "not_in_directory")]
    assert result.active_before == 3


def test_a_department_not_in_the_register_is_an_error_and_nothing_else():
    result = plan({"x": row("x")}, [person("x", department="XYZ")], {"DJ"}, lambda p: True)
    assert result.errors == [{"username": "x", "department": "XYZ", "problem":
                              "department 'XYZ' is not in the register of departments"}]
    assert not (result.add or result.change or result.deactivate)


def test_the_guard_refuses_an_empty_answer_and_a_mass_deactivation():
    settings = DirectorySettings(max_deactivate_share=0.2, deactivate_floor=3)
    current = {f"p{i}": row(f"p{i}") for i in range(20)}
    assert "nobody" in refusal(plan(current, [], {"DJ"}, lambda p: True), settings)
    five_left = [person(f"p{i}") for i in range(15)]
    assert "5 of 20" in refusal(plan(current, five_left, {"DJ"}, lambda p: True), settings)
    four_left = [person(f"p{i}") for i in range(16)]
    assert refusal(plan(current, four_left, {"DJ"}, lambda p: True), settings) is None
    few = {f"p{i}": row(f"p{i}") for i in range(4)}      # under the floor: never refused
    assert refusal(plan(few, [person("p0")], {"DJ"}, lambda p: True), settings) is None


def test_values_put_into_a_filter_are_escaped():
    assert escaped("(uid={username})", username="*)(uid=*") == "(uid=\\2a\\29\\28uid=\\2a)"
    assert escaped("(member={dn})", dn="cn=a\\,b") == "(member=cn=a\\5c,b)"


def test_the_demo_directory_holds_every_person_of_the_organisation_file_and_their_roles():
    organisation = yaml.safe_load((ROOT / "demo" / "organisation.yaml").read_text())
    ldif = demo_ldif(organisation, "dc=procedura,dc=local",
                     "cn=procedura,ou=services,dc=procedura,dc=local")
    for user in organisation["users"]:
        assert f"dn: uid={user['username']},ou=people,dc=procedura,dc=local" in ldif
        assert f"departmentNumber: {user['department']}" in ldif
    assert ldif.count("objectClass: groupOfNames") == 6
    assert "member: uid=daniel.balan,ou=people,dc=procedura,dc=local" in ldif
    # non-ASCII values travel in base64, as LDIF requires
    assert "cn:: " + base64.b64encode("Daniel Bălan".encode()).decode() in ldif


def test_the_login_page_says_why_the_directory_let_nobody_in():
    from services.gateway.ui import render

    def login(**values):
        return render.page("ro", "login.html", 503, user=None, csrf="", path="/login",
                           args={}, next="/", **values).get_data(as_text=True)

    assert "Directorul primăriei nu poate fi contactat" in login(refused="directory_down")
    assert "nu face parte din niciun grup Procedura" in login(refused="no_group")
    assert "compartimentul XYZ" in login(refused="unknown_department", department="XYZ")
