"""Search queries against the real Elasticsearch: syntax, prefixes, typos, facets,
filters, sort, pagination, scopes (in force, work, history), suggest and bad input."""
import uuid

import pytest

from services.contracts.models import Role
from services.contracts.search import SearchQuery, SuggestQuery
from tests.helpers import user
from tests.search.conftest import entry

DJ = user("DJ")
AVIZARE = str(uuid.uuid4())  # the document PO-DJ-07, with two versions


@pytest.fixture(scope="module")
def index(search_index):
    rows = [
        (entry("PO-RP-02", "Înregistrarea şi soluţionarea petiţiilor",
               "Referentul înregistrează petiţia în ziua primirii.", owner="RP",
               distribution=("RP", "DJ"), process="Relații cu publicul", year=2025,
               created_at="2025-02-01T10:00:00Z"), "in_force", 4),
        (entry("PO-DJ-07", "Avizarea contractelor", "Versiunea veche a avizării.",
               process="Juridic", document_id=AVIZARE, year=2024,
               created_at="2024-05-01T10:00:00Z"), "superseded", 5),
        (entry("PO-DJ-07", "Avizarea contractelor",
               "Direcția Juridică avizează contractele și petițiile cu implicații juridice.",
               process="Juridic", document_id=AVIZARE, revision=1,
               created_at="2026-01-10T10:00:00Z"), "in_force", 4),
        # the next revision of PO-DJ-07, being written
        (entry("PO-DJ-07", "Avizarea contractelor",
               "Proiect: avizarea actelor adiționale la contracte.", process="Juridic",
               document_id=AVIZARE, revision=2, created_at="2026-03-10T10:00:00Z"), "draft", 0),
        (entry("PO-DJ-12", "Reprezentarea în instanță",
               "Dosarele se trec în registrul de intrare-ieșire al dosarelor.",
               process="Juridic", created_at="2026-02-10T10:00:00Z"), "in_force", 4),
        (entry("IL-IT-01", "Instrucțiune de lucru parole", "Schimbarea parolei la 90 de zile.",
               owner="IT", distribution=("IT", "DJ"), type="IL", year=2025,
               created_at="2025-06-01T10:00:00Z"), "in_force", 4),
        (entry("PO-AUD-01", "Auditul public intern",
               "Misiunea de audit privind petițiile confidențiale.", owner="AUD",
               distribution=("AUD", "PRIMAR"), confidential=True,
               created_at="2026-03-01T10:00:00Z"), "in_force", 4),
        # in the signing chain: waiting for the departments' opinions, for the head of DE,
        # approved and not yet in force
        (entry("PO-DRU-04", "Evaluarea performanțelor profesionale",
               "Evaluarea anuală a contractelor de muncă.", owner="DRU",
               distribution=("DRU", "DJ"), created_at="2026-03-02T10:00:00Z"),
         "in_endorsement", 2),
        (entry("PO-DE-05", "Angajamentul bugetar", "Angajarea cheltuielilor și contractele.",
               owner="DE", distribution=("DE",), created_at="2026-03-03T10:00:00Z"),
         "in_verification", 1),
        (entry("PO-IT-02", "Copiile de siguranță", "Copii de siguranță ale contractelor.",
               owner="IT", distribution=("IT",), created_at="2026-03-04T10:00:00Z"),
         "approved", 3),
    ]
    for doc, status, seq in rows:
        search_index.upsert(doc["version_id"], doc, status=status, status_seq=seq)
    search_index.es.indices.refresh(index=search_index.alias)
    search_index.rows = rows
    return search_index


def search(index, who=DJ, **kwargs):
    return index.search(who, SearchQuery(**kwargs))


def codes(result):
    return [h.code for h in result.hits]


def test_quotes_ask_for_the_exact_words_in_order(index):
    assert codes(search(index, q='"registrul de intrare"')) == ["PO-DJ-12"]
    assert search(index, q='"intrare registrul"').total == 0
    # exact words, not stems: `dosarului` is not in the text, `dosarelor` is
    assert search(index, q='"dosarului"').total == 0
    assert codes(search(index, q='"al dosarelor"')) == ["PO-DJ-12"]


