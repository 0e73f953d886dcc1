-- The audit trail: append-only and hash-chained. Each entry's hash covers the
-- previous entry's hash, so changing or removing any entry breaks every hash after
-- it (`procedura audit verify`). The trigger refuses UPDATE, DELETE and TRUNCATE
-- for every role that has not dropped it (see docs/adr/0003-audit-trail.md).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,
    action      text NOT NULL,
    document_id uuid,
    version_id  uuid,
    details     jsonb NOT NULL DEFAULT '{}',
    prev_hash   char(64) NOT NULL,
    hash        char(64) NOT NULL UNIQUE
);
CREATE INDEX audit_log_document ON audit_log (document_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
