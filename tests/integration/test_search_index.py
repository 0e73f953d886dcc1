"""The search projection against the real Elasticsearch with Procedura's analysis plugin."""
import uuid

import pytest

from services.contracts.models import Role
from services.contracts.search import SearchQuery, SuggestQuery
from services.search.adapters.index import VersionIndex
from tests.helpers import user


@pytest.fixture(scope="module")
def index(settings):
    index = VersionIndex(settings.elasticsearch_url, settings.search_index)
    index.ensure()
    docs = [
        ("PO-RP-02", "Înregistrarea şi soluţionarea petiţiilor", "RP", ["RP", "DJ"], False,
         "Referentul înregistrează petiţia în ziua primirii."),
        ("PO-DJ-07", "Avizarea contractelor", "DJ", ["DJ"], False,
         "Direcția Juridică avizează contractele și petițiile cu implicații juridice."),
        ("PO-AUD-01", "Auditul public intern", "AUD", ["AUD", "PRIMAR"], True,
         "Misiunea de audit privind petițiile confidențiale."),
    ]
    ids = {}
    for code, title, owner, dist, confidential, text in docs:
        vid = str(uuid.uuid4())
        ids[code] = vid
        index.upsert(vid, {"version_id": vid, "document_id": str(uuid.uuid4()), "code": code,
                           "title": title, "type": "PO", "owner_department": owner,
                           "distribution": dist, "confidential": confidential, "edition": 1,
                           "revision": 0, "year": 2026, "created_at": "2026-11-23T10:00:00Z",
                           "content": text, "has_text": True}, status="in_force", status_seq=4)
    index.es.indices.refresh(index=index.alias)
    index.ids = ids
    return index


def codes(result):
    return [h.code for h in result.hits]


def test_cedilla_comma_and_plain_spellings_find_the_same_hits_in_the_same_order(index):
    reader = user("DJ")
    results = [index.search(reader, SearchQuery(q=q)) for q in
               ("petitiilor", "petițiilor", "petiţiilor")]
    assert codes(results[0]) == codes(results[1]) == codes(results[2])
    assert set(codes(results[0])) == {"PO-RP-02", "PO-DJ-07"}


def test_confidential_versions_are_invisible_in_hits_totals_and_facets(index):
    outsider = user("DJ")
    result = index.search(outsider, SearchQuery(q="petitiile audit"))
    assert result.total == 0 and result.facets["department"] == {}
    everything = index.search(outsider, SearchQuery())   # empty query: facets only
    assert "AUD" not in everything.facets["department"]
    assert "PO-AUD-01" not in codes(everything)
    assert "AUD" in index.search(user("AUD"), SearchQuery()).facets["department"]
    for reader in (user("AUD"), user("PRIMAR"), user("SMC", Role.QMS_ADMIN)):
        assert "PO-AUD-01" in codes(index.search(reader, SearchQuery(q="audit")))


def test_highlights_are_html_escaped_and_marked(index):
    vid = str(uuid.uuid4())
    index.upsert(vid, {"version_id": vid, "document_id": str(uuid.uuid4()), "code": "IL-IT-01",
                       "title": "Instrucțiune", "type": "IL", "owner_department": "IT",
                       "distribution": ["IT"], "confidential": False, "edition": 1,
                       "revision": 0, "year": 2026, "created_at": "2026-11-23T10:00:00Z",
                       "content": "Nu lipiți <script>alert(1)</script> în formularul parolă.",
                       "has_text": True}, status="in_force", status_seq=4)
    index.es.indices.refresh(index=index.alias)
    hit = index.search(user("IT"), SearchQuery(q="formularul")).hits[0]
    assert "<mark>formularul</mark>" in hit.highlights[0]
    assert "&lt;script&gt;" in hit.highlights[0] and "<script>" not in hit.highlights[0]


def test_status_only_moves_forward(index):
    vid = str(uuid.uuid4())
    index.upsert(vid, {"version_id": vid, "code": "PO-DJ-08", "title": "Avizarea contractelor"},
                 status="draft", status_seq=0)
    index.upsert(vid, {}, status="approved", status_seq=3)
    index.upsert(vid, {}, status="in_verification", status_seq=1)   # a late event
    assert index.get(vid)["status"] == "approved"
    index.upsert(vid, {"title": "Avizarea contractelor"}, status="approved", status_seq=3)
    assert index.get(vid)["status_seq"] == 3


def test_a_confidential_version_leaks_through_no_total_facet_highlight_or_suggestion(index):
    """Outsiders searching words that only (or also) a confidential text holds learn
    nothing about it: not from hits, totals, facet counts, highlights or suggestions."""
    vid = str(uuid.uuid4())
    index.upsert(vid, {"version_id": vid, "document_id": str(uuid.uuid4()),
                       "code": "PO-AUD-02", "title": "Misiunea de audit la petiții",
                       "type": "PS", "owner_department": "AUD", "distribution": ["AUD"],
                       "confidential": True, "process": "Audit intern", "edition": 1,
                       "revision": 0, "year": 2031, "created_at": "2031-01-01T10:00:00Z",
                       "content": "Constatare: registrul petițiilor lipsește; cheia ascunsă "
                                  "zmeurăverde.", "has_text": True}, status="in_force",
                 status_seq=4)
    index.es.indices.refresh(index=index.alias)
    outsider, insider = user("DJ"), user("AUD")
    for q in ("zmeuraverde", "zmeurăverde", '"cheia ascunsă"', "PO-AUD", "zmeuraverd"):
        result = index.search(outsider, SearchQuery(q=q, all_versions=True))
        assert (result.total, result.hits) == (0, []), q
        assert all(counts == {} for counts in result.facets.values()), (q, result.facets)
        assert index.search(insider, SearchQuery(q=q)).total >= 1, q
    # a word both public and confidential texts hold: only the public hits are counted
    public = index.search(outsider, SearchQuery(q="petitiilor", all_versions=True))
    assert public.total == len(public.hits) == 2
    assert "PO-AUD-02" not in codes(public)
    assert "PS" not in public.facets["type"] and "2031" not in public.facets["year"]
    assert "Audit intern" not in public.facets["process"]
    assert not any("zmeur" in h or "Constatare" in h for hit in public.hits
                   for h in hit.highlights)
    # facets with no query at all
    assert "Audit intern" not in index.search(outsider, SearchQuery()).facets["process"]
    assert "Audit intern" in index.search(insider, SearchQuery()).facets["process"]
    assert [s.code for s in index.suggest(outsider, SuggestQuery(q="PO-AUD")).items] == []
    assert [s.code for s in index.suggest(outsider, SuggestQuery(q="misiunea de")).items] == []
    assert [s.code for s in index.suggest(insider, SuggestQuery(q="po-aud-02")).items] \
        == ["PO-AUD-02"]
