"""The forms of OSGG 600 and of the quality office, built from Procedura's data (pure:
no I/O; the routes in routes/api_register.py fetch the data and render the result)."""
from __future__ import annotations

from datetime import datetime

from services.gateway.tables import Form, ro_date
from services.common.labels import edition_label, roman
from services.contracts.forms import AcknowledgementReport, RegisterEntry
from services.contracts import signing
from services.contracts.models import Document, Revision, Signature, User
from services.gateway import local_time

SIGNED = "semnat electronic"
# the operations of "Lista responsabililor", in order, and the chain step that signs each:
# today's chain; a revision's own workflow gives its steps' signed_label (workflow_operations)
OPERATIONS = tuple((term.form_operation, term.action)
                   for term in (signing.SUBMIT, *signing.STEPS))


def workflow_operations(progress: dict) -> tuple[tuple[str, str], ...]:
    """The rows of "Lista responsabililor" for the workflow a revision follows (its
    progress, as the documents service's version_progress gives it): the author's
    elaboration, then each step under its signed_label ("Avizat juridic")."""
    return ((signing.SUBMIT.form_operation, signing.SUBMIT.action),
            *((step["signed_label"]["ro"], step["id"]) for step in progress["steps"]))
TYPE_LABELS = {
    "PS": "Procedură de sistem", "PO": "Procedură operațională",
    "IL": "Instrucțiune de lucru", "formular": "Formular",
    "manualul_calitatii": "Manualul calității", "lista_proceselor": "Lista proceselor",
    "registrul_riscurilor": "Registrul riscurilor", "extern": "Document extern",
}


def local_date(moment: datetime | None) -> str:
    return ro_date(moment.astimezone(local_time.zone()).date()) if moment else ""


def _footer(now: datetime) -> str:
    return f"Generat de Procedura la {now.astimezone(local_time.zone()):%d.%m.%Y %H:%M}."


def _document_lines(document: Document, revision: Revision | None = None) -> list[str]:
    lines = [f"{TYPE_LABELS.get(document.type.value, document.type.value)}: "
             f"{document.code} — {document.title}",
             f"Compartimentul: {document.owner_department}"]
    if revision is not None:
        label = edition_label(revision.edition, revision.revision)
        if revision.registry_number:
            label += (f" · nr. înregistrare {revision.registry_number}"
                      f" din {ro_date(revision.registry_date)}")
        lines.append(label)
    return lines


def last_cycle(signatures: list[Signature]) -> list[Signature]:
    """The signatures since the revision was last submitted: a rejection or an
    unfavourable opinion sends it back to draft and the chain starts over."""
    starts = [i for i, s in enumerate(signatures) if s.step == "submit"]
    return signatures[starts[-1]:] if starts else []


def responsabili(revision: Revision, signatures: list[Signature], people: dict[str, User],
                 now: datetime, operations: tuple[tuple[str, str], ...] = OPERATIONS) -> Form:
    """"Lista responsabililor cu elaborarea, verificarea și aprobarea ediției/reviziei":
    who signed each step of the current cycle (each of a committee's signers on a row of
    their own); steps not signed yet stay blank. `operations`: the rows, (the form's word,
    the step that signs it), from the revision's workflow (by default today's chain)."""
    signed: dict[str, list[Signature]] = {}
    for s in last_cycle(signatures):
        if s.decision in ("submitted", "favourable"):
            signed.setdefault(s.step, []).append(s)
    rows = []
    for operation, step in operations:
        for s in signed.get(step) or [None]:
            if s is None:
                rows.append([str(len(rows) + 1), operation, "", "", "", ""])
                continue
            person = people.get(s.signer)
            rows.append([str(len(rows) + 1), operation,
                         person.full_name if person else s.signer, s.function,
                         local_date(s.signed_at), SIGNED])
    return Form(
        title="Lista responsabililor cu elaborarea, verificarea și aprobarea "
              "ediției sau, după caz, a reviziei în cadrul ediției procedurii",
        heading=_document_lines(revision.document, revision),
        columns=["Nr. crt.", "Operațiunea", "Numele și prenumele", "Funcția", "Data",
                 "Semnătura"],
        rows=rows, widths=[0.6, 1.3, 2.4, 2.6, 1.2, 1.6], footer=_footer(now))


ISSUED = {"approved", "in_force", "superseded", "withdrawn", "archived", "disposed"}


