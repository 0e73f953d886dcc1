"""The search query language fuzzed through the gateway (services/search/query.py):
quotes, exclusions, the characters of Lucene's syntax, code prefixes, diacritics and any
unicode, very long input, with filters valid and not. Never a 5xx; a well-formed
request is always answered 200, whatever its `q`."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from procedura_cli.docgen import docx_bytes
from services.contracts.search import MAX_QUERY_CHARACTERS
from tests.e2e.test_walking_skeleton import DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests.testenv import eventually

SEARCHES, SUGGESTIONS = 300, 150   # generated requests (bounded: CI has 2 cores)
MAX_URL = 8000   # eventlet's server refuses a longer request line (414), before Procedura

TEXT = """# Procedură operațională privind înregistrarea petițiilor

## 1. Scop
Procedura stabilește modul de înregistrare și soluționare a petițiilor adresate primăriei
în termenul de 30 de zile (ţ ş cu sedilă). Regulament (UE) 2016/679; art. 5^2, C++ & SQL.
"""
PIECES = [
    '"', '-', '--', '-"', '""', "'", '*', '?', ':', '(', ')', '[', ']', '{', '}', '^', '~',
    '\\', '/', '!', '&&', '||', '+', '=', '<', '>', '@', '#', '%', ';', ',', '.', '_',
    'AND', 'OR', 'NOT', 'TO', 'title:', 'code:', 'content:', '_id:', 'type:PO', '*:*',
    'PO-DJ', 'po-dj-0', 'PS-SMC-01', 'IL-IT-', 'petițiilor', 'petitiilor', 'petiţiilor',
    'petitiilr', 'înregistrarea', 'INREGISTRAREA', 'termenul', 'de', 'la', 'de la', 'în care',
    'GDPR', 'RGPD', '2016/679', '30', '5^2', 'C++', '1e308', '-0', 'NaN', 'null', 'true',
    ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u200b', '\u202e', '\ufeff', '\u0301', 'ß',
    'İ', 'ﬁ', '①', '٣', '𝔭𝔬', '😀', '\ud7ff', '日本語', 'ǅ', '\x00', '\x1b[31m', '%00',
    '<script>', '${jndi:x}', "{{7*7}}", '\\u0000', '/.*/', '~1', 'a~', 'a^10', '[a TO z]',
]
# each filter: values the contract takes, and values it refuses (422)
FILTERS = {
    "type": (["PO", "PS", "IL", ""], ["NOPE", "po"]),
    "department": (["DJ", "RP", "SMC"], ["X" * 17, "dj", "D J"]),
    "process": (["Audit public intern", ""], ["ș" * 201]),
    "status": (["in_force", "draft", "superseded"], ["gone"]),
    "year": (["2026", "1900"], ["1899", "3000", "٢٠٢٦", "99999999999999999999"]),
    "document_id": (["00000000-0000-0000-0000-000000000000"], ["not-a-uuid"]),
    "scope": (["in_force", "work", "all"], ["everything"]),
    "all_versions": (["true", "false", "1"], ["maybe"]),
    "sort": (["relevance", "date"], ["random"]),
    "page": (["1", "2", "1000"], ["1001", "0", "-1", "١"]),
    "size": (["1", "20", "100"], ["101", "0"]),
}
VALID = {name: set(valid) for name, (valid, _) in FILTERS.items()}


def _filters(*, valid_only: bool):
    def values(name):
        valid, refused = FILTERS[name]
        return st.sampled_from(valid if valid_only else valid + refused)
    return st.dictionaries(st.sampled_from(sorted(FILTERS)), st.none(), max_size=4).flatmap(
        lambda names: st.fixed_dictionaries({n: values(n) for n in names}))


query_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40)
    .map("".join),
    st.text(max_size=60),
    st.builds(lambda piece, n: piece * n, st.sampled_from(PIECES + ["a", "ă", "x "]),
              st.integers(min_value=100, max_value=1100)),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=950, max_size=1050),
)
# half of the requests with filters the contract takes: their `q` must be answered 200
filters = st.one_of(_filters(valid_only=True), _filters(valid_only=False))


def _well_formed(response, q: str, params: dict) -> bool:
    """Whether Procedura must answer 200: only the filters' own rules can refuse it."""
    return (len(q) <= MAX_QUERY_CHARACTERS and "\x00" not in q
            and all(v in VALID[k] for k, v in params.items())
            and len(response.request.url) <= MAX_URL)


@pytest.fixture(scope="module")
def reader(login):
    """A reader of DJ, with a DJ procedure indexed (hits to highlight, facets to count)."""
    author, reader = login("ana.popescu"), login("radu.munteanu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "p.docx", docx_bytes("PO petiții", TEXT), "",
                            DOCX)
    extraction_settled(author, version["id"])
    eventually(lambda: reader.get("/api/search", q=document["code"], scope="all")["total"],
               timeout=60)
    return reader


def _check(reader, path: str, q: str, params: dict, answers: list) -> None:
    response = reader.request("GET", path, params={"q": q, **params})
    answers.append(response.status_code)
    assert response.status_code < 500, (q, params, response.text[:500])
    if response.status_code == 200:
        body = response.json()
        assert ("items" in body) if path.endswith("suggest") else ("hits" in body)
    elif _well_formed(response, q, params):
        raise AssertionError(f"{response.status_code} for a well-formed request {q!r} "
                             f"{params}: {response.text[:300]}")


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


def test_any_search_text_and_filters_are_answered_without_a_server_error(reader):
    answers: list[int] = []

    @fuzz(SEARCHES)
    @given(q=query_text, params=filters)
    def search(q, params):
        _check(reader, "/api/search", q, params, answers)

    search()
    print(f"\n/api/search: {len(answers)} requests, {answers.count(200)} answered 200, "
          f"{sum(a >= 500 for a in answers)} >= 500")
    assert answers.count(200) >= len(answers) // 3   # the query language was reached


def test_any_suggest_text_is_answered_without_a_server_error(reader):
    answers: list[int] = []
    scopes = st.fixed_dictionaries({}, optional={
        "scope": st.sampled_from(["in_force", "work", "all", "everything"]),
        "size": st.sampled_from(["1", "8", "20", "21", "0", "٨"])})

    @fuzz(SUGGESTIONS)
    @given(q=query_text, params=scopes)
    def suggest(q, params):
        response = reader.request("GET", "/api/search/suggest", params={"q": q, **params})
        answers.append(response.status_code)
        assert response.status_code < 500, (q, params, response.text[:500])
        if (len(q) <= 200 and "\x00" not in q and params.get("scope", "all") != "everything"
                and params.get("size", "8") in ("1", "8", "20")
                and len(response.request.url) <= MAX_URL):
            assert response.status_code == 200, (q, params, response.text[:300])

    suggest()
    print(f"\n/api/search/suggest: {len(answers)} requests, {answers.count(200)} answered "
          f"200, {sum(a >= 500 for a in answers)} >= 500")
