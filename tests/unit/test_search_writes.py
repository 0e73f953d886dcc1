"""How the search service's writes merge into an index entry (services/search/writes.py):
the status only moves forward by status_seq, defaults fill only what is missing, and a
repeated write changes nothing."""
from services.search.writes import Write, merged, merged_all

ENTRY = {"version_id": "v1", "title": "Avizarea contractelor", "status": "approved",
         "status_seq": 3}


def test_a_new_entry_takes_defaults_doc_and_status():
    write = Write("v1", {"title": "Nou"}, "draft", 0, defaults={"title": "Vechi", "code": "PO"})
    assert merged(None, write) == {"title": "Nou", "code": "PO", "status": "draft",
                                   "status_seq": 0}


def test_a_late_status_does_not_roll_the_entry_back():
    late = Write("v1", {}, "in_verification", 1)
    assert merged(ENTRY, late) == ENTRY
    assert merged(ENTRY, Write("v1", {}, "in_force", 4))["status"] == "in_force"


def test_defaults_never_overwrite_what_the_entry_holds():
    write = Write("v1", {}, defaults={"title": "Titlu vechi", "code": "PO-DJ-01"})
    assert merged(ENTRY, write) == {**ENTRY, "code": "PO-DJ-01"}


def test_writes_of_one_entry_in_any_order_end_at_the_highest_status_seq():
    writes = [Write("v1", {"content": "text"}, "in_force", 4), Write("v1", {}, "draft", 0),
              Write("v1", {}, "approved", 3)]
    for order in (writes, writes[::-1], writes[1:] + writes[:1]):
        entry = merged_all(None, order)
        assert (entry["status"], entry["status_seq"], entry["content"]) == ("in_force", 4,
                                                                            "text")


def test_a_repeated_write_changes_nothing():
    write = Write("v1", {"title": "Avizarea contractelor"}, "approved", 3)
    once = merged(ENTRY, write)
    assert once == ENTRY and merged(once, write) == once
    assert merged_all(None, []) is None
