"""Reading Procedura's dead letters (`procedura events dead-letters list|replay|drop`,
procedura_cli/events_cli.py): list them, send them back to their queue, drop them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from kombu import Connection

from services.common.messaging.publishing import dead_letters_queue, publish_raw
from services.common.messaging.retry import PREFIX, attempts_of


@dataclass
class DeadLetter:
    id: str
    kind: str
    service: str
    queue: str
    routing_key: str
    reason: str
    attempts: int
    dead_lettered_at: str
    event_id: str | None = None
    event_type: str | None = None
    message: object = field(default=None, repr=False)

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "message"}


def _letter(message) -> DeadLetter:
    h = message.headers or {}
    event_id = event_type = None
    try:
        body = message.decode()
        if isinstance(body, dict):
            event_id, event_type = body.get("id"), body.get("type")
    except Exception:   # garbage stays garbage
        pass
    return DeadLetter(
        id=str(h.get(PREFIX + "dead-letter-id") or message.properties.get("message_id")),
        kind=str(h.get(PREFIX + "kind", "failed")), service=str(h.get(PREFIX + "service", "")),
        queue=str(h.get(PREFIX + "queue", "")), routing_key=str(h.get(PREFIX + "routing-key", "")),
        reason=str(h.get(PREFIX + "reason", "")), attempts=attempts_of(h),
        dead_lettered_at=str(h.get(PREFIX + "dead-lettered-at", "")),
        event_id=event_id if isinstance(event_id, str) else None,
        event_type=event_type if isinstance(event_type, str) else None, message=message)


def _each_letter(connection: Connection, visit: Callable[[DeadLetter], None],
                 queue_type: str = "classic") -> None:
    """Hand every dead letter to `visit` (which may ack it); the others go back to
    the queue, in their order, when the channel closes."""
    channel = connection.channel()
    try:
        queue = dead_letters_queue(queue_type)(channel)
        queue.declare()
        while True:
            message = queue.get(no_ack=False, accept=["json", "application/octet-stream",
                                                      "text/plain"])
            if message is None:
                break
            visit(_letter(message))
    finally:
        channel.close()


def list_dead_letters(connection: Connection,
                      queue_type: str = "classic") -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    _each_letter(connection, letters.append, queue_type)
    return letters


@dataclass
class ReplayOutcome:
    replayed: list[DeadLetter] = field(default_factory=list)
    skipped: list[tuple[DeadLetter, str]] = field(default_factory=list)


def _queue_exists(connection: Connection, name: str) -> bool:
    probe = connection.channel()
    try:
        probe.queue_declare(name, passive=True)
        return True
    except connection.channel_errors:
        return False
    finally:
        try:
            probe.close()
        except Exception:   # already closed by the broker's refusal
            pass


def replay_dead_letters(connection: Connection, ids: Iterable[str] | None,
                        queue_type: str = "classic") -> ReplayOutcome:
    """Send the dead letters `ids` (all of them when None) back to the queue they
    came from, with a fresh attempt count; garbage is never replayed."""
    wanted = None if ids is None else set(ids)
    outcome = ReplayOutcome()

    def visit(letter: DeadLetter) -> None:
        if wanted is not None and letter.id not in wanted:
            return
        if letter.kind == "garbage":
            outcome.skipped.append((letter, "garbage is never replayed"))
            return
        if not _queue_exists(connection, letter.queue):
            outcome.skipped.append((letter, f"queue {letter.queue} is gone (or exclusive "
                                            "to a process that is gone)"))
            return
        headers = {k: v for k, v in (letter.message.headers or {}).items()
                   if not k.startswith(PREFIX)}
        headers[PREFIX + "replayed-from"] = letter.id
        if letter.routing_key:
            headers[PREFIX + "routing-key"] = letter.routing_key
        exchange = (letter.message.headers or {}).get(PREFIX + "exchange")
        if exchange:
            headers[PREFIX + "exchange"] = exchange
        publish_raw(connection, letter.message, "", letter.queue, headers)
        letter.message.ack()
        outcome.replayed.append(letter)

    _each_letter(connection, visit, queue_type)
    return outcome


def drop_dead_letters(connection: Connection, ids: Iterable[str] | None,
                      garbage: bool = False, queue_type: str = "classic") -> list[DeadLetter]:
    """Discard the dead letters `ids`, or every garbage one with `garbage`."""
    wanted = None if ids is None else set(ids)
    dropped: list[DeadLetter] = []

    def visit(letter: DeadLetter) -> None:
        if (wanted is not None and letter.id in wanted) or (
                garbage and letter.kind == "garbage"):
            letter.message.ack()
            dropped.append(letter)

    _each_letter(connection, visit, queue_type)
    return dropped
