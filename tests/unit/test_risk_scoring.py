"""Risk scoring: exposure = probability × impact, levels, residual ≤ inherent, who may
assess (no servers)."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from services.contracts.errors import Forbidden, InvalidInput, validate
from services.contracts.models import User
from services.contracts.qms import Assessment
from services.documents.domain import risks

scores = st.integers(min_value=1, max_value=5)


@given(scores, scores)
def test_exposure_is_probability_times_impact_with_its_level(p, i):
    e = risks.score(p, i)
    assert e.exposure == p * i
    assert e.level == ("scăzută" if p * i <= 4 else "medie" if p * i <= 12 else "ridicată")


def test_levels_at_their_boundaries():
    assert [risks.level(n) for n in (1, 4, 5, 12, 15, 25)] == [
        "scăzută", "scăzută", "medie", "medie", "ridicată", "ridicată"]
    with pytest.raises(ValueError):
        risks.level(26)


@pytest.mark.parametrize("field,value", [("inherent_probability", 0),
                                         ("inherent_impact", 6),
                                         ("residual_probability", -1),
                                         ("residual_impact", 9)])
def test_a_score_outside_1_to_5_is_refused_naming_the_field(field, value):
    body = {"inherent_probability": 4, "inherent_impact": 4, "residual_probability": 2,
            "residual_impact": 2, field: value}
    with pytest.raises(InvalidInput) as raised:
        validate(Assessment, body)
    assert [p["field"] for p in raised.value.details["fields"]] == [field]


def test_score_itself_refuses_out_of_range_values():
    with pytest.raises(InvalidInput, match="impact must be between 1 and 5"):
        risks.score(3, 0)


def test_the_residual_exposure_cannot_exceed_the_inherent_one():
    a = Assessment(inherent_probability=2, inherent_impact=3, residual_probability=4,
                   residual_impact=2)
    with pytest.raises(InvalidInput, match=r"residual exposure \(8\).*inherent exposure \(6\)"):
        risks.scores(a)
    inherent, residual = risks.scores(Assessment(
        inherent_probability=4, inherent_impact=5, residual_probability=2, residual_impact=3))
    assert (inherent.exposure, inherent.level, residual.exposure, residual.level) == (
        20, "ridicată", 6, "medie")


def _user(department, *roles):
    return User(username="u", full_name="U", department=department, function="", roles=roles)


def test_the_quality_office_and_the_head_of_the_department_may_assess():
    assert risks.may_manage(_user("SMC", "reader", "qms_admin"), "DJ")
    assert risks.may_manage(_user("DJ", "reader", "verifier"), "DJ")
    assert not risks.may_manage(_user("DRU", "reader", "verifier"), "DJ")
    assert not risks.may_manage(_user("DJ", "reader", "author"), "DJ")
    with pytest.raises(Forbidden):
        risks.require_manager(_user("DJ", "reader"), "DJ")


def test_the_review_is_due_within_the_notice_period_and_says_why():
    assert risks.review_due_date(date(2026, 3, 2), 30) == date(2026, 4, 1)
    assert risks.review_reason("R-DJ-01", date(2026, 3, 2), risks.score(2, 3)) == (
        "riscul R-DJ-01 a fost reevaluat la 02.03.2026: expunere reziduală 6 (medie)")
