-- Every service schema carries its own outbox (events written in the same
-- transaction as the state change) and inbox (event ids already handled).
CREATE TABLE IF NOT EXISTS outbox (
    id           uuid PRIMARY KEY,
    type         text NOT NULL,
    source       text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS processed_events (
    event_id     uuid NOT NULL,
    handler      text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, handler)
);
