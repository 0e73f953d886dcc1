-- Every API token and web session is a row, so it can be revoked (logout, a changed
-- password, a person deactivated) and every gateway process sees that at once; and
-- the failed logins that make guessing passwords wait (issue 12, findings 6 and 7).
CREATE TABLE sessions (
    id          text PRIMARY KEY,            -- random; named inside the signed token
    username    text NOT NULL REFERENCES staff (username),
    kind        text NOT NULL CHECK (kind IN ('api', 'web')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoked_why text
);
CREATE INDEX sessions_live_of ON sessions (username) WHERE revoked_at IS NULL;
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE login_failures (
    id       bigserial PRIMARY KEY,
    username text NOT NULL,                  -- as typed: unknown names count too
    address  text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
CREATE INDEX login_failures_at ON login_failures (at);         -- old ones are deleted
