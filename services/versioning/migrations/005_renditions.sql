-- Issue 13: every version gets a PDF rendition (services/renditions/worker.py), made
-- after its text was extracted. `pending` until the rendition worker claims and makes it
-- (`done`, with its page count and the object it wrote) or gives up (`failed`, naming
-- why). OCR of pages without text is said on the version: whether it ran, the pages it
-- read, the pages a limit left unread and which limit that was.
ALTER TABLE versions ADD COLUMN rendition_status text NOT NULL DEFAULT 'pending'
    CHECK (rendition_status IN ('pending', 'done', 'failed'));
ALTER TABLE versions ADD COLUMN rendition_pages integer;
ALTER TABLE versions ADD COLUMN rendition_error text;
ALTER TABLE versions ADD COLUMN rendition_key text;
ALTER TABLE versions ADD COLUMN rendition_object_version text;
-- deliveries that found MinIO or PostgreSQL away mid-rendition (the file is not at fault)
ALTER TABLE versions ADD COLUMN rendition_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN rendered_at timestamptz;
ALTER TABLE versions ADD COLUMN ocr boolean NOT NULL DEFAULT false;
ALTER TABLE versions ADD COLUMN ocr_pages integer NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN ocr_pages_left integer NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN ocr_stopped text;
-- `procedura doctor` and `procedura renditions rebuild --missing`: versions not rendered yet
CREATE INDEX versions_rendition_pending ON versions (created_at)
    WHERE rendition_status = 'pending';
