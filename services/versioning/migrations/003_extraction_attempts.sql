-- Deliveries in which Tika died or dropped the connection while reading this version's
-- file: after extraction.max_attempts the file is marked failed instead of requeued
-- forever (a file that crashes Tika must not take the worker with it).
ALTER TABLE versions ADD COLUMN extraction_attempts integer NOT NULL DEFAULT 0;
-- `procedura doctor`: versions still pending, oldest first
CREATE INDEX versions_pending ON versions (created_at) WHERE extraction_status = 'pending';
