"""Search's Elasticsearch filter says what the confidentiality rule says: for any person
and any document, the filter `permission_filter` builds lets a document through exactly
when `may_read` allows it. The filter is evaluated here by a small model of the query
language it uses; tests/integration/test_confidentiality_rule.py proves that model
against the real Elasticsearch (a term on a list field matches any of its elements)."""
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.confidentiality import may_read
from services.contracts.events import DocumentFacts
from services.contracts.models import Role, User
from services.search.query import permission_filter

DEPARTMENTS = ("DJ", "RP", "AUD", "PRIMAR", "SG")


def _clauses(body: dict, occur: str) -> list[dict]:
    found = body.get(occur, [])
    return [found] if isinstance(found, dict) else list(found)


def matches(query: dict | None, source: dict) -> bool:
    """Whether Elasticsearch lets the document `source` through `query` (None: no filter).
    Only what the permission filter uses is modelled; anything else is refused."""
    if query is None:
        return True
    (kind, body), = query.items()
    if kind == "term":
        (field, value), = body.items()
        held = source.get(field)
        # a keyword array (distribution) matches when any of its elements does
        return value in held if isinstance(held, list) else held == value
    if kind == "bool":
        required = _clauses(body, "must") + _clauses(body, "filter")
        should = _clauses(body, "should")
        # without must or filter clauses, one `should` must match (Elasticsearch's rule)
        minimum = body.get("minimum_should_match", 0 if required or not should else 1)
        return (all(matches(q, source) for q in required)
                and not any(matches(q, source) for q in _clauses(body, "must_not"))
                and sum(matches(q, source) for q in should) >= minimum)
    raise AssertionError(f"the model does not know the query {kind}: extend it first")


def test_the_model_reads_a_term_on_a_list_as_any_element_and_counts_should_clauses():
    source = {"confidential": True, "owner_department": "DJ", "distribution": ["RP", "SG"]}
    assert matches({"term": {"distribution": "SG"}}, source)
    assert not matches({"term": {"distribution": "DJ"}}, source)
    assert not matches({"term": {"distribution": "RP"}}, {"distribution": []})
    assert matches({"term": {"confidential": True}}, source)
    either = [{"term": {"owner_department": "DJ"}}, {"term": {"distribution": "RP"}}]
    assert matches({"bool": {"should": either}}, source)
    assert not matches({"bool": {"should": either, "minimum_should_match": 3}}, source)
    assert not matches({"bool": {"should": either,
                                 "must_not": {"term": {"confidential": True}}}}, source)
    with pytest.raises(AssertionError, match="query prefix"):
        matches({"prefix": {"code": "PO"}}, source)


people = st.builds(
    lambda name, department, roles: User(username=name, full_name=name,
                                         department=department, function="",
                                         roles=[Role.READER, *roles]),
    st.sampled_from(["ana", "mihai", "maria"]), st.sampled_from(DEPARTMENTS),
    st.sets(st.sampled_from([r for r in Role if r != Role.READER])).map(sorted))
documents = st.builds(
    lambda owner, distribution, confidential: DocumentFacts(
        document_id=uuid.uuid4(), code=f"PO-{owner}-01", title="t", type="PO",
        owner_department=owner, distribution=distribution, confidential=confidential),
    st.sampled_from(DEPARTMENTS), st.lists(st.sampled_from(DEPARTMENTS), max_size=4),
    st.booleans())


@settings(max_examples=500, deadline=None)
@given(person=people, document=documents)
def test_the_search_filter_lets_through_exactly_what_the_rule_allows(person, document):
    # the fields of the facts the index holds for every version of the document
    source = {"confidential": document.confidential,
              "owner_department": document.owner_department,
              "distribution": list(document.distribution)}
    assert matches(permission_filter(person), source) == may_read(person, document)
