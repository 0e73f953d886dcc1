-- The distribution list of a revision in force, resolved when it came into force and
-- kept: one row per revision, one per person on it ("Lista de difuzare").
CREATE TABLE distribution_lists (
    version_id       uuid PRIMARY KEY,
    document_id      uuid NOT NULL,
    code             text NOT NULL,
    title            text NOT NULL,
    edition          int  NOT NULL,
    revision         int  NOT NULL,
    owner_department text NOT NULL,
    distribution     text[] NOT NULL,
    confidential     boolean NOT NULL,
    in_force_on      date NOT NULL,
    due_date         date NOT NULL,
    -- a newer revision came into force (or the document was withdrawn): nothing left to confirm
    closed_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE acknowledgements (
    version_id        uuid NOT NULL REFERENCES distribution_lists (version_id),
    username          text NOT NULL,
    full_name         text NOT NULL,
    department        text NOT NULL,
    function          text NOT NULL,
    notified_at       timestamptz,
    acknowledged_at   timestamptz,
    -- each reminder kind goes once per person
    reminded_before_at timestamptz,
    reminded_after_at  timestamptz,
    PRIMARY KEY (version_id, username)
);
CREATE INDEX acknowledgements_pending ON acknowledgements (username)
    WHERE acknowledged_at IS NULL;
CREATE INDEX acknowledgements_department ON acknowledgements (department, version_id);
