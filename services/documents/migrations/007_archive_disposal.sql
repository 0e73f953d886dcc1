-- Archive and disposal. A withdrawn or superseded revision is archived (its archive
-- file's retention counts from then); disposal deletes the content, keeps the register
-- entry, the revisions (status `disposed`) and the audit trail.
ALTER TABLE revisions ADD COLUMN archived_at timestamptz;
ALTER TABLE revisions ADD COLUMN disposed_at timestamptz;
ALTER TABLE documents ADD COLUMN disposed_at timestamptz;
