import pytest

from services.common.filenames import sanitise_filename
from services.contracts.errors import InvalidInput, PayloadTooLarge, Unauthorized, validate
from services.contracts.models import NewDocument
from services.gateway.auth import Tokens
from services.gateway.uploads import _FilePart
from services.common.labels import edition_label


@pytest.mark.parametrize("raw,clean", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\ana\\Procedură.docx", "Procedură.docx"),
    ("a\x07b\x1fc.pdf", "abc.pdf"),                    # controls removed (finding 10)
    ("factura\u202excod.exe", "facturaxcod.exe"),      # no right-to-left override
    ("\x1b]8;;http://x/y\x07raport.pdf", "raport.pdf"),  # an escape sequence, whole
    ("...", "document"),
    ("", "document"),
    ("ş ţ.docx", "ş ţ.docx"),
])
def test_filenames_are_sanitised(raw, clean):
    assert sanitise_filename(raw) == clean


def test_long_filenames_keep_their_extension():
    name = sanitise_filename("x" * 500 + ".docx")
    assert len(name) == 200 and name.endswith(".docx")


def test_tokens_name_their_user_and_session_and_reject_forgeries():
    tokens = Tokens("a-secret-of-sixteen+", 60)
    claims = tokens.claims("Bearer " + tokens.issue("ana.popescu", "s-1"))
    assert (claims.username, claims.session_id) == ("ana.popescu", "s-1")
    other = Tokens("another-secret-16chars", 60)
    # a token of before sessions (no session id) cannot be revoked: refused too
    sessionless = "Bearer " + tokens._serializer.dumps({"u": "ana"})
    for header in (None, "", "Basic abc", "Bearer ", "Bearer " + other.issue("ana", "s"),
                   sessionless):
        with pytest.raises(Unauthorized):
            tokens.claims(header)


def test_expired_tokens_are_refused():
    tokens = Tokens("a-secret-of-sixteen+", -1)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.claims("Bearer " + tokens.issue("ana", "s"))


def test_validation_errors_name_every_field():
    with pytest.raises(InvalidInput) as raised:
        validate(NewDocument, {"code": "", "title": "ok title", "type": "X",
                               "owner_department": "dj"})
    assert [f["field"] for f in raised.value.details["fields"]] == [
        "code", "type", "owner_department"]


def test_a_nul_in_a_filename_is_refused():
    with pytest.raises(ValueError, match="NUL"):
        sanitise_filename("a\x00b.pdf")


def test_titles_lose_their_control_characters_and_a_nul_is_refused_naming_the_field():
    document = validate(NewDocument, {"code": "PO-1", "title": "a\x07b \x1b[2Jtitle",
                                      "type": "PO", "owner_department": "DJ"})
    assert document.title == "ab title"
    with pytest.raises(InvalidInput) as raised:
        validate(NewDocument, {"code": "PO-1", "title": "a\x00b title", "type": "PO",
                               "owner_department": "DJ"})
    assert [f["field"] for f in raised.value.details["fields"]] == ["title"]


def test_a_file_part_stops_at_the_limit():
    events = iter([b"a" * 40, b"b" * 40, None])
    part = _FilePart(events, limit=100)
    assert part.read(50) == b"a" * 40 + b"b" * 10
    assert part.read() == b"b" * 30
    assert part.size == 80
    over = _FilePart(iter([b"x" * 60, b"x" * 60, None]), limit=100)
    with pytest.raises(PayloadTooLarge):
        over.read(1000)


def test_a_file_part_hashes_exactly_the_bytes_it_hands_out():
    import hashlib

    pieces = [bytes([n]) * (1000 + n) for n in range(20)]
    part = _FilePart(iter([*pieces, None]), limit=10**6)
    read = b"".join(iter(lambda: part.read(4097), b""))
    assert read == b"".join(pieces) and part.size == len(read)
    assert part.digest.hexdigest() == hashlib.sha256(read).hexdigest()


def test_edition_labels_read_as_on_the_cover_page():
    assert edition_label(1, 0) == "Ediția I, Revizia 0"
    assert edition_label(4, 2) == "Ediția IV, Revizia 2"
    assert edition_label(9, 11) == "Ediția IX, Revizia 11"
