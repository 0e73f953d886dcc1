"""Workflows in the web interface (issue 15): the diagram the gateway draws (a pure
function of a workflow and a revision's progress), the quality office's editor as plain
form posts (its buttons, what it sends to put_workflow, a refusal's messages next to
their fields), and who sees the editor. The documents service is a fake answering the
shapes of its workflow RPCs."""
from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.contracts.errors import InvalidInput
from services.contracts.models import Role, User
from services.gateway.routes import web_workflows
from services.gateway.ui import workflow_form
from services.gateway.ui.render import HERE as UI
from services.gateway.ui.session import SESSION_COOKIE, Sessions
from services.gateway.ui.workflow_diagram import workflow_svg

SVG = "{http://www.w3.org/2000/svg}"


def step(id, ro, en, role, department, **more):
    return {"id": id, "label": {"ro": ro, "en": en}, "role": role, "department": department,
            "opinions": False, "quorum": 1, "deadline_working_days": None, **more}


CLASSIC = {"author_may_sign": False, "steps": [
    step("verify", "Verificare", "Verification", "verifier", "owner"),
    step("endorse", "Avizare", "Endorsement", "endorser", "any", opinions=True),
    step("approve", "Aprobare", "Approval", "approver", "any")]}
LEGAL = {"author_may_sign": False, "steps": [
    CLASSIC["steps"][0],
    step("avizare-juridica", "Avizare juridică", "Legal opinion", "verifier", "DJ",
         deadline_working_days=5, signed_label={"ro": "Avizat juridic", "en": "Legal"}),
    step("comisie", "Comisia de avizare", "Committee", "endorser", "any", quorum=2),
    CLASSIC["steps"][2]]}


def signer(username, name, at, decision="signed"):
    return {"username": username, "name": name, "function": "", "decision": decision,
            "at": at}


def progress_of(workflow, states, signed=None, awaited=None):
    signed, awaited = signed or {}, awaited or {}
    return {"type": "PO", "workflow_version": 2, "status": "in_review",
            "current_step": next((s["id"] for s, st in zip(workflow["steps"], states)
                                  if st == "current"), None),
            "steps": [{"id": s["id"], "label": s["label"], "role": s["role"],
                       "department": s["department"], "quorum": s["quorum"], "state": st,
                       "signed_by": signed.get(s["id"], []),
                       "awaited": awaited.get(s["id"], [])}
                      for s, st in zip(workflow["steps"], states)]}


def boxes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)   # well-formed XML, whatever the labels hold
    return {g.get("data-step"): g for g in root.iter(f"{SVG}g")}


def texts(group: ET.Element) -> list[str]:
    return [t.text for t in group.iter(f"{SVG}text")]


# --- the diagram ---------------------------------------------------------------------
def test_a_box_per_step_in_order_with_who_signs_it_and_an_arrow_between_each():
    svg = workflow_svg(LEGAL, None, "ro")
    drawn = boxes(svg)
    assert list(drawn) == ["verify", "avizare-juridica", "comisie", "approve"]
    # a line longer than the box is wrapped at a word
    assert texts(drawn["verify"]) == ["1. Verificare", "verificator · compartimentul",
                                      "emitent"]
    assert texts(drawn["avizare-juridica"]) == [
        "2. Avizare juridică", "verificator · DJ", "termen: 5 zile lucrătoare"]
    assert texts(drawn["comisie"])[1] == "avizator · cvorum 2"
    assert texts(drawn["approve"]) == ["4. Aprobare", "aprobator"]
    assert svg.count("<polyline") == 3 and svg.count("<polygon") == 3
    xs = [float(g.find(f"{SVG}rect").get("x")) for g in drawn.values()]
    assert xs == sorted(xs) and len(set(xs)) == 4      # left to right, on one row
    english = boxes(workflow_svg(CLASSIC, None, "en"))
    assert " ".join(texts(english["endorse"])) == \
        "2. Endorsement endorser with the departments' opinions"


