-- Workflows as data (issue 15): each document type's workflow, every version the quality
-- office saved (version 1: the default config/workflows.yaml ships, written the first
-- time the type's workflow is needed). A revision records the version it was submitted
-- under and finishes under it, and the step it waits for.
CREATE TABLE workflows (
    doc_type   text NOT NULL,
    version    int NOT NULL CHECK (version >= 1),
    definition jsonb NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    comment    text NOT NULL DEFAULT '',
    PRIMARY KEY (doc_type, version)
);

-- NULL: not submitted since workflows were versioned (such a revision follows version 1)
ALTER TABLE revisions ADD COLUMN workflow_version int;
ALTER TABLE revisions ADD COLUMN current_step text;
