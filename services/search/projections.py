"""How the search projection follows Procedura's events."""
from __future__ import annotations

import logging
import time

import eventlet
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

    The text (versioning's: its location, then the text from MinIO) is fetched while the
    register's revision is asked of documents: two services, so the two round trips run
    side by side instead of one after the other (the RPCs stay two: each service answers
    for its own data). The revision is committed by the documents service a moment after
    versioning stores the bytes, so a version may be extracted before its revision
    exists: wait for it a little instead of indexing half a record.
    """
    version_id = str(event.data.version_id)
    text = eventlet.spawn(fetch_text, versioning, version_id) if with_text else None
    revision = committed_revision(documents, version_id, wait_seconds)
    if revision is None:
        # a version whose revision was never committed: nothing to show anyone (its
        # text, if it comes, is left to its greenthread)
        log.warning("version %s has no revision in the register; not indexed", version_id)
        return
    content = text.wait() if text is not None else ""
    index.upsert(version_id, entry(revision, content, with_text),
                 status=revision.status.value, status_seq=revision.status_seq)


# the first pauses while a revision is not committed yet: it usually is a few
# milliseconds later (documents commits right after versioning answers it), so the wait
# starts short and doubles up to FIRST_PAUSE * 2**3 (0.2 s, the pause it always was)
FIRST_PAUSE = 0.025
LONGEST_PAUSE = 0.2


def committed_revision(documents, version_id: str, wait_seconds: float) -> Revision | None:
    """The register's revision of `version_id`, asked again until it is committed or
    `wait_seconds` have passed (then None)."""
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_PAUSE
    while True:
        try:
            return Revision.model_validate(documents.get_revision(None, version_id))
        except NotFound:
            if time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


def fetch_text(versioning, version_id: str) -> str:
    response = texts.get(versioning.text_location(version_id), timeout=60)
    response.raise_for_status()
    response.encoding = "utf-8"
    return response.text


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
