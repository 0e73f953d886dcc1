"""services/search/stopwords.py is the list the engine's `ro_stop` filter uses."""
from services.search.stopwords import LUCENE_RO_STOPWORDS, STOPWORDS


def test_the_stop_word_list_is_the_engines(search_index):
    def tokens(analyzer, text):
        return [t["token"] for t in search_index.es.indices.analyze(
            index=search_index.alias, analyzer=analyzer, text=text)["tokens"]]

    # every word of the list (both spellings) is removed by the `ro` analyser …
    assert tokens("ro", " ".join(sorted(STOPWORDS))) == []
    # … and words next to them are not: the list is not "everything"
    assert tokens("ro_exact", "petițiile și în") == ["petitiile", "si", "in"]
    assert len(tokens("ro", "petițiile registrul contractelor")) == 3
    assert len(LUCENE_RO_STOPWORDS) == 230
