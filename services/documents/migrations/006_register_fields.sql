-- The register's fields of DOMAIN.md beyond code, title, type and owner: the SCIM
-- standard (1-16), the archive file (indicator and retention class), links to other
-- documents of the register and, for documents of external origin, their issuer,
-- reference and validity. Metadata changes (PATCH) stamp updated_at.
ALTER TABLE documents ADD COLUMN scim_standard smallint
    CHECK (scim_standard BETWEEN 1 AND 16);
ALTER TABLE documents ADD COLUMN archive_indicator text;
ALTER TABLE documents ADD COLUMN retention_class text;
ALTER TABLE documents ADD COLUMN links jsonb NOT NULL DEFAULT '[]';
ALTER TABLE documents ADD COLUMN issuer text;
ALTER TABLE documents ADD COLUMN external_reference text;
ALTER TABLE documents ADD COLUMN validity_date date;
ALTER TABLE documents ADD COLUMN updated_at timestamptz;

-- A document of external origin says who issued it, its reference and until when it
-- is valid, whatever the code does.
ALTER TABLE documents ADD CONSTRAINT documents_external_origin CHECK (
    type <> 'extern'
    OR (issuer IS NOT NULL AND external_reference IS NOT NULL AND validity_date IS NOT NULL));
