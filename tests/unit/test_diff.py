from services.versioning.domain.diff import diff_texts, diff_words

OLD = """Procedura operațională privind petițiile

Compartimentul analizează petiția în termen de 30 de zile.
Răspunsul se semnează de primar.
Copia se arhivează."""

NEW = """Procedura operațională privind petițiile

Compartimentul analizează petiția în termen de 15 zile lucrătoare.
Răspunsul se semnează de primar.
Se publică raportul semestrial."""


def test_changed_sentences_are_found_word_by_word():
    diff = diff_texts(OLD, NEW)
    ops = [h.op for h in diff.hunks]
    assert ops == ["equal", "replace", "equal", "replace"]
    changed = [w for w in diff.hunks[1].words if w.op != "equal"]
    assert [(w.old, w.new) for w in changed] == [("30 de", "15"), ("", " lucrătoare")]
    assert diff.hunks[3].old == ["Copia se arhivează."]
    assert diff.hunks[3].new == ["Se publică raportul semestrial."]


def test_unified_text_and_counts():
    diff = diff_texts(OLD, NEW, old_label="Ediția I, Revizia 0", new_label="Ediția I, Revizia 1")
    assert "--- Ediția I, Revizia 0" in diff.unified
    assert "-Copia se arhivează." in diff.unified
    assert "+Se publică raportul semestrial." in diff.unified
    # "15", "lucrătoare" and the four words of the new sentence; "30 de" and three words
    assert diff.inserted_words == 2 + 4 and diff.deleted_words == 2 + 3


def test_identical_texts_have_no_changes():
    diff = diff_texts(OLD, OLD)
    assert [h.op for h in diff.hunks] == ["equal"]
    assert diff.unified == "" and diff.inserted_words == diff.deleted_words == 0


def test_word_changes_keep_the_text_whole():
    changes = diff_words("a b c", "a x c")
    assert "".join(w.old for w in changes) == "a b c"
    assert "".join(w.new for w in changes) == "a x c"


def test_changes_separated_only_by_spaces_read_as_one():
    changes = [w for w in diff_words("termen de 30 de zile", "termen de 45 zile")
               if w.op != "equal"]
    assert [(w.old, w.new) for w in changes] == [("30 de", "45")]
