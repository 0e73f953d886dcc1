"""The generated forms: what goes in each row, and that DOCX, PDF and CSV carry it
(diacritics included) — built from rows, no servers."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from uuid import uuid4

import docx
import pytest
from pypdf import PdfReader

from services.gateway.tables import Form, render, ro_date
from services.contracts.forms import AcknowledgementReport, RegisterEntry
from services.contracts.models import Document, Revision, Signature, User
from services.gateway import forms
from tests.helpers import document, pdf_text

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


# the procedure the forms are made for (tests/helpers.document with these facts)
PS_SMC_01 = dict(code="PS-SMC-01", title="Elaborarea și controlul procedurilor", type="PS",
                 owner_department="SMC", distribution=["DJ", "RP"],
                 process="Managementul documentelor", status="in_force", created_at=NOW,
                 created_by="elena.dumitrascu")


def revision(doc: Document, edition=1, number=2, status="in_force", **kw) -> Revision:
    base = dict(version_id=uuid4(), document=doc, edition=edition, revision=number,
                status=status, status_seq=5, registry_number="436/2026",
                registry_date=date(2026, 2, 25), effective_date=date(2026, 3, 1),
                author="elena.dumitrascu", change_summary="", created_at=NOW)
    return Revision(**{**base, **kw})


def signature(step, signer, function, decision="favourable", at=NOW) -> Signature:
    return Signature(step=step, decision=decision, signer=signer, function=function,
                     comment="", signed_at=at)


PEOPLE = {u.username: u for u in (
    User(username="elena.dumitrascu", full_name="Elena Dumitrașcu", department="SMC",
         function="Responsabil SMC", roles=["author", "qms_admin"]),
    User(username="stefan.ionescu", full_name="Ștefan Ionescu", department="DJ",
         function="Director executiv", roles=["verifier"]),
    User(username="mihai.tudose", full_name="Mihai Tudose", department="CM",
         function="Președinte comisie monitorizare", roles=["endorser"]),
    User(username="daniel.balan", full_name="Daniel Bălan", department="PRIMAR",
         function="Primar", roles=["approver"]),
)}


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def test_the_list_of_responsible_people_names_the_last_signing_cycle():
    early = datetime(2026, 2, 1, 8, tzinfo=timezone.utc)
    sigs = [signature("submit", "elena.dumitrascu", "Responsabil SMC", "submitted", early),
            signature("verify", "stefan.ionescu", "Director executiv", "unfavourable", early),
            signature("submit", "elena.dumitrascu", "Responsabil SMC", "submitted",
                      datetime(2026, 2, 20, 23, 30, tzinfo=timezone.utc)),   # 21.02 in Bucharest
            signature("verify", "stefan.ionescu", "Director executiv"),
            signature("opinion", "maria.ilie", "Șef serviciu"),
            signature("endorse", "mihai.tudose", "Președinte comisie monitorizare"),
            signature("approve", "daniel.balan", "Primar")]
    form = forms.responsabili(revision(document(**PS_SMC_01)), sigs, PEOPLE, NOW)
    assert form.rows == [
        ["1", "Elaborat", "Elena Dumitrașcu", "Responsabil SMC", "21.02.2026", forms.SIGNED],
        ["2", "Verificat", "Ștefan Ionescu", "Director executiv", "02.03.2026", forms.SIGNED],
        ["3", "Avizat", "Mihai Tudose", "Președinte comisie monitorizare", "02.03.2026",
         forms.SIGNED],
        ["4", "Aprobat", "Daniel Bălan", "Primar", "02.03.2026", forms.SIGNED],
    ]
    assert "Ediția I, Revizia 2 · nr. înregistrare 436/2026 din 25.02.2026" in form.heading


def test_steps_not_signed_yet_stay_blank():
    sigs = [signature("submit", "elena.dumitrascu", "Responsabil SMC", "submitted")]
    form = forms.responsabili(revision(document(**PS_SMC_01), status="in_verification",
                                       registry_number=None), sigs, PEOPLE, NOW)
    assert [r[2] for r in form.rows] == ["Elena Dumitrașcu", "", "", ""]


def test_the_history_of_editions_lists_only_what_was_approved_oldest_first():
    doc = document(**PS_SMC_01)
    revs = [revision(doc, 2, 0, "in_force", component_revised="integral",
                     how_revised="ediție nouă", effective_date=date(2026, 3, 1)),
            revision(doc, 1, 1, "superseded", component_revised="cap. 5",
                     how_revised="modificare termene", effective_date=date(2025, 6, 1)),
            revision(doc, 1, 0, "superseded", effective_date=date(2024, 1, 15)),
            revision(doc, 2, 1, "draft", registry_number=None, effective_date=None)]
    form = forms.editii(doc, revs, NOW)
    assert form.rows == [
        ["1", "I", "0", "—", "—", "15.01.2024"],
        ["2", "I", "1", "cap. 5", "modificare termene", "01.06.2025"],
        ["3", "II", "0", "integral", "ediție nouă", "01.03.2026"],
    ]


def test_the_distribution_list_takes_people_and_acknowledgements_from_the_report():
    rev = revision(document(**PS_SMC_01))
    report = AcknowledgementReport.model_validate({
        "version_id": str(rev.version_id), "due_date": "2026-03-16", "confirmed": 1,
        "pending": 2, "people": [
            {"username": "radu.munteanu", "full_name": "Radu Munteanu", "department": "DJ",
             "function": "Consilier juridic", "notified_at": "2026-03-01T08:00:00+00:00",
             "acknowledged_at": "2026-03-02T07:15:00+00:00", "overdue": False},
            {"username": "andrei.nistor", "full_name": "Andrei Nistor", "department": "RP",
             "function": "Referent registratură", "notified_at": "2026-03-01T08:00:00+00:00",
             "acknowledged_at": None, "overdue": True},
            {"username": "livia.grigore", "full_name": "Livia Grigore", "department": "AUD",
             "function": "Auditor intern", "notified_at": None, "acknowledged_at": None,
             "overdue": False, "copy": 3}]})          # a field added later is ignored
    form = forms.difuzare(rev, report, {"elena.dumitrascu"}, NOW)
    assert form.rows == [
        ["1", "informare", "1", "AUD", "Auditor intern", "Livia Grigore", "", "neconfirmat"],
        ["2", "aplicare", "2", "DJ", "Consilier juridic", "Radu Munteanu", "02.03.2026",
         "confirmat electronic 02.03.2026 09:15"],
        ["3", "aplicare", "3", "RP", "Referent registratură", "Andrei Nistor", "",
         "neconfirmat (termen depășit)"],
    ]
    assert "Confirmări: 1 din 3 · termen de confirmare: 16.03.2026" in form.heading


def test_the_quality_office_keeps_the_record_and_the_owner_applies_it():
    doc = document(**PS_SMC_01)
    assert forms.purpose("SMC", "elena.dumitrascu", doc, {"elena.dumitrascu"}) == "aplicare"
    assert forms.purpose("CM", "x", doc, {"x"}) == "evidență"
    assert forms.purpose("DJ", "y", doc, set()) == "aplicare"


def test_the_register_shows_what_is_in_force():
    in_force = RegisterEntry(document_id=uuid4(), code="PO-DJ-01", title="Avizarea contractelor",
                             type="PO", owner_department="DJ", process="Juridic",
                             status="in_force", edition=1, revision=2,
                             registry_number="12/2026", registry_date=date(2026, 1, 5),
                             effective_date=date(2026, 1, 10),
                             next_review_date=date(2027, 1, 10))
    draft_only = RegisterEntry(document_id=uuid4(), code="IL-IT-01", title="Copii de siguranță",
                               type="IL", owner_department="IT")
    form = forms.register([in_force, draft_only], NOW)
    assert form.rows == [
        ["1", "IL-IT-01", "Copii de siguranță", "Instrucțiune de lucru", "IT", "", "—", "", "",
         ""],
        ["2", "PO-DJ-01", "Avizarea contractelor", "Procedură operațională", "DJ", "Juridic",
         "Ediția I, Revizia 2", "12/2026 / 05.01.2026", "10.01.2026", "10.01.2027"],
    ]


SAMPLE = Form(title="Lista responsabililor — încercare",
              heading=["Procedură de sistem: PS-SMC-01 — Elaborarea și controlul procedurilor"],
              columns=["Nr. crt.", "Numele și prenumele", "Funcția"],
              rows=[["1", "Ștefan Ionescu", "Director executiv"],
                    ["2", "Cristina Țăruș", "Șef serviciu"]],
              footer="Generat de Procedura")


def test_docx_carries_the_title_heading_and_every_cell():
    text = docx_text(render(SAMPLE, "docx"))
    for expected in ("Lista responsabililor — încercare", "PS-SMC-01", "Ștefan Ionescu",
                     "Cristina Țăruș", "Șef serviciu", "Funcția"):
        assert expected in text


def test_pdf_embeds_a_font_with_romanian_letters():
    data = render(SAMPLE, "pdf")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in ("Ștefan Ionescu", "Cristina Țăruș", "Șef serviciu", "încercare"):
        assert expected in text
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    assert any("DejaVuSans" in f.get_object()["/BaseFont"] for f in fonts.values())


def test_csv_has_a_header_and_one_line_per_row():
    data = render(SAMPLE, "csv").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(data))) == [SAMPLE.columns, *SAMPLE.rows]


def test_a_long_table_runs_over_several_pdf_pages():
    rows = [[str(i), f"Persoana {i} Țăruș", "Consilier"] for i in range(200)]
    data = render(Form(title="Lungă", heading=[], columns=SAMPLE.columns, rows=rows), "pdf")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 3
    assert "Persoana 199 Țăruș" in reader.pages[-1].extract_text()


def test_a_row_of_the_wrong_width_and_an_unknown_format_are_refused():
    with pytest.raises(ValueError, match="2 cells in a table of 3 columns"):
        Form(title="x", heading=[], columns=["a", "b", "c"], rows=[["1", "2"]])
    with pytest.raises(ValueError, match="no form format 'odt'"):
        render(SAMPLE, "odt")


def test_dates_are_day_month_year():
    assert ro_date(date(2026, 2, 5)) == "05.02.2026" and ro_date(None) == ""
