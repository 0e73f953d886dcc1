"""`procedura doctor` finds planted inconsistencies: a version whose text never came, an
extracted version missing from the index, a failed extraction."""
from __future__ import annotations

from elasticsearch import Elasticsearch

from procedura_cli.docgen import docx_bytes, truncated_pdf_bytes
from tests.e2e.doctor import doctor, pending_for_an_hour
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests.testenv import eventually


def test_doctor_reports_stuck_unindexed_and_failed_versions(environment, login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    unindexed = author.upload(document["id"], "a.docx", docx_bytes("a", BODY), "", DOCX)
    stuck = author.upload(document["id"], "b.docx", docx_bytes("b", BODY), "", DOCX)
    broken = author.upload(document["id"], "c.pdf", truncated_pdf_bytes("c", BODY), "",
                           "application/pdf")
    for version in (unindexed, stuck, broken):
        extraction_settled(author, version["id"], timeout=60)
    es = Elasticsearch(environment.elasticsearch_url)
    eventually(lambda: es.exists(index=environment.index, id=unindexed["id"])
               and es.get(index=environment.index, id=unindexed["id"])["_source"]["has_text"],
               timeout=60)

    healthy = doctor(environment, "--accept-failed", "--json")
    assert unindexed["id"] not in healthy.stdout and stuck["id"] not in healthy.stdout

    # plant: the index loses one entry; one version looks as if its text never came
    saved = es.get(index=environment.index, id=unindexed["id"])
    es.delete(index=environment.index, id=unindexed["id"], refresh=True)
    with pending_for_an_hour(environment, stuck["id"], "extraction"):
        result = doctor(environment, "--pending-after", "600")
        assert result.returncode == 1, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert any(line.startswith("not-indexed") and unindexed["id"] in line for line in lines)
        assert any(line.startswith("pending") and stuck["id"] in line and "b.docx" in line
                   for line in lines)
        assert any(line.startswith("failed") and broken["id"] in line for line in lines)
        assert "problems" in result.stderr

    # put back what was planted (the register's row is put back on leaving the block): the
    # other tests of this environment (search verify among them) expect the index and the
    # register to agree
    es.index(index=saved["_index"], id=unindexed["id"], document=saved["_source"],
             refresh=True)


def test_doctor_lists_objects_no_version_names(environment, login):
    import io
    import json
    import uuid

    from services.common.settings import Settings
    from services.versioning.adapters.storage import make_client

    author = login("ana.popescu")
    document = register(author, unique_code())
    kept = author.upload(document["id"], "pastrat.docx", docx_bytes("p", BODY), "", DOCX)
    minio = make_client(Settings.from_config(environment.config()).minio)
    staging = f"{environment.bucket}-staging"
    planted = {("staging", staging, f"staging/{uuid.uuid4()}"),
               ("stored", environment.bucket,
                f"originals/{document['id']}/{uuid.uuid4()}/orfan.docx")}
    for _, bucket, key in planted:
        minio.put_object(bucket, key, io.BytesIO(b"orfan"), 5)
    try:
        young = doctor(environment, "--accept-failed", "--json")
        assert "orfan" not in young.stdout and "orphan-object" not in young.stdout
        result = doctor(environment, "--accept-failed", "--json", "--orphans-after", "0")
        assert result.returncode == 1, result.stdout + result.stderr
        orphans = {f["item"] for f in json.loads(result.stdout) if f["kind"] == "orphan-object"}
        assert {f"{where}:{key}" for where, _, key in planted} <= orphans
        assert not any(kept["id"] in item for item in orphans)   # a stored version is not
    finally:
        for _, bucket, key in planted:
            minio.remove_object(bucket, key)
