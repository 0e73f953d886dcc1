"""The workflows of the web interface (issue 15): every document type's workflow drawn
as a diagram for everyone signed in (/workflows); a type's page (/workflows/{type}) with
its diagram and history, and for the quality office the editor that saves a new version
through the documents service's `put_workflow`; and the progress diagram the document
page shows for the revision it shows (`revision_progress`)."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from markupsafe import Markup

from services.contracts.errors import Forbidden, InvalidInput, NotFound
from services.contracts.models import Role, User
from services.gateway.routing import Router
from services.gateway.ui import i18n, render, workflow_form
from services.gateway.ui.session import Page, page
from services.gateway.ui.workflow_diagram import DEPARTMENT, ROLE, workflow_svg

router = Router(page_wrapper=page)
DOC_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
MAX_COMMENT = 500


def diagrams(workflow: dict, progress: dict | None, locale: str,
             per_row: int | None = None) -> dict[str, Markup]:
    """The diagram for a wide screen (one row, or rows of `per_row` boxes) and one step
    under the other for a phone; the page's CSS shows one of them."""
    return {"wide": Markup(workflow_svg(workflow, progress, locale, per_row)),
            "narrow": Markup(workflow_svg(workflow, progress, locale, per_row=1))}


def revision_progress(deps, user: User, shown: dict | None, locale: str) -> dict | None:
    """The document page's diagram of where the revision shown stands: its steps as its
    chain started them (the workflow's version it was submitted under)."""
    if not shown:
        return None
    progress = deps.documents.version_progress(user.username, str(shown["id"]))
    if not progress.get("steps"):
        return None
    # deadlines and opinions are in the definition, not in the progress
    definition = next((w["workflow"] for w in deps.documents.workflow_history(
        user.username, progress["type"]) if w["version"] == progress.get("workflow_version")),
        {"steps": progress["steps"]})
    # two boxes a row: the diagram sits in half the page's width, beside the register
    return {"progress": progress, **diagrams(definition, progress, locale, per_row=2)}


@router.page("GET", "/workflows")
def workflows_page(deps, current: Page):
    stored = deps.documents.workflows(current.user.username)
    shown = [{**w, **diagrams(w["workflow"], None, current.locale)} for w in stored]
    return current.render("workflows.html", workflows=shown)


@router.page("GET", "/workflows/<doc_type>")
def workflow_page(deps, current: Page, doc_type):
    doc_type = _doc_type(doc_type)
    stored = deps.documents.workflow(current.user.username, doc_type)
    steps = [workflow_form.form_step(s) for s in stored["workflow"]["steps"]]
    saved = current.request.args.get("saved", "")
    return _editor(deps, current, doc_type, stored, steps,
                   stored["workflow"].get("author_may_sign", False),
                   saved=saved if saved.isdigit() else "")


@router.page("POST", "/workflows/<doc_type>")
def workflow_submit(deps, current: Page, doc_type):
    """The editor's buttons: add, remove, move a step (the form again, nothing saved),
    or save a new version of the workflow with a comment."""
    if not current.user.has(Role.QMS_ADMIN):
        raise Forbidden("only the quality office changes workflows", {})
    doc_type = _doc_type(doc_type)
    form = current.request.form
    steps = workflow_form.steps_from_form(form)
    author_may_sign = form.get("author_may_sign") == "on"
    comment = form.get("comment", "").strip()[:MAX_COMMENT]
    op = form.get("op", "save")
    if op != "save":
        return _editor(deps, current, doc_type, None, workflow_form.apply(op, steps),
                       author_may_sign, comment=comment, draft=True)
    try:
        saved = deps.documents.put_workflow(
            current.user.username, doc_type,
            workflow_form.workflow(steps, author_may_sign), comment)
    except InvalidInput as exc:
        errors, general = workflow_form.field_errors(exc)
        return _editor(deps, current, doc_type, None, steps, author_may_sign, 422,
                       comment=comment, errors=errors, general=general, draft=True)
    return render.redirect(f"/workflows/{doc_type}?" + urlencode(
        {"saved": saved["version"]}))


def _editor(deps, current: Page, doc_type: str, stored: dict | None, steps: list[dict],
            author_may_sign: bool, http_status: int = 200, **values):
    """The type's page: its diagram (the draft's while editing), history, and for the
    quality office the editor holding `steps`."""
    user = current.user
    stored = stored or deps.documents.workflow(user.username, doc_type)
    office = user.has(Role.QMS_ADMIN)
    shown = (workflow_form.workflow(steps, author_may_sign) if values.get("draft")
             else stored["workflow"])
    return current.render(
        "workflow.html", http_status, doc_type=doc_type, stored=stored, office=office,
        steps=steps, author_may_sign=author_may_sign,
        diagram=diagrams(_drawable(shown), None, current.locale),
        history=deps.documents.workflow_history(user.username, doc_type),
        roles=_roles(current.locale), departments=_departments(deps, current.locale)
        if office else [], **{"errors": {}, "general": [], "comment": "", **values})


def _drawable(workflow: dict) -> dict:
    """A draft as the diagram draws it: a number typed wrong shows as no number."""
    steps = [{**s, "quorum": s["quorum"] if isinstance(s["quorum"], int) else 1,
              "deadline_working_days": s["deadline_working_days"]
              if isinstance(s["deadline_working_days"], int) else None}
             for s in workflow["steps"]]
    return {**workflow, "steps": steps}


def _roles(locale: str) -> list[tuple[str, str]]:
    gettext = i18n.translations(locale).gettext
    return [(role.value, gettext(ROLE[role.value])) for role in Role if role.value in ROLE]


def _departments(deps, locale: str) -> list[tuple[str, str]]:
    """owner, any, then the organisation's departments (those with staff) by code."""
    gettext = i18n.translations(locale).gettext
    codes = sorted({person["department"] for person in deps.documents.staff(None, None)})
    return [(key, gettext(label)) for key, label in DEPARTMENT.items()] + [
        (code, code) for code in codes]


def _doc_type(doc_type: str) -> str:
    if not DOC_TYPE.match(doc_type):
        raise NotFound(f"no document type {doc_type}", {"type": doc_type})
    return doc_type
