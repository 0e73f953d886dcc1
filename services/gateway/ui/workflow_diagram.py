"""A document type's workflow drawn as SVG by the gateway: a box per step, in the order
they are signed, joined by arrows; in each box the step's label, who signs it (role,
department, quorum), the departments' opinions and the deadline. Given a revision's
progress (the documents service's `version_progress`), each box also says where the
revision stands: done (who signed, when), current (highlighted, who is awaited) or
waiting.

A pure function of its dicts (the shapes of docs/adr/0007-workflows-as-data.md): no
script, no style attribute (the pages' CSP forbids inline style: colours are presentation
attributes), every text escaped. The SVG scales with its viewBox; `per_row` wraps the
boxes in rows (1: one under the other, for a phone).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from html import escape

from services.gateway.ui import i18n
from services.gateway.ui.render import N_

BOX_WIDTH, GAP, ROW_GAP, PADDING, LINE, MARGIN = 224, 44, 40, 12, 18, 6
CHARS = 29          # what fits on a line of a box at 13 px
TITLE_CHARS = 24    # the same in bold
NAMES_SHOWN = 4     # awaited signers listed in a box; the others counted
FONT = "DejaVu Sans, Segoe UI, Arial, sans-serif"

ROLE = {"reader": N_("reader"), "author": N_("author"), "verifier": N_("verifier"),
        "endorser": N_("endorser"), "approver": N_("approver"),
        "qms_admin": N_("quality office")}
DEPARTMENT = {"owner": N_("owner department"), "any": N_("any department")}
STATE = {"done": N_("signed"), "current": N_("awaiting"), "waiting": N_("next")}
# fill, stroke, stroke width, text colour of a box in each state (None: no progress)
COLOURS = {None: ("#ffffff", "#0b4f8a", 1.5, "#1a1a1a"),
           "done": ("#e7f4ea", "#1d6b2f", 1.5, "#1a1a1a"),
           "current": ("#fff4dc", "#7a4d00", 3.5, "#1a1a1a"),
           "waiting": ("#f3f5f8", "#8a919c", 1, "#4a4a4a")}


@dataclass
class Box:
    step_id: str
    state: str | None
    lines: list[tuple[str, str]] = field(default_factory=list)   # (kind, text)
    x: float = 0
    y: float = 0
    height: float = 0


def workflow_svg(workflow: dict, progress: dict | None = None, locale: str = "ro",
                 per_row: int | None = None) -> str:
    """The SVG of `workflow` (a Workflow dict: its `steps`), with `progress` (a
    version_progress dict) showing where a revision stands. `per_row`: boxes on a row
    before the next one (None: all on one row)."""
    tr = i18n.translations(locale)
    definitions = {s["id"]: s for s in workflow.get("steps", [])}
    # with progress, its steps are the ones the revision goes through (its own version)
    steps = progress["steps"] if progress else workflow.get("steps", [])
    boxes = [_box(n, {**definitions.get(s["id"], {}), **s}, locale, tr, bool(progress))
             for n, s in enumerate(steps, 1)]
    width, height = _layout(boxes, per_row or max(1, len(boxes)))
    title = tr.gettext("Workflow: %(steps)s") % {
        "steps": " → ".join(_label(s, locale) for s in steps)}
    desc = "; ".join(_described(box) for box in boxes)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-svg" '
             f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
             f'role="img" aria-label="{_e(title)}" font-family="{FONT}" font-size="13">',
             f"<title>{_e(title)}</title>", f"<desc>{_e(desc)}</desc>"]
    parts += _arrows(boxes)
    parts += [_draw(box) for box in boxes]
    parts.append("</svg>")
    return "\n".join(parts)


def _described(box: Box) -> str:
    """A box read aloud: its label, then the rest of its lines unwrapped."""
    title = " ".join(text for kind, text in box.lines if kind == "title")
    rest = " ".join(text for kind, text in box.lines if kind != "title")
    return f"{title}: {rest}" if rest else title


def _e(text) -> str:
    return escape(str(text), quote=True)


def _label(step: dict, locale: str) -> str:
    label = step.get("label") or {}
    return label.get(locale) or label.get("en") or label.get("ro") or step.get("id", "")


def _box(number: int, step: dict, locale: str, tr, with_progress: bool) -> Box:
    """The lines of one step's box: its label, who signs, then where the revision is."""
    state = step.get("state") if with_progress else None
    box = Box(step.get("id", ""), state)
    for text in textwrap.wrap(f"{number}. {_label(step, locale)}", TITLE_CHARS)[:3]:
        box.lines.append(("title", text))
    signers = [tr.gettext(ROLE.get(step.get("role"), str(step.get("role", ""))))]
    department = step.get("department") or "any"
    if department != "any":
        signers.append(tr.gettext(DEPARTMENT.get(department, department)))
    signers.append(_quorum(step, state, tr))
    _wrapped(box, "meta", " · ".join(s for s in signers if s))
    if step.get("opinions"):
        _wrapped(box, "meta", tr.gettext("with the departments' opinions"))
    days = step.get("deadline_working_days")
    if days:
        _wrapped(box, "meta", tr.ngettext("deadline: %(num)d working day",
                                          "deadline: %(num)d working days", days)
                 % {"num": days})
    if state:
        _progress_lines(box, step, state, tr)
    return box