def test_minus_leaves_out_words_and_phrases(index):
    assert set(codes(search(index, q="petitiilor"))) == {"PO-RP-02", "PO-DJ-07"}
    assert codes(search(index, q="petitiilor -juridice")) == ["PO-RP-02"]
    assert codes(search(index, q='petitiilor -"implicații juridice"')) == ["PO-RP-02"]


def test_a_code_prefix_finds_every_code_that_starts_with_it(index):
    assert set(codes(search(index, q="PO-DJ"))) == {"PO-DJ-07", "PO-DJ-12"}
    assert codes(search(index, q="po-dj-1")) == ["PO-DJ-12"]
    assert codes(search(index, q="PO-DJ-07"))[0] == "PO-DJ-07"


def test_a_title_is_found_as_it_is_typed(index):
    assert codes(search(index, q="avizarea contr")) == ["PO-DJ-07"]


def test_words_of_five_letters_or_more_tolerate_a_typo(index):
    assert codes(search(index, q="contractelr")) == ["PO-DJ-07"]
    assert codes(search(index, q="reprezentara instnta")) == ["PO-DJ-12"]
    # `zilr` (four letters) is not taken for `zile`; `paroe` (five) is taken for `parole`
    assert search(index, q="zilr").total == 0 and codes(search(index, q="zile")) == ["IL-IT-01"]
    assert codes(search(index, q="paroe")) == ["IL-IT-01"]


def test_facets_count_type_department_process_status_and_year(index):
    facets = search(index, q="").facets
    assert facets["type"] == {"PO": 3, "IL": 1}
    assert facets["department"] == {"DJ": 2, "RP": 1, "IT": 1}
    assert facets["process"] == {"Juridic": 2, "Relații cu publicul": 1}
    assert facets["status"] == {"in_force": 4}
    assert facets["year"] == {"2026": 2, "2025": 2}


def test_filters_narrow_hits_and_facets(index):
    result = search(index, q="PO", process="Juridic")
    assert set(codes(result)) == {"PO-DJ-07", "PO-DJ-12"}
    assert result.facets["process"] == {"Juridic": 2}
    assert codes(search(index, q="PO", department="RP")) == ["PO-RP-02"]
    assert codes(search(index, q="parole", type="IL")) == ["IL-IT-01"]
    assert codes(search(index, q="PO", year=2025)) == ["PO-RP-02"]
    assert codes(search(index, q="PO", status="draft")) == ["PO-DJ-07"]


def test_sort_by_date_is_newest_first(index):
    result = search(index, q="PO", sort="date")
    assert codes(result) == ["PO-DJ-12", "PO-DJ-07", "PO-RP-02"]


def test_pages_are_stable_and_a_page_past_the_end_keeps_the_total(index):
    pages = [search(index, q="PO", size=1, page=p) for p in (1, 2, 3)]
    seen = [p.hits[0].version_id for p in pages]
    assert len(set(seen)) == 3 and all(p.total == 3 for p in pages)
    assert seen == [h.version_id for h in search(index, q="PO").hits]
    beyond = search(index, q="PO", page=4, size=1)
    assert beyond.hits == [] and beyond.total == 3
    # further than Elasticsearch's result window: still an answer, not an error
    far = search(index, q="PO", page=1000, size=100)
    assert far.hits == [] and far.total == 3


def test_history_only_with_all_versions_and_labelled(index):
    assert [(h.revision, h.status.value) for h in search(index, q="avizarea").hits] \
        == [(1, "in_force")]
    history = search(index, q="avizarea", all_versions=True, document_id=AVIZARE, sort="date")
    assert [(h.edition, h.revision, h.status.value) for h in history.hits] == [
        (1, 2, "draft"), (1, 1, "in_force"), (1, 0, "superseded")]
    assert [h.revision for h in search(index, q="avizarea", scope="all",
                                       document_id=AVIZARE, sort="date").hits] == [2, 1, 0]
    within = search(index, q="veche", all_versions=True, document_id=AVIZARE)
    assert [(h.revision, h.status.value) for h in within.hits] == [(0, "superseded")]
    assert search(index, q="veche").total == 0
    # a status filter shows that status even when it is hidden by default
    assert codes(search(index, q="avizarea", status="superseded")) == ["PO-DJ-07"]


