-- What each revision changed (Situația edițiilor și a reviziilor), the "new edition"
-- request, and the reason of a withdrawal.
ALTER TABLE revisions ADD COLUMN component_revised text NOT NULL DEFAULT '';
ALTER TABLE revisions ADD COLUMN how_revised text NOT NULL DEFAULT '';
ALTER TABLE revisions ADD COLUMN restored_from uuid REFERENCES revisions (version_id);
ALTER TABLE documents ADD COLUMN next_edition boolean NOT NULL DEFAULT false;
