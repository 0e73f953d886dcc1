-- E-mail: each person's preference and the delivery log the delivery worker works from.
CREATE TABLE preferences (
    username      text PRIMARY KEY,
    email_delivery text NOT NULL DEFAULT 'off'
        CHECK (email_delivery IN ('off', 'immediate', 'daily_digest')),
    email_address text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE email_deliveries (
    id              bigserial PRIMARY KEY,
    -- one message per feed item (immediate) or per person and day (digest)
    dedupe_key      text NOT NULL UNIQUE,
    username        text NOT NULL,
    address         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('immediate', 'daily_digest')),
    subject         text NOT NULL,
    body            text NOT NULL,
    feed_item_ids   bigint[] NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX email_deliveries_due ON email_deliveries (next_attempt_at) WHERE status = 'queued';
CREATE INDEX email_deliveries_user ON email_deliveries (username, id DESC);
