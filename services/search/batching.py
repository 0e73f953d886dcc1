"""Events that arrive close together written to the index in one bulk request.

Each handler hands its writes to the `BatchWriter` and waits until they are written;
only then does it return and its message get acknowledged. A batch goes when it holds
`max_batch` writes or `max_wait` seconds after its first write, whichever comes first,
and one batch is written at a time (the next one gathers meanwhile). If the process
dies before a batch is written, its messages are not acknowledged and the broker
delivers them again: nothing is lost, and a repeated write changes nothing
(services/search/writes.py)."""
from __future__ import annotations

import logging
import time
from typing import Callable

from eventlet.event import Event
from eventlet.queue import Empty, LightQueue

from services.search.writes import Write

log = logging.getLogger(__name__)

# A bulk request of 200 entries of a few KB each is well within Elasticsearch's comfort
# (docs/benchmarks.md, "Search and indexing close to Elasticsearch"); a lone event waits
# at most MAX_WAIT for company, against the index's 1 s refresh.
MAX_BATCH = 200
MAX_WAIT = 0.02
# and the texts of a batch at most this many characters (a version's text is cut at
# 2,000,000): the request stays far below Elasticsearch's 100 MB http.max_content_length,
# and the multi-get's answer, which holds them again, too
MAX_TEXT_CHARS = 8_000_000


class BatchWriter:
    """Gathers writes and applies them with `write_many(writes) -> {version_id: error}`
    (VersionIndex.write_many) from one greenthread, `run`, which its owner spawns."""

    def __init__(self, write_many: Callable[[list[Write]], dict[str, Exception]],
                 max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT,
                 max_text_chars: int = MAX_TEXT_CHARS):
        self._write_many = write_many
        self.max_batch, self.max_wait = max_batch, max_wait
        self.max_text_chars = max_text_chars
        self._queue: LightQueue = LightQueue()

    def write(self, writes: list[Write]) -> None:
        """Apply `writes` in the next batch and wait until they are written (raises the
        error of an entry that could not be)."""
        done = [(write, Event()) for write in writes]
        for item in done:
            self._queue.put(item)
        for _, event in done:
            event.wait()

    def run(self) -> None:
        """Write batch after batch, for as long as the process runs."""
        while True:
            self.write_batch(self._next_batch())

    def _next_batch(self) -> list[tuple[Write, Event]]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.max_wait
        chars = _text_chars(batch[0][0])
        while len(batch) < self.max_batch and chars < self.max_text_chars:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=remaining) if remaining > 0
                             else self._queue.get_nowait())
            except Empty:
                break
            chars += _text_chars(batch[-1][0])
        return batch

    def write_batch(self, batch: list[tuple[Write, Event]]) -> None:
        """One bulk write; each waiting handler learns how its own entries went."""
        try:
            failed = self._write_many([write for write, _ in batch])
        except Exception as exc:   # Elasticsearch away: every handler of the batch fails
            log.warning("a bulk write of %d index entries failed: %s", len(batch), exc)
            for _, event in batch:
                event.send_exception(exc)
            return
        for write, event in batch:
            error = failed.get(write.version_id)
            if error is None:
                event.send(None)
            else:
                event.send_exception(error)


def _text_chars(write: Write) -> int:
    return len(write.doc.get("content") or "")


class BatchedIndex:
    """The index as the search service's workers use it: reads go straight to it, the
    writes of `upsert` and `upsert_all` through the batch writer."""

    def __init__(self, index, writer: BatchWriter):
        self._index, self._writer = index, writer

    def upsert(self, version_id: str, doc: dict, status: str | None = None,
               status_seq: int | None = None, defaults: dict | None = None) -> None:
        self._writer.write([Write(version_id, doc, status, status_seq, defaults)])

    def upsert_all(self, writes: list[Write]) -> None:
        self._writer.write(writes)

    def __getattr__(self, name: str):
        return getattr(self._index, name)
