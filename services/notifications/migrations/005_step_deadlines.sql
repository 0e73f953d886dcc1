-- The step each revision waits in, with its deadline (docs/notifications.md, "Deadlines
-- of workflow steps"). One row per revision, holding the highest status_seq heard: a
-- later transition replaces it (or clears it: due_date NULL, the revision waits in no
-- step with a deadline), and a late or repeated one cannot bring back a step the
-- revision has left. Each notice goes once per step entered (reminded_at, escalated_at);
-- who signed a committee's step before its quorum (signed_by) is not reminded.
CREATE TABLE step_deadlines (
    version_id       uuid PRIMARY KEY,
    status_seq       int  NOT NULL,
    document_id      uuid NOT NULL,
    code             text NOT NULL,
    title            text NOT NULL,
    edition          int  NOT NULL,
    revision         int  NOT NULL,
    owner_department text NOT NULL,
    author           text,
    step             text,
    label_ro         text,
    role             text,
    -- the awaited signers' department; NULL: any department may sign
    department       text,
    due_date         date,
    remind_on        date,
    signed_by        text[] NOT NULL DEFAULT '{}',
    reminded_at      timestamptz,
    escalated_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX step_deadlines_owed ON step_deadlines (remind_on)
    WHERE due_date IS NOT NULL AND escalated_at IS NULL;
