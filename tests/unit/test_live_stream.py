"""The live feed's stream body (services/gateway/live.py): each item once, in the order
the items reach the gateway, though several notifications processes number and commit
them out of order."""
from __future__ import annotations

import re

from services.gateway.live import SentIds, StreamHub, stream


def _item(item_id: int) -> dict:
    return {"item_id": item_id, "username": "radu.munteanu", "kind": "approved",
            "message": f"item {item_id}", "created_at": "2026-12-07T10:00:00+02:00"}


def _ids(missed, after, live, events):
    hub = StreamHub()
    hub.setup()
    queue = hub.open("radu.munteanu")
    for item in live:
        hub.publish(item)
    body = stream(hub, "radu.munteanu", queue, missed, after)
    sent = []
    while len(sent) < events:
        chunk = next(body).decode()
        sent += [int(i) for i in re.findall(r"^id: (\d+)$", chunk, re.M)]
    body.close()
    assert hub.streams == {}          # the stream's queue is gone with it
    return sent


def test_an_item_numbered_before_one_already_sent_is_still_sent():
    missed = [{**_item(5), "id": 5}, {**_item(6), "id": 6}]
    # 6 comes live too (it was caught up already); 8 is committed before 7
    assert _ids(missed, 4, [_item(6), _item(8), _item(7), _item(9)], 5) == [5, 6, 8, 7, 9]


def test_a_resumed_stream_sends_nothing_at_or_before_where_it_resumed():
    assert _ids([], 10, [_item(9), _item(10), _item(12), _item(11)], 2) == [12, 11]


def test_the_ids_remembered_are_the_newest_ones():
    sent = SentIds(keep=3)
    assert [sent.first_time(i) for i in (1, 2, 3, 2, 4)] == [True, True, True, False, True]
    assert sent.first_time(1) is True      # forgotten: only the newest three are kept
    assert sent.first_time(4) is False
