"""What happens to an event a Procedura service cannot handle.

`event_handler` replaces nameko's: same arguments, same queues (durable, one per
service and handler), plus three guarantees nameko 2.14 does not give.
(nameko's `requeue_on_error` is refused with a TypeError: a failure is always
retried, then dead-lettered.)

- **Garbage is dead-lettered at once**: a body that cannot be decoded (not JSON,
  another content type), that is not a Procedura envelope, or whose type does not
  match its routing key never reaches the handler. Without this, nameko (through
  kombu) logs and discards an undecodable body, and a handler that fails on a
  malformed envelope with `requeue_on_error` takes it back forever: a hot loop.
- **A handler that keeps failing is retried, then dead-lettered**: each failure
  republishes the message to the tail of its own queue with the attempt count in
  the `x-procedura-attempts` header (through the topic exchange `procedura.retry`,
  where each queue is bound by its own name: a service's broker user may publish there
  only to its own queues, services/common/broker_users.py), after a growing pause
  (`delivery.retry_delay_seconds`, doubled each time); after `delivery.max_attempts` it goes
  to the durable queue `procedura.dead-letters` with why, from where and when.
- **An engine that is away is waited for, not counted**: a failure because
  Elasticsearch, MinIO, Tika or another service does not answer (a connection
  refused or timed out, a 503), or RabbitMQ does not take what the handler sends on
  (a connection lost, a publish nacked), is not the message's fault. The message
  goes back to its queue after a pause (`delivery.retry_delay_seconds` × 5, at most
  30 s) without an attempt being counted, so an outage of any length ends with the
  events handled, not dead-lettered, and without a hot loop filling the log.
- **Nothing is lost on the way**: every republish waits for the broker's confirm
  before the original is acked; if the broker is away the original is left
  unacked and the broker delivers it again. A copy may therefore arrive twice,
  which idempotent handlers (inbox, status_seq) absorb.

`procedura events dead-letters list|replay` (procedura_cli/events_cli.py) reads
and replays the dead letters with `list_dead_letters` and `replay_dead_letters`.

Where each part lives: retry.py (the decisions, free of I/O), publishing.py (the
confirmed republish and the dead-letter queue), consumer.py (the nameko extensions),
dead_letters.py (reading, replaying and dropping dead letters). Besides events:
queues.py (the type of durable queues), unconfirmed.py (RPC answers and the gateway's
requests, published without confirms, and why).
"""
from services.common.messaging.consumer import ReliableEventHandler, event_handler
from services.common.messaging.dead_letters import (
    DeadLetter, ReplayOutcome, drop_dead_letters, list_dead_letters, replay_dead_letters)
from services.common.messaging.publishing import confirmed_connection

__all__ = ["DeadLetter", "ReliableEventHandler", "ReplayOutcome", "confirmed_connection",
           "drop_dead_letters", "event_handler", "list_dead_letters", "replay_dead_letters"]
