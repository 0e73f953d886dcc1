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


def test_stop_words_in_every_spelling():
    from services.search.stopwords import is_stopword
    assert all(is_stopword(w) for w in ("și", "şi", "si", "Și,", "în", "in", "până", "pana"))
    assert not any(is_stopword(w) for w in ("petiții", "HCL", "", "-", "PO-DJ"))


def test_synonym_forms_are_found_in_a_query_as_typed():
    from services.search.synonyms import expand

    def found(q):
        words = q.split()
        return [(" ".join(words[m.start:m.end]), sorted(f.text for f in m.others))
                for m in expand(words)]

    assert found("publicarea HCL") == [("HCL", ["hotărârea consiliului local",
                                                 "hotărârile consiliului local"])]
    # any spelling and inflection of a form, stop words between its words ignored
    assert found("hotararile consiliului local 2026")[0][0] == "hotararile consiliului local"
    assert found("comisia de monitorizare") == [("comisia de monitorizare", ["CM"])]
    assert found("securitate si sanatate in munca")[0][1] == [
        "SSM", "securitatea și sănătatea în muncă"]
    # an abbreviation is matched whole; words that only start alike are not a form
    assert found("CMX cm.") == [("cm.", ["comisia de monitorizare"])]
    assert found("hotarul local") == []
