"""The one reader of the REST API's parameters (services/gateway/params.py): ids, whole
numbers, and a query or body read as a request model, each refused naming the parameter."""
from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import pytest
from pydantic import Field
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.contracts.errors import InvalidInput, NotFound
from services.contracts.models import Model
from services.gateway import params
from services.gateway.requests import Credentials, DiffQuery, FeedQuery


class Window(Model):
    NOT_GIVEN: ClassVar[dict[str, str]] = {"start": "`start` says where the window opens"}

    start: int
    size: int = Field(default=10, le=100)
    label: str = ""


def body(json) -> Request:
    return Request(EnvironBuilder(method="POST", json=json).get_environ())


def problem(call) -> tuple[str, str, dict]:
    with pytest.raises((InvalidInput, NotFound)) as refused:
        call()
    return refused.value.code, refused.value.message, refused.value.details


def test_an_id_is_read_in_its_canonical_form_or_is_not_found():
    given = "A0B1C2D3-E4F5-4A6B-8C7D-8E9F0A1B2C3D"
    assert params.uuid(given, "version") == str(UUID(given)) == given.lower()
    assert problem(lambda: params.uuid("v1", "version")) == (
        "not_found", "no version v1", {"version_id": "v1"})
    assert problem(lambda: params.uuid("", "document")) == (
        "not_found", "no document ", {"document_id": ""})


@pytest.mark.parametrize("value", ["", "-1", "+1", "1.0", " 1", "1e3", "١٢", "１２",
                                   str(params.BIGINT_MAX + 1), "9" * 20])
def test_a_whole_number_is_ascii_digits_within_bigint(value):
    assert problem(lambda: params.whole_number(value, "limit")) == (
        "invalid_input", f"limit must be a whole number from 0 to {params.BIGINT_MAX}",
        {"field": "limit"})


def test_a_whole_number_may_have_a_smaller_maximum():
    assert params.whole_number("0", "page") == 0
    assert params.whole_number("007", "page", maximum=7) == 7
    assert problem(lambda: params.whole_number("8", "page", maximum=7))[1] == (
        "page must be a whole number from 0 to 7")


def test_a_query_ignores_empty_and_unknown_parameters():
    query = params.parse_query(Window, MultiDict([("start", "3"), ("size", ""),
                                                  ("colour", "red"), ("start", "4")]))
    assert query == Window(start=3)


def test_a_parameter_not_given_is_named_alone_in_its_models_words():
    assert problem(lambda: params.parse_query(Window, {"size": "5", "start": ""})) == (
        "invalid_input", "`start` says where the window opens", {"field": "start"})
    assert problem(lambda: params.parse_body(Credentials, body({"password": "x"}))) == (
        "invalid_input", "username is required", {"field": "username"})


def test_other_problems_are_named_as_every_model_names_them():
    code, message, details = problem(
        lambda: params.parse_query(Window, {"start": "x", "size": "1000"}))
    assert (code, message) == ("invalid_input", "invalid start, size")
    assert [p["field"] for p in details["fields"]] == ["start", "size"]


def test_a_body_is_read_for_the_fields_its_model_names():
    read = params.parse_body(Credentials, body({"username": "radu", "password": "pw",
                                                "remember": True}))
    assert read == Credentials(username="radu", password="pw")
    assert problem(lambda: params.parse_body(Credentials, body("radu")))[1] == (
        "the body must be a JSON object")


def test_the_feeds_paging_is_named_as_every_whole_number():
    assert params.parse_query(FeedQuery, {"limit": "7", "before": "0"}) == FeedQuery(
        limit=7, before=0)
    assert problem(lambda: params.parse_query(FeedQuery, {"before": "-2"}))[2] == {
        "field": "before"}


def test_a_diff_names_the_version_it_is_compared_with():
    other = "a0b1c2d3-e4f5-4a6b-8c7d-8e9f0a1b2c3d"
    assert str(params.parse_query(DiffQuery, {"against": other.upper()}).against) == other
    assert problem(lambda: params.parse_query(DiffQuery, {"against": "v9"})) == (
        "not_found", "no version v9", {"version_id": "v9"})
