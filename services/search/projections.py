"""How the search projection follows Procedura's events."""
from __future__ import annotations

import logging
import time

import requests

from services.contracts.errors import NotFound
from services.contracts.models import Revision
from services.search.writes import Write

log = logging.getLogger(__name__)
# texts are fetched from MinIO over kept-alive connections (a new connection per text
# was a tenth of the search service's CPU while indexing an import)
texts = requests.Session()


def index_version(index, documents, versioning, event, with_text: bool,
                  wait_seconds: float = 15.0) -> None:
    """(Re)index one version with its text and the register's view of it.

    The revision is committed by the documents service a moment after versioning
    stores the bytes, so a version may be extracted before its revision exists:
    wait for it a little instead of indexing half a record.
    """
    version_id = str(event.data.version_id)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            revision = Revision.model_validate(documents.get_revision(None, version_id))
            break
        except NotFound:
            if time.monotonic() > deadline:
                # a version whose revision was never committed: nothing to show anyone
                log.warning("version %s has no revision in the register; not indexed",
                            version_id)
                return
            time.sleep(0.2)
    text = ""
    if with_text:
        response = texts.get(versioning.text_location(version_id), timeout=60)
        response.raise_for_status()
        response.encoding = "utf-8"
        text = response.text
    index.upsert(version_id, entry(revision, text, with_text),
                 status=revision.status.value, status_seq=revision.status_seq)


def entry(revision: Revision, text: str, has_text: bool) -> dict:
    """The index entry of one version (without its status, which only moves forward)."""
    document = revision.document
    return {
        "version_id": str(revision.version_id), "document_id": str(document.id),
        "code": document.code, "title": document.title, "type": document.type.value,
        "owner_department": document.owner_department, "distribution": document.distribution,
        "confidential": document.confidential, "process": document.process,
        "edition": revision.edition, "revision": revision.revision,
        "year": revision.created_at.year, "created_at": revision.created_at.isoformat(),
        "content": text, "has_text": has_text,
    }


def follow_transition(index, event) -> None:
    """A revision moved in the signing chain: update its status (only forward).

    The document's facts in the event only fill an entry that has none yet: they change
    through `document_updated` alone, and a transition event delivered after one of
    those must not bring back an older title or distribution list."""
    data = event.data
    index.upsert(str(data.version_id), {
        "version_id": str(data.version_id), "document_id": str(data.document_id),
        "edition": data.edition, "revision": data.revision,
    }, status=data.status.value, status_seq=data.status_seq, defaults={
        "code": data.code, "title": data.title, "type": data.type.value,
        "owner_department": data.owner_department, "distribution": data.distribution,
        "confidential": data.confidential})


def follow_step(index, event) -> None:
    """A signature of a workflow step: when it completes the step, the revision moves
    (a step other than verify, endorse or approve has no event of its own); short of
    the step's quorum it stays where it is."""
    if event.data.status is not None:
        follow_transition(index, event)


def follow_document_update(index, documents, event) -> None:
    """A document's record changed: every indexed version takes the register's facts as
    they are now (asked again, so a late or repeated event cannot bring old ones back);
    title, distribution and confidentiality decide who finds it."""
    document = documents.document_record(str(event.data.document_id))
    facts = {"code": document["code"], "title": document["title"],
             "type": document["type"], "owner_department": document["owner_department"],
             "distribution": document["distribution"],
             "confidential": document["confidential"], "process": document["process"]}
    index.upsert_all([Write(version_id, facts)
                      for version_id in index.version_ids(document["id"])])


def follow_disposal(index, event) -> None:
    """A document's content was disposed of: its versions keep their register facts in
    the index (status `disposed`) but no longer their text."""
    for version in event.data.versions:
        index.upsert(str(version.version_id), {
            "version_id": str(version.version_id), "document_id": str(event.data.document_id),
            "code": event.data.code, "title": event.data.title, "type": event.data.type.value,
            "owner_department": event.data.owner_department,
            "distribution": event.data.distribution, "confidential": event.data.confidential,
            "content": "", "has_text": False,
        }, status="disposed", status_seq=version.status_seq)
