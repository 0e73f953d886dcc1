-- Integrity and the end of a version's life: the object version MinIO gave the
-- original (downloads read exactly that one), whether a legal hold protects it
-- (approved and later: no one may delete or overwrite it), and when its content was
-- disposed of after the retention period (the manifest stays, the bytes are gone).
ALTER TABLE versions ADD COLUMN object_version_id text;
ALTER TABLE versions ADD COLUMN legal_hold boolean NOT NULL DEFAULT false;
ALTER TABLE versions ADD COLUMN disposed_at timestamptz;

-- A download whose bytes did not hash to the manifest's sha256 (the gateway cut the
-- stream short): kept for the IT team and `procedura` integrity reports.
CREATE TABLE integrity_alarms (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    version_id  uuid NOT NULL,
    expected    char(64) NOT NULL,
    found       text NOT NULL,
    size        bigint NOT NULL,
    detected_by text NOT NULL
);
CREATE INDEX integrity_alarms_version ON integrity_alarms (version_id);
