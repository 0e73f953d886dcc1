CREATE TABLE departments (
    code text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE staff (
    username      text PRIMARY KEY,
    full_name     text NOT NULL,
    department    text NOT NULL REFERENCES departments (code),
    function      text NOT NULL DEFAULT '',
    roles         text[] NOT NULL,
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true
);
CREATE INDEX staff_department ON staff (department) WHERE active;

CREATE TABLE documents (
    id                 uuid PRIMARY KEY,
    code               text NOT NULL UNIQUE,
    title              text NOT NULL,
    type               text NOT NULL,
    owner_department   text NOT NULL REFERENCES departments (code),
    process            text,
    distribution       text[] NOT NULL DEFAULT '{}',
    confidential       boolean NOT NULL DEFAULT false,
    current_version_id uuid,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE revisions (
    version_id      uuid PRIMARY KEY,
    document_id     uuid NOT NULL REFERENCES documents (id),
    edition         integer NOT NULL CHECK (edition >= 1),
    revision        integer NOT NULL CHECK (revision >= 0),
    status          text NOT NULL,
    status_seq      integer NOT NULL DEFAULT 0,
    registry_number text,
    effective_date  date,
    author          text NOT NULL,
    change_summary  text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, edition, revision)
);

-- Append-only: every step of the signing chain, with its decision.
CREATE TABLE signatures (
    id         bigserial PRIMARY KEY,
    version_id uuid NOT NULL REFERENCES revisions (version_id),
    step       text NOT NULL,
    decision   text NOT NULL,
    signer     text NOT NULL,
    function   text NOT NULL,
    comment    text NOT NULL DEFAULT '',
    signed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signatures_version ON signatures (version_id);
