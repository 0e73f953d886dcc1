"""The word diff matches sentences first: the same changes, found faster, and the
passages always rebuild exactly from the changes."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from services.versioning.domain.diff import _sentences, diff_words

OLD = ("Compartimentul înregistrează petiția. Termenul de răspuns este de 30 de zile. "
       "Răspunsul se semnează de primar; copia se arhivează.")
NEW = ("Compartimentul înregistrează petiția. Termenul de răspuns este de 15 zile lucrătoare. "
       "Răspunsul se semnează de primar; copia se arhivează.")


def test_only_the_changed_sentence_is_compared_word_by_word():
    changes = diff_words(OLD, NEW)
    assert [(c.old, c.new) for c in changes if c.op != "equal"] == [
        ("30 de", "15"), ("", " lucrătoare")]
    assert changes[0].op == "equal" and changes[0].old.startswith("Compartimentul")
    assert changes[-1].op == "equal" and changes[-1].old.endswith("copia se arhivează.")


def test_an_added_sentence_is_one_insertion():
    new = OLD.replace("petiția. ", "petiția. Se emite un număr de înregistrare. ")
    inserted = [c for c in diff_words(OLD, new) if c.op != "equal"]
    assert [(c.op, c.new.strip()) for c in inserted] == [
        ("insert", "Se emite un număr de înregistrare.")]


prose = st.lists(st.sampled_from(["Termenul", "este", "de", "30", "zile", ".", ";", " ",
                                  "\n", "ă", "3.5", "!", "primar"]), max_size=40).map("".join)


@given(prose)
def test_sentences_rebuild_the_text(text):
    assert "".join(_sentences(text)) == text


@settings(max_examples=200)
@given(prose, prose)
def test_changes_rebuild_both_passages(old, new):
    changes = diff_words(old, new)
    assert "".join(c.old for c in changes) == old
    assert "".join(c.new for c in changes) == new
    assert all(c.old == c.new for c in changes if c.op == "equal")
