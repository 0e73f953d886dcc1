"""Search's Elasticsearch filter and the confidentiality rule (`may_read`) agree: for every
kind of reader and every kind of document, the real Elasticsearch finds exactly the
versions `may_read` allows."""
import itertools
import uuid

import pytest

from services.contracts.confidentiality import may_read
from services.contracts.events import DocumentFacts
from services.contracts.models import Role, User
from services.search.adapters.index import VersionIndex
from services.search.query import permission_filter

DEPARTMENTS = ("DJ", "RP", "AUD")
DISTRIBUTIONS = ((), ("DJ",), ("RP",), ("DJ", "RP"), ("AUD", "RP"))
READERS = [User(username="u", full_name="u", department=d, function="", roles=[Role.READER, *r])
           for d in (*DEPARTMENTS, "SG") for r in ((), (Role.VERIFIER, Role.APPROVER),
                                                   (Role.QMS_ADMIN,))]


@pytest.fixture(scope="module")
def indexed(settings):
    # an index of its own: these documents must not show in other tests' totals and facets
    index = VersionIndex(settings.elasticsearch_url, f"{settings.search_index}-rule")
    index.ensure()
    documents = {}
    for owner, distribution, confidential in itertools.product(
            DEPARTMENTS, DISTRIBUTIONS, (False, True)):
        facts = DocumentFacts(document_id=uuid.uuid4(), code=f"PO-{owner}-01", title="t",
                              type="PO", owner_department=owner,
                              distribution=list(distribution), confidential=confidential)
        vid = str(uuid.uuid4())
        index.upsert(vid, {"version_id": vid, "document_id": str(facts.document_id),
                           "code": facts.code, "title": facts.title, "type": "PO",
                           "owner_department": owner, "distribution": list(distribution),
                           "confidential": confidential, "edition": 1, "revision": 0,
                           "year": 2026, "created_at": "2026-12-01T10:00:00Z",
                           "content": "text", "has_text": True},
                     status="in_force", status_seq=4)
        documents[vid] = facts
    index.es.indices.refresh(index=index.alias)
    yield index, documents
    index.es.indices.delete(index=f"{index.alias}-v1")


@pytest.mark.parametrize("reader", READERS,
                         ids=lambda u: f"{u.department}-{'+'.join(r.value for r in u.roles)}")
def test_elasticsearch_finds_exactly_what_may_read_allows(indexed, reader):
    index, documents = indexed
    clause = permission_filter(reader)
    query = {"bool": {"filter": [{"terms": {"version_id": list(documents)}},
                                 *([clause] if clause else [])]}}
    found = index.es.search(index=index.alias, query=query, size=len(documents),
                            _source=["version_id"])["hits"]["hits"]
    allowed = {vid for vid, facts in documents.items() if may_read(reader, facts)}
    assert {hit["_source"]["version_id"] for hit in found} == allowed
    assert 0 < len(allowed) <= len(documents)
