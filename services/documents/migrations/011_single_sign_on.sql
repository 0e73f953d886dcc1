-- Single sign-on (issue 16, point 4): the `state` of every sign-in through the city
-- hall's OpenID Connect issuer is taken once; a callback that brings a state already
-- taken (a replayed or copied URL) is refused, on whichever gateway it arrives.
CREATE TABLE sso_states (
    state    text PRIMARY KEY,
    taken_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_states_taken_at ON sso_states (taken_at);   -- old ones are deleted
