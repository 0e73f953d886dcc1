"""Search's `scope=work` and the workflows: a revision waiting in a step of a workflow's
own (in_review) is work for every signer, and for no one else but the author's department
and the quality office."""
from services.contracts.models import Role
from services.contracts.signing import default_steps
from services.search.query import work_filter
from tests.helpers import user

IN_REVIEW = {"term": {"status": "in_review"}}


def test_every_signer_works_on_revisions_in_review():
    for role in (Role.VERIFIER, Role.ENDORSER, Role.APPROVER):
        query = work_filter(user("DJ", Role.READER, role), default_steps())
        assert IN_REVIEW in query["bool"]["should"], role
        assert "in_review" in query["bool"]["filter"][0]["terms"]["status"]


def test_a_reader_or_an_author_is_not_given_them_as_a_signer():
    assert work_filter(user("DJ", Role.READER), default_steps()) == {
        "bool": {"must_not": [{"match_all": {}}]}}
    author = work_filter(user("DJ", Role.READER, Role.AUTHOR), default_steps())
    assert IN_REVIEW not in author["bool"]["should"]