def test_the_diagram_is_an_image_named_for_assistive_technology():
    root = ET.fromstring(workflow_svg(CLASSIC, None, "ro"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Fluxul de lucru: Verificare → Avizare → Aprobare"
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    assert root.find(f"{SVG}desc").text.startswith(
        "1. Verificare: verificator · compartimentul emitent")
    assert re.match(r"0 0 \d+ \d+$", root.get("viewBox"))


def test_every_text_is_escaped_and_the_drawing_has_no_script_nor_inline_style():
    hostile = copy.deepcopy(CLASSIC)
    hostile["steps"][0]["label"]["ro"] = "<script>alert(1)</script> & „ghilimele” \"x\""
    hostile["steps"][0]["id"] = 'x" onload="alert(1)'
    svg = workflow_svg(hostile, None, "ro")
    assert "<script" not in svg and "onload=\"" not in svg and "style=" not in svg
    drawn = boxes(svg)
    assert "".join(texts(drawn['x" onload="alert(1)'])).startswith(
        "1. <script>alert(1)</script>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in svg
    assert ET.fromstring(svg).get("aria-label").startswith(
        "Fluxul de lucru: <script>alert(1)</script> & ")


def test_progress_shows_who_signed_the_step_being_signed_and_who_is_awaited():
    progress = progress_of(
        LEGAL, ["done", "done", "current", "waiting"],
        signed={"verify": [signer("maria.ilie", "Maria Ilie", "2026-12-01T09:30:00+00:00")],
                "avizare-juridica": [signer("ana.popescu", "Ana Popescu",
                                            "2026-12-02T10:00:00+00:00", "unfavourable")],
                "comisie": [signer("mihai.tudose", "Mihai Tudose",
                                   "2026-12-03T11:00:00+00:00")]},
        awaited={"comisie": [{"username": "a", "name": "Ion Avram", "function": ""},
                             {"username": "b", "name": "Dan Barbu", "function": ""}]})
    drawn = boxes(workflow_svg(LEGAL, progress, "ro"))
    assert texts(drawn["verify"])[-2:] == ["✓ semnat", "Maria Ilie, 01.12.2026"]
    assert " ".join(texts(drawn["avizare-juridica"])).endswith(
        "✓ semnat Ana Popescu, 02.12.2026 (aviz nefavorabil)")
    # the deadline comes from the definition the revision started with
    assert "termen: 5 zile lucrătoare" in texts(drawn["avizare-juridica"])
    current = texts(drawn["comisie"])
    assert current[1] == "avizator · 2 din 3"
    assert " ".join(current).endswith(
        "▶ în curs Mihai Tudose, 03.12.2026 se așteaptă: Ion Avram, Dan Barbu")
    assert texts(drawn["approve"])[-1] == "urmează"
    assert drawn["comisie"].get("class") == "step step-current"
    widths = {k: float(g.find(f"{SVG}rect").get("stroke-width")) for k, g in drawn.items()}
    assert widths["comisie"] > max(widths["verify"], widths["approve"])   # highlighted


def test_a_long_list_of_awaited_signers_is_counted_not_drawn_whole():
    awaited = [{"username": f"u{i}", "name": f"P{i}", "function": ""} for i in range(7)]
    progress = progress_of(CLASSIC, ["current", "waiting", "waiting"],
                           awaited={"verify": awaited})
    lines = " ".join(texts(boxes(workflow_svg(CLASSIC, progress, "ro"))["verify"]))
    assert "se așteaptă: P0, P1, P2, P3, și încă 3" in lines


def test_per_row_wraps_the_boxes_one_under_the_other_for_a_phone():
    drawn = boxes(workflow_svg(LEGAL, None, "ro", per_row=1))
    rects = [g.find(f"{SVG}rect") for g in drawn.values()]
    assert len({r.get("x") for r in rects}) == 1
    ys = [float(r.get("y")) for r in rects]
    assert ys == sorted(ys) and len(set(ys)) == 4
    root = ET.fromstring(workflow_svg(LEGAL, None, "ro", per_row=1))
    assert int(root.get("width")) < int(ET.fromstring(workflow_svg(LEGAL)).get("width"))


def test_the_diagrams_and_editors_texts_have_their_romanian_translation():
    with open(UI / "locale" / "ro" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="ro")
    missing = []
    for module in ("workflow_diagram.py", "workflow_form.py"):
        with open(UI / module, "rb") as fh:
            for _, message, *_ in extract_from_file(
                    "python", fh.name, keywords={"N_": None, "gettext": None,
                                                 "ngettext": (1, 2)}):
                key = message if isinstance(message, str) else message[0]
                entry = catalog.get(key)
                if not entry or not entry.string:
                    missing.append(key)
    assert not missing


# --- the editor's form ---------------------------------------------------------------
def form_of(workflow, **more) -> dict:
    fields = {"steps": str(len(workflow["steps"]))}
    for i, s in enumerate(workflow["steps"]):
        for name, value in workflow_form.form_step(s).items():
            if name == "opinions":
                if value:
                    fields[f"step-{i}-opinions"] = "on"
            else:
                fields[f"step-{i}-{name}"] = value
    return {**fields, **more}


def test_the_form_reads_back_into_the_workflow_it_was_made_of():
    steps = workflow_form.steps_from_form(form_of(LEGAL))
    assert workflow_form.workflow(steps, False) == {
        "author_may_sign": False,
        "steps": [{k: v for k, v in s.items()} for s in LEGAL["steps"]]}


def test_the_buttons_add_remove_and_move_steps_without_saving():
    steps = workflow_form.steps_from_form(form_of(LEGAL))
    ids = lambda ss: [s["id"] for s in ss]   # noqa: E731
    assert ids(workflow_form.apply("up:1", steps)) == [
        "avizare-juridica", "verify", "comisie", "approve"]
    assert ids(workflow_form.apply("down:2", steps)) == [
        "verify", "avizare-juridica", "approve", "comisie"]
    assert ids(workflow_form.apply("remove:0", steps)) == [
        "avizare-juridica", "comisie", "approve"]
    assert ids(workflow_form.apply("add", steps)) == ids(steps) + [""]
    for nothing in ("up:0", "down:3", "remove:9", "up:x", "format:c", "preview"):
        assert workflow_form.apply(nothing, steps) == steps
    assert ids(steps) == ["verify", "avizare-juridica", "comisie", "approve"]   # untouched


def test_numbers_typed_wrong_go_as_typed_for_the_documents_service_to_name():
    form = form_of(CLASSIC, **{"step-0-quorum": "doi", "step-1-deadline": "3",
                               "step-2-deadline": ""})
    sent = workflow_form.workflow(workflow_form.steps_from_form(form), True)
    assert [s["quorum"] for s in sent["steps"]] == ["doi", 1, 1]
    assert [s["deadline_working_days"] for s in sent["steps"]] == [None, 3, None]
    assert sent["author_may_sign"] is True


def test_a_refusal_names_each_field_next_to_it_whatever_the_path_syntax():
    refusal = InvalidInput("invalid", {"fields": [
        {"field": "steps[2].role", "problem": "unknown role"},
        {"field": "steps.1.label.ro", "problem": "empty"},
        {"field": "steps[0].deadline_working_days", "problem": "< 1"},
        {"field": "steps", "problem": "duplicate ids"}]})
    by_step, general = workflow_form.field_errors(refusal)
    assert by_step == {"2.role": workflow_form.FIELD_MESSAGES["role"],
                       "1.label": workflow_form.FIELD_MESSAGES["label"],
                       "0.deadline_working_days":
                           workflow_form.FIELD_MESSAGES["deadline_working_days"]}
    assert general == [workflow_form.FIELD_MESSAGES["steps"]]
    one = InvalidInput("duplicate id", {"field": "steps[1].id"})
    assert workflow_form.field_errors(one) == ({"1.id": workflow_form.FIELD_MESSAGES["id"]},
                                               [])


# --- the pages -----------------------------------------------------------------------
OFFICE = User(username="elena.dumitrascu", full_name="Elena Dumitrașcu", department="BMC",
              function="responsabil calitate", roles=[Role.READER, Role.QMS_ADMIN])
READER = User(username="radu.munteanu", full_name="Radu Munteanu", department="DRU",
              function="inspector", roles=[Role.READER])


def stored(workflow, version=1, by="system", comment=""):
    return {"type": "PO", "version": version, "workflow": workflow, "changed_by": by,
            "changed_at": "2026-12-06T18:00:00+00:00", "comment": comment}


class Documents:
    """The documents service's workflow RPCs over a dict of versions."""

    def __init__(self, person: User):
        self.person = person
        self.versions = [stored(CLASSIC)]
        self.refusal: InvalidInput | None = None
        self.progress = None

    def session_user(self, session_id):
        return self.person.model_dump(mode="json")

    def workflows(self, actor):
        return [self.versions[-1]]

    def workflow(self, actor, doc_type):
        return self.versions[-1]

    def workflow_history(self, actor, doc_type):
        return list(reversed(self.versions))

    def put_workflow(self, actor, doc_type, workflow, comment=""):
        if self.refusal:
            raise self.refusal
        self.versions.append(stored(workflow, len(self.versions) + 1, actor, comment))
        return self.versions[-1]

    def staff(self, departments=None, roles=None):
        return [{"department": d} for d in ("DRU", "DJ", "BMC", "DJ")]

    def version_progress(self, actor, version_id):
        return self.progress


def deps(person: User):
    return SimpleNamespace(documents=Documents(person), web=SimpleNamespace(
        sessions=Sessions("s" * 32, 3600, secure=False)))


def call(d, name, path, form=None, **params):
    cookie = d.web.sessions.issue(d.documents.person.username, "s1")
    builder = EnvironBuilder(path=path, method="POST" if form is not None else "GET",
                             data={**(form or {}),
                                   "csrf_token": d.web.sessions.read(cookie).csrf}
                             if form is not None else None)
    builder.headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    route = next(r for r in web_workflows.router.routes if r.name == name)
    answer = route.fn(d, Request(builder.get_environ()), **params)
    return answer, answer.get_data(as_text=True)


def test_everyone_sees_the_diagrams_and_only_the_quality_office_the_editor():
    d = deps(READER)
    answer, html = call(d, "workflows_page", "/workflows")
    assert answer.status_code == 200 and html.count('role="img"') == 2   # wide and narrow
    answer, html = call(d, "workflow_page", "/workflows/PO", doc_type="PO")
    assert answer.status_code == 200 and 'data-step="endorse"' in html
    assert "workflow-editor" not in html and "Istoric" in html
    answer, html = call(d, "workflow_submit", "/workflows/PO", {"op": "save"},
                        doc_type="PO")
    assert answer.status_code == 403 and len(d.documents.versions) == 1
    answer, html = call(deps(OFFICE), "workflow_page", "/workflows/PO", doc_type="PO")
    assert 'id="workflow-editor"' in html and html.count('class="wf-step"') == 3
    # owner, any, then the organisation's departments, each once in each step's list
    assert html.count('<option value="DJ">DJ</option>') == 3
    assert html.count('<option value="owner" selected>compartimentul emitent</option>') == 1


def test_the_editor_moves_a_step_then_saves_a_new_version_with_its_comment():
    d = deps(OFFICE)
    form = form_of(LEGAL, op="up:2")
    answer, html = call(d, "workflow_submit", "/workflows/PO", form, doc_type="PO")
    assert answer.status_code == 200 and len(d.documents.versions) == 1   # not saved
    assert html.index('value="comisie"') < html.index('value="avizare-juridica"')
    assert "Previzualizare (nesalvată)" in html
    form = form_of(LEGAL, op="save", comment="Avizul juridic înaintea aprobării")
    answer, _ = call(d, "workflow_submit", "/workflows/PO", form, doc_type="PO")
    assert answer.status_code == 303 and answer.headers["Location"] == "/workflows/PO?saved=2"
    assert d.documents.versions[-1]["workflow"] == LEGAL
    assert d.documents.versions[-1]["comment"] == "Avizul juridic înaintea aprobării"


def test_a_refused_workflow_shows_romanian_messages_next_to_their_fields():
    d = deps(OFFICE)
    d.documents.refusal = InvalidInput("invalid steps[1].department", {
        "fields": [{"field": "steps[1].department", "problem": "no department XX"}]})
    form = form_of(LEGAL, op="save", **{"step-1-department": "XX"})
    answer, html = call(d, "workflow_submit", "/workflows/PO", form, doc_type="PO")
    assert answer.status_code == 422 and len(d.documents.versions) == 1
    assert ('<p class="field-error" id="step-1-department-error">Alegeți compartimentul '
            "emitent, orice compartiment sau un compartiment din organigramă.</p>") in html
    assert 'aria-describedby="step-1-department-error"' in html
    assert '<option value="XX" selected>XX</option>' in html   # what was typed stays


def test_the_document_page_draws_the_revision_under_the_definition_it_started_with():
    d = deps(READER)
    d.documents.versions.append(stored(LEGAL, 2))
    d.documents.versions.append(stored(CLASSIC, 3))   # changed since: not this revision's
    d.documents.progress = progress_of(LEGAL, ["done", "current", "waiting", "waiting"])
    shown = web_workflows.revision_progress(d, READER, {"id": "v1"}, "ro")
    assert shown["progress"]["current_step"] == "avizare-juridica"
    assert "termen: 5 zile lucrătoare" in shown["wide"]
    assert 'class="step step-current" data-step="avizare-juridica"' in shown["narrow"]
    wide = boxes(shown["wide"])   # two boxes a row in the half page beside the register
    assert len({g.find(f"{SVG}rect").get("y") for g in wide.values()}) == 2
    assert web_workflows.revision_progress(d, READER, None, "ro") is None
