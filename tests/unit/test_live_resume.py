"""Where a live stream resumes (services/gateway/resume.py): the token on each event's
`id:` line, which the browser sends back as Last-Event-ID. An item numbered below the
newest one sent but committed after it (several notifications processes commit in any
order) is still sent by the stream resumed from the token; nothing sent is sent again;
the token stays short; a token the stream could not have sent is a 422 naming where it
came from."""
from __future__ import annotations

import re

import pytest

from services.contracts.errors import InvalidInput
from services.gateway.live import StreamHub, stream
from services.gateway.resume import MAX_IDS, SETTLED_SECONDS, ResumePoint, SentIds


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_reads_back_as_the_point_it_was_made_from():
    for point in (ResumePoint(1840), ResumePoint(1840, (1843, 1851)),
                  ResumePoint(0, (1,)), ResumePoint(2 ** 63 - 2, (2 ** 63 - 1,))):
        assert ResumePoint.parse(point.token(), "Last-Event-ID") == point
    assert ResumePoint(1840, (1843, 1851)).token() == "1840:1843,1851"
    assert ResumePoint(1840).token() == "1840"


def test_a_bare_item_id_resumes_above_it_as_it_always_did():
    point = ResumePoint.parse("1840", "last_event_id")
    assert point == ResumePoint(1840)
    assert [i for i in (1839, 1840, 1841, 1900) if point.owes(i)] == [1841, 1900]


def test_a_point_owes_what_is_above_its_floor_and_was_not_sent():
    point = ResumePoint(10, (12, 15))
    assert [i for i in range(8, 18) if point.owes(i)] == [11, 13, 14, 16, 17]


def test_a_point_keeps_the_highest_ids_sent_and_raises_its_floor_past_the_others():
    assert ResumePoint.of(10, [15, 9, 12, 10, 15]) == ResumePoint(10, (12, 15))
    point = ResumePoint.of(0, range(1, MAX_IDS + 11))
    assert point == ResumePoint(10, tuple(range(11, MAX_IDS + 11)))
    # the longest token there is fits any proxy's header line
    biggest = ResumePoint.of(0, range(2 ** 63 - 1 - MAX_IDS, 2 ** 63))
    assert len(biggest.sent) == MAX_IDS and len(biggest.token()) <= 20 * (MAX_IDS + 1)
    assert ResumePoint.parse(biggest.token(), "Last-Event-ID") == biggest


def test_the_home_page_resumes_above_the_oldest_item_it_shows():
    assert ResumePoint.of_page([30, 25, 21], whole_feed=False).token() == "21:25,30"
    assert ResumePoint.of_page([30, 25, 21], whole_feed=True).token() == "0:21,25,30"
    assert ResumePoint.of_page([], whole_feed=True).token() == "0"


def test_a_stream_lists_the_ids_it_sent_above_where_it_began():
    clock = Clock()
    sent = SentIds(10, clock=clock)
    assert sent.resume_point() == ResumePoint(10)
    for item_id in (13, 9, 11):      # 9: below where it began (settled already)
        assert sent.first_time(item_id)
    assert sent.resume_point().token() == "10:11,13"
    assert not sent.first_time(13)


def test_an_id_below_one_sent_long_enough_ago_is_given_up():
    clock = Clock()
    sent = SentIds(10, clock=clock)
    sent.first_time(13)
    clock.now += SETTLED_SECONDS - 1
    sent.first_time(12)
    assert sent.resume_point().token() == "10:12,13"   # 11 may still commit
    clock.now += 1
    # 13 was sent SETTLED_SECONDS ago: a number below it not committed since was rolled
    # back; 12, sent a second after it, goes below the floor with it
    assert sent.resume_point().token() == "13"
    sent.first_time(20)
    clock.now += SETTLED_SECONDS
    sent.first_time(25)
    assert sent.resume_point().token() == "20:25"


def test_the_ids_listed_are_bounded_and_the_floor_never_falls():
    clock = Clock()
    sent = SentIds(0, clock=clock)
    for item_id in range(100, 100 + MAX_IDS + 5):
        sent.first_time(item_id)
    point = sent.resume_point()
    assert len(point.sent) == MAX_IDS and point.floor == 104
    sent.first_time(50)                 # below the floor given out: not listed again
    assert sent.resume_point() == point


def test_the_ids_of_a_token_resumed_from_are_not_sent_again():
    sent = SentIds(10, (12, 15))
    assert [sent.first_time(i) for i in (11, 12, 15, 16)] == [True, False, False, True]
    assert sent.resume_point().token() == "10:11,12,15,16"


@pytest.mark.parametrize("token", [
    "5:3", "5:5",                      # an id not above the floor
    "5:7,6", "5:7,7",                  # not ascending
    "5:", ":7", "5:,7", "5:7,", "5::7", "5:7:8", "5:7;8", "5:7 8", " 5:7",
    "5:x", "-1:7", "5:+7", "5:٧", "5:7\n8",
    "5:99999999999999999999",          # 20 digits
    "5:9223372036854775808",           # past PostgreSQL's bigint
    "0:" + ",".join(str(i) for i in range(1, MAX_IDS + 2)),   # more ids than a token has
    "0:" + "1" * 5000,
])
def test_a_token_the_stream_could_not_have_sent_is_refused_naming_the_field(token):
    for field in ("Last-Event-ID", "last_event_id"):
        with pytest.raises(InvalidInput) as refused:
            ResumePoint.parse(token, field)
        assert refused.value.details == {"field": field}
        assert refused.value.message.startswith(f"{field} must be a feed item id or a resume "
                                             "token")