def _quorum(step: dict, state: str | None, tr) -> str:
    """"2 din 3" while a committee signs (its members known), else "cvorum 2"."""
    quorum = int(step.get("quorum") or 1)
    if quorum <= 1:
        return ""
    members = len(step.get("signed_by") or []) + len(step.get("awaited") or [])
    if state == "current" and members >= quorum:
        return tr.gettext("%(quorum)d of %(members)d") % {"quorum": quorum,
                                                           "members": members}
    return tr.gettext("quorum %(quorum)d") % {"quorum": quorum}


def _progress_lines(box: Box, step: dict, state: str, tr) -> None:
    mark = {"done": "✓ ", "current": "▶ ", "waiting": ""}.get(state, "")
    box.lines.append(("state", mark + tr.gettext(STATE.get(state, state))))
    for signer in step.get("signed_by") or []:
        text = f"{signer.get('name') or signer.get('username', '')}, " \
               f"{i18n.format_date(signer.get('at'))}"
        if signer.get("decision") == "unfavourable":
            text += " (" + tr.gettext("unfavourable") + ")"
        _wrapped(box, "name", text)
    if state == "current":
        awaited = step.get("awaited") or []
        names = [a.get("name") or a.get("username", "") for a in awaited[:NAMES_SHOWN]]
        if len(awaited) > NAMES_SHOWN:
            names.append(tr.gettext("and %(num)d more") % {
                "num": len(awaited) - NAMES_SHOWN})
        if names:
            _wrapped(box, "awaited", tr.gettext("awaited: %(names)s") % {
                "names": ", ".join(names)})


def _wrapped(box: Box, kind: str, text: str) -> None:
    for line in textwrap.wrap(text, CHARS) or [""]:
        box.lines.append((kind, line))


def _layout(boxes: list[Box], per_row: int) -> tuple[float, float]:
    """Places the boxes in rows of `per_row`; the boxes of a row as tall as its tallest.
    Answers the drawing's width and height."""
    y, rows = MARGIN, [boxes[i:i + per_row] for i in range(0, len(boxes), per_row)]
    for row in rows:
        height = max(PADDING * 2 + LINE * len(b.lines) for b in row)
        for column, box in enumerate(row):
            box.x, box.y, box.height = MARGIN + column * (BOX_WIDTH + GAP), y, height
        y += height + ROW_GAP
    columns = min(per_row, len(boxes)) or 1
    width = MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * GAP
    return width, (y - ROW_GAP + MARGIN) if boxes else MARGIN * 2


def _arrows(boxes: list[Box]) -> list[str]:
    """An arrow from each box to the next: across a row, or down to the next row."""
    drawn = []
    for before, after in zip(boxes, boxes[1:]):
        if after.y == before.y:
            y = before.y + min(before.height, after.height) / 2
            start, end = (before.x + BOX_WIDTH, y), (after.x, y)
            points = [start, end]
        else:
            x_from, x_to = before.x + BOX_WIDTH / 2, after.x + BOX_WIDTH / 2
            middle = before.y + before.height + ROW_GAP / 2
            points = [(x_from, before.y + before.height), (x_from, middle),
                      (x_to, middle), (x_to, after.y)]
        path = " ".join(f"{x:g},{y:g}" for x, y in points)
        drawn.append(f'<polyline points="{path}" fill="none" stroke="#4a4a4a" '
                     f'stroke-width="1.5"/>')
        drawn.append(_head(points[-2], points[-1]))
    return drawn


def _head(start: tuple[float, float], end: tuple[float, float]) -> str:
    """The arrow's head at `end`, pointing right or down (the only ways arrows go)."""
    x, y = end
    if start[1] == y:   # across
        corners = [(x, y), (x - 9, y - 5), (x - 9, y + 5)]
    else:               # down
        corners = [(x, y), (x - 5, y - 9), (x + 5, y - 9)]
    return '<polygon points="{}" fill="#4a4a4a"/>'.format(
        " ".join(f"{cx:g},{cy:g}" for cx, cy in corners))


def _draw(box: Box) -> str:
    fill, stroke, stroke_width, ink = COLOURS.get(box.state, COLOURS[None])
    state = f" step-{box.state}" if box.state else ""
    parts = [f'<g class="step{state}" data-step="{_e(box.step_id)}">',
             f'<rect x="{box.x:g}" y="{box.y:g}" width="{BOX_WIDTH}" '
             f'height="{box.height:g}" rx="6" fill="{fill}" stroke="{stroke}" '
             f'stroke-width="{stroke_width:g}"/>']
    for i, (kind, text) in enumerate(box.lines):
        y = box.y + PADDING + LINE * i + 13
        weight = ' font-weight="bold"' if kind in ("title", "state") else ""
        colour = stroke if kind == "state" else ink
        parts.append(f'<text x="{box.x + PADDING:g}" y="{y:g}" fill="{colour}"{weight}>'
                     f"{_e(text)}</text>")
    parts.append("</g>")
    return "".join(parts)
