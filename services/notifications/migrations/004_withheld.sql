-- A document made confidential, or a department taken off its distribution list: the
-- feed items and acknowledgements of people no longer allowed are withheld, not deleted,
-- so that they come back when the department is put back (document_updated).
ALTER TABLE feed_items ADD COLUMN withheld boolean NOT NULL DEFAULT false;
ALTER TABLE acknowledgements ADD COLUMN withheld boolean NOT NULL DEFAULT false;
CREATE INDEX feed_items_document ON feed_items (document_id);
CREATE INDEX distribution_lists_document ON distribution_lists (document_id);

-- a queued e-mail that names an item now withheld is not sent
ALTER TABLE email_deliveries DROP CONSTRAINT email_deliveries_status_check;
ALTER TABLE email_deliveries ADD CONSTRAINT email_deliveries_status_check
    CHECK (status IN ('queued', 'sent', 'failed', 'withheld'));
