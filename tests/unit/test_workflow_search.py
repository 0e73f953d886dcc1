"""Search's `scope=work` and the workflows: a revision waiting in any step, one of a
workflow's own (in_review) too, is work for the people the documents service's signing
inbox names (search is given their ids), for the author's department and the quality
office; for nobody else."""
from services.contracts.models import Role
from services.search.query import work_filter
from tests.helpers import user

NOTHING = {"bool": {"must_not": [{"match_all": {}}]}}


def test_in_review_is_work_and_the_inbox_names_what_waits_for_a_signer():
    for role in (Role.VERIFIER, Role.ENDORSER, Role.APPROVER):
        query = work_filter(user("DJ", Role.READER, role), ("v-1", "v-2"))
        assert "in_review" in query["bool"]["filter"][0]["terms"]["status"]
        assert query["bool"]["should"] == [{"terms": {"version_id": ["v-1", "v-2"]}}], role


def test_a_signer_with_nothing_waiting_and_a_reader_get_nothing():
    assert work_filter(user("DJ", Role.READER, Role.VERIFIER), ()) == NOTHING
    assert work_filter(user("DJ", Role.READER), ()) == NOTHING
    author = work_filter(user("DJ", Role.READER, Role.AUTHOR), ())
    assert author["bool"]["should"] == [{"term": {"owner_department": "DJ"}}]
    assert work_filter(user("SMC", Role.QMS_ADMIN), ()) == {
        "terms": {"status": author["bool"]["filter"][0]["terms"]["status"]}}
