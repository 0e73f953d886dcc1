-- Registration (a number per calendar year) and coming into force.
ALTER TABLE revisions ADD COLUMN registry_date date;
ALTER TABLE revisions ADD COLUMN approved_at timestamptz;
ALTER TABLE revisions ADD COLUMN in_force_at timestamptz;

CREATE UNIQUE INDEX revisions_registry_number ON revisions (registry_number)
    WHERE registry_number IS NOT NULL;

-- At most one revision of a document in force, whatever the code does.
CREATE UNIQUE INDEX revisions_one_in_force ON revisions (document_id)
    WHERE status = 'in_force';

CREATE INDEX revisions_due ON revisions (effective_date) WHERE status = 'approved';

-- The last registry number given in each calendar year; the row lock taken by
-- the increment serialises concurrent approvals, and a rolled-back approval
-- gives its number back: no duplicates, no gaps.
CREATE TABLE registry_counters (
    year integer PRIMARY KEY,
    last integer NOT NULL
);
