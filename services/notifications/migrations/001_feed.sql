-- One item per person per event: the unique key makes redelivery harmless.
CREATE TABLE feed_items (
    id          bigserial PRIMARY KEY,
    username    text NOT NULL,
    department  text NOT NULL,
    event_id    uuid NOT NULL,
    kind        text NOT NULL,
    document_id uuid NOT NULL,
    version_id  uuid,
    code        text NOT NULL,
    title       text NOT NULL,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    UNIQUE (username, event_id)
);
CREATE INDEX feed_items_user ON feed_items (username, id DESC);
CREATE INDEX feed_items_unread ON feed_items (username) WHERE read_at IS NULL;