@pytest.mark.parametrize("given", ["x", "-1", "²", "99999999999999999999999", "1.5"])
def test_a_bad_item_id_is_refused_in_the_words_of_before(given):
    with pytest.raises(InvalidInput) as refused:
        ResumePoint.parse(given, "Last-Event-ID")
    assert refused.value.message == "Last-Event-ID must be a whole number from 0 to " \
                                 "9223372036854775807"
    assert refused.value.details == {"field": "Last-Event-ID"}


# --- the stream resumed from the token (issue 19: "Still open", docs/scaling.md) ----------

def _item(item_id: int) -> dict:
    return {"item_id": item_id, "username": "radu.munteanu", "kind": "approved",
            "message": f"item {item_id}", "created_at": "2026-12-07T10:00:00+02:00"}


def _events(body, n) -> list[tuple[str, int]]:
    """The next `n` events: (their id line, their body's item id)."""
    got = []
    while len(got) < n:
        chunk = next(body).decode()
        got += [(m[1], int(m[2])) for m in
                re.finditer(r'^id: (.*)\nevent: notification\ndata: .*"id": (\d+)}$',
                            chunk, re.M)]
    return got


def _opening(body) -> str:
    """The stream's first frame: its reconnection time and a resume token, no event."""
    frame = next(body).decode()
    match = re.fullmatch(r"retry: 3000\nid: ([0-9:,]+)\n\n", frame)
    assert match, frame
    return match[1]


def test_an_item_committed_after_a_higher_one_comes_when_the_stream_resumes():
    hub = StreamHub()
    hub.setup()
    # the stream began at 10; 12 is committed and sent while 11, numbered before it, is
    # not committed yet; the gateway dies
    first = stream(hub, "radu.munteanu", hub.open("radu.munteanu"), [], ResumePoint(10),
                   lambda after: [])
    assert _opening(first) == "10"
    hub.publish(_item(12))
    [(token, item_id)] = _events(first, 1)
    assert item_id == 12 and token == "10:12"
    first.close()

    # 11 commits; the browser comes back with the token: 11 once, 12 not again
    feed = [{**_item(i), "id": i} for i in (11, 12)]
    resumed = ResumePoint.parse(token, "Last-Event-ID")
    queue = hub.open("radu.munteanu")
    second = stream(hub, "radu.munteanu", queue, [i for i in feed if i["id"] > resumed.floor],
                    resumed, lambda after: [])
    assert _opening(second) == "10:12"
    assert _events(second, 1) == [("10:11,12", 11)]
    for item_id in (12, 11, 13):                 # copies arriving live too, then a new one
        hub.publish(_item(item_id))
    assert _events(second, 1) == [("10:11,12,13", 13)]
    second.close()
    assert hub.streams == {}


def test_an_item_committed_after_the_stream_resumed_comes_live():
    hub = StreamHub()
    hub.setup()
    body = stream(hub, "radu.munteanu", hub.open("radu.munteanu"), [],
                  ResumePoint.parse("10:12", "Last-Event-ID"), lambda after: [])
    assert _opening(body) == "10:12"
    for item_id in (12, 10, 11):   # 12 sent before, 10 settled: only 11 is owed
        hub.publish(_item(item_id))
    assert _events(body, 1) == [("10:11,12", 11)]
    body.close()


def test_the_first_frame_carries_where_the_stream_starts():
    hub = StreamHub()
    hub.setup()
    for point, token in ((ResumePoint.parse("10:12", "Last-Event-ID"), "10:12"),
                         (ResumePoint(1840), "1840"),
                         (ResumePoint.of_page([7, 3], whole_feed=False), "3:7"),
                         (ResumePoint.of_page([], whole_feed=True), "0")):
        body = stream(hub, "radu.munteanu", hub.open("radu.munteanu"), [], point,
                      lambda after: [])
        assert _opening(body) == token
        body.close()
    assert hub.streams == {}


def test_a_fresh_stream_cut_before_any_event_resumes_from_its_first_frame():
    hub = StreamHub()
    hub.setup()
    # opened on a feed of 3 and 7 (its newest items, not the whole feed), while 5,
    # numbered before 7, is not committed yet; the gateway dies before sending anything
    first = stream(hub, "radu.munteanu", hub.open("radu.munteanu"), [],
                   ResumePoint.of_page([7, 3], whole_feed=False), lambda after: [])
    token = _opening(first)
    first.close()

    # 5 commits and 8 is made; the browser comes back with the first frame's id: both,
    # once, and nothing that was in the feed when the stream opened
    feed = [{**_item(i), "id": i} for i in (3, 5, 7, 8)]
    resumed = ResumePoint.parse(token, "Last-Event-ID")
    second = stream(hub, "radu.munteanu", hub.open("radu.munteanu"),
                    [i for i in feed if i["id"] > resumed.floor], resumed, lambda after: [])
    assert _opening(second) == "3:7"
    assert _events(second, 2) == [("3:5,7", 5), ("3:5,7,8", 8)]
    for item_id in (7, 5, 9):                   # copies arriving live too, then a new one
        hub.publish(_item(item_id))
    assert _events(second, 1) == [("3:5,7,8,9", 9)]
    second.close()
    assert hub.streams == {}
