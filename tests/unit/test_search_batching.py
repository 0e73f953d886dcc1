"""The search service's batch writer (services/search/batching.py): writes that arrive
close together go in one call, bounded in size; each waiting handler returns only once
its own entries are written, and learns of their failure."""
import eventlet
import pytest

from services.search.batching import BatchedIndex, BatchWriter
from services.search.writes import Write


class Recorder:
    def __init__(self, fail: dict | None = None, error: Exception | None = None):
        self.calls: list[list[str]] = []
        self.fail, self.error = fail or {}, error

    def __call__(self, writes):
        self.calls.append([w.version_id for w in writes])
        eventlet.sleep(0.01)          # a bulk request takes a while
        if self.error is not None:
            raise self.error
        return {w.version_id: self.fail[w.version_id] for w in writes
                if w.version_id in self.fail}


def run(writer, *groups):
    """Each group of version ids written by a handler of its own; what each one got."""
    runner = eventlet.spawn(writer.run)

    def handler(ids):
        try:
            writer.write([Write(i, {"version_id": i}) for i in ids])
            return "written"
        except Exception as exc:
            return str(exc)
    try:
        return [t.wait() for t in [eventlet.spawn(handler, g) for g in groups]]
    finally:
        runner.kill()


def test_handlers_arriving_together_share_one_bulk_call():
    write_many = Recorder()
    outcomes = run(BatchWriter(write_many, max_batch=50, max_wait=0.05),
                   *[[f"v{i}"] for i in range(10)], ["a", "b"])
    assert outcomes == ["written"] * 11
    assert write_many.calls == [[f"v{i}" for i in range(10)] + ["a", "b"]]


def test_a_batch_holds_at_most_max_batch_writes():
    write_many = Recorder()
    run(BatchWriter(write_many, max_batch=4, max_wait=0.05), *[[f"v{i}"] for i in range(10)])
    assert [len(c) for c in write_many.calls] == [4, 4, 2]
    assert sum(write_many.calls, []) == [f"v{i}" for i in range(10)]


def test_a_batch_closes_once_its_texts_reach_max_text_chars():
    write_many = Recorder()
    writer = BatchWriter(write_many, max_batch=50, max_wait=0.05, max_text_chars=10)
    runner = eventlet.spawn(writer.run)

    def handler(version_id):
        writer.write([Write(version_id, {"content": "x" * 6})])
    try:
        [t.wait() for t in [eventlet.spawn(handler, f"v{i}") for i in range(5)]]
    finally:
        runner.kill()
    assert write_many.calls == [["v0", "v1"], ["v2", "v3"], ["v4"]]


def test_a_lone_write_waits_no_longer_than_max_wait():
    write_many = Recorder()
    started = eventlet.hubs.get_hub().clock()
    run(BatchWriter(write_many, max_batch=50, max_wait=0.05), ["v1"])
    assert eventlet.hubs.get_hub().clock() - started < 0.5
    assert write_many.calls == [["v1"]]


def test_only_the_handler_of_a_failed_entry_fails():
    write_many = Recorder(fail={"bad": RuntimeError("mapping refused bad")})
    assert run(BatchWriter(write_many), ["ok"], ["bad"], ["ok2", "ok3"]) == [
        "written", "mapping refused bad", "written"]


def test_elasticsearch_away_fails_every_handler_of_the_batch():
    write_many = Recorder(error=ConnectionError("refused"))
    assert run(BatchWriter(write_many), ["a"], ["b"]) == ["refused", "refused"]


def test_the_batched_index_reads_straight_and_writes_through_the_writer():
    class Index:
        alias = "procedura-versions"

        def get(self, version_id):
            return {"version_id": version_id}
    write_many = Recorder()
    writer = BatchWriter(write_many)
    batched = BatchedIndex(Index(), writer)
    assert batched.get("v9") == {"version_id": "v9"} and batched.alias == "procedura-versions"
    runner = eventlet.spawn(writer.run)
    try:
        batched.upsert("v1", {"title": "T"}, status="draft", status_seq=0)
        batched.upsert_all([Write("v2", {}), Write("v3", {})])
    finally:
        runner.kill()
    assert write_many.calls == [["v1"], ["v2", "v3"]]
    with pytest.raises(AttributeError):
        batched.missing
