"""Where a person's live stream resumes (`GET /api/feed/stream`): the token each event
carries on its `id:` line, which the browser sends back as `Last-Event-ID` when it
reconnects (to another gateway, when its own died).

Feed items are numbered when they are written, but several notifications processes
commit them in any order, so the highest id a browser saw is no resume point: an item
numbered below it may commit after it. The numbers are one sequence for everyone, so the
ids below the highest that a person was not sent are nearly all other people's items and
cannot be listed as the gaps; the token lists the other way round: a floor, at or below
which everything is settled (sent, or given up), and the ids sent above it:

    1840            nothing owed at or below 1840, nothing sent above it: a bare item id,
                    what older clients and `?last_event_id=` give, means just that
    1840:1843,1851  1843 and 1851 were sent too; anything else of the person's above
                    1840 that commits is owed, once

The floor rises past an id sent SETTLED_SECONDS ago: an item numbered below it has held
its number longer than that without committing (a number is taken before the item that
was sent was, so before it was sent), which the notifications service's transactions
never do (a few inserts, no call to another service inside; the longest wait known is a
commit on the cluster's primary waiting for its dead synchronous standby until
pg_auto_failover drops it, about 30 s by its default timeouts, not measured): the number
belonged to a transaction rolled back. It also rises past all but the MAX_IDS highest ids sent, which
bounds the token (about 1 KB at most, far under any proxy's header limit); an item is
given up by that rule only when a person is sent more than MAX_IDS items while it waits
to commit.

A stream's first frame, before any event, carries the token of where it starts: the
point it resumed from, or for a fresh stream the person's MAX_IDS newest items at open
(`of_page`: not owed, anything else above the oldest of them is), so a browser whose
gateway dies before it was sent anything does not come back above an item numbered below
the newest that had not committed yet.

Nothing here lets a person see another's items: a token only chooses which of the
person's own items (`feed_since` of the logged-in person) are sent again or not.
"""
from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from services.contracts.errors import InvalidInput
from services.gateway.params import BIGINT_MAX, whole_number

# the most ids a token lists
MAX_IDS = 50
# how long a sent id keeps the ids below it open (the module's docstring)
SETTLED_SECONDS = 300.0
# how many of the newest ids a stream remembers having sent (not sending one twice)
REMEMBERED_IDS = 1000

_ID = "[0-9]{1,19}"
_TOKEN = re.compile(rf"({_ID}):({_ID}(?:,{_ID}){{0,{MAX_IDS - 1}}})")
_LONGEST = 20 * (MAX_IDS + 1)


@dataclass(frozen=True)
class ResumePoint:
    """Every item at or below `floor` is settled; of those above it, `sent` (ascending)
    were sent, any other is owed."""
    floor: int = 0
    sent: tuple[int, ...] = ()

    @classmethod
    def of(cls, floor: int, sent: Iterable[int]) -> ResumePoint:
        """`floor` and the ids sent (any order, any of them at or below it), with the
        floor raised past all but the MAX_IDS highest."""
        above = sorted({i for i in sent if i > floor})
        if len(above) > MAX_IDS:
            floor, above = above[-MAX_IDS - 1], above[-MAX_IDS:]
        return cls(floor, tuple(above))

    @classmethod
    def of_page(cls, ids: Iterable[int], whole_feed: bool) -> ResumePoint:
        """Where a page that shows the newest items of a feed (`ids`; all of them:
        `whole_feed`) resumes: above the oldest it shows, nothing shown again (the home
        page; a fresh stream, from the newest items when it opened)."""
        ids = list(ids)
        return cls.of(0 if whole_feed or not ids else min(ids), ids)

    def owes(self, item_id: int) -> bool:
        """Whether a stream resumed here sends `item_id` (the person's)."""
        return item_id > self.floor and item_id not in self.sent

    def token(self) -> str:
        if not self.sent:
            return str(self.floor)
        return f"{self.floor}:{','.join(map(str, self.sent))}"

    @classmethod
    def parse(cls, text: str, field: str) -> ResumePoint:
        """The point a client gives in `field` (Last-Event-ID, last_event_id): a feed item
        id as always (InvalidInput in the same words), or a token of the stream's."""
        if ":" not in text:
            return cls(whole_number(text, field))
        match = _TOKEN.fullmatch(text) if len(text) <= _LONGEST else None
        if match is not None:
            floor = int(match[1])
            sent = tuple(int(i) for i in match[2].split(","))
            if floor < sent[0] and all(a < b for a, b in zip(sent, sent[1:])) \
                    and sent[-1] <= BIGINT_MAX:
                return cls(floor, sent)
        raise InvalidInput(
            f"{field} must be a feed item id or a resume token the stream sent: "
            f"FLOOR:ID,ID,... with at most {MAX_IDS} ids, ascending, each above FLOOR "
            f"(whole numbers to {BIGINT_MAX})", {"field": field})


class SentIds:
    """What one stream has sent: each id once, and the point it resumes from after each.

    Items are numbered when they are written, but several notifications processes commit
    them in any order, so an item below the newest id sent may still be new: each id is
    checked against the newest `keep` ids sent, not against the highest one. The stream
    began at `base` (the floor it resumed from, or a fresh stream's: settled), with the
    ids `resumed` sent before it (a token's, or the items in a fresh stream's feed at
    open)."""

    def __init__(self, base: int = 0, resumed: Iterable[int] = (), keep: int = REMEMBERED_IDS,
                 clock: Callable[[], float] = time.monotonic):
        self._ids: set[int] = set()
        self._order: deque[int] = deque()
        self._keep = keep
        self._forgotten = 0     # the highest id forgotten
        self._clock = clock
        self._floor = base
        self._young: deque[tuple[int, float]] = deque()   # (id, sent at) above the floor
        for item_id in resumed:
            self.first_time(item_id)

    def floor(self, after: int) -> int:
        """Where catching up starts for a stream that resumed at `after`: there, unless
        it has forgotten ids sent since (those would be sent again)."""
        return max(after, self._forgotten)

    def first_time(self, item_id: int) -> bool:
        """Whether `item_id` was not sent yet; from now on it is."""
        if item_id in self._ids:
            return False
        self._ids.add(item_id)
        self._order.append(item_id)
        if len(self._order) > self._keep:
            forgotten = self._order.popleft()
            self._ids.discard(forgotten)
            self._forgotten = max(self._forgotten, forgotten)
        if item_id > self._floor:
            self._young.append((item_id, self._clock()))
        return True

    def resume_point(self) -> ResumePoint:
        """Where a stream resumed now would start: sending what this one did not."""
        now = self._clock()
        while self._young and now - self._young[0][1] >= SETTLED_SECONDS:
            self._floor = max(self._floor, self._young.popleft()[0])
        point = ResumePoint.of(self._floor, (i for i, _ in self._young))
        if point.floor != self._floor or len(point.sent) != len(self._young):
            # the floor only rises: a token given out lists every id sent above it
            self._floor = point.floor
            self._young = deque((i, at) for i, at in self._young if i > point.floor)
        return point
