"""Free text keeps no character that can disguise or act (issue 12, finding 10), and a
NUL is refused naming its field (finding 9): one function, applied by the contracts."""
import pytest

from services.contracts.text import clean_line, clean_text
from services.contracts.api import Disposal
from services.contracts.errors import InvalidInput, validate
from services.contracts.models import ChangeNote, Comment, DocumentChange, NewDocument
from services.contracts.qms import Assessment, NewProcess, NewRisk

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


@pytest.mark.parametrize("raw,clean", [
    ("Procedura \u202eFDP.exe", "Procedura FDP.exe"),
    ("".join(f"a{c}" for c in BIDI) + "b", "a" * len(BIDI) + "b"),
    ("Titlu \x1b[31;1mroșu\x1b[0m", "Titlu roșu"),                 # CSI (colours)
    ("a\x1b]0;titlu fals\x07b", "ab"),                             # OSC ended by BEL
    ("a\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8, ended by ST
    ("a\x9b2Jb", "a2Jb"),                                          # 8-bit CSI: inert
    ("\x1bcreset", "reset"),                                       # a two-character ESC
    ("a\x07\x08\x0b\x0c\x7f\x85\x9fb", "ab"),                      # C0, DEL, C1
    ("Înregistrarea petițiilor: ş ţ ă î â", "Înregistrarea petițiilor: ş ţ ă î â"),
])
def test_disguising_and_acting_characters_are_removed(raw, clean):
    assert clean_text(raw) == clean_line(raw) == clean


def test_paragraphs_keep_their_lines_a_line_becomes_one():
    assert clean_text("Scop:\r\n\tcircuit\rfinal ") == "Scop:\n\tcircuit\nfinal"
    assert clean_line("Scop:\r\n\tcircuit") == "Scop:  circuit"


def test_a_nul_is_refused():
    for clean in (clean_text, clean_line):
        with pytest.raises(ValueError, match="NUL"):
            clean("a\x00b")


@pytest.mark.parametrize("model,body,field", [
    (NewDocument, {"code": "PO-1", "title": "T\u202eitlu", "type": "PO",
                   "owner_department": "DJ"}, "title"),
    (DocumentChange, {"title": "T\x1b[1mitlu"}, "title"),
    (DocumentChange, {"issuer": "Emitent\u2066x"}, "issuer"),
    (ChangeNote, {"change_summary": "De ce\x07 așa"}, "change_summary"),
    (ChangeNote, {"how_revised": "Cum\u202e"}, "how_revised"),
    (Comment, {"comment": "Comentariu\x1b]0;x\x07"}, "comment"),
    (Disposal, {"reason": "Decizia\u202e 5"}, "reason"),
    (NewProcess, {"code": "P-1", "name": "Proces\u202e", "department": "DJ"}, "name"),
    (Assessment, {"inherent_probability": 1, "inherent_impact": 1,
                  "residual_probability": 1, "residual_impact": 1,
                  "comment": "Motiv\x1b[2J"}, "comment"),
    (NewRisk, {"code": "R-1", "department": "DJ", "description": "Risc\u202e de",
               "inherent_probability": 1, "inherent_impact": 1,
               "residual_probability": 1, "residual_impact": 1}, "description"),
])
def test_the_contracts_clean_free_text_and_refuse_a_nul_naming_the_field(model, body,
                                                                        field):
    cleaned = getattr(validate(model, body), field)
    assert cleaned == clean_text(body[field]) and cleaned != body[field]
    with pytest.raises(InvalidInput) as raised:
        validate(model, {**body, field: "a\x00b"})
    assert [f["field"] for f in raised.value.details["fields"]] == [field]


def test_length_limits_count_the_cleaned_text():
    # three bidi controls and "ab" are not a title of three characters
    with pytest.raises(InvalidInput):
        validate(NewDocument, {"code": "PO-1", "title": "\u202e\u202e\u202eab",
                               "type": "PO", "owner_department": "DJ"})
