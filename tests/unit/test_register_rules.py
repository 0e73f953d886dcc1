"""The register's rules: fields of a record, who changes them, archive and disposal dates."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.contracts.errors import Conflict, Forbidden, InvalidInput, validate
from services.contracts.models import (
    Document, DocumentChange, DocumentType, NewDocument, Revision, RevisionStatus, Role)
from services.documents.domain import register as rules
from tests import helpers
from tests.helpers import user

RETENTION = rules.Retention({
    "classes": {"permanent": {"years": None, "label": "Permanent"},
                "10y": {"years": 10, "label": "10 ani"}, "5y": {"years": 5}},
    "default": "10y", "types": {"PS": "permanent", "extern": "5y"}})
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


def document(**extra) -> Document:
    """A procedure in force, with the register's fields these tests read."""
    record = dict(title="Titlu vechi", status="in_force", created_at=NOW, created_by="ana",
                  retention_class="10y")
    return helpers.document(**{**record, **extra})


def revision(doc: Document, status: RevisionStatus, archived_at=None, n=0) -> Revision:
    return Revision(version_id=uuid.uuid4(), document=doc, edition=1, revision=n,
                    status=status, status_seq=3, author="ana", change_summary="",
                    created_at=NOW, archived_at=archived_at)


def test_retention_class_defaults_by_type_and_refuses_unknown_names():
    assert RETENTION.class_for("PS", None) == "permanent"
    assert RETENTION.class_for("PO", None) == "10y"
    assert RETENTION.class_for("PO", "5y") == "5y"
    with pytest.raises(InvalidInput) as raised:
        RETENTION.class_for("PO", "7y")
    assert raised.value.details["field"] == "retention_class"
    with pytest.raises(ValueError):
        rules.Retention({"classes": {"5y": {"years": 5}}, "default": "10y"})


def test_the_disposal_date_counts_the_years_from_archiving_and_permanent_is_never():
    assert RETENTION.disposal_date("10y", "PO", date(2026, 3, 1)) == date(2036, 3, 1)
    assert RETENTION.disposal_date("5y", "PO", date(2024, 2, 29)) == date(2029, 2, 28)
    assert RETENTION.disposal_date(None, "extern", date(2026, 1, 1)) == date(2031, 1, 1)
    assert RETENTION.disposal_date("permanent", "PO", date(2026, 1, 1)) is None


@pytest.mark.parametrize("missing", ["issuer", "external_reference", "validity_date"])
def test_an_external_document_names_issuer_reference_and_validity(missing):
    fields = {"issuer": "Secretariatul General al Guvernului",
              "external_reference": "OSGG 600/2018", "validity_date": date(2030, 1, 1)}
    rules.check_external_origin(DocumentType.EXTERNAL, fields)
    with pytest.raises(InvalidInput) as raised:
        rules.check_external_origin(DocumentType.EXTERNAL, {**fields, missing: None})
    assert raised.value.details["field"] == missing
    with pytest.raises(InvalidInput) as raised:        # not for internal documents
        rules.check_external_origin(DocumentType.PO, {missing: fields[missing]})
    assert raised.value.details["field"] == missing


def test_register_fields_are_validated_at_the_boundary():
    base = {"code": "PO-DJ-01", "title": "Titlu", "type": "PO", "owner_department": "DJ"}
    for bad, field in (({"scim_standard": 17}, "scim_standard"),
                       ({"scim_standard": 0}, "scim_standard"),
                       ({"links": [{"relation": "sibling", "document_id": str(uuid.uuid4())}]},
                        "links.0.relation"),
                       ({"archive_indicator": "I-A-1\n"}, "archive_indicator")):
        with pytest.raises(InvalidInput) as raised:
            validate(NewDocument, {**base, **bad})
        assert raised.value.details["fields"][0]["field"] == field
    same = str(uuid.uuid4())
    with pytest.raises(InvalidInput):
        validate(NewDocument, {**base, "links": [{"relation": "form", "document_id": same}] * 2})
    assert validate(NewDocument, {**base, "scim_standard": 9}).scim_standard == 9
    with pytest.raises(InvalidInput) as raised:        # the code is not changed by PATCH
        validate(DocumentChange, {"code": "PO-DJ-02"})
    assert raised.value.details["fields"][0]["field"] == "code"


