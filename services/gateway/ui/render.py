"""Templates, security headers and small view helpers of the web interface."""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from services.contracts import signing
from services.gateway.ui import i18n

HERE = Path(__file__).parent
# no inline script or style anywhere: everything comes from /static. The viewer's pdf.js
# runs its worker from /static (worker-src) and fetches the PDF, its character maps and
# standard fonts from 'self'; it needs no eval and no WebAssembly (static/viewer.mjs).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; worker-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def N_(message: str) -> str:
    """Marks a message for the catalog; translated where it is shown."""
    return message


# the signing chain's words come from its vocabulary (services/contracts/signing.py),
# whose Romanian labels i18n adds to the Romanian catalog
STATUS = {
    "draft": N_("Draft"),
    **{term.status.value: term.label("status") for term in signing.STEPS},
    "in_review": N_("In review"),   # a step of a workflow other than the three above
    "approved": N_("Approved"), "in_force": N_("In force"), "superseded": N_("Superseded"),
    "withdrawn": N_("Withdrawn"), "archived": N_("Archived"), "disposed": N_("Disposed"),
}
ACTION = {action: signing.term_for_action(action).label("action")
          for action in signing.ACTIONS}
SIGNED = {action: signing.term_for_action(action).label("signed")
          for action in signing.ACTIONS}
TYPE = {
    "PS": N_("System procedure"), "PO": N_("Operational procedure"),
    "IL": N_("Work instruction"), "formular": N_("Form"),
    "manualul_calitatii": N_("Quality manual"), "lista_proceselor": N_("Process list"),
    "registrul_riscurilor": N_("Risk register"), "extern": N_("External document"),
}
FACET = {"type": N_("Type"), "department": N_("Department"), "process": N_("Process"),
         "status": N_("Status"), "year": N_("Year")}
AUDIT = {
    "register": N_("registered"), "upload": N_("uploaded"), "restore": N_("restored"),
    **{term.audit_key: term.label("audit") for term in signing.TERMS},
    "version_in_force": N_("came into force"), "version_superseded": N_("superseded"),
    "review_due": N_("review due"),
    "reviewed": N_("reviewed, no change"), "new_edition": N_("new edition requested"),
}
FLASH = {
    "signed": N_("Your signature was recorded."),
    "rejected": N_("The revision was returned to its author."),
    "opinion": N_("Your opinion was recorded."),
    "submitted": N_("The revision was submitted for verification."),
    "uploaded": N_("The new version was uploaded."),
    "logged_out": N_("You have logged out."),
    "acknowledged": N_("You have confirmed that you have read it."),
}

LINK = {"reference": N_("Reference document"), "form": N_("Associated form"),
        "replaces": N_("Replaces"), "related": N_("Related document")}
RISK_LEVEL = {"scăzută": N_("low"), "medie": N_("medium"), "ridicată": N_("high")}
RISK_STATUS = {"open": N_("open"), "monitored": N_("monitored"), "closed": N_("closed")}


def badge(status: str) -> str:
    """The classes of a status badge: a revision waiting for a signature also has
    `badge-waiting` (one colour for every step of the chain, static/app.css)."""
    waiting = status in {s.value for s in signing.WAITING_STATUSES}
    return f"badge badge-{status}" + (" badge-waiting" if waiting else "")


def _level_class(exposure: int) -> str:
    """The colour of an exposure (1-4 low, 5-12 medium, 15-25 high)."""
    return "low" if exposure <= 4 else "medium" if exposure <= 12 else "high"


def _highlight(fragment: str) -> Markup:
    """A search highlight: only its <mark> tags survive, every other character is text."""
    parts = re.split(r"(</?mark>)", fragment)
    return Markup("").join(Markup(p) if p in ("<mark>", "</mark>")
                           else escape(html.unescape(p)) for p in parts)


def _unmarked(fragment: str) -> str:
    """A highlight's plain text (to leave out one that only repeats the title)."""
    return html.unescape(re.sub(r"</?mark>", "", fragment)).strip()


def _detail(value) -> str:
    """A value of an audit entry's details, as a person reads it."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict):   # e.g. a link: "reference 5fcd4aaa-…"
        return " ".join(str(v) for v in value.values())
    if isinstance(value, list):
        return ", ".join(_detail(v) for v in value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return i18n.format_date(value)
    return str(value)


def _details(details: dict | None) -> str:
    return "; ".join(f"{k}: {_detail(v)}" for k, v in (details or {}).items()
                     if v not in (None, ""))


def _query(args: dict, **changes) -> str:
    merged = {**{k: v for k, v in args.items() if v not in ("", None)}, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


ENV = Environment(loader=FileSystemLoader(HERE / "templates"),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(date=i18n.format_date, datetime=i18n.format_datetime,
                   size=i18n.format_size, highlight=_highlight, roman=i18n.roman,
                   details=_details, unmarked=_unmarked, level_class=_level_class)
ENV.globals.update(qs=_query)


def context(locale: str) -> dict:
    """Per-request helpers in the user's language (never shared between requests)."""
    tr = i18n.translations(locale)
    _ = tr.gettext

    def edition(e: int, r: int) -> str:
        return _("Edition %(edition)s, Revision %(revision)s") % {
            "edition": i18n.roman(int(e)), "revision": r}

    def retention(value: str | None) -> str:
        """A retention class as a person reads it: "permanent", "10 ani"."""
        if value == "permanent":
            return _("permanent")
        years = re.fullmatch(r"(\d+)y", value or "")
        if years:
            n = int(years.group(1))
            return tr.ngettext("%(num)d year", "%(num)d years", n) % {"num": n}
        return value or "—"

    return {"_": _, "ngettext": tr.ngettext, "lang": locale, "edition": edition,
            "status_label": lambda s: _(STATUS.get(s, s)), "badge_class": badge,
            "action_label": lambda a: _(ACTION.get(a, a)),
            "signed_label": lambda a: _(SIGNED[a]) if a in SIGNED else a,
            # the actions whose signature line the catalog words ("Verified by"); a step
            # of a workflow's own is named by the signed label its workflow gives it
            "signed_steps": tuple(SIGNED),
            "type_label": lambda t: _(TYPE.get(t, t)),
            "facet_label": lambda f: _(FACET.get(f, f)),
            "audit_label": lambda a: _(AUDIT[a]) if a in AUDIT else a,
            "flash_label": lambda f: _(FLASH[f]) if f in FLASH else "",
            "risk_level": lambda v: _(RISK_LEVEL[v]) if v in RISK_LEVEL else v,
            "risk_status": lambda v: _(RISK_STATUS[v]) if v in RISK_STATUS else v,
            "link_label": lambda v: _(LINK[v]) if v in LINK else v,
            "retention_label": retention}


def page(locale: str, template: str, status: int = 200, headers: dict | None = None,
         **values) -> Response:
    body = ENV.get_template(template).render(**context(locale), **values)
    return Response(body, status=status, headers={**SECURITY_HEADERS, **(headers or {})},
                    mimetype="text/html")


def redirect(location: str, status: int = 303) -> Response:
    return Response("", status=status, headers={**SECURITY_HEADERS, "Location": location})