def test_the_default_is_in_force_only(index):
    """Drafts, revisions in the chain, approved ones not yet in force and superseded
    ones are not what staff look for: the default shows what applies today."""
    everything = search(index, q="contractelor", scope="all", size=100)
    assert {h.status.value for h in everything.hits} == {
        "in_force", "superseded", "draft", "in_endorsement", "in_verification", "approved"}
    default = search(index, q="contractelor", size=100)
    assert [(h.code, h.revision, h.status.value) for h in default.hits] == [
        ("PO-DJ-07", 1, "in_force")]
    assert default.facets["status"] == {"in_force": 1}
    assert search(index, q="proiect adiționale").total == 0
    assert search(index, q="evaluarea performanțelor").total == 0


def test_work_scope_is_what_the_user_may_work_on(index):
    # what waits for whom is the documents service's signing inbox (its tests, and
    # tests/e2e/test_the_register.py through the whole stack); search is told the ids
    waiting = {doc["code"]: doc["version_id"] for doc, _, _ in index.rows}

    def work(who, q="", waits=(), **kwargs):
        return sorted((h.code, h.status.value) for h in index.search(
            who, SearchQuery(q=q or "contractelor", scope="work", size=100, **kwargs),
            tuple(waiting[code] for code in waits)).hits)

    # an author: the drafts and chain of their department
    assert work(user("DJ", Role.AUTHOR)) == [("PO-DJ-07", "draft")]
    assert work(user("DJ", Role.AUTHOR), q="proiect adiționale") == [("PO-DJ-07", "draft")]
    # the head of DJ: nothing of DJ to verify; PO-DRU-04 waits for DJ's opinion
    assert work(user("DJ", Role.VERIFIER), waits=["PO-DRU-04"]) == [
        ("PO-DRU-04", "in_endorsement")]
    assert work(user("DJ", Role.VERIFIER)) == []
    # the head of DE verifies PO-DE-05; the monitoring committee endorses PO-DRU-04
    assert work(user("DE", Role.VERIFIER), waits=["PO-DE-05"]) == [
        ("PO-DE-05", "in_verification")]
    assert work(user("CM", Role.ENDORSER), waits=["PO-DRU-04"]) == [
        ("PO-DRU-04", "in_endorsement")]
    # the author of IT sees its approved revision until it comes into force
    assert work(user("IT", Role.AUTHOR)) == [("PO-IT-02", "approved")]
    # a version said to wait but not readable by them (confidential), or not in the
    # chain (in force), is not found: the scope narrows what the permissions allow
    assert work(user("CM", Role.ENDORSER), q="petițiile",
                waits=["PO-AUD-01", "PO-RP-02"]) == []
    # a reader has nothing to work on; the quality office has everything in the chain
    assert work(DJ) == [] and search(index, DJ, q="", scope="work").facets["status"] == {}
    assert work(user("SMC", Role.QMS_ADMIN)) == [
        ("PO-DE-05", "in_verification"), ("PO-DJ-07", "draft"),
        ("PO-DRU-04", "in_endorsement"), ("PO-IT-02", "approved")]
    # filters apply within the scope
    assert work(user("SMC", Role.QMS_ADMIN), department="DE") == [
        ("PO-DE-05", "in_verification")]
    # suggest has the same scopes
    assert [s.code for s in index.suggest(user("DJ", Role.AUTHOR),
                                          SuggestQuery(q="aviz", scope="work")).items] \
        == ["PO-DJ-07"]
    assert [s.code for s in index.suggest(user("CM", Role.ENDORSER),
                                          SuggestQuery(q="evalu", scope="work"),
                                          (waiting["PO-DRU-04"],)).items] == ["PO-DRU-04"]
    assert index.suggest(DJ, SuggestQuery(q="evaluarea")).items == []


