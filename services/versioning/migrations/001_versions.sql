-- Version manifests. The bytes live in object storage under object_key (original)
-- and text_key (text rendition); a row is never updated except for extraction.
CREATE TABLE versions (
    id                uuid PRIMARY KEY,
    document_id       uuid NOT NULL,
    edition           integer NOT NULL,
    revision          integer NOT NULL,
    filename          text NOT NULL,
    media_type        text NOT NULL,
    size              bigint NOT NULL CHECK (size > 0),
    sha256            char(64) NOT NULL,
    object_key        text NOT NULL UNIQUE,
    text_key          text NOT NULL UNIQUE,
    author            text NOT NULL,
    change_summary    text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    extraction_status text NOT NULL DEFAULT 'pending'
                      CHECK (extraction_status IN ('pending', 'done', 'failed')),
    extraction_error  text,
    characters        integer,
    truncated         boolean NOT NULL DEFAULT false,
    UNIQUE (document_id, edition, revision)
);
CREATE INDEX versions_document ON versions (document_id);
