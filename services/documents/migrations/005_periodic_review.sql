-- Periodic review: the date the document is next due for review, and the date for
-- which review_due was last sent (so the reminder goes once per due date).
ALTER TABLE documents ADD COLUMN next_review_date date;
ALTER TABLE documents ADD COLUMN review_notified_for date;
CREATE INDEX documents_review ON documents (next_review_date) WHERE next_review_date IS NOT NULL;
