"""MinIO and Tika adapters of the versioning service, against the real servers."""
import io
import os
import uuid

import pytest

from procedura_cli.docgen import docx_bytes, encrypted_docx_bytes, truncated_pdf_bytes
from services.versioning.adapters.tika import ExtractionFailed, Tika

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = "# Procedură operaţională\n\nÎnregistrarea petițiilor şi soluţionarea lor.\n"


@pytest.fixture(scope="module")
def tika(settings):
    return Tika(settings.tika_url, timeout=60, max_characters=1000)


def stage(store, data: bytes) -> str:
    key = f"staging/{uuid.uuid4()}"
    store.client.put_object(store.staging, key, io.BytesIO(data), len(data))
    return key


def test_a_staged_upload_is_hashed_promoted_and_kept_in_a_versioned_bucket(store):
    import hashlib

    data = os.urandom(3 * 1024 * 1024 + 17)
    key = stage(store, data)
    with store.staged(key) as (size, chunks):
        assert size == len(data)
        assert hashlib.sha256(b"".join(chunks)).hexdigest() == hashlib.sha256(data).hexdigest()
    final = f"originals/{uuid.uuid4()}/v/a.bin"
    store.promote(key, final)
    assert store.client.get_object(store.bucket, final).read() == data
    assert list(store.client.list_objects(store.staging, prefix=key)) == []
    assert store.client.get_bucket_versioning(store.bucket).status == "Enabled"


def test_the_stored_readable_types_are_what_the_running_tika_parses(settings):
    """services/versioning/domain/tika-types.json (uploads never ask Tika) is the running
    Tika's own list: after a Tika upgrade, run scripts/tika-types.py."""
    import json

    import requests

    from services.versioning.domain import media_types

    served = requests.get(f"{settings.tika_url}/version", timeout=10).text
    assert media_types.tika_version() in served, served
    parsed = Tika(settings.tika_url, timeout=60, max_characters=0).parsed_types()
    stored = json.loads(media_types.TYPES_FILE.read_text())["parsed"]
    # with Tesseract on the machine (renditions), Tika's OCR parser adds image types; the
    # stored list keeps to what Tika parses without it, so uploads never depend on it
    assert set(stored) <= parsed
    assert all(t.startswith("image/") for t in parsed - set(stored)), parsed - set(stored)
    assert media_types.readable(media_types.detect(docx_bytes("t", BODY)[:65536], "x.docx"))
    assert not media_types.readable(media_types.detect(os.urandom(4096), "date.bin"))


def test_tika_extracts_romanian_text_as_streamed(tika):
    extracted = tika.extract(io.BytesIO(docx_bytes("t", BODY)), "p.docx", DOCX)
    assert "Înregistrarea petițiilor şi soluţionarea lor." in extracted.text
    assert not extracted.truncated


def test_long_texts_are_capped_and_say_so(tika):
    extracted = tika.extract(io.BytesIO(docx_bytes("t", BODY * 200)), "p.docx", DOCX)
    assert len(extracted.text) <= 1000
    assert extracted.truncated


@pytest.mark.parametrize("name,data,media", [
    ("t.pdf", truncated_pdf_bytes("t", BODY), "application/pdf"),
    ("e.docx", encrypted_docx_bytes("t", BODY, "parola"), DOCX),
])
def test_unreadable_files_fail_with_a_reason(tika, name, data, media):
    with pytest.raises(ExtractionFailed) as raised:
        tika.extract(io.BytesIO(data), name, media)
    assert str(raised.value)
