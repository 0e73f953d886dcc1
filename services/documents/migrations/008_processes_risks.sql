-- Processes (the process list, with owners) and the risk register (OSGG 600 Standard 8).
CREATE TABLE processes (
    code        text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    department  text NOT NULL REFERENCES departments (code),
    owner       text REFERENCES staff (username),
    description text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE risks (
    id                   uuid PRIMARY KEY,
    code                 text NOT NULL UNIQUE,
    department           text NOT NULL REFERENCES departments (code),
    process              text REFERENCES processes (code),
    owner                text REFERENCES staff (username),
    objective            text NOT NULL DEFAULT '',
    description          text NOT NULL,
    cause                text NOT NULL DEFAULT '',
    consequence          text NOT NULL DEFAULT '',
    strategy             text NOT NULL,
    status               text NOT NULL,
    deadline             date,
    observations         text NOT NULL DEFAULT '',
    inherent_probability integer NOT NULL CHECK (inherent_probability BETWEEN 1 AND 5),
    inherent_impact      integer NOT NULL CHECK (inherent_impact BETWEEN 1 AND 5),
    residual_probability integer NOT NULL CHECK (residual_probability BETWEEN 1 AND 5),
    residual_impact      integer NOT NULL CHECK (residual_impact BETWEEN 1 AND 5),
    last_assessed_on     date NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risks_department ON risks (department);

-- The control measures of a risk, each optionally implemented by a procedure.
CREATE TABLE risk_controls (
    risk_id     uuid NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    measure     text NOT NULL,
    document_id uuid REFERENCES documents (id),
    PRIMARY KEY (risk_id, position)
);
CREATE INDEX risk_controls_document ON risk_controls (document_id) WHERE document_id IS NOT NULL;

-- Every assessment, the first one included: the history of a risk's exposure.
CREATE TABLE risk_assessments (
    id                   bigserial PRIMARY KEY,
    risk_id              uuid NOT NULL REFERENCES risks (id),
    assessed_on          date NOT NULL,
    assessor             text NOT NULL,
    inherent_probability integer NOT NULL CHECK (inherent_probability BETWEEN 1 AND 5),
    inherent_impact      integer NOT NULL CHECK (inherent_impact BETWEEN 1 AND 5),
    residual_probability integer NOT NULL CHECK (residual_probability BETWEEN 1 AND 5),
    residual_impact      integer NOT NULL CHECK (residual_impact BETWEEN 1 AND 5),
    status               text NOT NULL,
    comment              text NOT NULL DEFAULT '',
    reviews_requested    text[] NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risk_assessments_risk ON risk_assessments (risk_id, id);