def test_stop_words_alone_are_looked_for_as_words_not_everything(index):
    # `de` is in two texts only; `în` in two others
    assert set(codes(search(index, q="de"))) == {"PO-DJ-12", "IL-IT-01"}
    assert set(codes(search(index, q="în"))) == {"PO-RP-02", "PO-DJ-12"}
    assert set(codes(search(index, q='"de"'))) == {"PO-DJ-12", "IL-IT-01"}
    assert codes(search(index, q="în registrul")) == ["PO-DJ-12"]
    assert search(index, q="de la").total == 0


def test_an_empty_query_gives_no_hits_but_the_facets(index):
    for q in ("", "   ", "-petitiilor", "*?"):
        result = search(index, q=q)
        assert result.total == 0 and result.hits == []
        assert result.facets["department"] == {"DJ": 2, "RP": 1, "IT": 1}


@pytest.mark.parametrize("q", [
    "petiţii " * 125,                               # 1,000 characters
    '"registrul de intrare', 'registrul" de "intrare',
    r'\ / : ( ) [ ] { } ^ ~ * ? "', r'petit* AND (x OR y) title:aviz~2 ^3 [a TO b] {c} a\b',
    "-", "--", '""', '"-"', "PO-DJ-07 -PO-DJ-07", "\u0000\u200b", "ș" * 200,
])
def test_odd_input_is_an_answer_never_an_error(index, q):
    assert len(q) <= 1000
    result = search(index, q=q)
    assert result.total >= 0


def test_suggest_codes_and_titles_as_they_are_typed(index):
    def suggest(q, who=DJ):
        return [s.code for s in index.suggest(who, SuggestQuery(q=q)).items]

    assert set(suggest("PO-DJ")) == {"PO-DJ-07", "PO-DJ-12"}
    assert suggest("po-dj-0") == ["PO-DJ-07"]           # one per document
    # three versions of PO-DJ-07 (superseded, in force, draft): still one suggestion
    assert [s.code for s in index.suggest(DJ, SuggestQuery(q="po-dj-0", scope="all")).items] \
        == ["PO-DJ-07"]
    assert suggest("aviz") == ["PO-DJ-07"]
    assert suggest("Înregistrarea şi sol") == ["PO-RP-02"]
    assert suggest("inregistrarea si sol") == ["PO-RP-02"]
    assert suggest("") == [] and suggest("((") == []
    # confidential: only for those who may read it
    assert suggest("audi") == [] and suggest("PO-AUD") == []
    assert suggest("audi", user("AUD")) == ["PO-AUD-01"]
    assert suggest("PO-AUD", user("SMC", Role.QMS_ADMIN)) == ["PO-AUD-01"]


def test_highlights_mark_the_words_in_any_spelling(index):
    hit = search(index, q="petitiilor").hits[0]
    assert hit.code == "PO-RP-02"
    assert any("<mark>petiţiilor</mark>" in f for f in hit.highlights), hit.highlights
    hit = search(index, q='"registrul de intrare"').hits[0]
    assert any("<mark>registrul de intrare</mark>" in f
               for f in hit.highlights), hit.highlights
    # a word with a typo finds its version; only correctly typed words are marked
    hit = search(index, q="dosarele registrl").hits[0]
    assert hit.code == "PO-DJ-12"
    assert any("<mark>Dosarele</mark>" in f for f in hit.highlights)
    assert not any("<mark>registrul</mark>" in f for f in hit.highlights)


def test_a_text_longer_than_elasticsearchs_highlight_limit_is_found_and_highlighted(
        search_index):
    """Extraction keeps up to 2,000,000 characters; Elasticsearch highlights the first
    1,000,000 at most. A longer text must still be found, with highlights, never an error."""
    filler = "Registratura primește și înregistrează documentele în ordinea sosirii. " * 22000
    doc = entry("PO-RP-77", "Registrul general", filler + " Cuvântul arhivarezq apare la final.")
    assert len(doc["content"]) > 1_500_000
    search_index.upsert(doc["version_id"], doc, status="in_force", status_seq=5)
    search_index.es.indices.refresh(index=search_index.alias)
    near_start = search(search_index, q="registratura", document_id=doc["document_id"])
    assert codes(near_start) == ["PO-RP-77"] and near_start.hits[0].highlights
    at_the_end = search(search_index, q="arhivarezq")
    assert codes(at_the_end) == ["PO-RP-77"]