def editii(document: Document, revisions: list[Revision], now: datetime) -> Form:
    """"Situația edițiilor și a reviziilor în cadrul edițiilor": every edition and revision
    that was approved, oldest first (drafts in preparation are not part of it)."""
    issued = sorted((r for r in revisions if r.status.value in ISSUED),
                    key=lambda r: (r.edition, r.revision))
    rows = [[str(n), roman(r.edition), str(r.revision), r.component_revised or "—",
             r.how_revised or "—", ro_date(r.effective_date)]
            for n, r in enumerate(issued, start=1)]
    return Form(
        title="Situația edițiilor și a reviziilor în cadrul edițiilor procedurii",
        heading=_document_lines(document),
        columns=["Nr. crt.", "Ediția", "Revizia", "Componenta revizuită",
                 "Modalitatea reviziei", "Data de la care se aplică prevederile ediției "
                 "sau reviziei ediției"],
        rows=rows, widths=[0.6, 0.8, 0.8, 2.6, 2.6, 2.0], footer=_footer(now))


def purpose(person_department: str, username: str, document: Document,
            quality_office: set[str]) -> str:
    """Scopul difuzării: the owner and distribution departments apply the procedure,
    the quality office keeps the record, anyone else is informed."""
    if person_department == document.owner_department \
            or person_department in document.distribution:
        return "aplicare"
    if username in quality_office:
        return "evidență"
    return "informare"


def difuzare(revision: Revision, report: AcknowledgementReport, quality_office: set[str],
             now: datetime) -> Form:
    """"Lista cuprinzând persoanele la care se difuzează ediția sau revizia": one row per
    person told of the revision; the date received is their acknowledgement."""
    rows = []
    people = sorted(report.people, key=lambda p: (p.department, p.full_name))
    for number, p in enumerate(people, start=1):
        if p.acknowledged_at:
            signature = (f"confirmat electronic "
                         f"{p.acknowledged_at.astimezone(local_time.zone()):%d.%m.%Y %H:%M}")
        else:
            signature = "neconfirmat" + (" (termen depășit)" if p.overdue else "")
        rows.append([str(number), purpose(p.department, p.username, revision.document,
                                          quality_office),
                     str(number), p.department, p.function, p.full_name,
                     local_date(p.acknowledged_at), signature])
    lines = _document_lines(revision.document, revision)
    lines.append(f"Confirmări: {report.confirmed} din {report.confirmed + report.pending}"
                 + (f" · termen de confirmare: {ro_date(report.due_date)}"
                    if report.due_date else ""))
    return Form(
        title="Lista cuprinzând persoanele la care se difuzează ediția sau, după caz, "
              "revizia în cadrul ediției procedurii",
        heading=lines,
        columns=["Nr. crt.", "Scopul difuzării", "Exemplar nr.", "Compartiment", "Funcția",
                 "Nume și prenume", "Data primirii", "Semnătura"],
        rows=rows, widths=[0.6, 1.1, 1.05, 1.45, 1.9, 1.9, 1.15, 1.85], footer=_footer(now))


def register(entries: list[RegisterEntry], now: datetime) -> Form:
    """The register of procedures of the quality office: what is in force, since when,
    under which registry number, and when it is next reviewed."""
    rows = []
    for n, e in enumerate(sorted(entries, key=lambda e: e.code), start=1):
        in_force = e.edition is not None and e.status is not None \
            and e.status.value == "in_force"
        registry = (f"{e.registry_number} / {ro_date(e.registry_date)}"
                    if in_force and e.registry_number else "")
        rows.append([str(n), e.code, e.title, TYPE_LABELS.get(e.type.value, e.type.value),
                     e.owner_department, e.process or "",
                     edition_label(e.edition, e.revision) if in_force else "—",
                     registry, ro_date(e.effective_date) if in_force else "",
                     ro_date(e.next_review_date)])
    return Form(
        title="Registrul procedurilor",
        heading=[f"Situația la data de {now.astimezone(local_time.zone()):%d.%m.%Y}",
                 f"Număr de documente înscrise: {len(rows)}"],
        columns=["Nr. crt.", "Cod", "Titlu", "Tip", "Compartiment", "Proces",
                 "Ediția / revizia în vigoare", "Nr. înregistrare", "Data intrării în vigoare",
                 "Următoarea revizuire"],
        rows=rows, widths=[0.55, 1.5, 2.4, 1.4, 1.45, 1.5, 1.2, 1.3, 1.1, 1.3],
        footer=_footer(now), font_size=7.5)