def test_a_change_names_only_what_really_changes_and_required_fields_stay():
    doc = document()
    change = validate(DocumentChange, {"title": "Titlu nou", "distribution": ["RP", "DJ"],
                                       "process": None}).changes()
    merged, changed = rules.merge_change(doc, change)
    assert changed == ["title"]          # same distribution, process already empty
    assert merged["title"] == "Titlu nou"
    with pytest.raises(InvalidInput) as raised:
        rules.merge_change(doc, {"title": None})
    assert raised.value.details == {"field": "title"}


def test_who_changes_a_record():
    doc = document()
    assert rules.may_update(user("SMC", Role.QMS_ADMIN), doc)
    assert rules.may_update(user("DJ", Role.VERIFIER), doc)
    assert not rules.may_update(user("RP", Role.VERIFIER), doc)
    assert not rules.may_update(user("DJ", Role.AUTHOR), doc)


def test_only_the_quality_office_archives_and_only_withdrawn_or_superseded_revisions():
    doc = document()
    quality = user("SMC", Role.QMS_ADMIN)
    rules.check_archivable(quality, revision(doc, RevisionStatus.SUPERSEDED))
    rules.check_archivable(quality, revision(doc, RevisionStatus.WITHDRAWN))
    with pytest.raises(Forbidden):
        rules.check_archivable(user("DJ", Role.VERIFIER), revision(doc, RevisionStatus.SUPERSEDED))
    with pytest.raises(Conflict) as raised:
        rules.check_archivable(quality, revision(doc, RevisionStatus.IN_FORCE))
    assert raised.value.details["status"] == "in_force"


def test_disposal_waits_for_the_archive_of_every_approved_revision_and_the_retention():
    doc = document(retention_class="5y")
    quality = user("SMC", Role.QMS_ADMIN)
    archived = revision(doc, RevisionStatus.ARCHIVED, archived_at=NOW, n=0)
    draft = revision(doc, RevisionStatus.DRAFT, n=2)
    in_force = revision(doc, RevisionStatus.IN_FORCE, n=1)

    with pytest.raises(Conflict) as raised:            # something still applies
        rules.check_disposal(quality, RETENTION, doc, [archived, in_force], "HCL",
                             date(2040, 1, 1))
    assert raised.value.details["status"] == "in_force"
    with pytest.raises(Conflict) as raised:            # before the end of retention
        rules.check_disposal(quality, RETENTION, doc, [archived, draft], "Decizia 12",
                             date(2031, 2, 28))
    assert raised.value.details["disposal_possible_from"] == "2031-03-01"
    assert "01.03.2031" in raised.value.message
    rules.check_disposal(quality, RETENTION, doc, [archived, draft], "Decizia 12",
                         date(2031, 3, 1))
    with pytest.raises(InvalidInput):                   # a decision has a reason
        rules.check_disposal(quality, RETENTION, doc, [archived], " ", date(2031, 3, 1))
    with pytest.raises(Forbidden):
        rules.check_disposal(user("DJ", Role.VERIFIER), RETENTION, doc, [archived], "x",
                             date(2031, 3, 1))
    with pytest.raises(Conflict) as raised:             # permanent files stay
        rules.check_disposal(quality, RETENTION, document(retention_class="permanent"),
                             [archived], "x", date(2100, 1, 1))
    assert "disposal_possible_from" not in raised.value.details
    with pytest.raises(Conflict) as raised:             # nothing archived yet
        rules.check_disposal(quality, RETENTION, doc, [draft], "x", date(2100, 1, 1))
    assert raised.value.details == {"status": "in_force", "allowed_actions": []}


def test_the_project_configuration_names_a_known_class_for_every_type():
    from pathlib import Path

    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "config"
                             / "document-types.yaml").read_text(encoding="utf-8"))
    retention = rules.Retention(config["retention"])
    assert retention.class_for("PS", None) == "permanent"
    assert retention.class_for("PO", None) == "10y"
    assert {retention.class_for(t, None) for t in config["types"]} <= set(retention.classes)
