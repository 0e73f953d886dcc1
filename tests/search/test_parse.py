"""The query language, without a server."""
from services.search.query import MAX_TERMS, fold, parse


def test_words_phrases_and_exclusions():
    parsed = parse('petitii "registrul de intrare" -juridic -"act adițional" PO-DJ')
    assert parsed.words == ["petitii", "PO-DJ"]
    assert parsed.phrases == ["registrul de intrare"]
    assert parsed.excluded_words == ["juridic"]
    assert parsed.excluded_phrases == ["act adițional"]


def test_unbalanced_quotes_punctuation_and_length():
    assert parse('"registrul de intrare').words == ["registrul", "de", "intrare"]
    assert parse(r'\ / : ( ) [ ] { } ^ ~ * ? "').empty
    assert parse("-petitii").empty and parse("").empty
    assert len(parse("a " * 500).words) == MAX_TERMS


def test_fold_matches_every_spelling():
    assert fold("Petiţiilor") == fold("petițiilor") == "petitiilor"
    assert fold("ÎNVĂȚĂMÂNT") == "invatamant"
