"""Idempotent consumers: remember which event ids a handler has already applied."""


def first_delivery(cur, event_id, handler: str) -> bool:
    """True the first time `handler` sees `event_id` (inside the caller's transaction)."""
    cur.execute("""INSERT INTO processed_events (event_id, handler) VALUES (%s, %s)
                   ON CONFLICT DO NOTHING RETURNING 1""", (event_id, handler))
    return cur.fetchone() is not None
