-- Staff from the city hall's directory (issue 16): where a person comes from, what the
-- directory last said of them, and every sync with its report. A person the directory
-- no longer has is deactivated, never deleted: what they signed and confirmed stays.
ALTER TABLE staff
    ADD COLUMN source       text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'directory')),
    ADD COLUMN email        text,
    ADD COLUMN directory_dn text,
    ADD COLUMN synced_at    timestamptz;

CREATE TABLE directory_syncs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    trigger     text NOT NULL,                -- timer, cli, web
    actor       text,                         -- who ran it (cli, web)
    dry_run     boolean NOT NULL,
    forced      boolean NOT NULL DEFAULT false,
    outcome     text NOT NULL DEFAULT 'running'
                CHECK (outcome IN ('running', 'done', 'failed', 'refused')),
    report      jsonb NOT NULL DEFAULT '{}',  -- added, changed, deactivated, errors
    error       text
);
CREATE INDEX directory_syncs_recent ON directory_syncs (started_at DESC);
